#include "arsync/engine/mapping_sink.h"

#include <chrono>
#include <memory>
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

}  // namespace

BatchMapper::BatchMapper(std::string system, const mapping::MappingSet& mappings,
                         const Clock& clock)
    : system_(std::move(system)), mappings_(mappings), clock_(clock) {}

Status BatchMapper::map(RecordBatch& batch, MappedBatch& into, bool hash_now) const {
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
  into.batch.system = system_;
  into.records += batch.records.size() + batch.rejected.size();
  store::DocumentBatch& out = into.batch;
  // The group's cursor is its last batch's: committed only with all of it.
  if (!batch.cursor.empty()) out.cursor = std::move(batch.cursor);

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
      ++into.skipped;
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
      if (hash_now) {
        doc->raw_ref.sha256 = sha256_hex(rec.raw);
      } else {
        into.to_hash.emplace_back(out.documents.size(), std::move(rec.raw));
      }
    }
    out.documents.push_back(std::move(doc).value());
    // Freed now, while the mapping has just read it: the batch then holds
    // only documents until its commit.
    rec.data = Record();
    rec.raw = std::string();
  }
  for (DeletedRecord& d : batch.deletions) {
    if (debug) {
      log::debug(system_, "record_deleted",
                 {{"entity", d.entity}, {"record", d.external_id}, {"source", d.source}});
    }
    out.deletions.push_back({std::move(d.entity), std::move(d.external_id)});
  }
  into.records += batch.deletions.size();
  for (RejectedRecord& r : batch.rejected) {
    quarantine(r.entity, r.external_id, r.error.where().file, r.error, std::move(r.raw));
  }

  return Status::ok();
}

MappingSink::MappingSink(std::string system, std::string cursor_key,
                         const mapping::MappingSet& mappings, StoreWriter& writer,
                         const Clock& clock, const std::atomic<bool>* stop, SinkLimits limits)
    : mapper_(std::move(system), mappings, clock), cursor_key_(std::move(cursor_key)),
      writer_(writer), stop_(stop),
      commit_records_(limits.commit_records == 0 ? 1 : limits.commit_records),
      max_queued_(limits.max_queued == 0 ? 1 : limits.max_queued) {}

MappingSink::~MappingSink() { (void)flush(); }

Status MappingSink::accept(RecordBatch batch) {
  if (!error_.is_ok()) return error_;
  // Settle what the writer has already committed, so an error is seen here.
  while (!in_flight_.empty() && in_flight_.front().outcome.wait_for(std::chrono::seconds(0)) ==
                                    std::future_status::ready) {
    if (!settle_oldest()) return error_;
  }
  if (stop_ && stop_->load()) {
    return Status(ErrorCode::kUnavailable, "stopping: batch not committed, it will be replayed",
                  {}, /*retryable=*/true);
  }
  // Hashing raw bytes is work either thread can do: the writer does it
  // while it keeps up; while submissions wait for it, this thread does.
  const bool writer_behind = !in_flight_.empty();
  ARSYNC_RETURN_IF_ERROR(mapper_.map(batch, building_, writer_behind));
  ++building_batches_;
  if (building_.records < commit_records_) return Status::ok();
  return submit_building();
}

Status MappingSink::submit_building() {
  while (in_flight_.size() >= max_queued_) {
    if (!settle_oldest()) return error_;
  }
  building_.batch.cursor_key = cursor_key_;
  Submitted s;
  s.batches = building_batches_;
  s.records = building_.records;
  s.skipped = building_.skipped;
  if (log::enabled(log::Level::kDebug)) s.cursor = building_.batch.cursor.value_or("");
  auto to_hash = std::make_shared<std::vector<std::pair<std::size_t, std::string>>>(
      std::move(building_.to_hash));
  StoreWriter::Prepare prepare;
  if (!to_hash->empty()) {
    prepare = [to_hash](store::DocumentBatch& b) {
      for (const auto& [index, raw] : *to_hash) b.documents[index].raw_ref.sha256 = sha256_hex(raw);
      to_hash->clear();
    };
  }
  s.outcome = writer_.submit(std::move(building_.batch), chain_, std::move(prepare));
  in_flight_.push_back(std::move(s));
  ++totals_.submissions;
  building_ = MappedBatch{};
  building_batches_ = 0;
  return Status::ok();
}

bool MappingSink::settle_oldest() {
  Submitted s = std::move(in_flight_.front());
  in_flight_.pop_front();
  Result<store::BatchOutcome> outcome = s.outcome.get();
  if (!outcome) {
    if (error_.is_ok()) {
      error_ = outcome.status();
      log::error(mapper_.system(), "batch_commit_failed", {{"error", error_.to_string()}});
    }
    return false;
  }
  if (!error_.is_ok()) return false;
  if (log::enabled(log::Level::kDebug)) {
    log::debug(mapper_.system(), "batch_committed",
               {{"batches", std::to_string(s.batches)},
                {"records", std::to_string(s.records)},
                {"inserted", std::to_string(outcome->inserted)},
                {"updated", std::to_string(outcome->updated)},
                {"unchanged", std::to_string(outcome->unchanged)},
                {"quarantined", std::to_string(outcome->quarantined)},
                {"cursor", s.cursor}});
  }
  totals_.batches += s.batches;
  totals_.records += s.records;
  totals_.inserted += outcome->inserted;
  totals_.updated += outcome->updated;
  totals_.unchanged += outcome->unchanged;
  totals_.quarantined += outcome->quarantined;
  totals_.deleted += outcome->deleted;
  totals_.skipped += s.skipped;
  return true;
}

Status MappingSink::flush() {
  if (error_.is_ok() && building_batches_ > 0) (void)submit_building();
  // Every submission is waited for, also after an error: none is left
  // referring to this sink's batches.
  while (!in_flight_.empty()) (void)settle_oldest();
  return error_;
}

}  // namespace arsync::engine
