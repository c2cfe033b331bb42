// The executables as a user runs them: arsyncd --once on the demo, then the
// arsync commands, asserting output and exit status.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include "arsync/model/date.h"
#include "arsync/model/money.h"
#include "arsync/version.h"
#include "demo_env.h"
#include "run_command.h"

namespace arsync::testing {
namespace {

const std::string kBin = std::string(ARSYNC_BINARY_DIR) + "/daemon/main/";
const std::string kSrc = ARSYNC_SOURCE_DIR;

std::string arsync(const DemoEnv& env, const std::string& args) {
  return kBin + "arsync --config " + (env.root() / "arsync.json").string() + " " + args;
}

std::string arsyncd_once(const fs::path& config) {
  return kBin + "arsyncd --once --config " + config.string();
}

// A config of one sap_idoc system in `root` with `extra` top-level keys
// (each followed by a comma) and the store at `store_path`.
fs::path write_config(const fs::path& root, const std::string& store_path,
                      const std::string& extra = "") {
  const fs::path config = root / "one.json";
  write_file(config, "{" + extra + R"( "store": {"path": ")" + store_path + R"("},
      "state_dir": "var", "mappings_dir": ")" + kSrc + R"(/mappings",
      "systems": {"sap-ecc": {"type": "sap_idoc", "settings": {"inbound_dir": "inbound/sap-ecc"}}},
      "mail": {"from": "a@test.example", "to": ["b@test.example"],
               "transport": {"type": "file", "dir": "mail"}}})");
  return config;
}

// The demo, run once: 6 open discrepancies (#1 missing_in_system of 2,380.00
// EUR, #2 amount_differs by 90.00 EUR, ... #5 short_payment).
void run_demo_once(const DemoEnv& env) {
  CmdResult d = run(kBin + "arsyncd --once --config " + (env.root() / "arsync.json").string());
  ASSERT_EQ(d.status, 0) << d.out;
}

// `arsync mapping test` of the shipped INVOIC02 mapping on a JSON record
// file holding `json`.
CmdResult mapping_test_on_json(const DemoEnv& env, const std::string& json) {
  const fs::path record = env.root() / "record.json";
  write_file(record, json);
  return run(kBin + "arsync mapping test " + kSrc + "/mappings/sap_idoc/invoic02.json " +
             record.string());
}

TEST(Cli, OnceRunPrintsSummaryAndListsDiscrepancies) {
  DemoEnv env;
  env.drop_all_demo_files();
  CmdResult d = run(kBin + "arsyncd --once --config " + (env.root() / "arsync.json").string());
  EXPECT_EQ(d.status, 0) << d.out;
  EXPECT_NE(d.out.find("Documents synced"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("0000000000451240"), std::string::npos) << d.out;  // quarantined IDoc
  EXPECT_NE(d.out.find("amount_differs"), std::string::npos);
  EXPECT_NE(d.out.find("written as .eml files to"), std::string::npos);

  CmdResult list = run(arsync(env, "discrepancies list"));
  EXPECT_EQ(list.status, 0) << list.out;
  EXPECT_NE(list.out.find("missing_in_system"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("6 discrepancies"), std::string::npos) << list.out;

  CmdResult show = run(arsync(env, "discrepancies show 1"));
  EXPECT_EQ(show.status, 0) << show.out;
  EXPECT_NE(show.out.find("History"), std::string::npos);
  EXPECT_NE(show.out.find("opened"), std::string::npos);

  CmdResult status = run(arsync(env, "status"));
  EXPECT_EQ(status.status, 0) << status.out;
  EXPECT_NE(status.out.find("sap-s4"), std::string::npos);

  CmdResult resolve = run(arsync(env, "discrepancies resolve 1 --note 'credit note posted' --by jane"));
  EXPECT_EQ(resolve.status, 0) << resolve.out;
  CmdResult shown = run(arsync(env, "discrepancies show 1"));
  EXPECT_NE(shown.out.find("credit note posted"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("jane"), std::string::npos) << shown.out;
}

TEST(Cli, ShowUnknownDiscrepancyFails) {
  DemoEnv env;
  env.drop_all_demo_files();
  run(kBin + "arsyncd --once --config " + (env.root() / "arsync.json").string());
  CmdResult show = run(arsync(env, "discrepancies show 999"));
  EXPECT_EQ(show.status, 1);
  EXPECT_NE(show.out.find("no discrepancy with ID 999"), std::string::npos) << show.out;
  CmdResult bad = run(arsync(env, "discrepancies show abc"));
  EXPECT_EQ(bad.status, 2);
}

TEST(Cli, QuarantineListAndShowTheQuarantinedIdoc) {
  DemoEnv env;
  env.drop_all_demo_files();
  run(kBin + "arsyncd --once --config " + (env.root() / "arsync.json").string());
  CmdResult list = run(arsync(env, "quarantine list"));
  EXPECT_EQ(list.status, 0) << list.out;
  EXPECT_NE(list.out.find("#1  "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("INVOIC02 0000000000451240  ("), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("1 quarantined record(s)"), std::string::npos) << list.out;

  CmdResult show = run(arsync(env, "quarantine show 1"));
  EXPECT_EQ(show.status, 0) << show.out;
  EXPECT_NE(show.out.find("Quarantined record #1"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("Start-end tags mismatch"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("<SUMME>357.00</SUMM>"), std::string::npos) << show.out;  // the raw bytes

  CmdResult unknown = run(arsync(env, "quarantine show 999"));
  EXPECT_EQ(unknown.status, 1) << unknown.out;
  EXPECT_NE(unknown.out.find("no quarantined record with ID 999"), std::string::npos) << unknown.out;
  CmdResult bad = run(arsync(env, "quarantine show abc"));
  EXPECT_EQ(bad.status, 2) << bad.out;
  EXPECT_NE(bad.out.find("'abc' is not a quarantined record ID (a positive number)"),
            std::string::npos) << bad.out;
  CmdResult none = run(arsync(env, "quarantine show"));
  EXPECT_EQ(none.status, 2) << none.out;
  EXPECT_NE(none.out.find("missing quarantined record ID"), std::string::npos) << none.out;
}

TEST(Cli, BadLimitIsAUsageError) {
  DemoEnv env;
  CmdResult r = run(arsync(env, "discrepancies list --limit abc"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--limit must be a positive number, not 'abc'"), std::string::npos) << r.out;
}

TEST(Cli, MissingStoreIsReportedNotCreated) {
  DemoEnv env;
  const auto db = env.root() / "nowhere.db";
  CmdResult r = run(kBin + "arsync --db " + db.string() + " status");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("nowhere.db"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(db));
}

TEST(Cli, MappingCheckAcceptsTheShippedMappings) {
  for (const char* f : {"invoic02.json", "pexr2002.json"}) {
    CmdResult r = run(kBin + "arsync mapping check " + kSrc + "/mappings/sap_idoc/" + f);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find(": OK"), std::string::npos) << r.out;
  }
  // It says what the daemon will build of each record.
  CmdResult r = run(kBin + "arsync mapping check " + kSrc + "/mappings/sap_idoc/pexr2002.json");
  EXPECT_NE(r.out.find("\nreads: {E1EDK03: {"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("E1IDPU1: {DOCNAME, DOCNUMMR, E1IDPU5: {"), std::string::npos) << r.out;
}

TEST(Cli, MappingTestPrintsEachDocumentAndEachErrorOfAnIdocFile) {
  CmdResult r = run(kBin + "arsync mapping test " + kSrc + "/mappings/sap_idoc/invoic02.json " + kSrc +
              "/packaging/demo/inbound/sap-ecc/ECC_INVOIC_20261124_221500.xml");
  EXPECT_EQ(r.status, 1) << r.out;  // the planted malformed IDoc
  EXPECT_NE(r.out.find("\"match_key\": \"90001234\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"amount\": \"1190.00\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ERROR record 0000000000451240"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("6 mapped, 1 error(s)"), std::string::npos) << r.out;
}

TEST(Cli, MappingTestOnGoodFileExitsZero) {
  CmdResult r = run(kBin + "arsync mapping test " + kSrc + "/mappings/sap_idoc/pexr2002.json " + kSrc +
              "/packaging/demo/inbound/sap-s4/S4_REMADV_20261124_230000.xml");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"kind\": \"payment\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"target_match_key\": \"90001234\""), std::string::npos) << r.out;
}

// A QuickBooks response body as the API returned it: every entity of the
// page is mapped, and one holding a byte that is not UTF-8 is an error
// naming the entity and field while the others are still mapped.
TEST(Cli, MappingTestMapsEveryEntityOfAQuickBooksQueryPage) {
  CmdResult good = run(kBin + "arsync mapping test " + kSrc + "/mappings/quickbooks/invoice.json " + kSrc +
                       "/tests/fixtures/quickbooks/query_invoices.json");
  EXPECT_EQ(good.status, 0) << good.out;
  EXPECT_NE(good.out.find("\"match_key\": \"90001234\""), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("\"amount\": \"12345678901234567.89\""), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("2 mapped, 0 error(s)"), std::string::npos) << good.out;

  DemoEnv env;
  std::string page = read_file(kSrc + "/tests/fixtures/quickbooks/query_invoices.json");
  const std::size_t name = page.find("\"name\": \"Euro");
  ASSERT_NE(name, std::string::npos);
  page.insert(name + 13, "\xE9");
  write_file(env.root() / "page.json", page);
  CmdResult bad = run(kBin + "arsync mapping test " + kSrc + "/mappings/quickbooks/invoice.json " +
                      (env.root() / "page.json").string());
  EXPECT_EQ(bad.status, 1) << bad.out;
  EXPECT_NE(bad.out.find("ERROR record 130 could not be read: parse error: Invoice 130: CurrencyRef.name is "
                         "not valid UTF-8 (bytes E9)"),
            std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("\"match_key\": \"1037\""), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("1 mapped, 1 error(s)"), std::string::npos) << bad.out;
}

TEST(Cli, MappingCheckReportsTheBrokenSpot) {
  DemoEnv env;
  write_file(env.root() / "bad.json",
             R"({"connector": "sap_idoc", "entities": ["INVOIC02"], "kind": "invoice",
                 "fields": {"amount": {"path": "E1EDS01[SUMID=011].SUMME", "transforms": ["tirm"]}}})");
  CmdResult r = run(kBin + "arsync mapping check " + (env.root() / "bad.json").string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("tirm"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad.json"), std::string::npos) << r.out;
}

TEST(Cli, MappingTestOnTruncatedJsonRecordSaysWhere) {
  DemoEnv env;
  CmdResult r =
      mapping_test_on_json(env, R"({"EDI_DC40": {"DOCNUM": "0000000000451234"}, "E1EDK01": [)");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("input is not valid JSON"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("record.json"), std::string::npos) << r.out;
}

TEST(Cli, MappingTestOnJsonRecordWithUnknownCurrencyNamesTheField) {
  DemoEnv env;
  CmdResult r = mapping_test_on_json(env, R"({
    "EDI_DC40": {"DOCNUM": "0000000000451234", "IDOCTYP": "INVOIC02"},
    "E1EDK01": [{"CURCY": "EUX", "BELNR": "0090001234"}],
    "E1EDK02": [{"QUALF": "009", "BELNR": "0090001234", "DATUM": "20261102"}],
    "E1EDK14": [{"QUALF": "015", "ORGID": "F2"}],
    "E1EDS01": [{"SUMID": "011", "SUMME": "1190.00"}]})");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("unknown currency code 'EUX'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("E1EDK01.CURCY"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 mapped, 1 error(s)"), std::string::npos) << r.out;
}

TEST(Cli, MappingTestReadsJsonNumbersAsExactDecimals) {
  DemoEnv env;
  CmdResult r = mapping_test_on_json(env, R"({
    "EDI_DC40": {"DOCNUM": "0000000000451234", "IDOCTYP": "INVOIC02"},
    "E1EDK01": [{"CURCY": "EUR", "BELNR": "0090001234"}],
    "E1EDK02": [{"QUALF": "009", "BELNR": "0090001234", "DATUM": "20261102"}],
    "E1EDK14": [{"QUALF": "015", "ORGID": "F2"}],
    "E1EDS01": [{"SUMID": "011", "SUMME": 12345678901234567.89}, {"SUMID": "005", "SUMME": 190.10}]})");
  EXPECT_EQ(r.status, 0) << r.out;
  // Through a double this amount would be 1.2345678901234568e+16: refused or wrong.
  EXPECT_NE(r.out.find("\"amount\": \"12345678901234567.89\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"tax_amount\": \"190.10\""), std::string::npos) << r.out;
}

TEST(Cli, ConnectorsDescribeListsConfigKeys) {
  CmdResult r = run(kBin + "arsync connectors describe sap_idoc");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("inbound_dir"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("required"), std::string::npos);
}

// ---- configuration and store errors, as arsyncd prints them -------------

// arsyncd --once on a config with `extra` keys: exit 1 and `message` on stderr.
void expect_config_refused(const std::string& extra, const std::string& message) {
  DemoEnv env;
  const fs::path config = write_config(env.root(), "var/arsync.db", extra);
  CmdResult r = run(arsyncd_once(config));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("arsyncd: invalid argument: " + message + " (at file " + config.string() + ")"),
            std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("json.exception"), std::string::npos) << r.out;
}

TEST(Cli, ConfigValueOfTheWrongTypeNamesTheKeyAndTheType) {
  expect_config_refused(R"("interval_seconds": "10",)",
                        "interval_seconds: expected an integer, got the string \"10\"");
}

TEST(Cli, ConfigNumberWithAFractionIsRefused) {
  expect_config_refused(R"("interval_seconds": 500.5,)",
                        "interval_seconds: expected an integer, got the number 500.5");
}

TEST(Cli, ConfigNumberOutOfRangeIsRefused) {
  expect_config_refused(R"("interval_seconds": 0,)",
                        "interval_seconds must be between 1 and 604800, got 0");
}

// A group the reconciler could not check stays dirty with its attempts and
// error (defer_dirty_key); status names it, or nobody learns that its
// discrepancies have stopped being updated.
TEST(Cli, StatusShowsGroupsWhoseCheckFailed) {
  DemoEnv env;
  env.drop_all_demo_files();
  run_demo_once(env);
  CmdResult before = run(arsync(env, "status"));
  EXPECT_EQ(before.status, 0) << before.out;
  EXPECT_NE(before.out.find("Groups whose check failed 0\n"), std::string::npos) << before.out;
  {
    std::unique_ptr<store::Store> st = env.open_store();
    const Instant now = Instant(std::chrono::seconds(1795000000));
    store::DirtyKey k;
    k.kind = DocumentKind::kInvoice;
    k.match_key = "90001235";
    k.due = now;
    ASSERT_TRUE(st->mark_dirty({k}));
    auto read = st->due_dirty_keys(now, 1000);
    ASSERT_TRUE(read);
    for (const store::DirtyKey& d : *read) {
      if (d.match_key != k.match_key) continue;
      ASSERT_TRUE(st->defer_dirty_key(d, "first", now));
      ASSERT_TRUE(st->defer_dirty_key(d, "find_group: disk I/O error",
                                      Instant(std::chrono::seconds(1795000600))));
    }
  }
  CmdResult r = run(arsync(env, "status"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Groups whose check failed 1\n"
                       "  invoice     90001235            2 attempts, next " +
                       format_instant(Instant(std::chrono::seconds(1795000600))) + "\n"
                       "    find_group: disk I/O error\n"),
            std::string::npos) << r.out;
}

// arsyncd creates a missing store folder; the CLI only reads, so it says why.
TEST(Cli, StoreInAMissingFolderSaysNoSuchDirectory) {
  DemoEnv env;
  const fs::path store = env.root() / "no-such-folder" / "arsync.db";
  CmdResult r = run(kBin + "arsync --db " + store.string() + " status");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("arsync: I/O error: cannot open SQLite store: unable to open database "
                       "file (folder " + store.parent_path().string() +
                       ": No such file or directory) (at file " + store.string() + ")"),
            std::string::npos) << r.out;
  CmdResult file = run(kBin + "arsync --db " + (env.root() / "none.db").string() + " status");
  EXPECT_NE(file.out.find("unable to open database file (file " + (env.root() / "none.db").string() +
                          ": No such file or directory)"),
            std::string::npos) << file.out;
}

// arsyncd --once with its store at `store` (the command line passed through
// `wrap`): exit 1, naming the store's folder and the OS's `reason`.
void expect_store_refused(const DemoEnv& env, const fs::path& store, const std::string& reason,
                          const std::function<std::string(const std::string&)>& wrap) {
  CmdResult r = run(wrap(arsyncd_once(write_config(env.root(), store.string()))));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("unable to open database file (folder " + store.parent_path().string() +
                       ": " + reason + ")"),
            std::string::npos) << r.out;
}

std::string as_is(const std::string& cmd) { return cmd; }

const char kAsNobody[] = "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups ";

TEST(Cli, StoreUnderAFileSaysNotADirectory) {
  DemoEnv env;
  write_file(env.root() / "plain", "x");
  expect_store_refused(env, env.root() / "plain" / "arsync.db", "Not a directory", as_is);
}

// Needs root to become another user (setpriv): root itself may write anywhere.
TEST(Cli, StoreInAFolderTheUserMayNotWriteSaysPermissionDenied) {
  if (::geteuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0) {
    GTEST_SKIP() << "needs root and setpriv to run arsyncd as user nobody";
  }
  DemoEnv env;
  const fs::path locked = env.root() / "locked";
  fs::create_directories(locked);
  ::chmod(locked.c_str(), 0700);
  ::chmod(env.root().c_str(), 0755);
  // arsyncd takes its lock in state_dir first (var, which nobody may write).
  fs::create_directories(env.root() / "var");
  ASSERT_EQ(::chown((env.root() / "var").c_str(), 65534, 65534), 0);
  expect_store_refused(env, locked / "arsync.db", "Permission denied",
                       [](const std::string& cmd) { return kAsNobody + cmd; });
  // The CLI reading it says the same.
  CmdResult cli = run(kAsNobody + kBin + "arsync --db " + (locked / "arsync.db").string() + " status");
  EXPECT_EQ(cli.status, 1) << cli.out;
  EXPECT_NE(cli.out.find("(folder " + locked.string() + ": Permission denied)"), std::string::npos)
      << cli.out;
}

// Needs root for a private mount namespace with a read-only tmpfs.
TEST(Cli, StoreOnAReadOnlyFileSystemSaysSo) {
  if (::geteuid() != 0 || ::access("/usr/bin/unshare", X_OK) != 0) {
    GTEST_SKIP() << "needs root and unshare to mount a read-only file system";
  }
  DemoEnv env;
  const fs::path ro = env.root() / "ro";
  fs::create_directories(ro);
  expect_store_refused(env, ro / "arsync.db", "Read-only file system", [&ro](const std::string& cmd) {
    return "/usr/bin/unshare -m sh -c 'mount -t tmpfs -o ro tmpfs " + ro.string() + " && " + cmd + "'";
  });
}

// ---- discrepancies as people and scripts see them ------------------------

TEST(Cli, StatusCountsEachDiscrepancyStatusApartInTheWordsOfList) {
  DemoEnv env;
  env.drop_all_demo_files();
  run_demo_once(env);
  ASSERT_EQ(run(arsync(env, "discrepancies ack 2 --note 'asked S4 team' --by jane")).status, 0);
  ASSERT_EQ(run(arsync(env, "discrepancies resolve 3 --note 'duplicate deleted' --by jane")).status, 0);
  CmdResult status = run(arsync(env, "status"));
  EXPECT_EQ(status.status, 0) << status.out;
  EXPECT_NE(status.out.find("Discrepancies\n"
                            "  open                4\n"
                            "  acknowledged        1\n"
                            "  resolved            1\n"),
            std::string::npos) << status.out;
  CmdResult open = run(arsync(env, "discrepancies list"));
  EXPECT_NE(open.out.find("\n4 discrepancies with status open\n"), std::string::npos) << open.out;
  CmdResult acked = run(arsync(env, "discrepancies list --status acknowledged"));
  EXPECT_NE(acked.out.find("\n1 discrepancy with status acknowledged\n"), std::string::npos)
      << acked.out;
}

TEST(Cli, ResolvingAResolvedDiscrepancyIsAConflictAndKeepsTheNote) {
  DemoEnv env;
  env.drop_all_demo_files();
  run_demo_once(env);
  ASSERT_EQ(run(arsync(env, "discrepancies resolve 4 --note 'rate fixed' --by jane")).status, 0);
  CmdResult again = run(arsync(env, "discrepancies resolve 4 --note again"));
  EXPECT_EQ(again.status, 1) << again.out;
  EXPECT_NE(again.out.find("arsync: conflict: discrepancy 4 is already resolved by jane at "),
            std::string::npos) << again.out;
  EXPECT_NE(again.out.find("; only open or acknowledged ones can be resolved"), std::string::npos)
      << again.out;
  CmdResult ack = run(arsync(env, "discrepancies ack 4 --note later"));
  EXPECT_EQ(ack.status, 1) << ack.out;
  CmdResult show = run(arsync(env, "discrepancies show 4"));
  EXPECT_NE(show.out.find("  note            rate fixed\n"), std::string::npos) << show.out;
  EXPECT_EQ(show.out.find("again"), std::string::npos) << show.out;
}

TEST(Cli, ByDefaultsToTheLoginUserNotUnknown) {
  DemoEnv env;
  env.drop_all_demo_files();
  run_demo_once(env);
  const char* login = ::getlogin();
  const passwd* pw = ::getpwuid(::geteuid());
  ASSERT_NE(pw, nullptr);
  const std::string expected = login && *login ? login : pw->pw_name;
  // Without the environment's say: USER and SUDO_USER are not who runs it.
  CmdResult r = run("env -u USER -u SUDO_USER -u LOGNAME " + arsync(env, "discrepancies ack 2 --note x"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "discrepancy #2 acknowledged by " + expected + "\n");
  EXPECT_NE(expected, "unknown");
}

TEST(Cli, JsonCarriesMoneyAsExactDecimalTextWithItsCurrency) {
  DemoEnv env;
  env.drop_all_demo_files();
  run_demo_once(env);
  CmdResult r = run(arsync(env, "discrepancies list --json"));
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json list = nlohmann::json::parse(r.out);
  ASSERT_EQ(list.size(), 6u);
  // By rule and match key: ids follow the order the groups were checked in.
  auto entry = [&list](const std::string& rule, const std::string& match_key = "") {
    for (const nlohmann::json& d : list) {
      if (d["rule"] == rule && (match_key.empty() || d["match_key"] == match_key)) return d;
    }
    ADD_FAILURE() << "no " << rule << " " << match_key << " in " << list.dump(2);
    return nlohmann::json::object();
  };
  const nlohmann::json missing = entry("missing_in_system", "90001236");
  EXPECT_EQ(missing["details"]["sap-ecc"]["amount"], "2380.00");
  EXPECT_EQ(missing["details"]["sap-ecc"]["open_amount"], "2380.00");
  EXPECT_EQ(missing["details"]["sap-ecc"]["currency"], "EUR");
  const nlohmann::json differs = entry("amount_differs");
  EXPECT_EQ(differs["details"]["sap-ecc"]["amount"], "4760.00");
  EXPECT_EQ(differs["details"]["difference"], nlohmann::json::parse(R"({"amount": "90.00", "currency": "EUR"})"));
  EXPECT_EQ(differs["details"]["tolerance"], nlohmann::json::parse(R"({"amount": "0.00", "currency": "EUR"})"));
  const nlohmann::json short_paid = entry("short_payment");
  EXPECT_EQ(short_paid["details"]["paid"], nlohmann::json::parse(R"({"amount": "1100.00", "currency": "EUR"})"));
  EXPECT_EQ(short_paid["details"]["shortfall"], nlohmann::json::parse(R"({"amount": "90.00", "currency": "EUR"})"));
  const std::string id = std::to_string(differs.value("id", 0));
  CmdResult show = run(arsync(env, "discrepancies show " + id + " --json"));
  ASSERT_EQ(show.status, 0) << show.out;
  EXPECT_EQ(nlohmann::json::parse(show.out)["details"]["sap-s4"]["amount"], "4670.00");
  // The table stays formatted for people.
  CmdResult table = run(arsync(env, "discrepancies show " + id));
  EXPECT_NE(table.out.find("4,760.00 EUR"), std::string::npos) << table.out;
}

TEST(Cli, JsonMoneyUsesEachCurrencysExponentAndALeadingMinus) {
  DemoEnv env;
  auto store = env.open_store();
  auto money = [](const char* text, const char* code) { return Money::parse(text, code)->to_display(); };
  Finding f;
  f.rule = "amount_differs";
  f.match_key = "4711";
  f.systems = {"sap-jp", "sap-kw"};
  f.summary = "invoice 4711";
  f.details = {{"sap-jp", {{"amount", money("1234567", "JPY")}, {"currency", "JPY"}}},
               {"sap-kw", {{"amount", money("-1234.567", "KWD")}, {"currency", "KWD"}}},
               {"difference", money("-0.5", "USD")},
               {"tolerance", "overflow"}};
  ASSERT_EQ(f.details["sap-jp"]["amount"], "1,234,567 JPY");
  ASSERT_TRUE(store->apply_findings(DocumentKind::kInvoice, "4711", {f}, SystemClock().now()));
  store.reset();
  CmdResult r = run(kBin + "arsync --db " + (env.root() / "var" / "arsync.db").string() +
                    " discrepancies list --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const nlohmann::json d = nlohmann::json::parse(r.out).at(0)["details"];
  EXPECT_EQ(d["sap-jp"]["amount"], "1234567");
  EXPECT_EQ(d["sap-kw"]["amount"], "-1234.567");
  EXPECT_EQ(d["difference"], nlohmann::json::parse(R"({"amount": "-0.50", "currency": "USD"})"));
  EXPECT_EQ(d["tolerance"], "overflow");  // not money: left as it is
}

// ---- input that is not UTF-8, and options that do not exist --------------

TEST(Cli, NoteThatIsNotUtf8IsRefusedNamingTheOption) {
  DemoEnv env;
  env.drop_all_demo_files();
  run_demo_once(env);
  CmdResult r = run(arsync(env, "discrepancies ack 2 --note 'caf\xE9'"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("arsync: the value of --note is not valid UTF-8 (byte 0xE9 at offset 3)"),
            std::string::npos) << r.out;
  CmdResult by = run(arsync(env, "discrepancies resolve 2 --note ok --by 'J\xC3\x28'"));
  EXPECT_EQ(by.status, 2) << by.out;
  EXPECT_NE(by.out.find("the value of --by is not valid UTF-8 (byte 0xC3 at offset 1)"),
            std::string::npos) << by.out;
  CmdResult show = run(arsync(env, "discrepancies show 2"));
  EXPECT_NE(show.out.find("  status          open\n"), std::string::npos) << show.out;
  // UTF-8 text is taken as it is.
  CmdResult good = run(arsync(env, "discrepancies ack 2 --note 'caf\xC3\xA9 \xE2\x82\xAC'"));
  EXPECT_EQ(good.status, 0) << good.out;
}

// A store written by an older arsync may hold bytes that are not UTF-8 (it
// took them from the command line): listing it must still work.
TEST(Cli, StoreHoldingBytesThatAreNotUtf8StillListsAsJson) {
  DemoEnv env;
  env.drop_all_demo_files();
  run_demo_once(env);
  {
    auto store = env.open_store();
    ASSERT_TRUE(store->acknowledge_discrepancy(2, "J\xE9r\xF4me", "caf\xE9", SystemClock().now()));
    ASSERT_TRUE(store->resolve_discrepancy(3, "x", "r\xE9gl\xE9", SystemClock().now()));
  }
  CmdResult list = run(arsync(env, "discrepancies list --status all --json"));
  ASSERT_EQ(list.status, 0) << list.out;
  const nlohmann::json all = nlohmann::json::parse(list.out);
  EXPECT_EQ(all[1]["owner"], "J\xEF\xBF\xBDr\xEF\xBF\xBDme");
  EXPECT_EQ(all[2]["resolution_note"], "r\xEF\xBF\xBDgl\xEF\xBF\xBD");
  CmdResult show = run(arsync(env, "discrepancies show 2 --json"));
  ASSERT_EQ(show.status, 0) << show.out;
  EXPECT_EQ(nlohmann::json::parse(show.out)["events"].back()["note"], "caf\xEF\xBF\xBD");
  CmdResult table = run(arsync(env, "discrepancies show 2"));
  EXPECT_EQ(table.status, 0) << table.out;
}

TEST(Cli, UnknownOptionIsRefusedWithASuggestion) {
  DemoEnv env;
  CmdResult typo = run(arsync(env, "discrepancies list --limt 5"));
  EXPECT_EQ(typo.status, 2) << typo.out;
  EXPECT_NE(typo.out.find("arsync: unknown option --limt (did you mean --limit?)\n"),
            std::string::npos) << typo.out;
  CmdResult far = run(arsync(env, "discrepancies list --frobnicate"));
  EXPECT_EQ(far.status, 2) << far.out;
  EXPECT_NE(far.out.find("arsync: unknown option --frobnicate\n"), std::string::npos) << far.out;
  CmdResult eq = run(arsync(env, "discrepancies list --limit=5"));
  EXPECT_EQ(eq.status, 2) << eq.out;
  EXPECT_NE(eq.out.find("arsync: option --limit takes its value as the next argument: --limit 5"),
            std::string::npos) << eq.out;
  CmdResult flag = run(arsync(env, "discrepancies list --jsn"));
  EXPECT_NE(flag.out.find("(did you mean --json?)"), std::string::npos) << flag.out;
}

TEST(Cli, DashesAloneAreRefusedNotACrash) {
  CmdResult r = run(kBin + "arsync status --");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_EQ(r.out, "arsync: unknown option --\nusage: arsync status\n");
}

// ---- the command table: options per command, help from the table ---------

TEST(Cli, OptionOfAnotherCommandIsRefusedNamingIt) {
  DemoEnv env;
  env.drop_all_demo_files();
  run_demo_once(env);
  // --limit belongs to the list commands, not to status or show.
  CmdResult status = run(arsync(env, "status --limit 5"));
  EXPECT_EQ(status.status, 2) << status.out;
  EXPECT_NE(status.out.find("arsync: unknown option --limit\nusage: arsync status\n"),
            std::string::npos) << status.out;
  CmdResult show = run(arsync(env, "discrepancies show 1 --limit 5"));
  EXPECT_EQ(show.status, 2) << show.out;
  EXPECT_NE(show.out.find("arsync: unknown option --limit\nusage: arsync discrepancies show ID [--json]\n"),
            std::string::npos) << show.out;
  // A flag of one command is not taken by another.
  CmdResult json = run(arsync(env, "quarantine list --json"));
  EXPECT_EQ(json.status, 2) << json.out;
  EXPECT_NE(json.out.find("arsync: unknown option --json\n"), std::string::npos) << json.out;
  // The typo of --limit with its value fails before anything is listed.
  CmdResult typo = run(arsync(env, "quarantine list --limt 5"));
  EXPECT_EQ(typo.status, 2) << typo.out;
  EXPECT_NE(typo.out.find("arsync: unknown option --limt (did you mean --limit?)\n"),
            std::string::npos) << typo.out;
  EXPECT_EQ(typo.out.find("quarantined record(s)"), std::string::npos) << typo.out;
}

TEST(Cli, GlobalOptionsComeAnywhere) {
  DemoEnv env;
  env.drop_all_demo_files();
  run_demo_once(env);
  const std::string db = (env.root() / "var" / "arsync.db").string();
  CmdResult after = run(kBin + "arsync discrepancies list --db " + db + " --limit 2");
  EXPECT_EQ(after.status, 0) << after.out;
  EXPECT_NE(after.out.find("\n2 discrepancies with status open\n"), std::string::npos) << after.out;
}

TEST(Cli, ValueOptionWithoutItsValueIsAUsageError) {
  DemoEnv env;
  CmdResult r = run(arsync(env, "discrepancies list --limit"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("arsync: option --limit needs a value\nusage: arsync [--config FILE] [--db PATH] "
                       "discrepancies list "),
            std::string::npos) << r.out;
  CmdResult note = run(arsync(env, "discrepancies ack 2"));
  EXPECT_EQ(note.status, 2) << note.out;
  EXPECT_NE(note.out.find("arsync: --note TEXT is required: say why"), std::string::npos) << note.out;
}

TEST(Cli, ArgumentBeyondTheCommandsIsAUsageError) {
  DemoEnv env;
  CmdResult r = run(arsync(env, "discrepancies show 1 2"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("arsync: unexpected argument '2'\nusage: arsync discrepancies show ID [--json]\n"),
            std::string::npos) << r.out;
}

TEST(Cli, UnknownCommandOrMissingWordIsAUsageError) {
  CmdResult unknown = run(kBin + "arsync frobnicate");
  EXPECT_EQ(unknown.status, 2) << unknown.out;
  EXPECT_NE(unknown.out.find("arsync: unknown command 'frobnicate'\nusage: arsync "), std::string::npos)
      << unknown.out;
  CmdResult group = run(kBin + "arsync discrepancies");
  EXPECT_EQ(group.status, 2) << group.out;
  EXPECT_EQ(group.out, "arsync: usage: arsync discrepancies list|show|resolve|ack ...\n");
  CmdResult word = run(kBin + "arsync quarantine purge");
  EXPECT_EQ(word.status, 2) << word.out;
  EXPECT_EQ(word.out, "arsync: usage: arsync quarantine list|show ...\n");
  CmdResult none = run(kBin + "arsync");
  EXPECT_EQ(none.status, 2) << none.out;
  EXPECT_EQ(none.out.rfind("usage: arsync [--config FILE] [--db PATH] COMMAND ...\n", 0), 0u) << none.out;
}

// Every command of the table, as `arsync --help` lists it.
const std::vector<std::string> kCommands = {
    "status",           "recheck",         "discrepancies list", "discrepancies show",
    "discrepancies resolve", "discrepancies ack", "quarantine list", "quarantine show",
    "mail list",        "mapping check",   "mapping test",       "connectors list",
    "connectors describe", "sync now"};

TEST(Cli, HelpListsEveryCommandWithItsOptions) {
  CmdResult r = run(kBin + "arsync --help");
  EXPECT_EQ(r.status, 0) << r.out;
  for (const std::string& c : kCommands) {
    EXPECT_NE(r.out.find("\n  " + c), std::string::npos) << c << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("\n  discrepancies list [--status open|acknowledged|resolved|all] [--rule R] "
                       "[--system S] [--limit N] [--json]\n"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  discrepancies resolve ID --note TEXT [--by NAME]\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\n  --db PATH"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Exit status: 0 success, 1 the command failed, 2 usage error, 3 arsyncd "
                       "runs but could not\nbe reached (or is needed and does not run).\n"),
            std::string::npos) << r.out;
  CmdResult help = run(kBin + "arsync help");
  EXPECT_EQ(help.status, 0) << help.out;
  EXPECT_EQ(help.out, r.out);
}

TEST(Cli, EveryCommandHasItsOwnHelp) {
  for (const std::string& c : kCommands) {
    CmdResult r = run(kBin + "arsync " + c + " --help");
    EXPECT_EQ(r.status, 0) << c << "\n" << r.out;
    EXPECT_EQ(r.out.rfind("usage: arsync [--config FILE] [--db PATH] " + c, 0), 0u) << r.out;
    EXPECT_NE(r.out.find("\nGlobal options:\n"), std::string::npos) << r.out;
    CmdResult same = run(kBin + "arsync help " + c);
    EXPECT_EQ(same.status, 0) << c << "\n" << same.out;
    EXPECT_EQ(same.out, r.out) << c;
  }
  CmdResult resolve = run(kBin + "arsync discrepancies resolve --help");
  EXPECT_NE(resolve.out.find("\n  --note TEXT     say why (required)\n"),
            std::string::npos) << resolve.out;
  EXPECT_NE(resolve.out.find("\nChanges the store: through arsyncd when it runs, else on the store "
                             "opened\nfor writing (see README \"CLI and the daemon\").\n"),
            std::string::npos)
      << resolve.out;
  CmdResult list = run(kBin + "arsync discrepancies list --help");
  EXPECT_EQ(list.out.find("Changes the store"), std::string::npos) << list.out;
  CmdResult group = run(kBin + "arsync discrepancies --help");
  EXPECT_EQ(group.status, 0) << group.out;
  EXPECT_NE(group.out.find("\n  discrepancies ack ID --note TEXT [--by NAME]"), std::string::npos)
      << group.out;
  EXPECT_EQ(group.out.find("quarantine"), std::string::npos) << group.out;
  CmdResult unknown = run(kBin + "arsync help frobnicate");
  EXPECT_EQ(unknown.status, 2) << unknown.out;
  EXPECT_NE(unknown.out.find("arsync: no command 'frobnicate'"), std::string::npos) << unknown.out;
}

// ---- --version -----------------------------------------------------------

TEST(Cli, BothProgramsPrintTheirVersionAndTheConnectorAbi) {
  // The version CMake's project() declares, as configure_file wrote it.
  EXPECT_THAT(std::string(kVersion), ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+")) << kVersion;
  const std::string rest = std::string(" ") + kVersion + " (connector ABI " +
                           std::to_string(kConnectorAbiVersion) + ")\n";
  CmdResult cli = run(kBin + "arsync --version");
  EXPECT_EQ(cli.status, 0) << cli.out;
  EXPECT_EQ(cli.out, "arsync" + rest);
  CmdResult daemon = run(kBin + "arsyncd --version");
  EXPECT_EQ(daemon.status, 0) << daemon.out;
  EXPECT_EQ(daemon.out, "arsyncd" + rest);
  // Anywhere on the line, as the other global options.
  CmdResult after = run(kBin + "arsync status --version");
  EXPECT_EQ(after.status, 0) << after.out;
  EXPECT_EQ(after.out, "arsync" + rest);
}

// ---- arsync config check -------------------------------------------------

// A config holding errors of each kind: the file's own keys, a system's
// connector type and settings, the reconcile and mail sections.
fs::path write_config_with_errors(const fs::path& root) {
  const fs::path config = root / "bad.json";
  write_file(config, R"({
    "store": {"path": "var/arsync.db", "synchronous": "fast"},
    "interval_seconds": "10", "intervall": 5,
    "state_dir": "var", "mappings_dir": ")" + kSrc + R"(/mappings",
    "systems": {
      "sap-ecc": {"type": "sap_idoc", "settings": {"inbound_dir": "inbound/sap-ecc", "drop_dir": "x"}},
      "sap-s4": {"type": "sap_idocs"}},
    "reconcile": {"pairs": [{"left": "sap-ecc", "right": "sap-s5"}]},
    "mail": {"to": ["b@test.example"], "transport": {"type": "file", "dir": "mail"}}})");
  return config;
}

const char* const kConfigErrors[] = {
    "  intervall: unknown key (known keys here: ",
    "  store.synchronous must be \"full\" or \"normal\"\n",
    "  interval_seconds: expected an integer, got the string \"10\"\n",
    "  systems.sap-ecc.settings: unknown key 'drop_dir' for connector type 'sap_idoc' (known keys: ",
    "  systems.sap-s4.type: unknown connector type 'sap_idocs' (built in: quickbooks, sap_idoc)\n",
    "  reconcile.pairs[0].right: unknown system 'sap-s5'",
    "  mail.from is required",
};

TEST(Cli, ConfigCheckReportsEveryErrorWithItsKeyPath) {
  DemoEnv env;
  const fs::path config = write_config_with_errors(env.root());
  CmdResult r = run(kBin + "arsync config check " + config.string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_EQ(r.out.rfind("arsync: " + config.string() + ": 7 errors\n", 0), 0u) << r.out;
  for (const char* e : kConfigErrors) EXPECT_NE(r.out.find(e), std::string::npos) << e << "\n" << r.out;
  EXPECT_EQ(r.out.find("OK"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(env.root() / "var")) << "a check creates nothing";
}

TEST(Cli, ConfigCheckOfAGoodConfigSaysOkOnOneLine) {
  DemoEnv env;
  const fs::path config = env.root() / "arsync.json";
  CmdResult r = run(kBin + "arsync config check " + config.string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, config.string() + ": OK (2 systems, store " + (env.root() / "var" / "arsync.db").string() +
                       ")\n");
  CmdResult missing = run(kBin + "arsync config check " + (env.root() / "none.json").string());
  EXPECT_EQ(missing.status, 1) << missing.out;
  EXPECT_NE(missing.out.find("  cannot read config file"), std::string::npos) << missing.out;
  CmdResult none = run(kBin + "arsync config check");
  EXPECT_EQ(none.status, 2) << none.out;
  EXPECT_NE(none.out.find("arsync: usage: arsync config check FILE"), std::string::npos) << none.out;
}

TEST(Cli, ArsyncdRefusesABadConfigListingEveryError) {
  DemoEnv env;
  const fs::path config = write_config_with_errors(env.root());
  CmdResult r = run(arsyncd_once(config));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("arsyncd: invalid argument: 7 errors in the config:\n"), std::string::npos)
      << r.out;
  for (const char* e : kConfigErrors) EXPECT_NE(r.out.find(e), std::string::npos) << e << "\n" << r.out;
  EXPECT_FALSE(fs::exists(env.root() / "var" / "arsync.db")) << "refused before the store is opened";
}

}  // namespace
}  // namespace arsync::testing
