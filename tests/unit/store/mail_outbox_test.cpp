// The mail outbox: enqueue with notification bookkeeping, retries, dead letters.
#include "store_test_util.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <unistd.h>

#include <random>

#include "arsync/store/migrations.h"

namespace arsync::store::testing {
namespace {

OutgoingMail mail(const std::string& message_id) {
  OutgoingMail m;
  m.message_id = message_id;
  m.sender = "arsync@example.com";
  m.recipients = {"ar-team@example.com", "controller@example.com"};
  m.subject = "2 new discrepancies";
  m.data = "Message-ID: " + message_id + "\r\nSubject: 2 new discrepancies\r\n\r\nbody\r\n";
  return m;
}

class MailOutboxTest : public StoreTest {
 protected:
  std::int64_t open_finding(const std::string& match_key) {
    Finding f;
    f.rule = "missing_in_system";
    f.kind = DocumentKind::kInvoice;
    f.match_key = match_key;
    f.systems = {"qbo-us"};
    f.details = {{"missing", "qbo-us"}};
    auto r = store_->apply_findings(DocumentKind::kInvoice, match_key, {f}, now_);
    EXPECT_TRUE(r && r->opened.size() == 1);
    return r->opened.at(0);
  }
};

TEST_F(MailOutboxTest, EnqueueClearsPendingNotificationsAndRecordsNotifiedEvents) {
  const std::int64_t a = open_finding("451");
  const std::int64_t b = open_finding("452");
  const std::int64_t c = open_finding("453");
  auto id = store_->enqueue_mail(mail("<1@arsync>"), {a, b}, now_);
  ASSERT_TRUE(id) << id.status().to_string();
  auto pending = store_->pending_notifications(10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, c);
  auto events = store_->discrepancy_events(a);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].event, "notified");
  EXPECT_EQ((*events)[1].note, "mail <1@arsync>");
}

TEST_F(MailOutboxTest, EnqueuedMailRoundTripsAndIsDueNow) {
  const OutgoingMail m = mail("<1@arsync>");
  auto id = store_->enqueue_mail(m, {}, now_);
  ASSERT_TRUE(id);
  auto due = store_->due_mail(now_, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  const OutgoingMail& got = (*due)[0];
  EXPECT_EQ(got.id, *id);
  EXPECT_EQ(got.message_id, m.message_id);
  EXPECT_EQ(got.sender, m.sender);
  EXPECT_EQ(got.recipients, m.recipients);
  EXPECT_EQ(got.subject, m.subject);
  EXPECT_EQ(got.data, m.data);
  EXPECT_EQ(got.state, "pending");
  EXPECT_EQ(got.attempts, 0);
  EXPECT_EQ(got.created_at, now_);
  EXPECT_EQ(got.next_attempt_at, now_);
  EXPECT_FALSE(got.sent_at.has_value());
}

TEST_F(MailOutboxTest, DuplicateMessageIdIsRefusedAndChangesNothing) {
  const std::int64_t a = open_finding("451");
  ASSERT_TRUE(store_->enqueue_mail(mail("<1@arsync>"), {}, now_));
  OutgoingMail again = mail("<1@arsync>");
  again.subject = "other";
  auto r = store_->enqueue_mail(again, {a}, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(r.status().message(), "mail <1@arsync> is already in the outbox");
  auto all = store_->list_mail(10);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].subject, "2 new discrepancies");
  EXPECT_EQ(store_->pending_notifications(10)->size(), 1u);
}

TEST_F(MailOutboxTest, UnknownDiscrepancyIdQueuesNothing) {
  const std::int64_t a = open_finding("451");
  auto r = store_->enqueue_mail(mail("<1@arsync>"), {a, 999}, now_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.status().message(), "no discrepancy with id 999 (mail not queued)");
  EXPECT_TRUE(store_->list_mail(10)->empty());
  EXPECT_EQ(store_->pending_notifications(10)->size(), 1u);
}

TEST_F(MailOutboxTest, RetryCountsTheAttemptAndDefersTheMessage) {
  auto id = store_->enqueue_mail(mail("<1@arsync>"), {}, now_);
  ASSERT_TRUE(id);
  const Instant next = now_ + std::chrono::minutes(5);
  ASSERT_TRUE(store_->mark_mail_retry(*id, "connection refused", next));
  EXPECT_TRUE(store_->due_mail(now_, 10)->empty());
  auto due = store_->due_mail(next, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].attempts, 1);
  EXPECT_EQ((*due)[0].last_error, "connection refused");
  EXPECT_EQ((*due)[0].next_attempt_at, next);
}

TEST_F(MailOutboxTest, SentMailIsNoLongerDue) {
  auto id = store_->enqueue_mail(mail("<1@arsync>"), {}, now_);
  ASSERT_TRUE(id);
  ASSERT_TRUE(store_->mark_mail_sent(*id, now_ + std::chrono::seconds(3)));
  EXPECT_TRUE(store_->due_mail(now_ + std::chrono::hours(1), 10)->empty());
  auto all = store_->list_mail(10);
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)[0].state, "sent");
  EXPECT_EQ((*all)[0].sent_at, now_ + std::chrono::seconds(3));
  EXPECT_EQ(store_->stats()->mail_sent, 1);
}

TEST_F(MailOutboxTest, DeadMailIsNoLongerDue) {
  auto id = store_->enqueue_mail(mail("<1@arsync>"), {}, now_);
  ASSERT_TRUE(id);
  ASSERT_TRUE(store_->mark_mail_dead(*id, "550 mailbox unavailable", now_));
  EXPECT_TRUE(store_->due_mail(now_ + std::chrono::hours(1), 10)->empty());
  auto all = store_->list_mail(10);
  ASSERT_TRUE(all);
  EXPECT_EQ((*all)[0].state, "dead");
  EXPECT_EQ((*all)[0].last_error, "550 mailbox unavailable");
  EXPECT_EQ(store_->stats()->mail_dead, 1);
}

TEST_F(MailOutboxTest, MarkingAnUnknownMailIsNotFound) {
  Status s = store_->mark_mail_sent(7, now_);
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.message(), "no mail with id 7");
}

TEST_F(MailOutboxTest, SendingMailIsNotDueAndIsListedAsSending) {
  auto id = store_->enqueue_mail(mail("<1@arsync>"), {}, now_);
  ASSERT_TRUE(id);
  ASSERT_TRUE(store_->mark_mail_sending(*id, now_ + std::chrono::seconds(1)));
  EXPECT_TRUE(store_->due_mail(now_ + std::chrono::hours(1), 10)->empty());
  auto sending = store_->sending_mail(10);
  ASSERT_TRUE(sending);
  ASSERT_EQ(sending->size(), 1u);
  EXPECT_EQ((*sending)[0].state, "sending");
  // Only pending mail can start sending.
  EXPECT_EQ(store_->mark_mail_sending(*id, now_).code(), ErrorCode::kNotFound);
  ASSERT_TRUE(store_->mark_mail_sent(*id, now_ + std::chrono::seconds(2)));
  EXPECT_TRUE(store_->sending_mail(10)->empty());
  EXPECT_EQ(store_->list_mail(10)->at(0).state, "sent");
}

TEST_F(MailOutboxTest, UnconfirmedMailIsSentAsOfWhenSendingBeganWithTheNote) {
  auto id = store_->enqueue_mail(mail("<1@arsync>"), {}, now_);
  ASSERT_TRUE(id);
  ASSERT_TRUE(store_->mark_mail_sending(*id, now_ + std::chrono::seconds(5)));
  store_ = open();  // a restart
  ASSERT_TRUE(store_->mark_mail_unconfirmed(*id, "not confirmed: arsyncd stopped"));
  const auto m = store_->list_mail(10)->at(0);
  EXPECT_EQ(m.state, "sent");
  EXPECT_EQ(m.attempts, 1);
  EXPECT_EQ(m.sent_at, now_ + std::chrono::seconds(5));
  EXPECT_EQ(m.last_error, "not confirmed: arsyncd stopped");
  EXPECT_EQ(store_->mark_mail_unconfirmed(*id, "again").code(), ErrorCode::kNotFound);
}

TEST_F(MailOutboxTest, RetryPutsSendingMailBackToPending) {
  auto id = store_->enqueue_mail(mail("<1@arsync>"), {}, now_);
  ASSERT_TRUE(id);
  ASSERT_TRUE(store_->mark_mail_sending(*id, now_));
  ASSERT_TRUE(store_->mark_mail_retry(*id, "354 never came", now_ + std::chrono::seconds(300)));
  auto due = store_->due_mail(now_ + std::chrono::seconds(300), 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].state, "pending");
}

TEST(MailOutboxMigration, VersionOneMailAndItsLinksSurviveMigrationTwo) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("arsync-mig-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device()()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "v1.db").string();
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec(sqlite_migrations()[0].sql);
    db.exec("PRAGMA user_version = 1");
    db.exec("INSERT INTO discrepancies (id, fingerprint, rule, kind, match_key, systems, severity,"
            " customer_key, summary, details, status, first_detected, last_detected)"
            " VALUES (1, 'fp', 'missing_in_system', 'invoice', '451', '[]', 'warning', 'C1', 's', '{}',"
            " 'open', '2026-11-25T10:00:00Z', '2026-11-25T10:00:00Z')");
    db.exec("INSERT INTO mail_outbox (id, message_id, sender, recipients, subject, data, state, attempts,"
            " created_at, next_attempt_at) VALUES (7, '<7@a>', 'a@b.c', '[\"d@e.f\"]', 's', x'41', 'pending', 2,"
            " '2026-11-25T10:00:00Z', '2026-11-25T10:05:00Z')");
    db.exec("INSERT INTO mail_discrepancies (mail_id, discrepancy_id) VALUES (7, 1)");
  }
  SqliteOptions o;
  o.path = path;
  auto st = open_sqlite_store(o);
  ASSERT_TRUE(st) << st.status().to_string();
  auto all = (*st)->list_mail(10);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].message_id, "<7@a>");
  EXPECT_EQ((*all)[0].attempts, 2);
  ASSERT_TRUE((*st)->mark_mail_sending(7, at("2026-11-25T10:06:00Z")));
  st->reset();
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM mail_discrepancies WHERE mail_id = 7").getInt(), 1);
  EXPECT_EQ(db.execAndGet("SELECT state FROM mail_outbox WHERE id = 7").getString(), "sending");
  SQLite::Statement fk(db, "PRAGMA foreign_key_check");
  EXPECT_FALSE(fk.executeStep());  // no dangling reference
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_F(MailOutboxTest, StatsCountMailBeingSentApartFromPendingAndSent) {
  auto one = store_->enqueue_mail(mail("<1@arsync>"), {}, now_);
  auto two = store_->enqueue_mail(mail("<2@arsync>"), {}, now_);
  auto three = store_->enqueue_mail(mail("<3@arsync>"), {}, now_);
  ASSERT_TRUE(one && two && three);
  ASSERT_TRUE(store_->mark_mail_sending(*two, now_).is_ok());
  ASSERT_TRUE(store_->mark_mail_sending(*three, now_).is_ok());
  ASSERT_TRUE(store_->mark_mail_sent(*three, now_).is_ok());
  auto s = store_->stats();
  ASSERT_TRUE(s) << s.status().to_string();
  EXPECT_EQ(s->mail_pending, 1);
  EXPECT_EQ(s->mail_sending, 1);
  EXPECT_EQ(s->mail_sent, 1);
  EXPECT_EQ(s->mail_dead, 0);
}

}  // namespace
}  // namespace arsync::store::testing
