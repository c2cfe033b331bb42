// The audit log: append-only (triggers in the schema refuse UPDATE and
// DELETE), newest entries first when read.
#include "sqlite_store.h"

namespace arsync::store::sqlite {
namespace {

constexpr char kAuditLog[] =
    "SELECT id, at, actor, action, object, details FROM audit_log ORDER BY id DESC LIMIT ?1";

}  // namespace

Status SqliteStore::append_audit(const AuditEntry& entry) {
  return guarded("append_audit", [&]() -> Status {
    add_audit(entry);
    return Status::ok();
  });
}

Result<std::vector<AuditEntry>> SqliteStore::audit_log(std::size_t limit) {
  return guarded("audit_log", [&]() -> Result<std::vector<AuditEntry>> {
    std::vector<AuditEntry> out;
    StatementUse q(statement(kAuditLog));
    q->bind(1, limit_value(limit));
    while (q->executeStep()) {
      AuditEntry e;
      e.id = q->getColumn(0).getInt64();
      e.at = read_instant(q->getColumn(1).getString());
      e.actor = q->getColumn(2).getString();
      e.action = q->getColumn(3).getString();
      e.object = q->getColumn(4).getString();
      e.details = q->getColumn(5).getString();
      out.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace arsync::store::sqlite
