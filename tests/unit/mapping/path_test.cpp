#include "arsync/mapping/path.h"

#include <gtest/gtest.h>

#include <map>

#include "arsync/model/json_record.h"

namespace arsync::mapping {
namespace {

const Record kRecord = parse_json_record(R"({
  "EDI_DC40": {"DOCNUM": "0000000000451234", "IDOCTYP": "INVOIC02"},
  "E1EDK01": [{"CURCY": "EUR", "BELNR": "0090001234"}],
  "E1EDK02": [{"QUALF": "001", "BELNR": "PO-77812"}, {"QUALF": "009", "BELNR": "0090001234"}],
  "E1EDP01": [
    {"POSEX": "000010", "E1EDP26": [{"QUALF": "001", "BETRG": "1.00"}, {"QUALF": "003", "BETRG": "1000.00"}]},
    {"POSEX": "000020", "E1EDP26": [{"QUALF": "003", "BETRG": "250.00"}]}
  ],
  "Line": [
    {"Amount": 100, "LinkedTxn": [{"TxnType": "Invoice", "TxnId": "130"}]},
    {"Amount": 50.5, "LinkedTxn": [{"TxnType": "CreditMemo", "TxnId": "7"}, {"TxnType": "Invoice", "TxnId": "131"}]}
  ]
})", "path_test").value();
const RecordValue kIdoc = kRecord.root();

Path parse(const std::string& text) {
  Result<Path> p = Path::parse(text);
  EXPECT_TRUE(p.is_ok()) << p.status().to_string();
  return p.is_ok() ? *p : Path();
}

std::string first_text(const std::string& path) {
  const RecordValue v = parse(path).first(kIdoc);
  return v ? v.to_json_text() : "<none>";
}

std::vector<std::string> all_texts(const std::string& path) {
  std::vector<RecordValue> found;
  parse(path).all(kIdoc, found);
  std::vector<std::string> out;
  for (RecordValue v : found) out.push_back(v.to_json_text());
  return out;
}

std::string syntax_error(const std::string& path) {
  Result<Path> p = Path::parse(path);
  EXPECT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), ErrorCode::kMappingError);
  return p.status().message();
}

TEST(PathTest, ArrayStepWithoutFilterTakesFirstElement) {
  EXPECT_EQ(first_text("E1EDK01.CURCY"), "\"EUR\"");
  EXPECT_EQ(first_text("E1EDK02.QUALF"), "\"001\"");
}

TEST(PathTest, LoneObjectCountsAsArrayOfOne) {
  EXPECT_EQ(first_text("EDI_DC40.DOCNUM"), "\"0000000000451234\"");
  EXPECT_EQ(first_text("EDI_DC40[0].DOCNUM"), "\"0000000000451234\"");
  EXPECT_EQ(first_text("EDI_DC40[1].DOCNUM"), "<none>");
}

TEST(PathTest, IndexFilterSelectsThatElement) {
  EXPECT_EQ(first_text("E1EDK02[1].BELNR"), "\"0090001234\"");
}

TEST(PathTest, IndexPastTheEndSelectsNothing) {
  EXPECT_EQ(first_text("E1EDK02[2].BELNR"), "<none>");
}

TEST(PathTest, FieldFilterSelectsFirstMatchingElement) {
  EXPECT_EQ(first_text("E1EDK02[QUALF=009].BELNR"), "\"0090001234\"");
}

TEST(PathTest, FieldFilterWithoutMatchSelectsNothing) {
  EXPECT_EQ(first_text("E1EDK02[QUALF=002].BELNR"), "<none>");
}

TEST(PathTest, FieldFilterComparesNumbersByTheirText) {
  EXPECT_EQ(first_text("Line[Amount=50.5].LinkedTxn[1].TxnId"), "\"131\"");
}

TEST(PathTest, MissingMemberSelectsNothing) {
  EXPECT_EQ(first_text("E1EDK01.ZTERM"), "<none>");
  EXPECT_EQ(first_text("E1EDK99.ZTERM"), "<none>");
  EXPECT_EQ(first_text("E1EDK01.CURCY.X"), "<none>");
}

TEST(PathTest, StarSelectsEveryElementInDocumentOrder) {
  EXPECT_EQ(all_texts("E1EDP01[*].E1EDP26[QUALF=003].BETRG"),
            (std::vector<std::string>{"\"1000.00\"", "\"250.00\""}));
}

TEST(PathTest, StarFirstIsTheFirstElementThatHasTheRestOfThePath) {
  EXPECT_EQ(first_text("Line[*].LinkedTxn[TxnType=CreditMemo].TxnId"), "\"7\"");
}

TEST(PathTest, QuickBooksLinkedTransactions) {
  EXPECT_EQ(all_texts("Line[*].LinkedTxn[TxnType=Invoice].TxnId"),
            (std::vector<std::string>{"\"130\"", "\"131\""}));
}

TEST(PathTest, StarMarksThePathAsFanningOut) {
  EXPECT_TRUE(parse("Line[*].Amount").fans_out());
  EXPECT_FALSE(parse("Line[0].Amount").fans_out());
}

TEST(PathTest, DollarPrefixMarksAbsolutePath) {
  Path p = parse("$.E1EDK01.CURCY");
  EXPECT_TRUE(p.absolute());
  ASSERT_TRUE(p.first(kIdoc));
  EXPECT_EQ(p.first(kIdoc).text(), "EUR");
}

TEST(PathTest, EmptyPathIsAnError) {
  EXPECT_EQ(syntax_error(""),
            "path is empty (a step is NAME, NAME[FIELD=VALUE], NAME[*] or NAME[N], steps "
            "separated by '.')");
}

TEST(PathTest, TrailingDotIsAnError) {
  EXPECT_EQ(syntax_error("E1EDK01."),
            "invalid path 'E1EDK01.': path ends with '.' at position 8 (a step is NAME, "
            "NAME[FIELD=VALUE], NAME[*] or NAME[N], steps separated by '.')");
}

TEST(PathTest, UnclosedBracketIsAnError) {
  EXPECT_EQ(syntax_error("E1EDK02[QUALF=009.BELNR"),
            "invalid path 'E1EDK02[QUALF=009.BELNR': '[' without ']' at position 8 (a step is "
            "NAME, NAME[FIELD=VALUE], NAME[*] or NAME[N], steps separated by '.')");
}

TEST(PathTest, EmptyFilterIsAnError) {
  EXPECT_NE(syntax_error("E1EDK02[].BELNR").find("empty filter '[]' at position 8"),
            std::string::npos);
}

TEST(PathTest, FilterThatIsNeitherIndexNorMatchIsAnError) {
  EXPECT_NE(syntax_error("E1EDK02[x1].BELNR")
                .find("filter '[x1]' is not '*', a number or FIELD=VALUE at position 9"),
            std::string::npos);
}

TEST(PathTest, FilterWithoutValueIsAnError) {
  EXPECT_NE(syntax_error("E1EDK02[QUALF=].BELNR").find("filter has no value after '='"),
            std::string::npos);
}

TEST(PathTest, DoubleDotIsAnError) {
  EXPECT_NE(syntax_error("E1EDK02..BELNR").find("unexpected character '.' at position 9"),
            std::string::npos);
}

TEST(PathTest, TextAfterFilterIsAnError) {
  EXPECT_NE(syntax_error("E1EDK02[0]BELNR").find("unexpected character 'B' at position 11"),
            std::string::npos);
}

// Paths that share a first step share its lookup through a PathMemo, and
// find what they find without one; a memo is only used under its own root.
TEST(Path, MemoSharesFirstStepsAndChangesNoResult) {
  const std::vector<std::string> texts = {
      "E1EDK02[QUALF=009].BELNR", "E1EDK02[QUALF=009].QUALF", "E1EDK02[QUALF=001].BELNR",
      "E1EDK02.BELNR", "E1EDK02[1].BELNR", "E1EDK02[5].BELNR", "E1EDK02[QUALF=777].BELNR",
      "$.E1EDK01.CURCY", "E1EDK01.CURCY", "E1EDP01.E1EDP26[QUALF=003].BETRG", "E1EDZZ.X",
      "EDI_DC40.DOCNUM", "EDI_DC40[0].IDOCTYP"};
  std::map<std::string, std::size_t> slots;
  std::vector<Path> paths;
  for (const std::string& t : texts) {
    Path p = parse(t);
    ASSERT_FALSE(p.first_step().empty()) << t;
    p.set_memo_slot(slots.try_emplace(p.first_step(), slots.size()).first->second);
    paths.push_back(std::move(p));
  }
  EXPECT_EQ(parse("$.E1EDK01.CURCY").first_step(), "E1EDK01");
  EXPECT_EQ(parse("E1EDP01[*].POSEX").first_step(), "");  // several values: no slot
  EXPECT_EQ(slots.size(), 11u);
  for (int round = 0; round < 2; ++round) {  // the second round reads the memo only
    PathMemo memo(kIdoc, slots.size());
    for (std::size_t i = 0; i < paths.size(); ++i) {
      const RecordValue with = paths[i].first(kIdoc, &memo);
      const RecordValue without = paths[i].first(kIdoc);
      EXPECT_EQ(with, without) << texts[i] << " round " << round;
    }
  }
  // Under another node (an "each" element) the memo of the record is not used.
  PathMemo memo(kIdoc, slots.size());
  const Path& k02 = paths[0];
  ASSERT_TRUE(k02.first(kIdoc, &memo));
  const Record element =
      parse_json_record(R"({"E1EDK02": [{"QUALF": "009", "BELNR": "other"}]})", "e").value();
  const RecordValue found = k02.first(element.root(), &memo);
  ASSERT_TRUE(found);
  EXPECT_EQ(found.text(), "other");
}

}  // namespace
}  // namespace arsync::mapping
