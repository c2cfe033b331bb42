// The mail outbox: rendered messages waiting for SMTP, with their retry
// state. Enqueuing a message and marking the discrepancies it reports as
// notified is one transaction, so a restart never loses an alert nor queues
// it twice. Delivery itself is marked in two steps (sending before the
// content is handed over, sent after the server's answer) so that a restart
// can tell the one message whose delivery a crash cut off.
#include "sqlite_store.h"

namespace arsync::store::sqlite {
namespace {

constexpr char kInsertMail[] =
    "INSERT INTO mail_outbox (message_id, sender, recipients, subject, data, state,"
    " attempts, created_at, next_attempt_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6)"
    " ON CONFLICT (message_id) DO NOTHING RETURNING id";

constexpr char kMarkNotified[] =
    "UPDATE discrepancies SET notify_pending = 0 WHERE id = ?1";

constexpr char kLinkMail[] =
    "INSERT OR IGNORE INTO mail_discrepancies (mail_id, discrepancy_id) VALUES (?1, ?2)";

#define ARSYNC_MAIL_COLUMNS                                                              \
  "SELECT id, message_id, sender, recipients, subject, data, state, attempts, created_at," \
  " next_attempt_at, sent_at, last_error FROM mail_outbox "

constexpr char kDueMail[] = ARSYNC_MAIL_COLUMNS
    "WHERE state = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2";
constexpr char kCountDueMail[] =
    "SELECT count(*) FROM mail_outbox WHERE state = 'pending' AND next_attempt_at <= ?1";
constexpr char kNextMailAttempt[] =
    "SELECT MIN(next_attempt_at) FROM mail_outbox WHERE state = 'pending'";
constexpr char kSendingMail[] = ARSYNC_MAIL_COLUMNS
    "WHERE state = 'sending' ORDER BY id LIMIT ?1";
constexpr char kListMail[] = ARSYNC_MAIL_COLUMNS "ORDER BY id DESC LIMIT ?1";

#undef ARSYNC_MAIL_COLUMNS

constexpr char kMarkSending[] =
    "UPDATE mail_outbox SET state = 'sending', sending_at = ?2 WHERE id = ?1 AND state = 'pending'";
constexpr char kMarkSent[] =
    "UPDATE mail_outbox SET state = 'sent', sent_at = ?2, attempts = attempts + 1,"
    " last_error = '' WHERE id = ?1";
constexpr char kMarkUnconfirmed[] =
    "UPDATE mail_outbox SET state = 'sent', sent_at = coalesce(sending_at, next_attempt_at),"
    " attempts = attempts + 1, last_error = ?2 WHERE id = ?1 AND state = 'sending'";
constexpr char kMarkRetry[] =
    "UPDATE mail_outbox SET state = 'pending', attempts = attempts + 1, last_error = ?2,"
    " next_attempt_at = ?3 WHERE id = ?1";
constexpr char kMarkDead[] =
    "UPDATE mail_outbox SET state = 'dead', attempts = attempts + 1, last_error = ?2"
    " WHERE id = ?1";

Status mail_not_found(std::int64_t id) {
  return Status(ErrorCode::kNotFound, "no mail with id " + std::to_string(id));
}

}  // namespace

Result<std::int64_t> SqliteStore::enqueue_mail(const OutgoingMail& mail,
                                               const std::vector<std::int64_t>& discrepancy_ids,
                                               Instant now) {
  return guarded("enqueue_mail", [&]() -> Result<std::int64_t> {
    const std::string now_text = instant_text(now);
    WriteTx tx(*db_);
    std::int64_t id = 0;
    {
      StatementUse ins(statement(kInsertMail));
      ins->bindNoCopy(1, mail.message_id);
      ins->bindNoCopy(2, mail.sender);
      ins->bind(3, nlohmann::json(mail.recipients).dump());
      ins->bindNoCopy(4, mail.subject);
      ins->bindNoCopy(5, mail.data.data(), static_cast<int>(mail.data.size()));
      ins->bindNoCopy(6, now_text);
      if (!ins->executeStep()) {
        return Status(ErrorCode::kAlreadyExists,
                      "mail " + mail.message_id + " is already in the outbox");
      }
      id = ins->getColumn(0).getInt64();
    }
    static const std::string kActor = "alerts";
    const std::string note = "mail " + mail.message_id;
    for (std::int64_t d : discrepancy_ids) {
      {
        StatementUse u(statement(kMarkNotified));
        u->bind(1, d);
        if (u->exec() == 0) {
          return Status(ErrorCode::kNotFound,
                        "no discrepancy with id " + std::to_string(d) + " (mail not queued)");
        }
      }
      {
        StatementUse l(statement(kLinkMail));
        l->bind(1, id);
        l->bind(2, d);
        l->exec();
      }
      add_event(d, now_text, "notified", kActor, note);
    }
    tx.commit();
    return id;
  });
}

OutgoingMail SqliteStore::read_mail(SQLite::Statement& row) {
  OutgoingMail m;
  m.id = row.getColumn(0).getInt64();
  m.message_id = row.getColumn(1).getString();
  m.sender = row.getColumn(2).getString();
  m.recipients =
      nlohmann::json::parse(row.getColumn(3).getString()).get<std::vector<std::string>>();
  m.subject = row.getColumn(4).getString();
  SQLite::Column data = row.getColumn(5);
  m.data.assign(static_cast<const char*>(data.getBlob()), static_cast<std::size_t>(data.getBytes()));
  m.state = row.getColumn(6).getString();
  m.attempts = row.getColumn(7).getInt();
  m.created_at = read_instant(row.getColumn(8).getString());
  m.next_attempt_at = read_instant(row.getColumn(9).getString());
  if (!row.getColumn(10).isNull()) m.sent_at = read_instant(row.getColumn(10).getString());
  m.last_error = row.getColumn(11).getString();
  return m;
}

Result<std::vector<OutgoingMail>> SqliteStore::due_mail(Instant now, std::size_t limit) {
  return guarded("due_mail", [&]() -> Result<std::vector<OutgoingMail>> {
    std::vector<OutgoingMail> out;
    StatementUse q(statement(kDueMail));
    q->bind(1, instant_text(now));
    q->bind(2, limit_value(limit));
    while (q->executeStep()) out.push_back(read_mail(*q));
    return out;
  });
}

Result<std::int64_t> SqliteStore::count_due_mail(Instant now) {
  return guarded("count_due_mail", [&]() -> Result<std::int64_t> {
    StatementUse q(statement(kCountDueMail));
    q->bind(1, instant_text(now));
    q->executeStep();
    return q->getColumn(0).getInt64();
  });
}

Result<std::optional<Instant>> SqliteStore::next_mail_attempt() {
  return guarded("next_mail_attempt", [&]() -> Result<std::optional<Instant>> {
    StatementUse q(statement(kNextMailAttempt));
    if (!q->executeStep() || q->getColumn(0).isNull()) return std::optional<Instant>{};
    return std::optional<Instant>(read_instant(q->getColumn(0).getString()));
  });
}

Result<std::vector<OutgoingMail>> SqliteStore::list_mail(std::size_t limit) {
  return guarded("list_mail", [&]() -> Result<std::vector<OutgoingMail>> {
    std::vector<OutgoingMail> out;
    StatementUse q(statement(kListMail));
    q->bind(1, limit_value(limit));
    while (q->executeStep()) out.push_back(read_mail(*q));
    return out;
  });
}

Status SqliteStore::mark_mail_sending(std::int64_t id, Instant now) {
  return guarded("mark_mail_sending", [&]() -> Status {
    StatementUse u(statement(kMarkSending));
    u->bind(1, id);
    u->bind(2, instant_text(now));
    return u->exec() == 0 ? Status(ErrorCode::kNotFound, "no pending mail with id " + std::to_string(id))
                          : Status::ok();
  });
}

Result<std::vector<OutgoingMail>> SqliteStore::sending_mail(std::size_t limit) {
  return guarded("sending_mail", [&]() -> Result<std::vector<OutgoingMail>> {
    std::vector<OutgoingMail> out;
    StatementUse q(statement(kSendingMail));
    q->bind(1, limit_value(limit));
    while (q->executeStep()) out.push_back(read_mail(*q));
    return out;
  });
}

Status SqliteStore::mark_mail_unconfirmed(std::int64_t id, const std::string& note) {
  return guarded("mark_mail_unconfirmed", [&]() -> Status {
    StatementUse u(statement(kMarkUnconfirmed));
    u->bind(1, id);
    u->bindNoCopy(2, note);
    return u->exec() == 0 ? Status(ErrorCode::kNotFound, "no mail in state sending with id " + std::to_string(id))
                          : Status::ok();
  });
}

Status SqliteStore::mark_mail_sent(std::int64_t id, Instant now) {
  return guarded("mark_mail_sent", [&]() -> Status {
    StatementUse u(statement(kMarkSent));
    u->bind(1, id);
    u->bind(2, instant_text(now));
    return u->exec() == 0 ? mail_not_found(id) : Status::ok();
  });
}

Status SqliteStore::mark_mail_retry(std::int64_t id, const std::string& error,
                                    Instant next_attempt) {
  return guarded("mark_mail_retry", [&]() -> Status {
    StatementUse u(statement(kMarkRetry));
    u->bind(1, id);
    u->bindNoCopy(2, error);
    u->bind(3, instant_text(next_attempt));
    return u->exec() == 0 ? mail_not_found(id) : Status::ok();
  });
}

Status SqliteStore::mark_mail_dead(std::int64_t id, const std::string& error, Instant /*now*/) {
  return guarded("mark_mail_dead", [&]() -> Status {
    StatementUse u(statement(kMarkDead));
    u->bind(1, id);
    u->bindNoCopy(2, error);
    return u->exec() == 0 ? mail_not_found(id) : Status::ok();
  });
}

}  // namespace arsync::store::sqlite
