// Quarantine: records that failed to parse or map, kept with their raw
// bytes (stored as a BLOB, so NUL bytes and invalid UTF-8 survive).
//
// Adding is idempotent. A crash can replay a quarantine: a whole file is
// reported, committed and only then moved to quarantine/, so a death before
// the move reads and reports it again. Each row carries a fingerprint of
// what identifies that failure of that record (system, source file, record
// id, location, which names the line or byte where the reader failed, the
// error, and the SHA-256 of the raw bytes), unique in the table, and an
// insert of a fingerprint already there does nothing. The time is left out:
// a replay is the same failure, later. A record that fails differently (the
// mapping changed) is a new row.
#include <cstdint>

#include "arsync/model/sha256.h"
#include "sqlite_store.h"

namespace arsync::store::sqlite {
namespace {

constexpr char kAddQuarantine[] =
    "INSERT INTO quarantine (system, entity, external_id, source, error, location, raw, at,"
    " fingerprint) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING";

// Each part with its length first, so that no two different entries join
// into the same text.
std::string fingerprint(const QuarantineEntry& e, const std::string& system) {
  std::string key;
  for (const std::string* part : {&system, &e.source, &e.external_id, &e.location, &e.error}) {
    key += std::to_string(part->size());
    key += ':';
    key += *part;
  }
  key += sha256_hex(e.raw);
  return sha256_hex(key);
}

#define ARSYNC_QUARANTINE_COLUMNS \
  "SELECT id, system, entity, external_id, source, error, location, length(raw), at"

constexpr char kListQuarantine[] = ARSYNC_QUARANTINE_COLUMNS
    " FROM quarantine ORDER BY id DESC LIMIT ?1";
constexpr char kFindQuarantine[] = ARSYNC_QUARANTINE_COLUMNS ", raw FROM quarantine WHERE id = ?1";

#undef ARSYNC_QUARANTINE_COLUMNS

// The columns both queries start with; raw is read only by find.
QuarantineEntry read_entry(SQLite::Statement& q) {
  QuarantineEntry e;
  e.id = q.getColumn(0).getInt64();
  e.system = q.getColumn(1).getString();
  e.entity = q.getColumn(2).getString();
  e.external_id = q.getColumn(3).getString();
  e.source = q.getColumn(4).getString();
  e.error = q.getColumn(5).getString();
  e.location = q.getColumn(6).getString();
  e.raw_size = static_cast<std::size_t>(q.getColumn(7).getInt64());
  e.at = read_instant(q.getColumn(8).getString());
  return e;
}

}  // namespace

void SqliteStore::insert_quarantine(const QuarantineEntry& entry, const std::string& system,
                                    Instant at) {
  StatementUse q(statement(kAddQuarantine));
  q->bindNoCopy(1, system);
  q->bindNoCopy(2, entry.entity);
  q->bindNoCopy(3, entry.external_id);
  q->bindNoCopy(4, entry.source);
  q->bindNoCopy(5, entry.error);
  q->bindNoCopy(6, entry.location);
  q->bindNoCopy(7, entry.raw.data(), static_cast<int>(entry.raw.size()));
  q->bind(8, instant_text(at));
  q->bind(9, fingerprint(entry, system));
  q->exec();
}

Status SqliteStore::add_quarantine(const QuarantineEntry& entry) {
  return guarded("add_quarantine", [&]() -> Status {
    insert_quarantine(entry, entry.system, entry.at);
    return Status::ok();
  });
}

Result<std::vector<QuarantineEntry>> SqliteStore::list_quarantine(std::size_t limit) {
  return guarded("list_quarantine", [&]() -> Result<std::vector<QuarantineEntry>> {
    std::vector<QuarantineEntry> out;
    StatementUse q(statement(kListQuarantine));
    q->bind(1, limit_value(limit));
    while (q->executeStep()) out.push_back(read_entry(*q));
    return out;
  });
}

Result<std::optional<QuarantineEntry>> SqliteStore::find_quarantine(std::int64_t id) {
  return guarded("find_quarantine", [&]() -> Result<std::optional<QuarantineEntry>> {
    StatementUse q(statement(kFindQuarantine));
    q->bind(1, id);
    if (!q->executeStep()) return std::optional<QuarantineEntry>();
    QuarantineEntry e = read_entry(*q);
    SQLite::Column raw = q->getColumn(9);
    e.raw.assign(static_cast<const char*>(raw.getBlob()), static_cast<std::size_t>(raw.getBytes()));
    return std::optional<QuarantineEntry>(std::move(e));
  });
}

}  // namespace arsync::store::sqlite
