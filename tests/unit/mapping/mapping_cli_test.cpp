// `arsync mapping check|test` and arsyncd's start as a user runs them: the
// real binaries on mapping files with typos, on IDocs of every billing type
// and on hostile JSON records, asserting exit status and output.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "run_command.h"

namespace {

namespace fs = std::filesystem;

using arsync::testing::CmdResult;
using arsync::testing::run;

const std::string kBin = std::string(ARSYNC_BINARY_DIR) + "/daemon/main/";
const fs::path kSrc = ARSYNC_SOURCE_DIR;
const fs::path kInvoic = kSrc / "mappings/sap_idoc/invoic02.json";
const fs::path kPexr = kSrc / "mappings/sap_idoc/pexr2002.json";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// `text` with its one occurrence of `from` replaced by `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class MappingCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("arsync-mapping-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The shipped INVOIC02 mapping with `from` replaced by `to`, in the temp folder.
  fs::path invoic_with(const std::string& from, const std::string& to) {
    const fs::path p = dir_ / "invoic02.json";
    write_file(p, replaced(read_file(kInvoic), from, to));
    return p;
  }
  CmdResult check(const fs::path& mapping) { return run(kBin + "arsync mapping check " + mapping.string()); }
  CmdResult test(const fs::path& mapping, const fs::path& input) {
    return run(kBin + "arsync mapping test " + mapping.string() + " " + input.string());
  }
  // The first IDoc of the three-IDoc fixture (an F2 invoice) with edits.
  fs::path idoc_with(const std::string& from, const std::string& to,
                     const std::string& from2 = "", const std::string& to2 = "") {
    std::string xml = read_file(kSrc / "tests/fixtures/idoc/invoic02_three.xml");
    const std::size_t second = xml.find("<IDOC BEGIN", xml.find("<IDOC BEGIN") + 1);
    xml = xml.substr(0, second) + "</INVOIC02>\n";
    xml = replaced(xml, from, to);
    if (!from2.empty()) xml = replaced(xml, from2, to2);
    const fs::path p = dir_ / "idoc.xml";
    write_file(p, xml);
    return p;
  }

  fs::path dir_;
};

TEST_F(MappingCli, ShippedMappingsPassTheSchemaCheck) {
  CmdResult inv = check(kInvoic);
  EXPECT_EQ(inv.status, 0) << inv.out;
  CmdResult pexr = check(kPexr);
  EXPECT_EQ(pexr.status, 0) << pexr.out;
}

TEST_F(MappingCli, CheckRefusesMisspelledSegmentAndSuggestsTheNearest) {
  CmdResult r = check(invoic_with("E1EDS01[SUMID=011].SUMME", "E1EDS1[SUMID=011].SUMME"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("INVOIC02 has no segment or field 'E1EDS1' (did you mean E1EDS01?)"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mapping path fields.amount.path"), std::string::npos) << r.out;
}

TEST_F(MappingCli, CheckRefusesMisspelledEntity) {
  CmdResult r = check(invoic_with("\"entities\": [\"INVOIC02\"]", "\"entities\": [\"INVOICE02\"]"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("connector type sap_idoc delivers no record type 'INVOICE02' (did you mean "
                       "INVOIC02?)"),
            std::string::npos) << r.out;
}

TEST_F(MappingCli, CheckRefusesTypoInTheFirstOfTwoFallbackPaths) {
  const fs::path m = invoic_with("\"path\": [\"E1EDKA1[PARVW=RG].PARTN\"",
                                 "\"path\": [\"E1EDKAl[PARVW=RG].PARTN\"");
  CmdResult r = check(m);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("'E1EDKAl' (did you mean E1EDKA1?)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mapping path fields.customer_key.path[0]"), std::string::npos) << r.out;
  // `mapping test` refuses it too instead of falling through to the sold-to.
  CmdResult t = test(m, kSrc / "tests/fixtures/idoc/invoic02_three.xml");
  EXPECT_EQ(t.status, 1) << t.out;
  EXPECT_NE(t.out.find("did you mean E1EDKA1?"), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find("mapped"), std::string::npos) << t.out;
}

TEST_F(MappingCli, CheckRefusesUnknownFilterFieldAndSegmentDefinitionNames) {
  CmdResult filter = check(invoic_with("E1EDS01[SUMID=011].SUMME", "E1EDS01[SUMDI=011].SUMME"));
  EXPECT_EQ(filter.status, 1) << filter.out;
  EXPECT_NE(filter.out.find("E1EDS01 has no field 'SUMDI' to filter on (did you mean SUMID?)"),
            std::string::npos) << filter.out;
  CmdResult definition = check(invoic_with("\"E1EDK01.CURCY\"", "\"E2EDK01005.CURCY\""));
  EXPECT_EQ(definition.status, 1) << definition.out;
  EXPECT_NE(definition.out.find("E2EDK01005 is the name of a segment definition"), std::string::npos)
      << definition.out;
  EXPECT_NE(definition.out.find("write E1EDK01"), std::string::npos) << definition.out;
  CmdResult below_field = check(invoic_with("\"E1EDK01.CURCY\"", "\"E1EDK01.CURCY.X\""));
  EXPECT_EQ(below_field.status, 1) << below_field.out;
  EXPECT_NE(below_field.out.find("CURCY is a field of E1EDK01, not a segment"), std::string::npos)
      << below_field.out;
}

TEST_F(MappingCli, ExtensionSegmentDeclaredInTheSegmentFilesIsKnown) {
  // A site's extension segment under E1EDK01, declared with its parent.
  const fs::path mapping_dir = dir_ / "site";
  const fs::path mapping = mapping_dir / "invoic02.json";
  write_file(mapping, replaced(read_file(kInvoic), "\"terms\":     {\"path\": \"E1EDK01.ZTERM\"",
                               "\"terms\":     {\"path\": \"E1EDK01.Z1EDK01.ZZTERMS\""));
  fs::copy(kSrc / "mappings/sap_idoc/segments", mapping_dir / "segments");
  CmdResult undeclared = check(mapping);
  EXPECT_EQ(undeclared.status, 1) << undeclared.out;
  EXPECT_NE(undeclared.out.find("E1EDK01 has no segment or field 'Z1EDK01'"), std::string::npos)
      << undeclared.out;

  const fs::path seg = mapping_dir / "segments/INVOIC02.json";
  write_file(seg, replaced(read_file(seg), "\"E1EDKA1\":",
                           "\"Z1EDK01\": {\"parent\": \"E1EDK01\", \"fields\": [[\"ZZTERMS\", 4]]},\n"
                           "  \"E1EDKA1\":"));
  CmdResult declared = check(mapping);
  EXPECT_EQ(declared.status, 0) << declared.out;
}

TEST_F(MappingCli, TestFailsWhenNoMappingTakesTheRecordsEntity) {
  CmdResult r = test(kPexr, kSrc / "tests/fixtures/idoc/invoic02_three.xml");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("record type INVOIC02 is not mapped by this file (it maps PEXR2002)"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 of a record type no mapping takes"), std::string::npos) << r.out;
}

TEST_F(MappingCli, DaemonRefusesToStartOnATypoNamingFileAndPath) {
  write_file(dir_ / "mappings/sap_idoc/invoic02.json",
             replaced(read_file(kInvoic), "E1EDS01[SUMID=011].SUMME", "E1EDS1[SUMID=011].SUMME"));
  fs::create_directories(dir_ / "inbound");
  write_file(dir_ / "arsync.json", R"({
    "store": {"path": "var/arsync.db"}, "state_dir": "var", "mappings_dir": "mappings",
    "systems": {"sap": {"type": "sap_idoc", "settings": {"inbound_dir": "inbound"}}},
    "mail": {"from": "a@example.com", "to": ["b@example.com"],
             "transport": {"type": "file", "dir": "mail"}}
  })");
  CmdResult r = run(kBin + "arsyncd --once --config " + (dir_ / "arsync.json").string());
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("did you mean E1EDS01?"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find((dir_ / "mappings/sap_idoc/invoic02.json").string()), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("fields.amount.path"), std::string::npos) << r.out;
}

// Each standard billing type in E1EDK14 015 and the kind it maps to.
TEST_F(MappingCli, StandardBillingTypesMapToTheirKinds) {
  const std::pair<const char*, const char*> kTypes[] = {
      {"F1", "invoice"}, {"F2", "invoice"}, {"FAZ", "invoice"}, {"IV", "invoice"},
      {"G2", "credit_memo"}, {"RE", "credit_memo"}, {"IG", "credit_memo"}, {"L2", "debit_memo"}};
  for (const auto& [type, kind] : kTypes) {
    CmdResult r = test(kInvoic, idoc_with("<ORGID>F2</ORGID>", std::string("<ORGID>") + type + "</ORGID>"));
    EXPECT_EQ(r.status, 0) << type << ": " << r.out;
    EXPECT_NE(r.out.find(std::string("\"kind\": \"") + kind + "\""), std::string::npos)
        << type << ": " << r.out;
    EXPECT_NE(r.out.find("\"status\": \"open\""), std::string::npos) << type << ": " << r.out;
  }
}

TEST_F(MappingCli, DocumentTypeIsTheFallbackWithoutBillingType) {
  CmdResult invo = test(kInvoic, idoc_with("<QUALF>015</QUALF>", "<QUALF>016</QUALF>"));
  EXPECT_EQ(invo.status, 0) << invo.out;
  EXPECT_NE(invo.out.find("\"kind\": \"invoice\""), std::string::npos) << invo.out;
  CmdResult crme = test(kInvoic, idoc_with("<QUALF>015</QUALF>", "<QUALF>016</QUALF>",
                                           "<BSART>INVO</BSART>", "<BSART>CRME</BSART>"));
  EXPECT_EQ(crme.status, 0) << crme.out;
  EXPECT_NE(crme.out.find("\"kind\": \"credit_memo\""), std::string::npos) << crme.out;
}

TEST_F(MappingCli, ProFormaIsSkippedWithItsReason) {
  for (const char* type : {"F5", "F8"}) {
    CmdResult r = test(kInvoic, idoc_with("<ORGID>F2</ORGID>", std::string("<ORGID>") + type + "</ORGID>"));
    EXPECT_EQ(r.status, 0) << type << ": " << r.out;
    EXPECT_NE(r.out.find("skipped record 0000000000451234: pro-forma billing document"),
              std::string::npos) << type << ": " << r.out;
    EXPECT_NE(r.out.find("0 mapped, 0 error(s), 1 skipped"), std::string::npos) << r.out;
  }
}

TEST_F(MappingCli, CancellationIsVoidAndNamesTheCancelledDocument) {
  CmdResult r = test(kInvoic, idoc_with("<ORGID>F2</ORGID>", "<ORGID>S1</ORGID>",
                                        "<E1EDK02 SEGMENT=\"1\">\n      <QUALF>001</QUALF>",
                                        "<E1EDK02 SEGMENT=\"1\">\n      <QUALF>011</QUALF>\n"
                                        "      <BELNR>0090000999</BELNR>\n    </E1EDK02>\n"
                                        "    <E1EDK02 SEGMENT=\"1\">\n      <QUALF>001</QUALF>"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"kind\": \"credit_memo\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"status\": \"void\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"cancels\": \"0090000999\""), std::string::npos) << r.out;
  // An invoice that carries a 011 reference cancels nothing.
  CmdResult f2 = test(kInvoic, idoc_with("<QUALF>001</QUALF>", "<QUALF>011</QUALF>"));
  EXPECT_EQ(f2.status, 0) << f2.out;
  EXPECT_EQ(f2.out.find("cancels"), std::string::npos) << f2.out;
}

TEST_F(MappingCli, InvalidUtf8RecordIsAnErrorWithItsByteOffset) {
  const fs::path record = dir_ / "record.json";
  write_file(record, "{\"E1EDK01\": {\"CURCY\": \"EUR\", \"BELNR\": \"12\xff\xfe\"}}");
  CmdResult r = test(kInvoic, record);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("input is not valid UTF-8 at byte 41"), std::string::npos) << r.out;
}

TEST_F(MappingCli, DeepNestingIsAnErrorNamingTheLimit) {
  const fs::path record = dir_ / "record.json";
  write_file(record, "{\"E1EDK01\": " + std::string(50000, '[') + std::string(50000, ']') + "}");
  CmdResult r = test(kInvoic, record);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("input nests deeper than 512 levels at byte 523"), std::string::npos) << r.out;
}

// Both aborted (134) and crashed (139) `arsync mapping test` before.
TEST_F(MappingCli, IdocWithInvalidUtf8IsAnErrorNotAnAbort) {
  const fs::path idoc = idoc_with("M\xc3\xbcller Maschinenbau", "M\xfcller Maschinenbau");
  CmdResult r = test(kInvoic, idoc);
  EXPECT_EQ(r.status, 1) << r.out;
  // The reader refuses the IDoc at the edge, naming the byte, segment and field.
  EXPECT_NE(r.out.find("invalid UTF-8 at byte 885 of the file (byte 0xFC): the file declares "
                       "encoding UTF-8"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("segment E1EDKA1, field NAME1"), std::string::npos) << r.out;
}

TEST_F(MappingCli, DeeplyNestedIdocIsAnErrorNamingTheLimit) {
  std::string nested;
  for (int i = 0; i < 50000; ++i) nested += "<E1EDK01 SEGMENT=\"1\">";
  for (int i = 0; i < 50000; ++i) nested += "</E1EDK01>";
  CmdResult r = test(kInvoic, idoc_with("<E1EDK01 SEGMENT=\"1\">", nested + "<E1EDK01 SEGMENT=\"1\">"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("XML elements are nested more than 512 levels deep (the limit)"),
            std::string::npos)
      << r.out.substr(0, 2000);
}

}  // namespace
