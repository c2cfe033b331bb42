// Segment definition files: what ERP admins write to read flat IDocs. Every
// malformed file fails with the file and the segment named.
#include "segment_definitions.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace arsync::connectors::sap_idoc {
namespace {

using testing::TempDir;
using testing::write_all;

Status load_error(const std::string& text, TempDir& dir) {
  write_all(dir / "ZINV01.json", text);
  Result<SegmentDefinitions> defs = SegmentDefinitions::load_directory(dir.path());
  EXPECT_FALSE(defs.is_ok()) << "loaded: " << text;
  return defs.is_ok() ? Status::ok() : defs.status();
}

TEST(SegmentDefinitions, LayoutsGiveOffsetsInOrderAndIgnoreCommentsAndUnderscoreKeys) {
  TempDir dir;
  write_all(dir / "ZINV01.json", R"(// a comment
    {"_note": "ignored", "Z1HEAD": [["QUALF", 3], /* inline */ ["BELNR", 35], ["DATUM", 8]]})");
  Result<SegmentDefinitions> defs = SegmentDefinitions::load_directory(dir.path());
  ASSERT_TRUE(defs.is_ok()) << defs.status().to_string();
  const SegmentLayout* head = defs->find("ZINV01", "Z1HEAD");
  ASSERT_NE(head, nullptr);
  ASSERT_EQ(head->size(), 3u);
  EXPECT_EQ((*head)[1].name, "BELNR");
  EXPECT_EQ((*head)[1].offset, 3u);
  EXPECT_EQ((*head)[2].offset, 38u);
  EXPECT_EQ((*head)[2].length, 8u);
  EXPECT_EQ(defs->find("ZINV01", "_note"), nullptr);
  EXPECT_EQ(defs->find("ZINV02", "Z1HEAD"), nullptr);
  EXPECT_EQ(defs->directory(), dir.path());
}

TEST(SegmentDefinitions, MissingFolderGivesEmptyDefinitions) {
  Result<SegmentDefinitions> defs = SegmentDefinitions::load_directory("/nonexistent/segments");
  ASSERT_TRUE(defs.is_ok());
  EXPECT_EQ(defs->find("INVOIC02", "E1EDK01"), nullptr);
}

TEST(SegmentDefinitions, InvalidJsonNamesTheFile) {
  TempDir dir;
  Status s = load_error(R"({"Z1HEAD": [["QUALF", 3])", dir);
  EXPECT_EQ(s.to_string(), "parse error: segment definition file is not valid JSON (at file " +
                               (dir / "ZINV01.json") + ")");
}

TEST(SegmentDefinitions, MalformedLayoutsNameTheFileAndSegment) {
  TempDir dir;
  const std::string at = " (at file " + (dir / "ZINV01.json") + ", segment Z1HEAD)";
  EXPECT_EQ(load_error(R"(["Z1HEAD"])", dir).to_string(),
            "parse error: segment definitions must be an object of segment types (at file " +
                (dir / "ZINV01.json") + ")");
  EXPECT_EQ(load_error(R"({"Z1HEAD": {"QUALF": 3}})", dir).to_string(),
            "parse error: a segment's fields must be an array of [name, length]" + at);
  EXPECT_EQ(load_error(R"({"Z1HEAD": [["QUALF", 0]]})", dir).to_string(),
            "parse error: each field must be [name, length] with a positive length, got "
            "[\"QUALF\",0]" + at);
  EXPECT_EQ(load_error(R"({"Z1HEAD": [["QUALF", "3"]]})", dir).to_string(),
            "parse error: each field must be [name, length] with a positive length, got "
            "[\"QUALF\",\"3\"]" + at);
  EXPECT_EQ(load_error(R"({"Z1HEAD": [["QUALF", 3], ["TEXT", 998]]})", dir).to_string(),
            "parse error: fields add up to 1001 characters, more than SDATA's 1000" + at);
  EXPECT_EQ(load_error(R"({"Z1HEAD": [["QUALF", 3], ["BELNR", 35], ["QUALF", 3]]})", dir)
                .to_string(),
            "parse error: field QUALF is defined twice" + at);
}

}  // namespace
}  // namespace arsync::connectors::sap_idoc
