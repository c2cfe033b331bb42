// Quarantine: records that failed to parse or map, kept with their raw
// bytes (stored as a BLOB, so NUL bytes and invalid UTF-8 survive).
#include "sqlite_store.h"

namespace arsync::store::sqlite {
namespace {

constexpr char kAddQuarantine[] =
    "INSERT INTO quarantine (system, entity, external_id, source, error, location, raw, at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

constexpr char kListQuarantine[] =
    "SELECT id, system, entity, external_id, source, error, location, raw, at"
    " FROM quarantine ORDER BY id DESC LIMIT ?1";

}  // namespace

Status SqliteStore::add_quarantine(const QuarantineEntry& entry) {
  return guarded("add_quarantine", [&]() -> Status {
    StatementUse q(statement(kAddQuarantine));
    q->bindNoCopy(1, entry.system);
    q->bindNoCopy(2, entry.entity);
    q->bindNoCopy(3, entry.external_id);
    q->bindNoCopy(4, entry.source);
    q->bindNoCopy(5, entry.error);
    q->bindNoCopy(6, entry.location);
    q->bindNoCopy(7, entry.raw.data(), static_cast<int>(entry.raw.size()));
    q->bind(8, instant_text(entry.at));
    q->exec();
    return Status::ok();
  });
}

Result<std::vector<QuarantineEntry>> SqliteStore::list_quarantine(std::size_t limit) {
  return guarded("list_quarantine", [&]() -> Result<std::vector<QuarantineEntry>> {
    std::vector<QuarantineEntry> out;
    StatementUse q(statement(kListQuarantine));
    q->bind(1, limit_value(limit));
    while (q->executeStep()) {
      QuarantineEntry e;
      e.id = q->getColumn(0).getInt64();
      e.system = q->getColumn(1).getString();
      e.entity = q->getColumn(2).getString();
      e.external_id = q->getColumn(3).getString();
      e.source = q->getColumn(4).getString();
      e.error = q->getColumn(5).getString();
      e.location = q->getColumn(6).getString();
      SQLite::Column raw = q->getColumn(7);
      e.raw.assign(static_cast<const char*>(raw.getBlob()), static_cast<std::size_t>(raw.getBytes()));
      e.at = read_instant(q->getColumn(8).getString());
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace arsync::store::sqlite
