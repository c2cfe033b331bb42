#include "arsync/engine/mapping_sink.h"

#include <pthread.h>

#include <chrono>
#include <iterator>
#include <vector>

#include "arsync/log/log.h"
#include "arsync/model/sha256.h"

namespace arsync::engine {
namespace {

// What a record that cannot be mapped is quarantined with: its bytes as
// received, or its JSON when the connector kept no bytes (the JSON may hold
// only what the mapping reads; text that is not UTF-8 becomes U+FFFD).
std::string raw_or_json(RawRecord& rec) {
  return rec.raw.empty() ? rec.data.to_json_text() : std::move(rec.raw);
}

// Moves the elements of `from` to the end of `to`.
template <typename T>
void move_append(std::vector<T>& to, std::vector<T>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

// `next` committed with `into`, after it: its documents and quarantined
// records follow, and its cursor (when it has one) replaces the earlier one.
void MappingSink::append(Pending& into, Pending&& next) {
  const std::size_t offset = into.batch.documents.size();
  for (auto& [index, raw] : next.to_hash) into.to_hash.emplace_back(offset + index, std::move(raw));
  move_append(into.batch.documents, next.batch.documents);
  move_append(into.batch.quarantined, next.batch.quarantined);
  if (next.batch.cursor) into.batch.cursor = std::move(next.batch.cursor);
  into.records += next.records;
  into.batches += next.batches;
  into.skipped += next.skipped;
}

MappingSink::MappingSink(std::string system, std::string cursor_key,
                         const mapping::MappingSet& mappings, store::Store& store,
                         const Clock& clock, const std::atomic<bool>* stop, SinkLimits limits)
    : system_(std::move(system)), cursor_key_(std::move(cursor_key)), mappings_(mappings),
      store_(store), clock_(clock), stop_(stop),
      commit_records_(limits.commit_records == 0 ? 1 : limits.commit_records),
      max_queued_(limits.max_queued == 0 ? 1 : limits.max_queued) {
  writer_ = std::thread([this] {
    // Named so that top -H, perf and gdb tell it from the pulling thread.
    pthread_setname_np(pthread_self(), "arsync-writer");
    writer_loop();
  });
}

MappingSink::~MappingSink() {
  (void)flush();
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

Status MappingSink::accept(RecordBatch batch) {
  // Hashing raw bytes is work either thread can do: the writer does it
  // while it keeps up; once groups wait for it, this thread does.
  bool writer_behind = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.is_ok()) return error_;
    writer_behind = !queue_.empty();
  }
  if (!batch.deletions.empty()) {
    // TODO(issue 11): the store has no operation yet that marks a document
    // deleted at its source. Refused rather than dropped: the connector
    // stops, its cursor stays before the deletion, nothing is lost.
    const DeletedRecord& d = batch.deletions.front();
    Location at;
    at.file = d.source;
    at.record = d.external_id;
    return Status(ErrorCode::kUnimplemented,
                  "record " + d.entity + " " + d.external_id +
                      " was deleted at its source, and this arsync cannot store deletions yet",
                  at);
  }
  if (stop_ && stop_->load()) {
    return Status(ErrorCode::kUnavailable, "stopping: batch not committed, it will be replayed",
                  {}, /*retryable=*/true);
  }
  const Instant now = clock_.now();
  // Field values are built only when debug lines are written: this is the
  // per-record path.
  const bool debug = log::enabled(log::Level::kDebug);
  if (debug) {
    log::debug(system_, "batch_accepted",
               {{"records", std::to_string(batch.records.size())},
                {"rejected", std::to_string(batch.rejected.size())},
                {"cursor", batch.cursor}});
  }
  if (building_.batches++ == 0) {
    building_.batch.system = system_;
    building_.batch.cursor_key = cursor_key_;
  }
  building_.records += batch.records.size() + batch.rejected.size();
  store::DocumentBatch& out = building_.batch;
  // The group's cursor is its last batch's: committed only with all of it.
  out.cursor = std::move(batch.cursor);

  auto quarantine = [&](const std::string& entity, const std::string& external_id,
                        const std::string& source, const Status& error, std::string raw) {
    store::QuarantineEntry q;
    q.system = system_;
    q.entity = entity;
    q.external_id = external_id;
    q.source = source.empty() ? error.where().file : source;
    q.error = error.to_string();
    q.location = error.where().to_string();
    q.raw = std::move(raw);
    q.at = now;
    log::warn(system_, "record_quarantined",
              {{"entity", entity}, {"record", external_id}, {"error", q.error}});
    out.quarantined.push_back(std::move(q));
  };

  for (RawRecord& rec : batch.records) {
    const mapping::Mapping* m = mappings_.find(rec.entity);
    if (!m) {
      std::string files;
      for (const std::string& f : mappings_.files()) files += (files.empty() ? "" : ", ") + f;
      Location at;
      at.file = rec.source;
      at.record = rec.external_id;
      quarantine(rec.entity, rec.external_id, rec.source,
                 Status(ErrorCode::kMappingError,
                        "no mapping file handles record type '" + rec.entity +
                            "' (loaded: " + (files.empty() ? "none" : files) + ")",
                        at),
                 raw_or_json(rec));
      continue;
    }
    if (const std::string* why = m->skip_reason(rec.data)) {
      ++building_.skipped;
      log::debug(system_, "record_skipped",
                 {{"entity", rec.entity}, {"record", rec.external_id}, {"reason", *why}});
      rec.data = Record();
      continue;
    }
    mapping::RecordMeta meta{system_, rec.entity, rec.external_id, rec.version, rec.source};
    Result<Document> doc = m->apply(rec.data, meta);
    if (!doc) {
      quarantine(rec.entity, rec.external_id, rec.source, doc.status(), raw_or_json(rec));
      continue;
    }
    if (debug) {
      log::debug(system_, "record_mapped",
                 {{"entity", rec.entity}, {"record", rec.external_id},
                  {"kind", std::string(to_string(doc->kind))}, {"match_key", doc->match_key}});
    }
    doc->raw_ref = std::move(rec.raw_ref);
    if (doc->raw_ref.sha256.empty() && !rec.raw.empty()) {
      if (writer_behind) {
        doc->raw_ref.sha256 = sha256_hex(rec.raw);
      } else {
        building_.to_hash.emplace_back(out.documents.size(), std::move(rec.raw));
      }
    }
    out.documents.push_back(std::move(doc).value());
    // Freed now, while the mapping has just read it: the batch then holds
    // only documents until its commit.
    rec.data = Record();
    rec.raw = std::string();
  }
  for (RejectedRecord& r : batch.rejected) {
    quarantine(r.entity, r.external_id, r.error.where().file, r.error, std::move(r.raw));
  }

  if (building_.records < commit_records_) return Status::ok();
  return enqueue_building();
}

Status MappingSink::enqueue_building() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return queue_.size() < max_queued_ || !error_.is_ok(); });
  if (!error_.is_ok()) return error_;
  queue_.push_back(std::move(building_));
  building_ = Pending{};
  cv_.notify_all();
  return Status::ok();
}

const FieldSelection* MappingSink::fields_read(const std::string& entity) const {
  return mappings_.fields_read(entity);
}

Status MappingSink::flush() {
  if (building_.batches > 0) ARSYNC_RETURN_IF_ERROR(enqueue_building());
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return (queue_.empty() && !writing_) || !error_.is_ok(); });
  return error_;
}

SinkTotals MappingSink::totals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return totals_;
}

void MappingSink::hash_raw_bytes(Pending& p) {
  for (const auto& [index, raw] : p.to_hash) {
    p.batch.documents[index].raw_ref.sha256 = sha256_hex(raw);
  }
  p.to_hash.clear();
}

void MappingSink::writer_loop() {
  for (;;) {
    // Everything queued is committed in one transaction: the batches in
    // order, with the last one's cursor. When the writer falls behind, its
    // transactions grow and their fixed cost (the WAL commit) is shared.
    Pending pending;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing
      pending = std::move(queue_.front());
      queue_.pop_front();
      for (; !queue_.empty(); queue_.pop_front()) {
        append(pending, std::move(queue_.front()));
      }
      writing_ = true;
      cv_.notify_all();  // room in the queue
    }
    const auto started = std::chrono::steady_clock::now();
    hash_raw_bytes(pending);
    Result<store::BatchOutcome> outcome = store_.commit_batch(pending.batch, clock_.now());
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    if (outcome && log::enabled(log::Level::kDebug)) {
      log::debug(system_, "batch_committed",
                 {{"batches", std::to_string(pending.batches)},
                  {"records", std::to_string(pending.records)},
                  {"inserted", std::to_string(outcome->inserted)},
                  {"updated", std::to_string(outcome->updated)},
                  {"unchanged", std::to_string(outcome->unchanged)},
                  {"quarantined", std::to_string(outcome->quarantined)},
                  {"cursor", pending.batch.cursor.value_or("")}});
    }
    std::lock_guard<std::mutex> lock(mu_);
    totals_.commit_seconds += took.count();
    writing_ = false;
    if (!outcome) {
      error_ = outcome.status();
      queue_.clear();  // their cursors would skip the failed batch
      log::error(system_, "batch_commit_failed", {{"error", error_.to_string()}});
    } else {
      totals_.batches += pending.batches;
      totals_.transactions += 1;
      totals_.records += pending.records;
      totals_.inserted += outcome->inserted;
      totals_.updated += outcome->updated;
      totals_.unchanged += outcome->unchanged;
      totals_.quarantined += outcome->quarantined;
      totals_.skipped += pending.skipped;
    }
    cv_.notify_all();
  }
}

}  // namespace arsync::engine
