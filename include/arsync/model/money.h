// Money: an exact amount in integer minor units plus its ISO 4217 currency.
//
// There is no floating point anywhere on a money path. Decimal text is parsed
// exactly: "1250.00", "-1250.00", SAP's trailing minus "1250.00-", "+3".
// Parsing refuses, with a clear error, text that is not a plain decimal, more
// significant decimals than the currency has (12.345 USD), and values that do
// not fit in int64 minor units.
//
// Thread safety: immutable value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "arsync/model/currency.h"
#include "arsync/model/status.h"

namespace arsync {

class Money {
 public:
  Money() = default;  // zero with no currency
  Money(std::int64_t minor_units, Currency currency)
      : minor_(minor_units), currency_(currency) {}

  // Parses decimal text in `currency`. Accepted: optional leading '+'/'-' or
  // a trailing '-', digits, optional '.' and decimals. Decimals beyond the
  // currency's exponent are accepted only when they are zeros ("100.00" JPY).
  // Surrounding spaces are ignored. Errors are kParseError naming the text.
  static Result<Money> parse(std::string_view text, Currency currency);
  // As above, looking the currency code up first (kInvalidArgument if unknown).
  static Result<Money> parse(std::string_view text, std::string_view currency_code);

  std::int64_t minor_units() const { return minor_; }
  const Currency& currency() const { return currency_; }
  bool is_zero() const { return minor_ == 0; }
  bool is_negative() const { return minor_ < 0; }

  // Plain decimal text with the currency's decimals: "-1250.00", "1000" (JPY).
  std::string to_decimal() const;
  // "1,250.00 USD": for people (emails, CLI).
  std::string to_display() const;

  // Checked arithmetic: kInvalidArgument on currency mismatch or overflow.
  Result<Money> plus(const Money& other) const;
  Result<Money> minus(const Money& other) const;
  Money negated() const { return Money(-minor_, currency_); }
  Money abs() const { return minor_ < 0 ? negated() : *this; }

  friend bool operator==(const Money& a, const Money& b) {
    return a.minor_ == b.minor_ && a.currency_ == b.currency_;
  }

 private:
  std::int64_t minor_ = 0;
  Currency currency_;
};

}  // namespace arsync
