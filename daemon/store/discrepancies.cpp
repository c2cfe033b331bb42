// Discrepancies: the life cycle driven by the reconciler's findings and by
// people, with one event per change.
#include <algorithm>
#include <set>

#include "sqlite_store.h"

namespace arsync::store::sqlite {
namespace {

constexpr char kFindByFingerprint[] =
    "SELECT id, status, details FROM discrepancies WHERE fingerprint = ?1";

constexpr char kInsertDiscrepancy[] =
    "INSERT INTO discrepancies (fingerprint, rule, kind, match_key, systems, severity,"
    " customer_key, summary, details, status, first_detected, last_detected,"
    " notify_pending, pending_since)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10, ?10, 1, ?10) RETURNING id";

constexpr char kUpdatePersisting[] =
    "UPDATE discrepancies SET last_detected = ?2, details = ?3, summary = ?4,"
    " severity = ?5, customer_key = ?6 WHERE id = ?1";

constexpr char kReopen[] =
    "UPDATE discrepancies SET status = 'open', resolved_at = NULL, resolution_note = '',"
    " notify_pending = 1, pending_since = ?2, last_detected = ?2, details = ?3, summary = ?4,"
    " severity = ?5, customer_key = ?6 WHERE id = ?1";

constexpr char kGroupActive[] =
    "SELECT id, fingerprint FROM discrepancies WHERE kind = ?1 AND match_key = ?2"
    " AND status IN ('open', 'acknowledged') ORDER BY id";

// A discrepancy that clears before anyone was told needs no email.
constexpr char kAutoResolve[] =
    "UPDATE discrepancies SET status = 'resolved', resolved_at = ?2, notify_pending = 0"
    " WHERE id = ?1";

// A person's resolution never overwrites an earlier one (its note is the
// record of why): resolving a resolved discrepancy changes nothing.
constexpr char kPersonResolve[] =
    "UPDATE discrepancies SET status = 'resolved', resolved_at = ?2, resolution_note = ?3,"
    " notify_pending = 0 WHERE id = ?1 AND status <> 'resolved'";

constexpr char kAcknowledge[] =
    "UPDATE discrepancies SET status = 'acknowledged', owner = ?2"
    " WHERE id = ?1 AND status <> 'resolved'";

constexpr char kResolvedBy[] =
    "SELECT resolved_at, (SELECT actor FROM discrepancy_events WHERE discrepancy_id = ?1"
    " AND event = 'resolved' ORDER BY id DESC LIMIT 1) FROM discrepancies WHERE id = ?1";

constexpr char kInsertEvent[] =
    "INSERT INTO discrepancy_events (discrepancy_id, at, event, actor, note)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";

constexpr char kInsertAudit[] =
    "INSERT INTO audit_log (at, actor, action, object, details) VALUES (?1, ?2, ?3, ?4, ?5)";

#define ARSYNC_DISCREPANCY_COLUMNS                                                         \
  "SELECT id, fingerprint, rule, kind, match_key, systems, severity, customer_key, summary," \
  " details, status, owner, first_detected, last_detected, resolved_at, resolution_note"   \
  " FROM discrepancies "

constexpr char kGetDiscrepancy[] = ARSYNC_DISCREPANCY_COLUMNS "WHERE id = ?1";
constexpr char kListDiscrepancies[] = ARSYNC_DISCREPANCY_COLUMNS
    "WHERE (?1 IS NULL OR status = ?1) AND (?2 = '' OR rule = ?2)"
    " AND (?3 = '' OR EXISTS (SELECT 1 FROM json_each(discrepancies.systems)"
    " WHERE json_each.value = ?3))"
    " ORDER BY id LIMIT ?4";
constexpr char kPendingNotifications[] = ARSYNC_DISCREPANCY_COLUMNS
    "WHERE notify_pending = 1 ORDER BY pending_since, id LIMIT ?1";

#undef ARSYNC_DISCREPANCY_COLUMNS

constexpr char kEvents[] =
    "SELECT id, discrepancy_id, at, event, actor, note FROM discrepancy_events"
    " WHERE discrepancy_id = ?1 ORDER BY id";

// Text from sources and people may hold bytes that are not UTF-8 (a
// mis-declared IDoc, a store written by an older arsync); nlohmann's dump
// throws on them, which would stop reconciliation of the whole group. Such
// bytes are stored as U+FFFD instead.
std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string systems_json(std::vector<std::string> systems) {
  std::sort(systems.begin(), systems.end());
  return dump_json(nlohmann::json(systems));
}

// Binds ?3..?6 of kUpdatePersisting / kReopen.
void bind_observation(SQLite::Statement& s, const Finding& f, const std::string& details) {
  s.bindNoCopy(3, details);
  s.bindNoCopy(4, f.summary);
  s.bind(5, std::string(to_string(f.severity)));
  s.bindNoCopy(6, f.customer_key);
}

// Why a person's resolve or acknowledge of `id` changed no row: kNotFound,
// or kConflict saying who resolved it and when. A rare path: the statement
// is not cached.
Status refuse_person_change(SQLite::Database& db, std::int64_t id, const char* verb) {
  SQLite::Statement q(db, kResolvedBy);
  q.bind(1, id);
  if (!q.executeStep()) {
    return Status(ErrorCode::kNotFound, "no discrepancy with id " + std::to_string(id));
  }
  const std::string at = q.getColumn(0).isNull() ? "" : q.getColumn(0).getString();
  const std::string by = q.getColumn(1).isNull() ? "" : q.getColumn(1).getString();
  return Status(ErrorCode::kConflict,
                "discrepancy " + std::to_string(id) + " is already resolved" +
                    (by.empty() ? "" : " by " + by) + (at.empty() ? "" : " at " + at) +
                    "; only open or acknowledged ones can be " + verb +
                    " (it reopens by itself if the difference returns)");
}

}  // namespace

void SqliteStore::add_event(std::int64_t discrepancy_id, const std::string& at,
                            const char* event, const std::string& actor,
                            const std::string& note) {
  StatementUse e(statement(kInsertEvent));
  e->bind(1, discrepancy_id);
  e->bindNoCopy(2, at);
  e->bind(3, event);
  e->bindNoCopy(4, actor);
  e->bindNoCopy(5, note);
  e->exec();
}

void SqliteStore::add_audit(const AuditEntry& entry) {
  StatementUse a(statement(kInsertAudit));
  a->bind(1, instant_text(entry.at));
  a->bindNoCopy(2, entry.actor);
  a->bindNoCopy(3, entry.action);
  a->bindNoCopy(4, entry.object);
  a->bindNoCopy(5, entry.details);
  a->exec();
}

Result<FindingsOutcome> SqliteStore::apply_findings(DocumentKind kind,
                                                    const std::string& match_key,
                                                    const std::vector<Finding>& findings,
                                                    Instant now) {
  for (const Finding& f : findings) {
    if (f.kind != kind || f.match_key != match_key) {
      return Status(ErrorCode::kInvalidArgument,
                    "finding '" + fingerprint(f) + "' is not about match group " +
                        std::string(to_string(kind)) + " " + match_key);
    }
  }
  return guarded("apply_findings", [&]() -> Result<FindingsOutcome> {
    static const std::string kReconciler = "reconciler";
    static const std::string kNoNote;
    FindingsOutcome outcome;
    const std::string now_text = instant_text(now);
    std::set<std::string> seen;
    WriteTx tx(*db_);
    for (const Finding& f : findings) {
      const std::string fp = fingerprint(f);
      seen.insert(fp);
      const std::string details = dump_json(f.details);
      std::int64_t id = 0;
      std::string status;
      std::string old_details;
      {
        StatementUse q(statement(kFindByFingerprint));
        q->bindNoCopy(1, fp);
        if (q->executeStep()) {
          id = q->getColumn(0).getInt64();
          status = q->getColumn(1).getString();
          old_details = q->getColumn(2).getString();
        }
      }
      if (id == 0) {
        StatementUse ins(statement(kInsertDiscrepancy));
        ins->bindNoCopy(1, fp);
        ins->bindNoCopy(2, f.rule);
        ins->bindNoCopy(3, kind_text(f.kind));
        ins->bindNoCopy(4, f.match_key);
        ins->bind(5, systems_json(f.systems));
        ins->bind(6, std::string(to_string(f.severity)));
        ins->bindNoCopy(7, f.customer_key);
        ins->bindNoCopy(8, f.summary);
        ins->bindNoCopy(9, details);
        ins->bindNoCopy(10, now_text);
        ins->executeStep();
        id = ins->getColumn(0).getInt64();
        add_event(id, now_text, "opened", kReconciler, kNoNote);
        outcome.opened.push_back(id);
      } else if (status == "resolved") {
        StatementUse u(statement(kReopen));
        u->bind(1, id);
        u->bindNoCopy(2, now_text);
        bind_observation(*u, f, details);
        u->exec();
        add_event(id, now_text, "reopened", kReconciler, kNoNote);
        outcome.reopened.push_back(id);
      } else {
        StatementUse u(statement(kUpdatePersisting));
        u->bind(1, id);
        u->bindNoCopy(2, now_text);
        bind_observation(*u, f, details);
        u->exec();
        if (details != old_details) {
          add_event(id, now_text, "updated", kReconciler, kNoNote);
          outcome.updated.push_back(id);
        }
      }
    }

    std::vector<std::int64_t> cleared;
    {
      StatementUse q(statement(kGroupActive));
      q->bindNoCopy(1, kind_text(kind));
      q->bindNoCopy(2, match_key);
      while (q->executeStep()) {
        if (seen.count(q->getColumn(1).getString()) == 0) {
          cleared.push_back(q->getColumn(0).getInt64());
        }
      }
    }
    for (std::int64_t id : cleared) {
      StatementUse u(statement(kAutoResolve));
      u->bind(1, id);
      u->bindNoCopy(2, now_text);
      u->exec();
      add_event(id, now_text, "resolved", kReconciler, kNoNote);
      outcome.resolved.push_back(id);
    }
    tx.commit();
    return outcome;
  });
}

Discrepancy SqliteStore::read_discrepancy(SQLite::Statement& row) {
  Discrepancy d;
  d.id = row.getColumn(0).getInt64();
  d.fingerprint = row.getColumn(1).getString();
  d.finding.rule = row.getColumn(2).getString();
  d.finding.kind = read_kind(row.getColumn(3).getString());
  d.finding.match_key = row.getColumn(4).getString();
  d.finding.systems = nlohmann::json::parse(row.getColumn(5).getString())
                          .get<std::vector<std::string>>();
  const std::string severity = row.getColumn(6).getString();
  std::optional<Severity> sev = parse_severity(severity);
  if (!sev) throw CorruptRow("stored severity '" + severity + "' is unknown");
  d.finding.severity = *sev;
  d.finding.customer_key = row.getColumn(7).getString();
  d.finding.summary = row.getColumn(8).getString();
  d.finding.details = nlohmann::json::parse(row.getColumn(9).getString());
  const std::string status = row.getColumn(10).getString();
  std::optional<DiscrepancyStatus> st = parse_discrepancy_status(status);
  if (!st) throw CorruptRow("stored discrepancy status '" + status + "' is unknown");
  d.status = *st;
  d.owner = row.getColumn(11).getString();
  d.first_detected = read_instant(row.getColumn(12).getString());
  d.last_detected = read_instant(row.getColumn(13).getString());
  if (!row.getColumn(14).isNull()) d.resolved_at = read_instant(row.getColumn(14).getString());
  d.resolution_note = row.getColumn(15).getString();
  return d;
}

Result<std::vector<Discrepancy>> SqliteStore::list_discrepancies(
    const DiscrepancyFilter& filter) {
  return guarded("list_discrepancies", [&]() -> Result<std::vector<Discrepancy>> {
    std::vector<Discrepancy> out;
    StatementUse q(statement(kListDiscrepancies));
    if (filter.status) {
      q->bind(1, std::string(to_string(*filter.status)));
    } else {
      q->bind(1);
    }
    q->bindNoCopy(2, filter.rule);
    q->bindNoCopy(3, filter.system);
    q->bind(4, limit_value(filter.limit));
    while (q->executeStep()) out.push_back(read_discrepancy(*q));
    return out;
  });
}

Result<std::optional<Discrepancy>> SqliteStore::get_discrepancy(std::int64_t id) {
  return guarded("get_discrepancy", [&]() -> Result<std::optional<Discrepancy>> {
    StatementUse q(statement(kGetDiscrepancy));
    q->bind(1, id);
    if (!q->executeStep()) return std::optional<Discrepancy>();
    return std::optional<Discrepancy>(read_discrepancy(*q));
  });
}

Result<std::vector<DiscrepancyEvent>> SqliteStore::discrepancy_events(std::int64_t id) {
  return guarded("discrepancy_events", [&]() -> Result<std::vector<DiscrepancyEvent>> {
    std::vector<DiscrepancyEvent> out;
    StatementUse q(statement(kEvents));
    q->bind(1, id);
    while (q->executeStep()) {
      DiscrepancyEvent e;
      e.id = q->getColumn(0).getInt64();
      e.discrepancy_id = q->getColumn(1).getInt64();
      e.at = read_instant(q->getColumn(2).getString());
      e.event = q->getColumn(3).getString();
      e.actor = q->getColumn(4).getString();
      e.note = q->getColumn(5).getString();
      out.push_back(std::move(e));
    }
    return out;
  });
}

Status SqliteStore::resolve_discrepancy(std::int64_t id, const std::string& actor,
                                        const std::string& note, Instant now) {
  return guarded("resolve_discrepancy", [&]() -> Status {
    const std::string now_text = instant_text(now);
    WriteTx tx(*db_);
    {
      StatementUse u(statement(kPersonResolve));
      u->bind(1, id);
      u->bindNoCopy(2, now_text);
      u->bindNoCopy(3, note);
      if (u->exec() == 0) return refuse_person_change(*db_, id, "resolved");
    }
    add_event(id, now_text, "resolved", actor, note);
    add_audit({0, now, actor, "discrepancy.resolve", "discrepancy " + std::to_string(id), note});
    tx.commit();
    return Status::ok();
  });
}

Status SqliteStore::acknowledge_discrepancy(std::int64_t id, const std::string& actor,
                                            const std::string& note, Instant now) {
  return guarded("acknowledge_discrepancy", [&]() -> Status {
    const std::string now_text = instant_text(now);
    WriteTx tx(*db_);
    {
      StatementUse u(statement(kAcknowledge));
      u->bind(1, id);
      u->bindNoCopy(2, actor);
      if (u->exec() == 0) return refuse_person_change(*db_, id, "acknowledged");
    }
    add_event(id, now_text, "acknowledged", actor, note);
    add_audit({0, now, actor, "discrepancy.acknowledge", "discrepancy " + std::to_string(id),
               note});
    tx.commit();
    return Status::ok();
  });
}

Result<std::vector<Discrepancy>> SqliteStore::pending_notifications(std::size_t limit) {
  return guarded("pending_notifications", [&]() -> Result<std::vector<Discrepancy>> {
    std::vector<Discrepancy> out;
    StatementUse q(statement(kPendingNotifications));
    q->bind(1, limit_value(limit));
    while (q->executeStep()) out.push_back(read_discrepancy(*q));
    return out;
  });
}

}  // namespace arsync::store::sqlite
