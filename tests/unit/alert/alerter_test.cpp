#include "arsync/alert/alerter.h"

#include <gtest/gtest.h>

#include <Poco/Net/ServerSocket.h>

#include "arsync/alert/delivery_worker.h"

#include "smtp_server.h"
#include "temp_dir.h"

namespace arsync::alert {
namespace {

using std::chrono::seconds;

Instant at(const char* text) { return *parse_instant(text); }

Finding amount_differs(const std::string& key) {
  Finding f;
  f.rule = "amount_differs";
  f.kind = DocumentKind::kInvoice;
  f.match_key = key;
  f.systems = {"sap-ecc", "sap-s4"};
  f.severity = Severity::kWarning;
  f.customer_key = "C100";
  f.summary = "amount 1,250.00 USD in sap-ecc vs 1,205.00 USD in sap-s4";
  f.details = {{"sap-ecc", {{"amount", "1250.00"}}}, {"sap-s4", {{"amount", "1205.00"}}}};
  return f;
}

class AlerterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reopen();
    config_.from = "arsync@example.com";
    config_.to = {"ar@example.com"};
    config_.hostname = "arsync.example.com";
  }

  // Opens the database file again, as a restarted daemon would.
  void reopen() {
    store_.reset();
    store::SqliteOptions o;
    o.path = (dir_.path() / "arsync.db").string();
    auto s = store::open_sqlite_store(o);
    ASSERT_TRUE(s) << s.status().to_string();
    store_ = std::move(s).value();
  }

  void open_discrepancy(const std::string& key) {
    auto r = store_->apply_findings(DocumentKind::kInvoice, key, {amount_differs(key)}, clock_.now());
    ASSERT_TRUE(r) << r.status().to_string();
    ASSERT_EQ(r->opened.size(), 1u);
  }

  std::vector<store::OutgoingMail> all_mail() {
    auto r = store_->list_mail(100);
    EXPECT_TRUE(r) << r.status().to_string();
    auto v = r ? *r : std::vector<store::OutgoingMail>{};
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return v;
  }

  DeliveryStats deliver(Transport& t) {
    auto r = deliver_due(*store_, t, config_, clock_);
    EXPECT_TRUE(r) << r.status().to_string();
    return r ? *r : DeliveryStats{};
  }

  // A second connection to the test's store, as the delivery worker opens.
  MailDeliveryWorker::OpenStore store_opener() const {
    return [path = (dir_.path() / "arsync.db").string()] {
      store::SqliteOptions o;
      o.path = path;
      return store::open_sqlite_store(o);
    };
  }

  // SMTP to 127.0.0.1:port without TLS.
  std::unique_ptr<Transport> smtp_transport(int port) {
    TransportConfig t;
    t.type = "smtp";
    t.host = "127.0.0.1";
    t.port = port;
    t.security = "none";
    t.timeout_seconds = 10;
    return std::move(make_transport(t)).value();
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{at("2026-11-25T10:00:00Z")};
  MailConfig config_;
};

TEST_F(AlerterTest, QueuesOneMailPerNewDiscrepancy) {
  open_discrepancy("90001234");
  open_discrepancy("90001235");
  auto queued = queue_alerts(*store_, *store_, config_, clock_);
  ASSERT_TRUE(queued) << queued.status().to_string();
  EXPECT_EQ(*queued, 2u);
  const auto mail = all_mail();
  ASSERT_EQ(mail.size(), 2u);
  EXPECT_EQ(mail[0].subject, "[arsync] amount_differs: invoice 90001234 (sap-ecc vs sap-s4) - C100");
  EXPECT_EQ(mail[1].subject, "[arsync] amount_differs: invoice 90001235 (sap-ecc vs sap-s4) - C100");
  EXPECT_EQ(mail[0].state, "pending");
  EXPECT_EQ(mail[0].recipients, config_.to);
  EXPECT_EQ(mail[0].next_attempt_at, clock_.now());
}

TEST_F(AlerterTest, QueuesNothingTwiceEvenAfterRestart) {
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  EXPECT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 0u);
  reopen();
  EXPECT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 0u);
  EXPECT_EQ(all_mail().size(), 1u);
}

TEST_F(AlerterTest, PerCycleQueuesOneMailListingAll) {
  config_.mode = "per_cycle";
  open_discrepancy("90001234");
  open_discrepancy("90001235");
  open_discrepancy("90001236");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  const auto mail = all_mail();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].subject, "[arsync] 3 new discrepancies");
  for (const char* key : {"90001234", "90001235", "90001236"}) {
    EXPECT_NE(mail[0].data.find(std::string("Match key:      ") + key), std::string::npos) << key;
  }
  auto pending = store_->pending_notifications(100);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
}

TEST_F(AlerterTest, DeliversThroughFileTransportOnce) {
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  auto files = make_file_transport((dir_.path() / "mail").string());
  DeliveryStats stats = deliver(*files);
  EXPECT_EQ(stats.sent, 1u);
  EXPECT_EQ(all_mail()[0].state, "sent");
  clock_.advance(seconds(3600));
  EXPECT_EQ(deliver(*files).sent, 0u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path() / "mail"),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(AlerterTest, RetriesWhileServerIsDownThenDeliversExactlyOnce) {
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  testing::ClosedPort closed;
  const int port = closed.port();
  const Instant start = clock_.now();

  DeliveryStats first = deliver(*smtp_transport(port));
  EXPECT_EQ(first.retried, 1u);
  EXPECT_EQ(first.sent, 0u);
  auto mail = all_mail();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].state, "pending");
  EXPECT_EQ(mail[0].attempts, 1);
  EXPECT_EQ(mail[0].next_attempt_at, start + seconds(300));
  EXPECT_EQ(mail[0].last_error,
            "unavailable: SMTP server 127.0.0.1:" + std::to_string(port) + ": connection refused");

  // The server comes up (on a port of its own: binding the refused one
  // later would race other tests for it).
  testing::SmtpServer server(dir_.path() / "inbox");
  reopen();  // a restart in between changes nothing
  clock_.advance(seconds(299));
  EXPECT_EQ(deliver(*smtp_transport(server.port())).sent, 0u);  // not due yet
  EXPECT_TRUE(server.received().empty());

  clock_.advance(seconds(1));
  EXPECT_EQ(deliver(*smtp_transport(server.port())).sent, 1u);
  clock_.advance(seconds(3600));
  EXPECT_EQ(deliver(*smtp_transport(server.port())).sent, 0u);
  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, mail[0].data);
  EXPECT_EQ(all_mail()[0].state, "sent");
}

TEST_F(AlerterTest, BackoffDoublesAndIsCappedAtAnHour) {
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  testing::ClosedPort closed;
  auto down = smtp_transport(closed.port());
  std::vector<long long> delays;
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(deliver(*down).retried, 1u);
    const auto mail = all_mail()[0];
    delays.push_back((mail.next_attempt_at - clock_.now()).count());
    clock_.set(mail.next_attempt_at);
  }
  EXPECT_EQ(delays, (std::vector<long long>{300, 600, 1200, 2400, 3600, 3600, 3600}));
}

TEST_F(AlerterTest, GivesUpAfterFiveDays) {
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  const Instant created = clock_.now();
  testing::ClosedPort closed;
  auto down = smtp_transport(closed.port());
  int attempts = 0;
  for (;;) {
    DeliveryStats stats = deliver(*down);
    ++attempts;
    ASSERT_LT(attempts, 200);
    const auto mail = all_mail()[0];
    if (stats.dead == 1) {
      EXPECT_GE(clock_.now(), created + seconds(432000));
      EXPECT_EQ(mail.state, "dead");
      ASSERT_EQ(stats.dead_mail.size(), 1u);
      EXPECT_EQ(stats.dead_mail[0].id, mail.id);
      // What the dead-letter log reports is what the store holds.
      EXPECT_EQ(mail.attempts, attempts);
      EXPECT_EQ(stats.dead_mail[0].attempts, mail.attempts);
      EXPECT_EQ(mail.last_error.rfind("gave up after " + std::to_string(attempts) + " attempts: unavailable: ", 0),
                0u)
          << mail.last_error;
      break;
    }
    ASSERT_EQ(stats.retried, 1u);
    EXPECT_LT(clock_.now(), created + seconds(432000));
    clock_.set(mail.next_attempt_at);
  }
  // 300+600+1200+2400 s, then hourly until 5 days have passed.
  EXPECT_EQ(attempts, 5 + (432000 - 4500 + 3599) / 3600);
  clock_.advance(seconds(86400));
  EXPECT_EQ(deliver(*down).dead, 0u);  // dead mail is not tried again
}

TEST_F(AlerterTest, PermanentRejectionIsDeadAtOnce) {
  config_.to = {"nobody@example.com"};
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  testing::SmtpServer server(dir_.path() / "inbox", {"--reject-rcpt", "nobody"});
  DeliveryStats stats = deliver(*smtp_transport(server.port()));
  EXPECT_EQ(stats.dead, 1u);
  EXPECT_EQ(stats.retried, 0u);
  const auto mail = all_mail()[0];
  EXPECT_EQ(mail.state, "dead");
  EXPECT_EQ(mail.last_error, "invalid argument: SMTP server 127.0.0.1:" + std::to_string(server.port()) +
                                 " refused RCPT TO:<nobody@example.com> got 550 5.1.1 "
                                 "<nobody@example.com>: Recipient address rejected");
  EXPECT_TRUE(server.received().empty());
}

TEST_F(AlerterTest, DeadLetterCountsTheAttemptThatFailed) {
  config_.to = {"nobody@example.com"};
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  testing::ClosedPort closed;
  ASSERT_EQ(deliver(*smtp_transport(closed.port())).retried, 1u);
  clock_.set(all_mail()[0].next_attempt_at);
  ASSERT_EQ(deliver(*smtp_transport(closed.port())).retried, 1u);
  clock_.set(all_mail()[0].next_attempt_at);
  testing::SmtpServer server(dir_.path() / "inbox", {"--reject-rcpt", "nobody"});
  ::testing::internal::CaptureStderr();
  DeliveryStats stats = deliver(*smtp_transport(server.port()));
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(stats.dead_mail.size(), 1u);
  EXPECT_EQ(all_mail()[0].attempts, 3);
  EXPECT_EQ(stats.dead_mail[0].attempts, 3);
  EXPECT_NE(log.find("event=mail_dead_letter"), std::string::npos) << log;
  EXPECT_NE(log.find(" attempts=3 "), std::string::npos) << log;
}

TEST_F(AlerterTest, EachFailedAttemptIsLoggedAtWarningWithTheReason) {
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  testing::ClosedPort closed;
  ::testing::internal::CaptureStderr();
  DeliveryStats stats = deliver(*smtp_transport(closed.port()));
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(stats.retried, 1u);
  EXPECT_EQ(stats.undelivered(), 1u);
  const std::string error = "unavailable: SMTP server 127.0.0.1:" + std::to_string(closed.port()) +
                            ": connection refused";
  EXPECT_EQ(stats.first_error, error);
  EXPECT_NE(log.find("level=warning event=mail_attempt_failed message_id=" + all_mail()[0].message_id +
                     " attempt=1 error=\"" + error + "\" next_attempt=2026-11-25T10:05:00Z"),
            std::string::npos)
      << log;
}

TEST_F(AlerterTest, DrainsEverythingDueInOneRound) {
  for (int i = 0; i < 130; ++i) open_discrepancy(std::to_string(90001000 + i));
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 130u);
  auto files = make_file_transport((dir_.path() / "mail").string());
  DeliveryStats stats = deliver(*files);
  EXPECT_EQ(stats.sent, 130u);
  EXPECT_EQ(stats.undelivered(), 0u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path() / "mail"),
                          std::filesystem::directory_iterator()),
            130);
}

TEST_F(AlerterTest, OneSmtpConnectionCarriesTheWholeRound) {
  for (int i = 0; i < 5; ++i) open_discrepancy(std::to_string(90001000 + i));
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 5u);
  testing::ScriptedSmtpServer server(dir_.path(), {});
  EXPECT_EQ(deliver(*smtp_transport(server.port())).sent, 5u);
  const auto log = server.log();
  EXPECT_EQ(std::count(log.begin(), log.end(), "CONNECT"), 1);
  EXPECT_EQ(std::count(log.begin(), log.end(), "MESSAGE"), 5);
}

TEST_F(AlerterTest, NotTriedCountsEveryDueMessageNotOnlyThePageRead) {
  // More than one page (50) of due mail behind a server that hangs.
  for (int i = 0; i < 60; ++i) open_discrepancy(std::to_string(90002000 + i));
  std::size_t queued = 0;
  for (;;) {
    auto n = queue_alerts(*store_, *store_, config_, clock_);
    ASSERT_TRUE(n) << n.status().to_string();
    if (*n == 0) break;
    queued += *n;
  }
  ASSERT_EQ(queued, 60u);
  testing::ScriptedSmtpServer server(dir_.path(), {"--hang", "GREETING"});
  config_.delivery_deadline = seconds(1);
  DeliveryStats stats = deliver(*smtp_transport(server.port()));
  EXPECT_EQ(stats.retried, 1u);
  EXPECT_EQ(stats.not_tried, 59u);
  EXPECT_EQ(stats.undelivered(), 60u);
}

TEST_F(AlerterTest, HungServerCostsOneDeadlineAndTheRoundStops) {
  for (int i = 0; i < 6; ++i) open_discrepancy(std::to_string(90001000 + i));
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 6u);
  testing::ScriptedSmtpServer server(dir_.path(), {"--hang", "GREETING"});
  config_.delivery_deadline = seconds(2);
  const auto begin = std::chrono::steady_clock::now();
  DeliveryStats stats = deliver(*smtp_transport(server.port()));  // timeout_seconds 10
  const auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(took, std::chrono::milliseconds(1500));
  EXPECT_LT(took, std::chrono::seconds(6));
  EXPECT_EQ(stats.retried, 1u);
  EXPECT_EQ(stats.not_tried, 5u);
  EXPECT_EQ(stats.undelivered(), 6u);
  EXPECT_NE(stats.first_error.find("timed out after 2 s waiting for the greeting"), std::string::npos)
      << stats.first_error;
  const auto log = server.log();
  EXPECT_EQ(std::count(log.begin(), log.end(), "CONNECT"), 1);
  // The five not tried are still due, their attempts untouched.
  auto due = store_->due_mail(clock_.now(), 100);
  ASSERT_TRUE(due);
  EXPECT_EQ(due->size(), 5u);
  for (const auto& m : *due) EXPECT_EQ(m.attempts, 0);
}

TEST_F(AlerterTest, UnansweredEndOfDataIsStoredAsSentWithoutConfirmation) {
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  testing::ScriptedSmtpServer server(dir_.path(), {"--hang", "END"});
  auto t = smtp_transport(server.port());
  config_.delivery_deadline = seconds(1);
  DeliveryStats stats = deliver(*t);
  EXPECT_EQ(stats.unconfirmed, 1u);
  const auto mail = all_mail()[0];
  EXPECT_EQ(mail.state, "sent");
  EXPECT_EQ(mail.attempts, 1);
  EXPECT_EQ(mail.last_error.rfind("not confirmed: unavailable: SMTP server 127.0.0.1:", 0), 0u) << mail.last_error;
  EXPECT_NE(mail.last_error.find("not sent again (mail.resend_uncertain is false)"), std::string::npos);
}

TEST_F(AlerterTest, UnansweredEndOfDataIsRetriedWhenResendUncertain) {
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  testing::ScriptedSmtpServer server(dir_.path(), {"--hang", "END"});
  config_.delivery_deadline = seconds(1);
  config_.resend_uncertain = true;
  DeliveryStats stats = deliver(*smtp_transport(server.port()));
  EXPECT_EQ(stats.retried, 1u);
  EXPECT_EQ(all_mail()[0].state, "pending");
}

// A crash between mark_mail_sending and the server's answer, then a restart.
class InterruptedMailTest : public AlerterTest {
 protected:
  std::int64_t interrupted() {
    open_discrepancy("90001234");
    EXPECT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
    const auto id = all_mail()[0].id;
    EXPECT_TRUE(store_->mark_mail_sending(id, clock_.now()));
    reopen();
    return id;
  }
};

TEST_F(InterruptedMailTest, SmtpMailLeftSendingIsTreatedAsSentAndLogged) {
  interrupted();
  auto smtp = smtp_transport(1);
  ::testing::internal::CaptureStderr();
  auto n = recover_interrupted_mail(*store_, *smtp, config_, clock_);
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(n) << n.status().to_string();
  EXPECT_EQ(*n, 1u);
  const auto mail = all_mail()[0];
  EXPECT_EQ(mail.state, "sent");
  EXPECT_EQ(mail.sent_at, clock_.now());
  EXPECT_NE(mail.last_error.find("probably delivered and is not sent again"), std::string::npos);
  EXPECT_NE(log.find("level=warning event=mail_interrupted_unconfirmed message_id=" + mail.message_id),
            std::string::npos)
      << log;
  EXPECT_TRUE(store_->due_mail(clock_.now() + seconds(86400), 10)->empty());
}

TEST_F(InterruptedMailTest, SmtpMailLeftSendingIsResentWhenConfigured) {
  interrupted();
  config_.resend_uncertain = true;
  auto n = recover_interrupted_mail(*store_, *smtp_transport(1), config_, clock_);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(all_mail()[0].state, "pending");
  EXPECT_EQ(store_->due_mail(clock_.now(), 10)->size(), 1u);
}

TEST_F(InterruptedMailTest, FileMailLeftSendingIsWrittenOnceAfterRestart) {
  interrupted();
  auto files = make_file_transport((dir_.path() / "mail").string());
  ASSERT_EQ(*recover_interrupted_mail(*store_, *files, config_, clock_), 1u);
  EXPECT_EQ(deliver(*files).sent, 1u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path() / "mail"),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(AlerterTest, WorkerDeliversOnItsOwnThreadAndStopsAHungRound) {
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  testing::ScriptedSmtpServer server(dir_.path(), {"--hang", "GREETING"});
  config_.transport.type = "smtp";
  config_.transport.host = "127.0.0.1";
  config_.transport.port = server.port();
  config_.transport.security = "none";
  config_.transport.timeout_seconds = 60;
  config_.delivery_deadline = seconds(60);
  auto worker = MailDeliveryWorker::start(config_, store_opener(), clock_);
  ASSERT_TRUE(worker) << worker.status().to_string();
  (*worker)->wake();
  // Wait until the worker is connected and stuck on the greeting.
  for (int i = 0; i < 100 && server.log().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_FALSE(server.log().empty());
  const auto begin = std::chrono::steady_clock::now();
  (*worker)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
  EXPECT_EQ(all_mail()[0].state, "pending");
}

TEST_F(AlerterTest, WorkerDeliverNowReturnsTheRoundsStats) {
  config_.transport.type = "file";
  config_.transport.dir = (dir_.path() / "mail").string();
  auto worker = MailDeliveryWorker::start(config_, store_opener(), clock_);
  ASSERT_TRUE(worker) << worker.status().to_string();
  // Queued after the start: only the round deliver_now asks for sends it.
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  auto stats = (*worker)->deliver_now();
  ASSERT_TRUE(stats) << stats.status().to_string();
  EXPECT_EQ(stats->sent, 1u);
  EXPECT_EQ(all_mail()[0].state, "sent");
}

// A port nothing listens on: connections to it are refused at once.
int closed_port() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = s.address().port();
  s.close();
  return port;
}

TEST_F(AlerterTest, WorkerRetriesWhenTheRetryFallsDueWithoutAWakeAndNotBefore) {
  open_discrepancy("90001234");
  ASSERT_EQ(*queue_alerts(*store_, *store_, config_, clock_), 1u);
  config_.transport.type = "smtp";
  config_.transport.host = "127.0.0.1";
  config_.transport.port = closed_port();
  config_.transport.security = "none";
  auto worker = MailDeliveryWorker::start(config_, store_opener(), clock_);
  ASSERT_TRUE(worker) << worker.status().to_string();
  // The mail left pending is tried at start, without a wake.
  auto attempts = [&] { return all_mail()[0].attempts; };
  for (int i = 0; i < 100 && attempts() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(attempts(), 1);
  const store::OutgoingMail after_first = all_mail()[0];
  EXPECT_EQ(after_first.state, "pending");
  EXPECT_EQ(after_first.next_attempt_at, clock_.now() + config_.retry.backoff(1));
  // Not tried again before its retry is due (no polling round).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(attempts(), 1);
  clock_.advance(config_.retry.backoff(1) - std::chrono::seconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(attempts(), 1);
  // Due now: the worker's own round tries it.
  clock_.advance(std::chrono::seconds(1));
  for (int i = 0; i < 100 && attempts() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(attempts(), 2);
  (*worker)->stop();
}

}  // namespace
}  // namespace arsync::alert
