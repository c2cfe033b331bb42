// MappingSink: the RecordSink the engine hands to a connector. It maps each
// raw record with the system's mapping set and commits the batch, the
// quarantined records and the connector's cursor in one store transaction.
//
// A record with no mapping for its entity, or that fails to map, is
// quarantined with the mapping error (file, mapping path, field path, record)
// and its JSON; the rest of the batch is stored.
//
// Thread safety: used by the one thread running the pull.
#pragma once

#include <atomic>
#include <string>

#include "arsync/connector.h"
#include "arsync/mapping/mapping.h"
#include "arsync/store/store.h"

namespace arsync::engine {

struct SinkTotals {
  std::size_t batches = 0;
  std::size_t records = 0;
  std::size_t inserted = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t quarantined = 0;
};

class MappingSink final : public RecordSink {
 public:
  MappingSink(std::string system, std::string cursor_key, const mapping::MappingSet& mappings,
              store::Store& store, const Clock& clock, const std::atomic<bool>* stop = nullptr);

  // Maps and commits. kUnavailable ("stopping") once a stop was requested, so
  // the connector ends its pull after the batch it is on.
  Status accept(RecordBatch batch) override;

  const SinkTotals& totals() const { return totals_; }

 private:
  std::string system_;
  std::string cursor_key_;
  const mapping::MappingSet& mappings_;
  store::Store& store_;
  const Clock& clock_;
  const std::atomic<bool>* stop_;
  SinkTotals totals_;
};

}  // namespace arsync::engine
