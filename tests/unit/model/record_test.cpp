#include "arsync/record.h"

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace arsync {
namespace {

Record invoice() {
  RecordBuilder b;
  b.begin_object()
      .key("Id").string("130")
      .key("TotalAmt").number("1190.10")
      .key("Line").begin_array()
        .begin_object().key("Amount").number("1e2").key("Desc").string("a \"b\"\n").end()
        .begin_object().key("Amount").number("-0.00").end()
      .end()
      .key("Paid").boolean(false)
      .key("Memo").null()
      .key("Id").string("second")
      .end();
  return b.finish();
}

TEST(Record, ScalarsKeepTheirTextAndMembersTheirOrder) {
  const Record r = invoice();
  const RecordValue root = r.root();
  ASSERT_TRUE(root.is_object());
  EXPECT_EQ(root.size(), 6u);
  EXPECT_EQ(root.find("TotalAmt").text(), "1190.10");
  EXPECT_TRUE(root.find("TotalAmt").is_number());
  EXPECT_EQ(root.find("Paid").text(), "false");
  EXPECT_TRUE(root.find("Memo").is_null());
  EXPECT_FALSE(root.find("Nope"));
  EXPECT_FALSE(root.find("Nope").is_null());  // absent is not null
  std::vector<std::string> keys;
  for (RecordValue member : root) keys.emplace_back(member.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"Id", "TotalAmt", "Line", "Paid", "Memo", "Id"}));
}

TEST(Record, DuplicateKeysAreKeptAndFindReturnsTheFirst) {
  const Record r = invoice();
  EXPECT_EQ(r.root().find("Id").text(), "130");
  EXPECT_EQ(r.root().at(5).key(), "Id");
  EXPECT_EQ(r.root().at(5).text(), "second");
}

TEST(Record, ArraysIterateInOrderSkippingSubtrees) {
  const Record r = invoice();
  const RecordValue lines = r.root().find("Line");
  ASSERT_TRUE(lines.is_array());
  ASSERT_EQ(lines.size(), 2u);
  std::vector<std::string> amounts;
  for (RecordValue line : lines) amounts.emplace_back(line.find("Amount").text());
  EXPECT_EQ(amounts, (std::vector<std::string>{"1e2", "-0.00"}));
  EXPECT_EQ(lines.at(0).find("Desc").text(), "a \"b\"\n");
  EXPECT_FALSE(lines.at(2));
  EXPECT_FALSE(lines.find("Amount"));  // an array has no members
  // The member after the array is reached past the array's whole subtree.
  EXPECT_EQ(r.root().at(3).key(), "Paid");
}

TEST(Record, JsonTextRoundTripsNumbersExactly) {
  EXPECT_EQ(invoice().to_json_text(),
            R"({"Id":"130","TotalAmt":1190.10,"Line":[{"Amount":1e2,"Desc":"a \"b\"\n"},)"
            R"({"Amount":-0.00}],"Paid":false,"Memo":null,"Id":"second"})");
  EXPECT_EQ(Record().to_json_text(), "null");
}

TEST(Record, JsonTextEscapesControlsAndReplacesBytesThatAreNotUtf8) {
  RecordBuilder b;
  b.begin_array().string(std::string("\x01tab\there M\xC3\xBCller \xFF", 19)).begin_object().end()
      .begin_array().end().end();
  EXPECT_EQ(b.finish().to_json_text(),
            "[\"\\u0001tab\\there M\xC3\xBCller \xEF\xBF\xBD\",{},[]]");
}

TEST(Record, ABuilderBuildsOneRecordAfterAnother) {
  RecordBuilder b;
  b.string("first");
  const Record one = b.finish();
  b.number("12345678901234567890123");
  const Record two = b.finish();
  EXPECT_EQ(one.root().text(), "first");
  EXPECT_EQ(two.root().text(), "12345678901234567890123");
  EXPECT_EQ(two.node_count(), 1u);
}

TEST(Record, DeepNestingIsWalkedWithoutRecursion) {
  RecordBuilder b;
  for (int i = 0; i < 100000; ++i) b.begin_array();
  for (int i = 0; i < 100000; ++i) b.end();
  const Record deep = b.finish();
  EXPECT_EQ(deep.to_json_text(), std::string(100000, '[') + std::string(100000, ']'));
}

TEST(Record, BuilderMisuseIsAProgrammingError) {
  {
    RecordBuilder b;
    b.begin_object();
    EXPECT_THROW(b.string("no key"), std::logic_error);
  }
  {
    RecordBuilder b;
    b.begin_array();
    EXPECT_THROW(b.key("k"), std::logic_error);
    EXPECT_THROW(b.finish(), std::logic_error);  // still open
  }
  {
    RecordBuilder b;
    EXPECT_THROW(b.end(), std::logic_error);
    EXPECT_THROW(b.number("1."), std::logic_error);
    EXPECT_THROW(b.number("01"), std::logic_error);
    EXPECT_THROW(b.number("1,5"), std::logic_error);
    b.number("-0.5E+3");
    EXPECT_THROW(b.string("second top value"), std::logic_error);
  }
}

}  // namespace
}  // namespace arsync
