// The executables as a user runs them: arsyncd --once on the demo, then the
// arsync commands, asserting output and exit status.
#include <sys/wait.h>

#include <cstdio>

#include "demo_env.h"

namespace arsync::testing {
namespace {

struct CmdResult {
  int status = -1;
  std::string out;  // stdout and stderr
};

CmdResult run(const std::string& cmd) {
  CmdResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int w = ::pclose(p);
  r.status = WIFEXITED(w) ? WEXITSTATUS(w) : -1;
  return r;
}

const std::string kBin = std::string(ARSYNC_BINARY_DIR) + "/daemon/main/";
const std::string kSrc = ARSYNC_SOURCE_DIR;

std::string arsync(const DemoEnv& env, const std::string& args) {
  return kBin + "arsync --config " + (env.root() / "arsync.json").string() + " " + args;
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

}  // namespace
}  // namespace arsync::testing
