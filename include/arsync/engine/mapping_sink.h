// MappingSink: the RecordSink the engine hands to a connector's pull. It
// maps each raw record with the system's mapping set and submits the
// batches, with their quarantined records and the connector's cursor, to the
// daemon's one StoreWriter; BatchMapper is the mapping half, also used for
// records that arrive outside a pull (ConnectorContext::commit).
//
// Mapping and committing have different best sizes. A batch is mapped as
// soon as it is accepted, so a connector may hand over small batches (each
// record is then mapped and freed soon after it was built). Submissions are
// gathered: accepted batches go to the writer together, in order, with the
// last one's cursor, once they hold `commit_records` records (or at
// flush()), and the writer groups what waits from every producer into one
// transaction, so that a transaction's fixed cost (the WAL commit and its
// fsync, the index pages written again) is shared by hundreds of documents.
// A crash replays the batches not yet committed, which is what the cursor
// of the last committed one says.
//
// Reading and writing overlap: accept() maps on the connector's thread while
// the writer commits earlier submissions. At most `max_queued` submissions
// of one pull wait for the writer, so memory stays bounded. The submissions
// of one pull form a StoreWriter::Chain: after one fails, none after it is
// committed (its cursor would skip the failed one), and the error is
// returned by the next accept() or flush().
//
// A document whose RawRef has no SHA-256 yet gets the hash of its record's
// raw bytes. Whichever thread has time computes it: the writer, just before
// the commit, while it keeps up; the pulling thread, for the batches it maps
// while earlier submissions still wait. (For IDoc-XML the reading thread is
// the slower, for flat files the writer.)
//
// A record with no mapping for its entity, or that fails to map, is
// quarantined with the mapping error (file, mapping path, field path, record)
// and its bytes (or its JSON); the rest of the batch is stored.
//
// Thread safety: a MappingSink's accept()/flush()/totals() are called by the
// one thread running the pull. A BatchMapper is const after construction and
// may map on several threads at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "arsync/connector.h"
#include "arsync/engine/store_writer.h"
#include "arsync/mapping/mapping.h"
#include "arsync/store/store.h"

namespace arsync::engine {

struct SinkTotals {
  std::size_t batches = 0;      // accepted from the connector and committed
  std::size_t submissions = 0;  // handed to the store writer (it may group them further)
  std::size_t records = 0;
  std::size_t inserted = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t quarantined = 0;
  std::size_t deleted = 0;  // documents held as deleted at their source
  std::size_t skipped = 0;  // committed batches' records a mapping's "skip" rule left out
};

struct SinkLimits {
  // Records (documents and quarantined) a submission gathers before it is
  // handed to the writer; 1 submits every batch on its own.
  std::size_t commit_records = 500;
  // Submissions of one pull waiting for the writer before accept() blocks.
  std::size_t max_queued = 2;
};

// A RecordBatch mapped for the store.
struct MappedBatch {
  store::DocumentBatch batch;
  std::size_t records = 0;  // records, rejected records and deletions it came from
  std::size_t skipped = 0;
  // Raw bytes still to hash into batch.documents[i].raw_ref.sha256, by i.
  std::vector<std::pair<std::size_t, std::string>> to_hash;
};

class BatchMapper {
 public:
  BatchMapper(std::string system, const mapping::MappingSet& mappings, const Clock& clock);

  // Maps `batch` into `into` (appending; its cursor replaces into's when
  // set); its deletions go with it. Raw bytes are hashed at once when
  // `hash_now`, else left in `into.to_hash`.
  Status map(RecordBatch& batch, MappedBatch& into, bool hash_now) const;

  // What the mapping for `entity` reads (null when no mapping handles it).
  const FieldSelection* fields_read(const std::string& entity) const {
    return mappings_.fields_read(entity);
  }
  const std::string& system() const { return system_; }

 private:
  std::string system_;
  const mapping::MappingSet& mappings_;
  const Clock& clock_;
};

class MappingSink final : public RecordSink {
 public:
  // `writer`, `mappings` and `clock` must outlive the sink; `stop` (may be
  // null) is read at each accept().
  MappingSink(std::string system, std::string cursor_key, const mapping::MappingSet& mappings,
              StoreWriter& writer, const Clock& clock, const std::atomic<bool>* stop = nullptr,
              SinkLimits limits = {});
  ~MappingSink() override;  // flush()

  // Maps, and submits the gathered batches once they hold commit_records
  // records. kUnavailable ("stopping") once a stop was requested, so the
  // connector ends its pull after the batch it is on (the batches accepted
  // before it are committed by flush()); an earlier commit's error if one
  // failed.
  Status accept(RecordBatch batch) override;
  Status flush() override;
  const FieldSelection* fields_read(const std::string& entity) const override {
    return mapper_.fields_read(entity);
  }

  // Valid after flush().
  SinkTotals totals() const { return totals_; }

 private:
  struct Submitted {
    std::size_t batches = 0;
    std::size_t records = 0;
    std::size_t skipped = 0;
    std::string cursor;  // for the debug log only
    std::future<Result<store::BatchOutcome>> outcome;
  };
  Status submit_building();
  // Waits for the oldest submission and counts it; false (and error_ set)
  // when it failed.
  bool settle_oldest();

  BatchMapper mapper_;
  std::string cursor_key_;
  StoreWriter& writer_;
  const std::atomic<bool>* stop_;
  const std::size_t commit_records_;
  const std::size_t max_queued_;

  MappedBatch building_;  // the group being gathered
  std::size_t building_batches_ = 0;
  StoreWriter::Chain chain_;
  std::deque<Submitted> in_flight_;
  Status error_;  // first commit error; sticky
  SinkTotals totals_;
};

}  // namespace arsync::engine
