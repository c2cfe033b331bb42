// The cycle summary (`arsyncd --once`): what each system did, how its pull
// ended, quarantined records, open discrepancies and groups that could not
// be reconciled, read from a real store. (The mail lines are tested with the
// mail transport.)
#include "arsync/service/summary.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace arsync::service {
namespace {

namespace fs = std::filesystem;

Instant at(const char* iso) { return *parse_instant(iso); }

class SummaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("arsync-summary-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store::SqliteOptions o;
    o.path = (dir_ / "arsync.db").string();
    auto st = store::open_sqlite_store(o);
    ASSERT_TRUE(st.is_ok()) << st.status().to_string();
    store_ = std::move(st).value();
    mail_.transport.type = "file";
    mail_.transport.dir = (dir_ / "mail").string();
    report_.started = at("2026-11-25T08:00:00Z");
    report_.finished = at("2026-11-25T08:00:02Z");
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  static engine::SystemRun run(const std::string& system, std::size_t records,
                               std::size_t inserted, std::size_t quarantined) {
    engine::SystemRun r;
    r.system = system;
    r.type = "sap_idoc";
    r.records = records;
    r.inserted = inserted;
    r.quarantined = quarantined;
    return r;
  }

  std::string summary() { return format_cycle_summary(report_, *store_, mail_); }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  alert::MailConfig mail_;
  engine::CycleReport report_;
};

TEST_F(SummaryTest, AGoodCycleShowsEachSystemOk) {
  report_.systems.push_back(run("sap-ecc", 6, 6, 0));
  report_.systems.push_back(run("sap-s4", 8, 8, 0));
  const std::string text = summary();
  EXPECT_TRUE(text.starts_with("arsync cycle 2026-11-25T08:00:00Z .. 2026-11-25T08:00:02Z\n\n"))
      << text;
  EXPECT_NE(text.find("  system          records  new    changed  same   quarantined  skipped  status\n"
                      "  sap-ecc         6        6      0        0      0            0        ok\n"
                      "  sap-s4          8        8      0        0      0            0        ok\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("with errors"), std::string::npos) << text;
  EXPECT_NE(text.find("\nOpen discrepancies (0; `arsync discrepancies show ID`)\n"),
            std::string::npos)
      << text;
}

TEST_F(SummaryTest, ADegradedAndAFailedPullAreSaidInWords) {
  engine::SystemRun degraded = run("sap-ecc", 7, 0, 7);
  degraded.degraded = "7 of 7 records quarantined (100%), none stored";
  engine::SystemRun failed = run("sap-s4", 0, 0, 0);
  failed.status = Status(ErrorCode::kIoError, "cannot read inbound_dir: Permission denied");
  report_.systems = {degraded, failed};
  const std::string text = summary();
  EXPECT_NE(text.find(" (with errors)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  sap-ecc         7        0      0        0      7            0        "
                      "degraded: 7 of 7 records quarantined (100%), none stored\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  sap-s4          0        0      0        0      0            0        "
                      "failed: I/O error: cannot read inbound_dir: Permission denied\n"),
            std::string::npos)
      << text;
}

TEST_F(SummaryTest, QuarantinedRecordsAreListedNewestFirstWithTheirError) {
  store::QuarantineEntry q;
  q.system = "sap-ecc";
  q.entity = "INVOIC02";
  q.external_id = "0000000000451240";
  q.error = "parse error: mismatched tag";
  q.raw = "<IDOC>";
  q.at = report_.started;
  ASSERT_TRUE(store_->add_quarantine(q));
  q.external_id = "0000000000451241";
  q.error = "mapping error: unknown currency code 'ZZZ'";
  ASSERT_TRUE(store_->add_quarantine(q));
  report_.systems.push_back(run("sap-ecc", 2, 0, 2));
  const std::string text = summary();
  EXPECT_NE(text.find("\nQuarantined records (2, newest first; `arsync quarantine list`)\n"
                      "  #2 sap-ecc INVOIC02 0000000000451241 \n"
                      "      mapping error: unknown currency code 'ZZZ'\n"
                      "  #1 sap-ecc INVOIC02 0000000000451240 \n"
                      "      parse error: mismatched tag\n"),
            std::string::npos)
      << text;
}

TEST_F(SummaryTest, OpenDiscrepanciesAreListed) {
  Finding f;
  f.rule = "amount_differs";
  f.kind = DocumentKind::kInvoice;
  f.match_key = "90001235";
  f.systems = {"sap-ecc", "sap-s4"};
  f.summary = "invoice 90001235: amount 4,760.00 EUR in sap-ecc, 4,670.00 EUR in sap-s4";
  f.details = nlohmann::json::object();
  ASSERT_TRUE(store_->apply_findings(f.kind, f.match_key, {f}, report_.started));
  const std::string text = summary();
  EXPECT_NE(text.find("\nOpen discrepancies (1; `arsync discrepancies show ID`)\n"
                      "  #1   amount_differs          invoice 90001235      sap-ecc,sap-s4    "
                      "invoice 90001235: amount 4,760.00 EUR in sap-ecc, 4,670.00 EUR in sap-s4\n"),
            std::string::npos)
      << text;
}

TEST_F(SummaryTest, GroupsThatCouldNotBeReconciledAreListedWithTheirRetry) {
  report_.systems.push_back(run("sap-ecc", 6, 6, 0));
  report_.reconcile.groups_checked = 12;
  report_.reconcile.groups_failed = 1;
  report_.reconcile.failures.push_back(
      {DocumentKind::kInvoice, "90001239",
       Status(ErrorCode::kIoError, "reconcile invoice 90001239: find_group: stored currency "
                                   "'ZZZ' is unknown"),
       2, at("2026-11-25T08:10:00Z")});
  const std::string text = summary();
  EXPECT_NE(text.find(" (with errors)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  1 match group could not be reconciled (the others were; each is "
                      "retried later):\n"
                      "    invoice 90001239: I/O error: reconcile invoice 90001239: find_group: "
                      "stored currency 'ZZZ' is unknown (attempt 2, next 2026-11-25T08:10:00Z)\n"),
            std::string::npos)
      << text;
}

TEST_F(SummaryTest, AFailedReconciliationRunIsSaid) {
  report_.reconcile_status = Status(ErrorCode::kIoError, "due_dirty_keys: disk I/O error");
  const std::string text = summary();
  EXPECT_NE(text.find(" (with errors)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  reconciliation failed: I/O error: due_dirty_keys: disk I/O error\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace arsync::service
