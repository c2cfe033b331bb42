#include "arsync/engine/mapping_sink.h"

#include "arsync/log/log.h"

namespace arsync::engine {

MappingSink::MappingSink(std::string system, std::string cursor_key,
                         const mapping::MappingSet& mappings, store::Store& store,
                         const Clock& clock, const std::atomic<bool>* stop)
    : system_(std::move(system)), cursor_key_(std::move(cursor_key)), mappings_(mappings),
      store_(store), clock_(clock), stop_(stop) {}

Status MappingSink::accept(RecordBatch batch) {
  if (stop_ && stop_->load()) {
    return Status(ErrorCode::kUnavailable, "stopping: batch not committed, it will be replayed",
                  {}, /*retryable=*/true);
  }
  const Instant now = clock_.now();
  store::DocumentBatch out;
  out.system = system_;
  out.cursor_key = cursor_key_;
  out.cursor = batch.cursor;
  out.documents.reserve(batch.records.size());

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
                 rec.data.dump());
      continue;
    }
    mapping::RecordMeta meta{system_, rec.entity, rec.external_id, rec.version, rec.source};
    Result<Document> doc = m->apply(rec.data, meta);
    if (!doc) {
      quarantine(rec.entity, rec.external_id, rec.source, doc.status(), rec.data.dump());
      continue;
    }
    doc->raw_ref = rec.raw_ref;
    out.documents.push_back(std::move(doc).value());
  }
  for (RejectedRecord& r : batch.rejected) {
    quarantine(r.entity, r.external_id, r.error.where().file, r.error, std::move(r.raw));
  }

  Result<store::BatchOutcome> outcome = store_.commit_batch(out, now);
  if (!outcome) return outcome.status();
  totals_.batches += 1;
  totals_.records += batch.records.size() + batch.rejected.size();
  totals_.inserted += outcome->inserted;
  totals_.updated += outcome->updated;
  totals_.unchanged += outcome->unchanged;
  totals_.quarantined += outcome->quarantined;
  log::debug(system_, "batch_committed",
             {{"documents", std::to_string(out.documents.size())},
              {"inserted", std::to_string(outcome->inserted)},
              {"updated", std::to_string(outcome->updated)},
              {"quarantined", std::to_string(outcome->quarantined)}});
  return Status::ok();
}

}  // namespace arsync::engine
