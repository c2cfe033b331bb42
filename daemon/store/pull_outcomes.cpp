// Pull outcomes: how each system's last pull ended (ok, degraded, failed),
// one row per system, replaced by each pull, read by `arsync status`.
#include "sqlite_store.h"

namespace arsync::store::sqlite {
namespace {

constexpr char kRecordPullOutcome[] =
    "INSERT INTO pull_outcomes (system, at, state, records, stored, quarantined, message)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (system) DO UPDATE SET at = excluded.at, state = excluded.state,"
    " records = excluded.records, stored = excluded.stored,"
    " quarantined = excluded.quarantined, message = excluded.message";

constexpr char kPullOutcomes[] =
    "SELECT system, at, state, records, stored, quarantined, message FROM pull_outcomes"
    " ORDER BY system";

}  // namespace

Status SqliteStore::record_pull_outcome(const PullOutcome& outcome) {
  return guarded("record_pull_outcome", [&]() -> Status {
    StatementUse q(statement(kRecordPullOutcome));
    q->bindNoCopy(1, outcome.system);
    q->bind(2, instant_text(outcome.at));
    q->bindNoCopy(3, outcome.state);
    q->bind(4, outcome.records);
    q->bind(5, outcome.stored);
    q->bind(6, outcome.quarantined);
    q->bindNoCopy(7, outcome.message);
    q->exec();
    return Status::ok();
  });
}

Result<std::vector<PullOutcome>> SqliteStore::pull_outcomes() {
  return guarded("pull_outcomes", [&]() -> Result<std::vector<PullOutcome>> {
    std::vector<PullOutcome> out;
    StatementUse q(statement(kPullOutcomes));
    while (q->executeStep()) {
      PullOutcome o;
      o.system = q->getColumn(0).getString();
      o.at = read_instant(q->getColumn(1).getString());
      o.state = q->getColumn(2).getString();
      o.records = q->getColumn(3).getInt64();
      o.stored = q->getColumn(4).getInt64();
      o.quarantined = q->getColumn(5).getInt64();
      o.message = q->getColumn(6).getString();
      out.push_back(std::move(o));
    }
    return out;
  });
}

}  // namespace arsync::store::sqlite
