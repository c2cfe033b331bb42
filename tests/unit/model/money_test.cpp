#include "arsync/model/money.h"

#include <gtest/gtest.h>

namespace arsync {
namespace {

Money parse_ok(std::string_view text, std::string_view currency) {
  Result<Money> m = Money::parse(text, currency);
  EXPECT_TRUE(m.is_ok()) << text << " " << currency << ": " << m.status().to_string();
  return m.is_ok() ? *m : Money();
}

std::string parse_error(std::string_view text, std::string_view currency) {
  Result<Money> m = Money::parse(text, currency);
  EXPECT_FALSE(m.is_ok()) << text << " parsed as " << (m ? m->to_decimal() : "");
  return m.status().to_string();
}

TEST(MoneyParse, UsdTwoDecimals) {
  EXPECT_EQ(parse_ok("1250.00", "USD").minor_units(), 125000);
  EXPECT_EQ(parse_ok("1250.5", "USD").minor_units(), 125050);
  EXPECT_EQ(parse_ok("1250", "USD").minor_units(), 125000);
  EXPECT_EQ(parse_ok(".07", "USD").minor_units(), 7);
  EXPECT_EQ(parse_ok("  42.10 ", "USD").minor_units(), 4210);
}

TEST(MoneyParse, SapTrailingMinus) {
  EXPECT_EQ(parse_ok("1250.00-", "EUR").minor_units(), -125000);
  EXPECT_EQ(parse_ok("  17.5- ", "EUR").minor_units(), -1750);
}

TEST(MoneyParse, LeadingSigns) {
  EXPECT_EQ(parse_ok("-3.20", "USD").minor_units(), -320);
  EXPECT_EQ(parse_ok("+3.20", "USD").minor_units(), 320);
  EXPECT_NE(parse_error("-3.20-", "USD").find("two signs"), std::string::npos);
}

TEST(MoneyParse, JpyHasNoMinorUnit) {
  EXPECT_EQ(parse_ok("125000", "JPY").minor_units(), 125000);
  // SAP often writes JPY with two zero decimals: exact, so accepted.
  EXPECT_EQ(parse_ok("125000.00", "JPY").minor_units(), 125000);
  EXPECT_NE(parse_error("125000.5", "JPY").find("too many decimals for JPY (at most 0)"),
            std::string::npos);
}

TEST(MoneyParse, KwdHasThreeDecimals) {
  EXPECT_EQ(parse_ok("12.345", "KWD").minor_units(), 12345);
  EXPECT_EQ(parse_ok("12.3", "KWD").minor_units(), 12300);
  EXPECT_EQ(parse_ok("12.345", "KWD").to_decimal(), "12.345");
  EXPECT_NE(parse_error("12.3456", "KWD").find("too many decimals"), std::string::npos);
}

TEST(MoneyParse, TooManyDecimalsIsRefused) {
  std::string err = parse_error("10.001", "USD");
  EXPECT_EQ(err, "parse error: invalid amount '10.001': too many decimals for USD (at most 2)");
}

TEST(MoneyParse, OverflowIsRefused) {
  EXPECT_EQ(parse_ok("92233720368547758.07", "USD").minor_units(), INT64_MAX);
  EXPECT_NE(parse_error("92233720368547758.08", "USD").find("amount too large"), std::string::npos);
  EXPECT_NE(parse_error("99999999999999999999", "JPY").find("amount too large"), std::string::npos);
  // Scaling up by the exponent can overflow too.
  EXPECT_NE(parse_error("922337203685477581", "USD").find("amount too large"), std::string::npos);
}

TEST(MoneyParse, GarbageIsRefused) {
  EXPECT_NE(parse_error("", "USD").find("no digits"), std::string::npos);
  EXPECT_NE(parse_error("-", "USD").find("no digits"), std::string::npos);
  EXPECT_NE(parse_error(".", "USD").find("no digits"), std::string::npos);
  EXPECT_NE(parse_error("1,250.00", "USD").find("unexpected character ','"), std::string::npos);
  EXPECT_NE(parse_error("1.2.3", "USD").find("more than one decimal point"), std::string::npos);
  EXPECT_NE(parse_error("12e3", "USD").find("unexpected character 'e'"), std::string::npos);
}

TEST(MoneyParse, UnknownCurrencyIsRefused) {
  std::string err = parse_error("10.00", "XYZ");
  EXPECT_NE(err.find("unknown currency code 'XYZ'"), std::string::npos) << err;
  EXPECT_FALSE(Money::parse("10", "usd").is_ok());  // codes are upper case
}

TEST(MoneyFormat, DecimalAndDisplay) {
  EXPECT_EQ(parse_ok("-0.05", "USD").to_decimal(), "-0.05");
  EXPECT_EQ(parse_ok("1234567.8", "EUR").to_display(), "1,234,567.80 EUR");
  EXPECT_EQ(parse_ok("-1000", "JPY").to_display(), "-1,000 JPY");
  EXPECT_EQ(Money(INT64_MIN, *Currency::find("USD")).to_decimal(), "-92233720368547758.08");
}

TEST(MoneyArithmetic, CheckedPlusMinus) {
  Money a = parse_ok("10.50", "USD");
  Money b = parse_ok("0.75", "USD");
  EXPECT_EQ(a.plus(b)->minor_units(), 1125);
  EXPECT_EQ(a.minus(b)->minor_units(), 975);
  EXPECT_FALSE(a.plus(parse_ok("1", "EUR")).is_ok());
  EXPECT_FALSE(Money(INT64_MAX, a.currency()).plus(Money(1, a.currency())).is_ok());
}

}  // namespace
}  // namespace arsync
