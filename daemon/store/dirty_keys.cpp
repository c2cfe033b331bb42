// Dirty match groups: the reconciler's work list.
//
// A mark keeps its earliest due time and takes a new seq each time it is
// marked again; clear_dirty_key deletes only the mark it read, so a group
// re-marked while it was being checked is checked again. A check that
// failed leaves the mark, later due and with its attempts counted
// (defer_dirty_key), so the reconciler backs off from a group it cannot check.
#include "sqlite_store.h"

namespace arsync::store::sqlite {
namespace {

// One seq per marking transaction: cheap, and distinct from every earlier one.
constexpr char kNextSeq[] =
    "UPDATE counters SET value = value + 1 WHERE name = 'dirty_seq' RETURNING value";

constexpr char kMarkDirty[] =
    "INSERT INTO dirty_keys (kind, match_key, due, seq) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (kind, match_key) DO UPDATE SET"
    " due = min(dirty_keys.due, excluded.due), seq = excluded.seq";

// The same for a batch of one kind's match keys (?2: a JSON array).
constexpr char kMarkDirtyKeys[] =
    "INSERT INTO dirty_keys (kind, match_key, due, seq)"
    " SELECT ?1, value, ?3, ?4 FROM json_each(?2) WHERE true"
    " ON CONFLICT (kind, match_key) DO UPDATE SET"
    " due = min(dirty_keys.due, excluded.due), seq = excluded.seq";

constexpr char kMarkAllDirty[] =
    "INSERT INTO dirty_keys (kind, match_key, due, seq)"
    " SELECT DISTINCT kind, match_key, ?1, ?2 FROM documents WHERE true"
    " ON CONFLICT (kind, match_key) DO UPDATE SET"
    " due = min(dirty_keys.due, excluded.due), seq = excluded.seq";

constexpr char kDueDirtyKeys[] =
    "SELECT kind, match_key, due, seq, attempts, last_error FROM dirty_keys WHERE due <= ?1"
    " ORDER BY due, kind, match_key LIMIT ?2";

constexpr char kFailedDirtyKeys[] =
    "SELECT kind, match_key, due, seq, attempts, last_error FROM dirty_keys WHERE attempts > 0"
    " ORDER BY attempts DESC, kind, match_key LIMIT ?1";

constexpr char kDeferDirtyKey[] =
    "UPDATE dirty_keys SET due = ?3, attempts = attempts + 1, last_error = ?4"
    " WHERE kind = ?1 AND match_key = ?2";

constexpr char kClearDirtyKey[] =
    "DELETE FROM dirty_keys WHERE kind = ?1 AND match_key = ?2 AND seq = ?3";

}  // namespace

std::int64_t SqliteStore::next_dirty_seq() {
  StatementUse q(statement(kNextSeq));
  if (!q->executeStep()) throw CorruptRow("counter 'dirty_seq' is missing");
  return q->getColumn(0).getInt64();
}

void SqliteStore::mark_dirty_in_tx(GroupList groups, const std::string& due) {
  if (groups.empty()) return;
  const std::int64_t seq = next_dirty_seq();
  SQLite::Statement& mark = statement(kMarkDirtyKeys);
  for_each_kind(std::move(groups), [&](const std::string& kind, const std::string& match_keys) {
    StatementUse m(mark);
    m->bindNoCopy(1, kind);
    m->bindNoCopy(2, match_keys);
    m->bindNoCopy(3, due);
    m->bind(4, seq);
    m->exec();
  });
}

Status SqliteStore::mark_dirty(const std::vector<DirtyKey>& keys) {
  return guarded("mark_dirty", [&]() -> Status {
    if (keys.empty()) return Status::ok();
    WriteTx tx(*db_);
    const std::int64_t seq = next_dirty_seq();
    SQLite::Statement& mark = statement(kMarkDirty);
    for (const DirtyKey& k : keys) {
      StatementUse m(mark);
      m->bindNoCopy(1, kind_text(k.kind));
      m->bindNoCopy(2, k.match_key);
      m->bind(3, instant_text(k.due));
      m->bind(4, seq);
      m->exec();
    }
    tx.commit();
    return Status::ok();
  });
}

namespace {

// The marks a query of kDueDirtyKeys' columns returns.
std::vector<DirtyKey> read_dirty_keys(SQLite::Statement& q) {
  std::vector<DirtyKey> keys;
  while (q.executeStep()) {
    DirtyKey k;
    k.kind = read_kind(q.getColumn(0).getString());
    k.match_key = q.getColumn(1).getString();
    k.due = read_instant(q.getColumn(2).getString());
    k.seq = q.getColumn(3).getInt64();
    k.attempts = q.getColumn(4).getInt();
    k.last_error = q.getColumn(5).getString();
    keys.push_back(std::move(k));
  }
  return keys;
}

}  // namespace

Result<std::vector<DirtyKey>> SqliteStore::due_dirty_keys(Instant now, std::size_t limit) {
  return guarded("due_dirty_keys", [&]() -> Result<std::vector<DirtyKey>> {
    StatementUse q(statement(kDueDirtyKeys));
    q->bind(1, instant_text(now));
    q->bind(2, limit_value(limit));
    return read_dirty_keys(*q);
  });
}

Result<std::vector<DirtyKey>> SqliteStore::failed_dirty_keys(std::size_t limit) {
  return guarded("failed_dirty_keys", [&]() -> Result<std::vector<DirtyKey>> {
    StatementUse q(statement(kFailedDirtyKeys));
    q->bind(1, limit_value(limit));
    return read_dirty_keys(*q);
  });
}

Status SqliteStore::clear_dirty_key(const DirtyKey& key) {
  return guarded("clear_dirty_key", [&]() -> Status {
    StatementUse q(statement(kClearDirtyKey));
    q->bindNoCopy(1, kind_text(key.kind));
    q->bindNoCopy(2, key.match_key);
    q->bind(3, key.seq);
    q->exec();
    return Status::ok();
  });
}

Status SqliteStore::defer_dirty_key(const DirtyKey& key, const std::string& error,
                                    Instant retry_at) {
  return guarded("defer_dirty_key", [&]() -> Status {
    StatementUse q(statement(kDeferDirtyKey));
    q->bindNoCopy(1, kind_text(key.kind));
    q->bindNoCopy(2, key.match_key);
    q->bind(3, instant_text(retry_at));
    q->bindNoCopy(4, error);
    q->exec();
    return Status::ok();
  });
}

Status SqliteStore::mark_all_dirty(Instant now) {
  return guarded("mark_all_dirty", [&]() -> Status {
    WriteTx tx(*db_);
    const std::int64_t seq = next_dirty_seq();
    StatementUse q(statement(kMarkAllDirty));
    q->bind(1, instant_text(now));
    q->bind(2, seq);
    q->exec();
    tx.commit();
    return Status::ok();
  });
}

}  // namespace arsync::store::sqlite
