// MappingSink: the RecordSink the engine hands to a connector. It maps each
// raw record with the system's mapping set and commits the batch, the
// quarantined records and the connector's cursor in one store transaction.
//
// Mapping and committing have different best sizes. A batch is mapped as
// soon as it is accepted, so a connector may hand over small batches (each
// record's JSON is then mapped and freed soon after it was built, and the
// hashing below is balanced batch by batch). Commits are grouped: accepted
// batches are committed together, in order, with the last one's cursor, once
// they hold `commit_records` records (or at flush()), so that a transaction's fixed cost (the WAL commit and its
// fsync, the index pages written again) is shared by hundreds of documents.
// A crash replays the batches not yet committed, which is what the cursor
// of the last committed one says.
//
// Reading and writing overlap: accept() maps on the connector's thread; a
// writer thread, the only user of the store while a pull runs, commits the
// queued groups in order, all those waiting in one transaction (so a writer
// that falls behind commits fewer, larger transactions). At most
// `max_queued` groups wait, so memory stays bounded. After a commit fails,
// nothing more is committed (a later batch's cursor would skip the failed
// one) and the error is returned by the next accept() or flush().
//
// A document whose RawRef has no SHA-256 yet gets the hash of its record's
// raw bytes. Whichever thread has time computes it: the writer, just before
// the commit, while it keeps up; the pulling thread, for the batches it
// maps while groups wait for the writer. (For IDoc-XML the reading thread is
// the slower, for flat files the writer: hashing is about a sixth of the
// writer's time.)
//
// A record with no mapping for its entity, or that fails to map, is
// quarantined with the mapping error (file, mapping path, field path, record)
// and its JSON; the rest of the batch is stored.
//
// Thread safety: accept()/flush()/totals() are called by the one thread
// running the pull. The store must not be used by anyone else until flush()
// has returned (or the sink is destroyed, which flushes).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "arsync/connector.h"
#include "arsync/mapping/mapping.h"
#include "arsync/store/store.h"

namespace arsync::engine {

struct SinkTotals {
  std::size_t batches = 0;       // accepted from the connector and committed
  std::size_t transactions = 0;  // store transactions they were committed in
  std::size_t records = 0;
  std::size_t inserted = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t quarantined = 0;
  std::size_t skipped = 0;  // committed batches' records a mapping's "skip" rule left out
  double commit_seconds = 0;  // time the writer spent hashing raw bytes and in commit_batch
};

struct SinkLimits {
  // Records (documents and quarantined) a transaction gathers before it is
  // queued for the writer; 1 commits every batch on its own.
  std::size_t commit_records = 500;
  // Groups waiting for the writer before accept() blocks.
  std::size_t max_queued = 2;
};

class MappingSink final : public RecordSink {
 public:
  MappingSink(std::string system, std::string cursor_key, const mapping::MappingSet& mappings,
              store::Store& store, const Clock& clock, const std::atomic<bool>* stop = nullptr,
              SinkLimits limits = {});
  ~MappingSink() override;

  // Maps, and queues the group once it holds commit_records records.
  // kUnavailable ("stopping") once a stop was requested, so the connector
  // ends its pull after the batch it is on (the batches accepted before it
  // are committed by flush()); an earlier commit's error if one failed.
  Status accept(RecordBatch batch) override;
  Status flush() override;
  // What the mapping for `entity` reads (null when no mapping handles it:
  // such a record is quarantined whole).
  const FieldSelection* fields_read(const std::string& entity) const override;

  // Valid after flush().
  SinkTotals totals() const;

 private:
  struct Pending {
    store::DocumentBatch batch;
    std::size_t records = 0;
    std::size_t batches = 0;  // accepted batches it holds
    std::size_t skipped = 0;
    // Raw bytes to hash into batch.documents[i].raw_ref.sha256, by i.
    std::vector<std::pair<std::size_t, std::string>> to_hash;
  };
  // Hashes and frees `p.to_hash` (writer thread).
  static void hash_raw_bytes(Pending& p);
  static void append(Pending& into, Pending&& next);
  // Hands `building_` to the writer, waiting while max_queued groups wait.
  Status enqueue_building();
  void writer_loop();

  std::string system_;
  std::string cursor_key_;
  const mapping::MappingSet& mappings_;
  store::Store& store_;
  const Clock& clock_;
  const std::atomic<bool>* stop_;
  const std::size_t commit_records_;
  const std::size_t max_queued_;

  // The group being gathered (empty while batches == 0): the pulling
  // thread's own, not locked.
  Pending building_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool writing_ = false;   // the writer holds a batch outside the queue
  bool closing_ = false;
  Status error_;           // first commit error; sticky
  SinkTotals totals_;
  std::thread writer_;
};

}  // namespace arsync::engine
