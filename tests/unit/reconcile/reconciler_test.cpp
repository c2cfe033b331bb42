// The reconciler against the real SQLite store in a temporary folder.
#include "arsync/reconcile/reconciler.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "test_documents.h"

namespace arsync::reconcile {
namespace {

namespace fs = std::filesystem;
using testing::invoice;
using testing::payment;
using testing::two_system_config;

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("arsync-reconcile-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store::SqliteOptions options;
    options.path = (dir_ / "arsync.db").string();
    auto opened = store::open_sqlite_store(options);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void commit(const std::string& system, std::vector<Document> docs) {
    store::DocumentBatch b;
    b.system = system;
    b.cursor_key = "test";
    b.documents = std::move(docs);
    auto r = store_->commit_batch(b, clock_.now());
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  }

  RunStats run() {
    Reconciler reconciler(*store_, *store_, config_, clock_);
    auto r = reconciler.run_dirty();
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : RunStats{};
  }

  std::vector<Discrepancy> discrepancies() {
    auto r = store_->list_discrepancies({});
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : std::vector<Discrepancy>{};
  }

  std::vector<std::string> events(std::int64_t id) {
    auto r = store_->discrepancy_events(id);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    std::vector<std::string> out;
    if (r.is_ok()) {
      for (const auto& e : *r) out.push_back(e.event);
    }
    return out;
  }

  std::size_t pending() {
    auto r = store_->pending_notifications(100);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? r->size() : 0;
  }

  void notify(std::int64_t id) {
    store::OutgoingMail mail;
    mail.message_id = "<" + std::to_string(id) + "@arsync.test>";
    mail.sender = "arsync@example.com";
    mail.recipients = {"ar-team@example.com"};
    mail.subject = "discrepancy";
    mail.data = "Subject: discrepancy\r\n\r\nbody\r\n";
    auto r = store_->enqueue_mail(mail, {id}, clock_.now());
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  }

  // The life of one discrepancy: `initial` data opens exactly one finding of
  // `rule` about `systems` (pending notification); after it is notified, a
  // change that does not affect it keeps the same discrepancy without a new
  // notification; `fix` resolves it automatically.
  struct Step {
    std::string system;
    std::vector<Document> docs;
  };
  void expect_life_cycle(const std::vector<Step>& initial, const Step& unrelated_change,
                         const Step& fix, const std::string& rule,
                         const std::vector<std::string>& systems) {
    for (const Step& s : initial) commit(s.system, s.docs);
    RunStats first = run();
    ASSERT_EQ(first.opened, 1u);
    auto ds = discrepancies();
    ASSERT_EQ(ds.size(), 1u);
    const std::int64_t id = ds[0].id;
    EXPECT_EQ(first.opened_ids, std::vector<std::int64_t>{id});
    EXPECT_EQ(ds[0].finding.rule, rule);
    EXPECT_EQ(ds[0].finding.systems, systems);
    EXPECT_EQ(ds[0].status, DiscrepancyStatus::kOpen);
    EXPECT_EQ(pending(), 1u);
    notify(id);
    EXPECT_EQ(pending(), 0u);

    clock_.advance(std::chrono::minutes(10));
    commit(unrelated_change.system, unrelated_change.docs);
    RunStats second = run();
    EXPECT_GE(second.groups_checked, 1u);
    EXPECT_EQ(second.opened, 0u);
    EXPECT_EQ(second.reopened, 0u);
    ds = discrepancies();
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_EQ(ds[0].id, id);
    EXPECT_EQ(ds[0].status, DiscrepancyStatus::kOpen);
    EXPECT_EQ(pending(), 0u);
    auto ev = events(id);
    EXPECT_EQ(std::count(ev.begin(), ev.end(), "opened"), 1);
    EXPECT_EQ(std::count(ev.begin(), ev.end(), "reopened"), 0);

    clock_.advance(std::chrono::minutes(10));
    commit(fix.system, fix.docs);
    RunStats third = run();
    EXPECT_EQ(third.resolved, 1u);
    auto d = store_->get_discrepancy(id);
    ASSERT_TRUE(d.is_ok() && d->has_value());
    EXPECT_EQ((*d)->status, DiscrepancyStatus::kResolved);
    ev = events(id);
    EXPECT_EQ(ev.back(), "resolved");
  }

  // Sets the stored currency of `system`'s document in group `match_key` to
  // `code`, as a row damaged on disk or written by a later release would
  // hold it: an unknown code makes reading the group fail.
  void set_stored_currency(const std::string& system, const std::string& match_key,
                           const std::string& code) {
    SQLite::Database db((dir_ / "arsync.db").string(), SQLite::OPEN_READWRITE);
    SQLite::Statement q(db, "UPDATE documents SET currency = ?3 WHERE system = ?1 AND match_key = ?2");
    q.bind(1, system);
    q.bind(2, match_key);
    q.bind(3, code);
    ASSERT_EQ(q.exec(), 1);
  }

  // Four groups whose amounts differ between the systems; the first is
  // committed first, so it is the first the reconciler checks.
  void commit_four_amount_differences(const std::string& first_customer_name) {
    Document first = invoice("sap-ecc", "90001230", "1250.00");
    first.customer_name = first_customer_name;
    commit("sap-ecc", {first});
    commit("qbo-eu", {invoice("qbo-eu", "90001230", "1000.00")});
    for (const char* key : {"90001231", "90001232", "90001233"}) {
      commit("sap-ecc", {invoice("sap-ecc", key, "500.00")});
      commit("qbo-eu", {invoice("qbo-eu", key, "400.00")});
    }
  }

  std::set<std::string> open_match_keys() {
    std::set<std::string> keys;
    for (const Discrepancy& d : discrepancies()) {
      if (d.status == DiscrepancyStatus::kOpen) keys.insert(d.finding.match_key);
    }
    return keys;
  }

  static Document with_reference(Document d, const std::string& ref) {
    d.reference = ref;
    return d;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{*parse_instant("2026-11-25T12:00:00Z")};
  ReconcileConfig config_ = two_system_config();
};

TEST_F(ReconcilerTest, MissingInSystemOpensPersistsAndResolves) {
  Document sap = invoice("sap-ecc", "90001234", "1250.00");
  expect_life_cycle({{"sap-ecc", {sap}}}, {"sap-ecc", {with_reference(sap, "PO-4711")}},
                    {"qbo-eu", {invoice("qbo-eu", "90001234", "1250.00")}}, "missing_in_system",
                    {"qbo-eu", "sap-ecc"});
}

TEST_F(ReconcilerTest, AmountDiffersOpensPersistsAndResolves) {
  Document qbo = invoice("qbo-eu", "90001234", "1000.00");
  expect_life_cycle({{"sap-ecc", {invoice("sap-ecc", "90001234", "1250.00")}}, {"qbo-eu", {qbo}}},
                    {"qbo-eu", {with_reference(qbo, "PO-4711")}},
                    {"qbo-eu", {invoice("qbo-eu", "90001234", "1250.00")}}, "amount_differs",
                    {"qbo-eu", "sap-ecc"});
}

TEST_F(ReconcilerTest, CurrencyDiffersOpensPersistsAndResolves) {
  Document qbo = invoice("qbo-eu", "90001234", "1250.00", "USD");
  expect_life_cycle({{"sap-ecc", {invoice("sap-ecc", "90001234", "1250.00")}}, {"qbo-eu", {qbo}}},
                    {"qbo-eu", {with_reference(qbo, "PO-4711")}},
                    {"qbo-eu", {invoice("qbo-eu", "90001234", "1250.00")}}, "currency_differs",
                    {"qbo-eu", "sap-ecc"});
}

TEST_F(ReconcilerTest, CustomerDiffersOpensPersistsAndResolves) {
  Document qbo = invoice("qbo-eu", "90001234", "1250.00");
  qbo.customer_key = "C2000";
  expect_life_cycle({{"sap-ecc", {invoice("sap-ecc", "90001234", "1250.00")}}, {"qbo-eu", {qbo}}},
                    {"qbo-eu", {with_reference(qbo, "PO-4711")}},
                    {"qbo-eu", {invoice("qbo-eu", "90001234", "1250.00")}}, "customer_differs",
                    {"qbo-eu", "sap-ecc"});
}

TEST_F(ReconcilerTest, DuplicateDocumentOpensPersistsAndResolves) {
  Document dup = invoice("qbo-eu", "90001234", "1250.00");
  dup.external_id = "qb-777";
  Document voided = dup;
  voided.status = DocumentStatus::kVoid;
  expect_life_cycle({{"sap-ecc", {invoice("sap-ecc", "90001234", "1250.00")}},
                     {"qbo-eu", {invoice("qbo-eu", "90001234", "1250.00"), dup}}},
                    {"qbo-eu", {with_reference(dup, "PO-4711")}}, {"qbo-eu", {voided}},
                    "duplicate_document", {"qbo-eu"});
}

TEST_F(ReconcilerTest, ShortPaymentOpensPersistsAndResolves) {
  // The payments themselves differ between the systems; not what this test is about.
  config_.pairs[0].kinds = {DocumentKind::kInvoice};
  Document pay = payment("qbo-eu", "P-1", "90001234", "1000.00");
  expect_life_cycle({{"sap-ecc", {invoice("sap-ecc", "90001234", "1250.00")}},
                     {"qbo-eu", {invoice("qbo-eu", "90001234", "1250.00"), pay}},
                     {"sap-ecc", {payment("sap-ecc", "P-1", "90001234", "1250.00")}}},
                    {"qbo-eu", {with_reference(pay, "CHK-100")}},
                    {"qbo-eu", {payment("qbo-eu", "P-1", "90001234", "1250.00")}},
                    "short_payment", {"qbo-eu"});
}

TEST_F(ReconcilerTest, OverpaymentOpensPersistsAndResolves) {
  // The payments themselves differ between the systems; not what this test is about.
  config_.pairs[0].kinds = {DocumentKind::kInvoice};
  Document pay = payment("qbo-eu", "P-1", "90001234", "1500.00");
  expect_life_cycle({{"sap-ecc", {invoice("sap-ecc", "90001234", "1250.00")}},
                     {"qbo-eu", {invoice("qbo-eu", "90001234", "1250.00"), pay}},
                     {"sap-ecc", {payment("sap-ecc", "P-1", "90001234", "1250.00")}}},
                    {"qbo-eu", {with_reference(pay, "CHK-100")}},
                    {"qbo-eu", {payment("qbo-eu", "P-1", "90001234", "1250.00")}},
                    "overpayment", {"qbo-eu"});
}

TEST_F(ReconcilerTest, PaymentUnknownInvoiceOpensPersistsAndResolves) {
  config_.pairs[0].kinds = {DocumentKind::kInvoice};
  Document pay = payment("qbo-eu", "P-1", "90009999", "100.00");
  expect_life_cycle({{"qbo-eu", {pay}}}, {"qbo-eu", {with_reference(pay, "CHK-100")}},
                    {"sap-ecc", {invoice("sap-ecc", "90009999", "100.00")}},
                    "payment_unknown_invoice", {"qbo-eu"});
}

TEST_F(ReconcilerTest, PaymentBeforeItsInvoiceResolvesWhenInvoiceArrives) {
  config_.pairs[0].kinds = {DocumentKind::kInvoice};
  commit("qbo-eu", {payment("qbo-eu", "P-1", "90009999", "100.00")});
  EXPECT_EQ(run().opened, 1u);

  // Only the invoice arrives; the payment group is re-checked because the
  // store marks the groups applying to a changed group dirty.
  commit("qbo-eu", {invoice("qbo-eu", "90009999", "100.00")});
  commit("sap-ecc", {invoice("sap-ecc", "90009999", "100.00")});
  RunStats stats = run();
  EXPECT_EQ(stats.resolved, 1u);
  EXPECT_EQ(stats.opened, 0u);
  auto open = store_->list_discrepancies({DiscrepancyStatus::kOpen, "", "", 100});
  ASSERT_TRUE(open.is_ok());
  EXPECT_TRUE(open->empty());
}

TEST_F(ReconcilerTest, MissingDocumentWaitsForGraceThenOpensWithoutNewData) {
  Document fresh = invoice("sap-ecc", "90001234", "1250.00");
  fresh.issue_date = *parse_date("2026-11-25");  // known since 00:00 UTC today
  commit("sap-ecc", {fresh});
  RunStats before = run();
  EXPECT_EQ(before.groups_checked, 1u);
  EXPECT_EQ(before.opened, 0u);
  EXPECT_TRUE(discrepancies().empty());

  clock_.advance(std::chrono::hours(11));  // 23:00, grace ends at midnight
  EXPECT_EQ(run().groups_checked, 0u);
  EXPECT_TRUE(discrepancies().empty());

  clock_.advance(std::chrono::hours(1));
  RunStats after = run();
  EXPECT_EQ(after.groups_checked, 1u);
  EXPECT_EQ(after.opened, 1u);
  auto ds = discrepancies();
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].finding.rule, "missing_in_system");
  EXPECT_EQ(format_instant(ds[0].first_detected), "2026-11-26T00:00:00Z");
}

TEST_F(ReconcilerTest, ToleranceKeepsSmallDifferencesQuiet) {
  config_ = two_system_config("0.05");
  commit("sap-ecc", {invoice("sap-ecc", "90001234", "1250.00")});
  commit("qbo-eu", {invoice("qbo-eu", "90001234", "1249.95")});
  RunStats stats = run();
  EXPECT_EQ(stats.groups_checked, 1u);
  EXPECT_EQ(stats.findings, 0u);
  EXPECT_TRUE(discrepancies().empty());
}

TEST_F(ReconcilerTest, RunDirtyLeavesNothingDue) {
  commit("sap-ecc", {invoice("sap-ecc", "90001234", "1250.00"),
                     invoice("sap-ecc", "90001235", "80.00")});
  EXPECT_EQ(run().groups_checked, 2u);
  auto due = store_->due_dirty_keys(clock_.now(), 100);
  ASSERT_TRUE(due.is_ok());
  EXPECT_TRUE(due->empty());
  EXPECT_EQ(run().groups_checked, 0u);
}

TEST_F(ReconcilerTest, MaxGroupsBoundsOneRun) {
  commit("sap-ecc", {invoice("sap-ecc", "90001234", "1250.00"),
                     invoice("sap-ecc", "90001235", "80.00")});
  Reconciler reconciler(*store_, *store_, config_, clock_);
  auto r = reconciler.run_dirty(1);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->groups_checked, 1u);
  EXPECT_EQ(run().groups_checked, 1u);
}

TEST_F(ReconcilerTest, FullRecheckOfUnchangedStoreFindsNothingNew) {
  commit("sap-ecc", {invoice("sap-ecc", "90001234", "1250.00"),
                     invoice("sap-ecc", "90001235", "80.00")});
  commit("qbo-eu", {invoice("qbo-eu", "90001234", "1000.00")});
  RunStats first = run();
  EXPECT_EQ(first.opened, 2u);

  clock_.advance(std::chrono::hours(1));
  Reconciler reconciler(*store_, *store_, config_, clock_);
  auto full = reconciler.run_full();
  ASSERT_TRUE(full.is_ok()) << full.status().to_string();
  EXPECT_EQ(full->groups_checked, 2u);
  EXPECT_EQ(full->findings, 2u);
  EXPECT_EQ(full->opened, 0u);
  EXPECT_EQ(full->reopened, 0u);
  EXPECT_EQ(full->updated, 0u);
  EXPECT_EQ(full->resolved, 0u);
}

// A Latin-1 customer name stored as it came (0xFC for u-umlaut) once made
// apply_findings throw on the group's details and stopped the whole run, so
// no later group was ever checked or alerted.
TEST_F(ReconcilerTest, InvalidUtf8InADocumentDoesNotStopTheOtherGroups) {
  commit_four_amount_differences("M\xFCller Maschinenbau GmbH");
  Reconciler reconciler(*store_, *store_, config_, clock_);
  auto r = reconciler.run_dirty();
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->groups_checked, 4u);
  EXPECT_EQ(r->groups_failed, 0u);
  EXPECT_EQ(r->opened, 4u);
  EXPECT_EQ(open_match_keys(),
            (std::set<std::string>{"90001230", "90001231", "90001232", "90001233"}));
  EXPECT_EQ(pending(), 4u);
  // The bad byte is replaced in the stored details, the rest of the name kept.
  for (const Discrepancy& d : discrepancies()) {
    if (d.finding.match_key != "90001230") continue;
    EXPECT_EQ(d.finding.details["sap-ecc"]["customer_name"], "M\xEF\xBF\xBDller Maschinenbau GmbH");
  }
}

TEST_F(ReconcilerTest, AGroupThatCannotBeCheckedIsRetriedWithBackoffAndTheOthersGoOn) {
  commit_four_amount_differences("Hansen Maschinenbau GmbH");
  set_stored_currency("sap-ecc", "90001230", "ZZZ");
  const Instant start = clock_.now();
  Reconciler reconciler(*store_, *store_, config_, clock_);

  auto first = reconciler.run_dirty();
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_EQ(first->groups_checked, 3u);
  EXPECT_EQ(first->groups_failed, 1u);
  EXPECT_EQ(first->opened, 3u);
  EXPECT_EQ(open_match_keys(), (std::set<std::string>{"90001231", "90001232", "90001233"}));
  EXPECT_EQ(pending(), 3u);
  ASSERT_EQ(first->failures.size(), 1u);
  const GroupFailure& f = first->failures[0];
  EXPECT_EQ(f.kind, DocumentKind::kInvoice);
  EXPECT_EQ(f.match_key, "90001230");
  EXPECT_EQ(f.attempts, 1);
  EXPECT_EQ(f.retry_at, start + std::chrono::minutes(5));
  EXPECT_NE(f.error.to_string().find("stored currency 'ZZZ' is unknown"), std::string::npos)
      << f.error.to_string();
  EXPECT_NE(f.error.to_string().find("reconcile invoice 90001230"), std::string::npos)
      << f.error.to_string();

  // Not retried every run: the next cycles before the retry leave it alone.
  clock_.advance(std::chrono::minutes(1));
  auto quiet = reconciler.run_dirty();
  ASSERT_TRUE(quiet.is_ok());
  EXPECT_EQ(quiet->groups_checked + quiet->groups_failed, 0u);

  // Each failure doubles the wait: 5, 10, 20 minutes.
  clock_.advance(std::chrono::minutes(4));
  auto second = reconciler.run_dirty();
  ASSERT_TRUE(second.is_ok());
  ASSERT_EQ(second->failures.size(), 1u);
  EXPECT_EQ(second->failures[0].attempts, 2);
  EXPECT_EQ(second->failures[0].retry_at, clock_.now() + std::chrono::minutes(10));
  clock_.advance(std::chrono::minutes(10));
  auto third = reconciler.run_dirty();
  ASSERT_TRUE(third.is_ok());
  ASSERT_EQ(third->failures.size(), 1u);
  EXPECT_EQ(third->failures[0].attempts, 3);
  EXPECT_EQ(third->failures[0].retry_at, clock_.now() + std::chrono::minutes(20));

  // Once the row reads again, the next retry checks the group and clears it.
  set_stored_currency("sap-ecc", "90001230", "EUR");
  clock_.advance(std::chrono::minutes(20));
  auto fixed = reconciler.run_dirty();
  ASSERT_TRUE(fixed.is_ok()) << fixed.status().to_string();
  EXPECT_EQ(fixed->groups_checked, 1u);
  EXPECT_EQ(fixed->groups_failed, 0u);
  EXPECT_EQ(fixed->opened, 1u);
  EXPECT_EQ(open_match_keys().count("90001230"), 1u);
  auto due = store_->due_dirty_keys(clock_.now() + std::chrono::hours(24), 100);
  ASSERT_TRUE(due.is_ok());
  EXPECT_TRUE(due->empty());
}

TEST_F(ReconcilerTest, BackoffStopsGrowingAtRetryMax) {
  config_.retry_first = std::chrono::minutes(5);
  config_.retry_max = std::chrono::minutes(12);
  commit_four_amount_differences("Hansen Maschinenbau GmbH");
  set_stored_currency("sap-ecc", "90001230", "ZZZ");
  Reconciler reconciler(*store_, *store_, config_, clock_);
  std::vector<std::chrono::seconds> waits;
  for (int i = 0; i < 4; ++i) {
    auto r = reconciler.run_dirty();
    ASSERT_TRUE(r.is_ok());
    ASSERT_EQ(r->failures.size(), 1u) << "run " << i;
    const auto wait = std::chrono::duration_cast<std::chrono::seconds>(r->failures[0].retry_at -
                                                                       clock_.now());
    waits.push_back(wait);
    clock_.advance(wait);
  }
  EXPECT_EQ(waits, (std::vector<std::chrono::seconds>{std::chrono::minutes(5), std::chrono::minutes(10),
                                                      std::chrono::minutes(12), std::chrono::minutes(12)}));
}

TEST_F(ReconcilerTest, MaxGroupsCountsFailedGroupsToo) {
  commit_four_amount_differences("Hansen Maschinenbau GmbH");
  set_stored_currency("sap-ecc", "90001230", "ZZZ");
  Reconciler reconciler(*store_, *store_, config_, clock_);
  auto r = reconciler.run_dirty(2);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->groups_failed, 1u);
  EXPECT_EQ(r->groups_checked, 1u);
}

}  // namespace
}  // namespace arsync::reconcile
