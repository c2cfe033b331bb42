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
  EXPECT_EQ((*j)["TotalAmt"], "1190.10");  // not 1190.1 or 1190.0999999
  EXPECT_EQ((*j)["Big"], "92233720368547758.07");
  EXPECT_EQ(Money::parse((*j)["Big"].get<std::string>(), "USD")->minor_units(), INT64_MAX);
  EXPECT_EQ((*j)["Rate"], "1e-3");
  EXPECT_TRUE((*j)["Qty"].is_number_integer());
  EXPECT_EQ((*j)["Qty"], 3);
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

TEST(JsonRecord, ReleaseLeavesNullAndKeepsOtherValuesWhole) {
  nlohmann::json record = nlohmann::json::parse(
      R"({"EDI_DC40": {"DOCNUM": "1"}, "E1EDP01": [{"E1EDP26": [{"BETRG": "1.00"}]}, []], "n": 3})");
  nlohmann::json kept = record["E1EDP01"][0];  // a copy is not touched
  release_json(record);
  EXPECT_TRUE(record.is_null());
  EXPECT_EQ(kept["E1EDP26"][0]["BETRG"], "1.00");
  nlohmann::json scalar = "text";
  release_json(scalar);
  EXPECT_TRUE(scalar.is_null());
}

// Far deeper than the call stack would allow recursing through: the levels
// below the first 64 are left to the library's iterative destructor.
TEST(JsonRecord, ReleaseOfADeepTreeDoesNotRecurseThroughIt) {
  nlohmann::json deep = nlohmann::json::object();
  nlohmann::json* at = &deep;
  for (int i = 0; i < 200000; ++i) {
    nlohmann::json& child = (*at)[i % 2 == 0 ? "a" : "b"];
    child = i % 3 == 0 ? nlohmann::json::array({nlohmann::json::object()}) : nlohmann::json::object();
    at = child.is_array() ? &child[0] : &child;
  }
  release_json(deep);
  EXPECT_TRUE(deep.is_null());
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
  EXPECT_EQ((*good)["Name"], "M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x98\x80");
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
