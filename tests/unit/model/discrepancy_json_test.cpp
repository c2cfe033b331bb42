// The JSON that scripts read: money as exact decimal text with its currency,
// and text that is not UTF-8 printed, not thrown.
#include "arsync/model/discrepancy_json.h"

#include <gtest/gtest.h>

namespace arsync {
namespace {

Money money(const char* text, const char* code) { return *Money::parse(text, code); }

TEST(DiscrepancyJson, MoneyIsDecimalTextInTheCurrencysExponent) {
  EXPECT_EQ(money_json(money("2380", "EUR")).dump(), R"({"amount":"2380.00","currency":"EUR"})");
  EXPECT_EQ(money_json(money("1234567", "JPY")).dump(), R"({"amount":"1234567","currency":"JPY"})");
  EXPECT_EQ(money_json(money("-1234.5", "KWD")).dump(), R"({"amount":"-1234.500","currency":"KWD"})");
  EXPECT_EQ(money_json(money("1250.00-", "USD")).dump(), R"({"amount":"-1250.00","currency":"USD"})");
  EXPECT_TRUE(money_json(Money()).is_null());
}

TEST(DiscrepancyJson, DetailsDisplayTextBecomesDecimalText) {
  const nlohmann::json stored = {
      {"sap-ecc", {{"amount", "2,380.00 EUR"}, {"open_amount", "-1,000,000.50 EUR"},
                   {"currency", "EUR"}, {"customer_name", "1,000.00 EUR"}}},
      {"difference", "90.00 EUR"},
      {"shortfall", "1,234,567 JPY"},
      {"settled_by", {"payment 1 (P1): 1,100.00 EUR"}},
      {"missing_in", "sap-s4"}};
  const nlohmann::json out = money_details(stored);
  EXPECT_EQ(out["sap-ecc"]["amount"], "2380.00");
  EXPECT_EQ(out["sap-ecc"]["open_amount"], "-1000000.50");
  EXPECT_EQ(out["sap-ecc"]["currency"], "EUR");
  EXPECT_EQ(out["sap-ecc"]["customer_name"], "1,000.00 EUR");  // not a money key
  EXPECT_EQ(out["difference"].dump(), R"({"amount":"90.00","currency":"EUR"})");
  EXPECT_EQ(out["shortfall"].dump(), R"({"amount":"1234567","currency":"JPY"})");
  EXPECT_EQ(out["settled_by"], stored["settled_by"]);  // lines for people stay text
  EXPECT_EQ(out["missing_in"], "sap-s4");
}

TEST(DiscrepancyJson, TextThatIsNotExactDisplayMoneyStaysAsItIs) {
  for (const char* text : {"overflow", "2380.00 EUR", "23,80.00 EUR", "2,380.0 EUR",
                           "2,380.00 EUX", "2,380.001 EUR", "", "EUR"}) {
    const nlohmann::json out = money_details({{"difference", text}});
    EXPECT_EQ(out["difference"], text) << text;
  }
}

TEST(DiscrepancyJson, BytesThatAreNotUtf8PrintAsReplacementCharacters) {
  Discrepancy d;
  d.id = 7;
  d.owner = "J\xE9r\xF4me";
  d.finding.summary = "caf\xE9";
  d.finding.details = nlohmann::json::object();
  const std::string text = dump_for_output(to_json(d), -1);
  EXPECT_NE(text.find(R"("owner":"J)" "\xEF\xBF\xBD" "r" "\xEF\xBF\xBD" R"(me")"), std::string::npos)
      << text;
  EXPECT_NE(text.find("\"summary\":\"caf\xEF\xBF\xBD\""), std::string::npos) << text;
}

}  // namespace
}  // namespace arsync
