#include "arsync/model/json_record.h"

#include <gtest/gtest.h>

#include "arsync/model/money.h"

namespace arsync {
namespace {

TEST(JsonRecord, FractionalNumbersKeepTheirExactText) {
  auto j = parse_json_record(R"({"TotalAmt": 1190.10, "Big": 92233720368547758.07, "Qty": 3,
                                 "Rate": 1e-3, "Name": "x"} // comment)",
                             "rec.json");
  ASSERT_TRUE(j.is_ok()) << j.status().to_string();
  const RecordValue root = j->root();
  EXPECT_EQ(root.find("TotalAmt").text(), "1190.10");  // not 1190.1 or 1190.0999999
  EXPECT_TRUE(root.find("TotalAmt").is_number());
  EXPECT_EQ(root.find("Big").text(), "92233720368547758.07");
  EXPECT_EQ(Money::parse(std::string(root.find("Big").text()), "USD")->minor_units(), INT64_MAX);
  EXPECT_EQ(root.find("Rate").text(), "1e-3");
  EXPECT_EQ(root.find("Qty").text(), "3");
  EXPECT_EQ(root.find("Name").text(), "x");
  EXPECT_TRUE(root.find("Name").is_string());
}

TEST(JsonRecord, IntegersOfAnySizeKeepTheirDigits) {
  auto j = parse_json_record(
      R"([0, -12, 18446744073709551615, 18446744073709551616, -9223372036854775809, 1E-2,
          true, null, "\u00fc\"", {"a": 1, "a": 2}])", "r");
  ASSERT_TRUE(j) << j.status().to_string();
  EXPECT_EQ(j->to_json_text(),
            "[0,-12,18446744073709551615,18446744073709551616,-9223372036854775809,1E-2,"
            "true,null,\"\xC3\xBC\\\"\",{\"a\":1,\"a\":2}]");
}

TEST(JsonRecord, TruncatedInputNamesTheSource) {
  auto j = parse_json_record(R"({"Line": [{"Amount": 12.5)", "in/rec.json");
  ASSERT_FALSE(j.is_ok());
  EXPECT_EQ(j.status().code(), ErrorCode::kParseError);
  EXPECT_EQ(j.status().where().file, "in/rec.json");
  EXPECT_NE(j.status().message().find("input is not valid JSON: [json.exception.parse_error.101]"),
            std::string::npos)
      << j.status().message();
}

TEST(JsonRecord, InvalidUtf8IsAnErrorWithTheByteOffset) {
  auto bad = parse_json_record("{\"Name\": \"M\xfcller\"}", "rec.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), ErrorCode::kParseError);
  EXPECT_NE(bad.status().message().find("input is not valid UTF-8 at byte 11"), std::string::npos)
      << bad.status().message();
  EXPECT_EQ(bad.status().where().file, "rec.json");
  // Overlong forms and surrogates are not UTF-8 either; real text is.
  EXPECT_FALSE(parse_json_record("{\"a\": \"\xc0\xaf\"}", "r"));
  EXPECT_FALSE(parse_json_record("{\"a\": \"\xed\xa0\x80\"}", "r"));
  EXPECT_FALSE(parse_json_record("// \xff\n{}", "r"));
  auto good = parse_json_record("{\"Name\": \"M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x98\x80\"}", "r");
  ASSERT_TRUE(good) << good.status().to_string();
  EXPECT_EQ(good->root().find("Name").text(), "M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(JsonRecord, NestingDeeperThanTheLimitIsAnErrorNamingIt) {
  const std::string at_limit = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(parse_json_record(at_limit, "r"));
  const std::string deep = std::string(50000, '[') + std::string(50000, ']');
  auto r = parse_json_record(deep, "deep.json");
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("input nests deeper than 512 levels at byte 512"),
            std::string::npos) << r.status().message();
  // Brackets inside strings and comments do not nest.
  EXPECT_TRUE(parse_json_record("{\"a\": \"" + std::string(1000, '[') + "\\\"\"} /* " +
                                    std::string(1000, '{') + " */", "r"));
}

}  // namespace
}  // namespace arsync
