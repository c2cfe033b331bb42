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

TEST(SegmentDefinitions, ParentsNestSegmentsInTheSchema) {
  TempDir dir;
  write_all(dir / "ZINV01.json", R"({
    "Z1HEAD": [["QUALF", 3], ["BELNR", 35]],
    "Z1ITEM": {"parent": "Z1HEAD", "fields": [["POSNR", 6]]},
    "Z1DATE": {"parent": ["ZINV01", "Z1ITEM"], "fields": [["DATUM", 8]]}})");
  Result<SegmentDefinitions> defs = SegmentDefinitions::load_directory(dir.path());
  ASSERT_TRUE(defs.is_ok()) << defs.status().to_string();
  // The flat layout of a segment with a parent is read as before.
  const SegmentLayout* item = defs->find("ZINV01", "Z1ITEM");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ((*item)[0].name, "POSNR");

  RecordSchema schema = defs->schema();
  ASSERT_EQ(schema.entities.count("ZINV01"), 1u);
  const SchemaNode& root = schema.entities.at("ZINV01");
  EXPECT_EQ(root.children.count("Z1HEAD"), 1u);
  EXPECT_EQ(root.children.count("Z1ITEM"), 0u);  // only under its parent
  EXPECT_EQ(root.children.count("Z1DATE"), 1u);  // top level and under Z1ITEM
  EXPECT_EQ(root.children.at("EDI_DC40").fields.count("DOCNUM"), 1u);
  const SchemaNode& head = root.children.at("Z1HEAD");
  EXPECT_EQ(head.fields.count("BELNR"), 1u);
  const SchemaNode& under = head.children.at("Z1ITEM");
  EXPECT_EQ(under.fields.count("POSNR"), 1u);
  EXPECT_EQ(under.children.at("Z1DATE").fields.count("DATUM"), 1u);
  ASSERT_TRUE(schema.spelled_in_records);
  EXPECT_EQ(schema.spelled_in_records("E2EDK01005"), std::optional<std::string>("E1EDK01"));
  EXPECT_EQ(schema.spelled_in_records("E1EDK01"), std::nullopt);
}

TEST(SegmentDefinitions, UnknownParentOrKeyNamesTheFileAndSegment) {
  TempDir dir;
  EXPECT_EQ(load_error(R"({"Z1ITEM": {"parent": "Z1HEAD", "fields": [["POSNR", 6]]}})", dir)
                .to_string(),
            "parse error: parent segment Z1HEAD is not defined in ZINV01 (define it, or write the "
            "basic type ZINV01 for a segment at the top level) (at file " +
                (dir / "ZINV01.json") + ", segment Z1ITEM)");
  EXPECT_EQ(load_error(R"({"Z1ITEM": {"parent": "ZINV01", "field": []}})", dir).to_string(),
            "parse error: unknown key 'field' in a segment (allowed: parent, fields) (at file " +
                (dir / "ZINV01.json") + ", segment Z1ITEM)");
}

TEST(SegmentDefinitions, ShippedFilesLoadWithTheirHierarchy) {
  Result<SegmentDefinitions> defs =
      SegmentDefinitions::load_directory(std::string(ARSYNC_SOURCE_DIR) + "/mappings/sap_idoc/segments");
  ASSERT_TRUE(defs.is_ok()) << defs.status().to_string();
  RecordSchema schema = defs->schema();
  const SchemaNode& inv = schema.entities.at("INVOIC02");
  EXPECT_EQ(inv.children.at("E1EDP01").children.count("E1EDP26"), 1u);
  EXPECT_EQ(inv.children.count("E1EDP26"), 0u);
  EXPECT_EQ(schema.entities.at("PEXR2002").children.at("E1IDPU1").children.count("E1IDPU5"), 1u);
}

}  // namespace
}  // namespace arsync::connectors::sap_idoc
