// SyncEngine as the daemon drives it: what create() refuses and how it says
// so, request_stop() before and during a pull, degraded pulls, and a cycle
// that goes on past a match group it cannot reconcile.
#include "arsync/engine/sync_engine.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <set>
#include <thread>

#include "arsync/service/summary.h"
#include "demo_env.h"

namespace arsync::testing {
namespace {

Instant demo_now() { return *parse_instant("2026-11-25T08:00:00Z"); }

const std::string kMappings = std::string(ARSYNC_SOURCE_DIR) + "/mappings/sap_idoc";

// Options for one sap_idoc system over `env`'s sap-ecc drop folder.
engine::EngineOptions one_system(const DemoEnv& env) {
  engine::EngineOptions o;
  o.state_dir = (env.root() / "var").string();
  o.systems.push_back({"sap-ecc", "sap_idoc", kMappings,
                       {{"inbound_dir", (env.root() / "inbound" / "sap-ecc").string()}}, {}});
  o.mail.from = "arsync@test.example";
  o.mail.to = {"ar@test.example"};
  o.mail.transport.type = "file";
  o.mail.transport.dir = (env.root() / "mail").string();
  return o;
}

Status create_error(DemoEnv& env, engine::EngineOptions options) {
  auto st = env.open_store();
  ManualClock clock(demo_now());
  auto engine = engine::SyncEngine::create(std::move(options), env.registry(), *st, clock);
  return engine.is_ok() ? Status::ok() : engine.status();
}

TEST(SyncEngineCreate, UnknownConnectorTypeNamesTheSystemAndTheTypesBuiltIn) {
  DemoEnv env;
  engine::EngineOptions o = one_system(env);
  o.systems[0].type = "sap_idocs";
  Status s = create_error(env, o);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "systems.sap-ecc.type: unknown connector type 'sap_idocs' (built in: quickbooks, sap_idoc)");
}

TEST(SyncEngineCreate, BadSettingsNameTheSystemAndTheKey) {
  DemoEnv env;
  engine::EngineOptions o = one_system(env);
  o.systems[0].settings = {{"http_inbound", false}};
  Status s = create_error(env, o);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("systems.sap-ecc.settings: missing key 'inbound_dir'"),
            std::string::npos)
      << s.message();

  o.systems[0].settings = {{"inbound_dir", (env.root() / "inbound").string()}, {"batch", 5}};
  s = create_error(env, o);
  EXPECT_TRUE(s.message().starts_with("systems.sap-ecc.settings: unknown key 'batch'"))
      << s.message();
}

TEST(SyncEngineCreate, MissingMappingFolderNamesTheSystemAndTheFolder) {
  DemoEnv env;
  engine::EngineOptions o = one_system(env);
  const std::string missing = (env.root() / "no-such-mappings").string();
  o.systems[0].mappings_dir = missing;
  Status s = create_error(env, o);
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_TRUE(s.message().starts_with("systems.sap-ecc: mapping files in " + missing +
                                      ": cannot read mapping folder: "))
      << s.message();
  EXPECT_EQ(s.where().file, missing);
}

TEST(SyncEngineCreate, BrokenMappingFileNamesTheSystemAndTheFile) {
  DemoEnv env;
  engine::EngineOptions o = one_system(env);
  const fs::path dir = env.root() / "mappings";
  write_file(dir / "invoic02.json", "{\"kind\": \"invoice\",");
  o.systems[0].mappings_dir = dir.string();
  Status s = create_error(env, o);
  EXPECT_FALSE(s.is_ok());
  EXPECT_TRUE(s.message().starts_with("systems.sap-ecc: mapping files in " + dir.string()))
      << s.message();
  EXPECT_EQ(s.where().file, (dir / "invoic02.json").string()) << s.to_string();
}

TEST(SyncEngineCreate, BadMailTransportIsRefusedUnderItsKey) {
  DemoEnv env;
  engine::EngineOptions o = one_system(env);
  o.mail.transport.type = "smtp";
  Status s = create_error(env, o);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "mail.transport: mail.transport.host is required when mail.transport.type is smtp");

  o.mail.transport.type = "pigeon";
  s = create_error(env, o);
  EXPECT_EQ(s.message(), "mail.transport: mail.transport.type must be one of file, smtp");
}

TEST(SyncEngineStop, AStopRequestedBeforeTheCycleStopsBeforeTheFirstPull) {
  DemoEnv env;
  env.drop_all_demo_files();
  ManualClock clock(demo_now());
  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock);
  engine->request_stop();
  engine::CycleReport report = engine->run_cycle();
  EXPECT_TRUE(report.stopped_early);
  EXPECT_TRUE(report.systems.empty());
  EXPECT_EQ(report.reconcile.groups_checked, 0u);
  EXPECT_EQ(files_in(env.root() / "inbound" / "sap-ecc").size(), 1u);  // not claimed
  auto stats = st->stats();
  ASSERT_TRUE(stats.is_ok());
  EXPECT_TRUE(stats->documents_by_system.empty());
}

// A connector that hands over batches of rejected records, one by one,
// calling `between` after each accepted batch.
struct Scripted {
  int batches = 3;
  std::function<void()> between;
  std::vector<Status> accepted;  // what the sink said to each batch
};

class ScriptedConnector final : public Connector {
 public:
  explicit ScriptedConnector(Scripted* script) : script_(script) {}
  Status pull(const std::string&, RecordSink& sink) override {
    for (int i = 1; i <= script_->batches; ++i) {
      RecordBatch b;
      RejectedRecord r;
      r.entity = "INVOIC02";
      r.external_id = "IDOC-" + std::to_string(i);
      r.error = Status(ErrorCode::kParseError, "unreadable");
      r.raw = "<IDOC/>";
      b.rejected.push_back(std::move(r));
      b.cursor = std::to_string(i);
      Status s = sink.accept(std::move(b));
      script_->accepted.push_back(s);
      if (!s) return s;
      if (script_->between) script_->between();
    }
    return sink.flush();
  }
  Status check() override { return Status::ok(); }

 private:
  Scripted* script_;
};

TEST(SyncEngineStop, AStopDuringAPullCommitsTheBatchesTakenAndPullsNoFurther) {
  DemoEnv env;
  Scripted script;
  Registry registry;
  ASSERT_TRUE(registry.add({kConnectorAbiVersion, "scripted", "test", {},
                            [&script](const ConnectorContext&) -> Result<std::unique_ptr<Connector>> {
                              return std::unique_ptr<Connector>(new ScriptedConnector(&script));
                            },
                            {},
                            false,
                            {},
                            {}}));
  engine::EngineOptions o = one_system(env);
  o.systems = {{"first", "scripted", kMappings, {}, {}}};
  o.sink.commit_records = 1;
  auto st = env.open_store();
  ManualClock clock(demo_now());
  auto created = engine::SyncEngine::create(std::move(o), registry, *st, clock);
  ASSERT_TRUE(created.is_ok()) << created.status().to_string();
  engine::SyncEngine& engine = **created;
  // SIGTERM's path: another thread asks, after the first batch was taken.
  script.between = [&engine] { std::thread([&engine] { engine.request_stop(); }).join(); };

  engine::CycleReport report = engine.run_cycle();
  EXPECT_TRUE(report.stopped_early);
  ASSERT_EQ(report.systems.size(), 1u);
  EXPECT_EQ(report.systems[0].system, "first");
  EXPECT_EQ(report.systems[0].status.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(report.systems[0].state(), engine::PullState::kFailed);
  ASSERT_EQ(script.accepted.size(), 2u);
  EXPECT_TRUE(script.accepted[0].is_ok());
  EXPECT_TRUE(script.accepted[1].retryable());
  // The first batch and its cursor are committed, the second is not.
  auto cursor = st->get_cursor("first", engine::kPullCursorKey);
  ASSERT_TRUE(cursor.is_ok());
  EXPECT_EQ(cursor->value_or(""), "1");
  auto q = st->list_quarantine(10);
  ASSERT_TRUE(q.is_ok());
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].external_id, "IDOC-1");
  EXPECT_FALSE(report.ok());
}

// A pull that stored nothing and quarantined records is degraded, and so is
// one that quarantined more than quarantine_alert_share of what it read.
TEST(SyncEngineDegraded, DegradedReasonSaysWhy) {
  engine::SinkTotals t;
  EXPECT_EQ(engine::degraded_reason(t, 0.1), "");  // nothing read
  t.records = 7;
  t.quarantined = 7;
  EXPECT_EQ(engine::degraded_reason(t, 0.1), "7 of 7 records quarantined (100%), none stored");
  EXPECT_EQ(engine::degraded_reason(t, 1.0), "7 of 7 records quarantined (100%), none stored");
  t.quarantined = 1;
  t.inserted = 6;
  EXPECT_EQ(engine::degraded_reason(t, 0.1),
            "1 of 7 records quarantined (14.3%), more than quarantine_alert_share (10%)");
  EXPECT_EQ(engine::degraded_reason(t, 0.2), "");
  t.records = 10;
  t.inserted = 9;
  EXPECT_EQ(engine::degraded_reason(t, 0.1), "");  // exactly the share is not more
  EXPECT_EQ(engine::degraded_reason(t, 0.0),
            "1 of 10 records quarantined (10%), more than quarantine_alert_share (0%)");
  t.quarantined = 0;
  t.inserted = 10;
  EXPECT_EQ(engine::degraded_reason(t, 0.0), "");
}

TEST(SyncEngineDegraded, ADemoCycleOverTheShareIsDegradedAndKeptInTheStore) {
  DemoEnv env;
  env.drop_all_demo_files();
  ManualClock clock(demo_now());
  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock, [](engine::EngineOptions& options) {
    EXPECT_EQ(options.quarantine_alert_share, 0.2);
    options.quarantine_alert_share = 0.1;  // the default: 1 bad IDoc in 7 is too many
  });
  ASSERT_TRUE(engine);
  engine::CycleReport report = engine->run_cycle();
  ASSERT_EQ(report.systems.size(), 2u);
  EXPECT_EQ(report.systems[0].state(), engine::PullState::kDegraded);
  EXPECT_EQ(report.systems[1].state(), engine::PullState::kOk);
  EXPECT_FALSE(report.ok());

  auto kept = st->pull_outcomes();
  ASSERT_TRUE(kept.is_ok());
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ((*kept)[0].system, "sap-ecc");
  EXPECT_EQ((*kept)[0].state, "degraded");
  EXPECT_EQ((*kept)[0].records, 7);
  EXPECT_EQ((*kept)[0].stored, 6);
  EXPECT_EQ((*kept)[0].quarantined, 1);
  EXPECT_EQ((*kept)[0].message,
            "1 of 7 records quarantined (14.3%), more than quarantine_alert_share (10%)");
  EXPECT_EQ((*kept)[1].system, "sap-s4");
  EXPECT_EQ((*kept)[1].state, "ok");
  EXPECT_EQ((*kept)[1].stored, 8);
  EXPECT_EQ((*kept)[1].message, "");
}

TEST(SyncEngineTiming, ACycleReportsTheWallTimeOfEachStage) {
  DemoEnv env;
  env.drop_all_demo_files();
  ManualClock clock(demo_now());
  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock);
  ASSERT_TRUE(engine);
  const engine::CycleReport report = engine->run_cycle();
  ASSERT_EQ(report.systems.size(), 2u);
  // The ManualClock stands still: these come from the steady clock.
  EXPECT_GT(report.systems[0].seconds, 0.0);
  EXPECT_GT(report.systems[1].seconds, 0.0);
  // The systems pull at once: the stage lasts as long as the slower pull.
  EXPECT_GE(report.pull_seconds, std::max(report.systems[0].seconds, report.systems[1].seconds));
  EXPECT_LT(report.pull_seconds, report.systems[0].seconds + report.systems[1].seconds + 0.5);
  EXPECT_GT(report.reconcile_seconds, 0.0);
  EXPECT_GT(report.alert_seconds, 0.0);
  EXPECT_LE(report.pull_seconds + report.reconcile_seconds + report.alert_seconds, report.seconds);
}

// ---- a cycle that goes on past a group it cannot reconcile ---------------

const std::set<std::string> kPlanted = {
    "amount_differs|invoice|90001235|sap-ecc,sap-s4",
    "missing_in_system|invoice|90001236|sap-ecc,sap-s4",
    "duplicate_document|invoice|90001237|sap-s4",
    "currency_differs|invoice|90001238|sap-ecc,sap-s4",
    "short_payment|invoice|90001234|sap-s4",
    "payment_unknown_invoice|payment|PAY-2026-00872|sap-s4",
};

// Invoice `number` (its match key: the number without leading zeros).
Document extra_invoice(const std::string& system, const std::string& amount,
                       const std::string& customer_name,
                       const std::string& number = "0090009001") {
  Document d;
  d.system = system;
  d.kind = DocumentKind::kInvoice;
  d.external_id = number;
  d.version = "1";
  d.document_number = number;
  d.match_key = number.substr(number.find_first_not_of('0'));
  d.customer_key = "C1000";
  d.customer_name = customer_name;
  d.amount = *Money::parse(amount, "EUR");
  d.open_amount = d.amount;
  d.issue_date = *parse_date("2026-11-20");
  d.due_date = *parse_date("2026-12-20");
  return d;
}

// Stores invoice 90009001 in both systems, with different amounts, before
// the demo's files are read: its group is the first the reconciler checks.
void store_extra_group(store::Store& st, const std::string& ecc_customer_name) {
  for (const auto& [system, amount] :
       std::vector<std::pair<std::string, std::string>>{{"sap-ecc", "100.00"}, {"sap-s4", "90.00"}}) {
    store::DocumentBatch b;
    b.system = system;
    b.cursor_key = "test";
    b.documents = {extra_invoice(system, amount,
                                 system == "sap-ecc" ? ecc_customer_name : "Hansen GmbH")};
    auto r = st.commit_batch(b, demo_now());
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  }
}

std::set<std::string> open_fingerprints(store::Store& st) {
  store::DiscrepancyFilter f;
  f.status = DiscrepancyStatus::kOpen;
  auto list = st.list_discrepancies(f);
  EXPECT_TRUE(list.is_ok());
  std::set<std::string> out;
  if (list.is_ok()) {
    for (const Discrepancy& d : *list) out.insert(d.fingerprint);
  }
  return out;
}

// The fault campaign's case: an IDoc whose customer name is not UTF-8 was
// stored, and from then on no group after it was reconciled or alerted.
TEST(SyncEngineReconcile, AnInvalidUtf8DocumentStopsNeitherReconciliationNorAlerts) {
  DemoEnv env;
  ManualClock clock(demo_now());
  auto st = env.open_store();
  store_extra_group(*st, "M\xFCller Maschinenbau GmbH");  // Latin-1, stored as received
  env.drop_all_demo_files();
  auto engine = env.make_engine(*st, clock);
  engine::CycleReport report = engine->run_cycle();

  EXPECT_TRUE(report.reconcile_status.is_ok()) << report.reconcile_status.to_string();
  EXPECT_EQ(report.reconcile.groups_failed, 0u);
  std::set<std::string> expected = kPlanted;
  expected.insert("amount_differs|invoice|90009001|sap-ecc,sap-s4");
  EXPECT_EQ(open_fingerprints(*st), expected);
  EXPECT_EQ(report.emails_queued, expected.size());
  EXPECT_EQ(files_in(env.mail_dir(), ".eml").size(), expected.size());
  EXPECT_TRUE(report.ok());
}

TEST(SyncEngineReconcile, AGroupThatCannotBeReconciledIsReportedAndRetriedLaterNotEveryCycle) {
  DemoEnv env;
  ManualClock clock(demo_now());
  auto st = env.open_store();
  store_extra_group(*st, "Hansen GmbH");
  {
    // A row the store cannot read back (damaged, or from a later release).
    SQLite::Database db((env.root() / "var" / "arsync.db").string(), SQLite::OPEN_READWRITE);
    ASSERT_EQ(db.exec("UPDATE documents SET currency = 'ZZZ' WHERE match_key = '90009001'"
                      " AND system = 'sap-ecc'"),
              1);
  }
  env.drop_all_demo_files();
  auto engine = env.make_engine(*st, clock);

  engine::CycleReport first = engine->run_cycle();
  EXPECT_TRUE(first.reconcile_status.is_ok()) << first.reconcile_status.to_string();
  EXPECT_EQ(first.reconcile.groups_failed, 1u);
  ASSERT_EQ(first.reconcile.failures.size(), 1u);
  EXPECT_EQ(first.reconcile.failures[0].match_key, "90009001");
  EXPECT_EQ(first.reconcile.failures[0].retry_at, demo_now() + std::chrono::minutes(5));
  // Every other group was reconciled and its discrepancy mailed.
  EXPECT_EQ(open_fingerprints(*st), kPlanted);
  EXPECT_EQ(first.emails_queued, kPlanted.size());
  EXPECT_EQ(files_in(env.mail_dir(), ".eml").size(), kPlanted.size());
  // An operational problem: the cycle is not ok, and the summary says why.
  EXPECT_FALSE(first.ok());
  const std::string summary = service::format_cycle_summary(first, *st, alert::MailConfig{});
  EXPECT_NE(summary.find("1 match group could not be reconciled (the others were; each is "
                         "retried later):\n    invoice 90009001: "),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("stored currency 'ZZZ' is unknown (at file "), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("arsync.db) (attempt 1, next 2026-11-25T08:05:00Z)\n"),
            std::string::npos)
      << summary;

  // The next cycle, a minute later, leaves it alone.
  clock.advance(std::chrono::minutes(1));
  engine::CycleReport second = engine->run_cycle();
  EXPECT_EQ(second.reconcile.groups_failed, 0u);
  EXPECT_TRUE(second.ok());

  // After the backoff it is tried again, and the wait doubles.
  clock.advance(std::chrono::minutes(4));
  engine::CycleReport third = engine->run_cycle();
  ASSERT_EQ(third.reconcile.failures.size(), 1u);
  EXPECT_EQ(third.reconcile.failures[0].attempts, 2);
  EXPECT_EQ(third.reconcile.failures[0].retry_at, clock.now() + std::chrono::minutes(10));
  EXPECT_FALSE(third.ok());
}

// The fault seen in bench/daemon_cycle: of 1,400 discrepancies found in one
// cycle, 1,000 were emailed (one page of queue_alerts) and --once ended
// without the other 400.
TEST(SyncEngineAlerts, EveryDiscrepancyFoundInACycleIsQueuedNotOnePage) {
  DemoEnv env;
  ManualClock clock(demo_now());
  auto st = env.open_store();
  constexpr int kGroups = 1005;
  for (const std::string system : {"sap-ecc", "sap-s4"}) {
    store::DocumentBatch b;
    b.system = system;
    b.cursor_key = "test";
    for (int i = 0; i < kGroups; ++i) {
      b.documents.push_back(extra_invoice(system, system == "sap-ecc" ? "100.00" : "90.00",
                                          "Hansen GmbH", std::to_string(91000000 + i)));
    }
    auto r = st->commit_batch(b, demo_now());
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  }
  auto engine = env.make_engine(*st, clock);
  ASSERT_TRUE(engine);
  const engine::CycleReport report = engine->run_cycle();
  EXPECT_EQ(report.reconcile.opened, static_cast<std::size_t>(kGroups));
  EXPECT_EQ(report.emails_queued, static_cast<std::size_t>(kGroups));
  EXPECT_EQ(files_in(env.mail_dir(), ".eml").size(), static_cast<std::size_t>(kGroups));
}

}  // namespace
}  // namespace arsync::testing
