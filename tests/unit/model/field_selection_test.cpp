#include <gtest/gtest.h>

#include "arsync/model/field_selection.h"
#include "arsync/model/json_record.h"

namespace arsync {
namespace {


TEST(FieldSelection, MembersAreFoundByNameAndOthersAreNot) {
  FieldSelection s;
  s.add("E1EDK01").add("BELNR").select_everything();
  s.add("E1EDK01").add("CURCY").select_everything();
  s.add("E1EDK02").add("QUALF").select_everything();
  ASSERT_NE(s.member("E1EDK01"), nullptr);
  EXPECT_NE(s.member("E1EDK01")->member("CURCY"), nullptr);
  EXPECT_EQ(s.member("E1EDK01")->member("ZTERM"), nullptr);
  EXPECT_EQ(s.member("E1EDP01"), nullptr);
  EXPECT_FALSE(s.everything());
  EXPECT_EQ(s.to_string(), "{E1EDK01: {BELNR, CURCY}, E1EDK02: {QUALF}}");
}

// Names of every length up to 20, and for each one the names that differ
// from it in one byte (or in length): only the name itself is found.
TEST(FieldSelection, EveryLengthAndEveryBytePositionIsCompared) {
  const std::string full = "ABCDEFGHIJKLMNOPQRST";
  for (std::size_t n = 0; n <= full.size(); ++n) {
    const std::string name = full.substr(0, n);
    FieldSelection s;
    s.add(name).select_everything();
    EXPECT_NE(s.member(name), nullptr) << "'" << name << "'";
    for (std::size_t i = 0; i < n; ++i) {
      std::string other = name;
      other[i] = 'z';
      EXPECT_EQ(s.member(other), nullptr) << "'" << other << "' found as '" << name << "'";
    }
    EXPECT_EQ(s.member(name + "U"), nullptr) << name;
    if (n > 0) {
      EXPECT_EQ(s.member(name.substr(0, n - 1)), nullptr) << name;
    }
  }
}

TEST(FieldSelection, EverythingSelectsEveryMemberBelow) {
  FieldSelection s;
  s.select_everything();
  EXPECT_EQ(s.member("anything"), &s);
  EXPECT_EQ(s.to_string(), "*");
}

TEST(FieldSelection, AddedSelectionKeepsItsAddressWhileSiblingsAreAdded) {
  FieldSelection s;
  FieldSelection& first = s.add("M");
  for (char c = 'A'; c <= 'Z'; ++c) s.add(std::string(1, c) + "X");
  first.add("F").select_everything();
  EXPECT_EQ(s.member("M"), &first);
  EXPECT_EQ(s.to_string().find("M: {F}") != std::string::npos, true) << s.to_string();
}

TEST(FieldSelection, MergeAddsTheOtherSelection) {
  FieldSelection a;
  a.add("EDI_DC40").add("DOCNUM").select_everything();
  FieldSelection b;
  b.add("EDI_DC40").add("IDOCTYP").select_everything();
  b.add("E1EDKA1").select_everything();
  a.merge(b);
  EXPECT_EQ(a.to_string(), "{E1EDKA1, EDI_DC40: {DOCNUM, IDOCTYP}}");
}

TEST(FieldSelection, CutKeepsSelectedMembersAndEveryArrayElement) {
  FieldSelection s;
  FieldSelection& k02 = s.add("E1EDK02");
  k02.add("QUALF").select_everything();
  k02.add("BELNR").select_everything();
  s.add("E1EDKA1").select_everything();
  const Record record = parse_json_record(R"J({
    "EDI_DC40": {"DOCNUM": "1"},
    "E1EDK02": [{"QUALF": "001", "BELNR": "PO-1", "DATUM": "20261101"}, {"DATUM": "20261102"}],
    "E1EDKA1": [{"PARVW": "AG", "E1EDKA3": [{"QUALF": 1.50, "X": null, "Y": true}]}]
  })J", "r").value();
  EXPECT_EQ(cut_to_selection(record, s).to_json_text(),
            R"J({"E1EDK02":[{"QUALF":"001","BELNR":"PO-1"},{}],)J"
            R"J("E1EDKA1":[{"PARVW":"AG","E1EDKA3":[{"QUALF":1.50,"X":null,"Y":true}]}]})J");
}

}  // namespace
}  // namespace arsync
