#include "arsync/model/money.h"

#include <limits>

namespace arsync {
namespace {

Status parse_error(std::string_view text, const std::string& why) {
  return Status(ErrorCode::kParseError,
                "invalid amount '" + std::string(text) + "': " + why);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<Money> Money::parse(std::string_view original, Currency currency) {
  if (currency.empty()) return parse_error(original, "no currency given");
  std::string_view s = trim(original);
  bool negative = false;
  if (!s.empty() && s.back() == '-') {  // SAP: "1250.00-"
    negative = true;
    s.remove_suffix(1);
    s = trim(s);
  }
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    if (negative) return parse_error(original, "two signs");
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return parse_error(original, "no digits");

  const int exponent = currency.exponent();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t value = 0;
  bool seen_point = false;
  bool seen_digit = false;
  int decimals = 0;
  for (char c : s) {
    if (c == '.') {
      if (seen_point) return parse_error(original, "more than one decimal point");
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return parse_error(original, std::string("unexpected character '") + c +
                                       "' (expected digits and one '.')");
    }
    seen_digit = true;
    if (seen_point) {
      ++decimals;
      if (decimals > exponent) {
        if (c != '0') {
          return parse_error(original,
                             "too many decimals for " + std::string(currency.code()) +
                                 " (at most " + std::to_string(exponent) + ")");
        }
        continue;
      }
    }
    const int digit = c - '0';
    if (value > (kMax - digit) / 10) {
      return parse_error(original, "amount too large");
    }
    value = value * 10 + digit;
  }
  if (!seen_digit) return parse_error(original, "no digits");
  for (int i = std::min(decimals, exponent); i < exponent; ++i) {
    if (value > kMax / 10) return parse_error(original, "amount too large");
    value *= 10;
  }
  return Money(negative ? -value : value, currency);
}

Result<Money> Money::parse(std::string_view text, std::string_view currency_code) {
  Result<Currency> c = Currency::find(currency_code);
  if (!c) return c.status();
  return parse(text, *c);
}

std::string Money::to_decimal() const {
  // Work on the unsigned magnitude so INT64_MIN prints correctly.
  unsigned long long mag = minor_ < 0 ? 0ULL - static_cast<unsigned long long>(minor_)
                                      : static_cast<unsigned long long>(minor_);
  std::string digits = std::to_string(mag);
  const int exponent = currency_.exponent();
  if (exponent > 0) {
    if (digits.size() <= static_cast<size_t>(exponent)) {
      digits.insert(0, static_cast<size_t>(exponent) + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - static_cast<size_t>(exponent), 1, '.');
  }
  if (minor_ < 0) digits.insert(0, 1, '-');
  return digits;
}

std::string Money::to_display() const {
  std::string dec = to_decimal();
  bool negative = !dec.empty() && dec[0] == '-';
  if (negative) dec.erase(0, 1);
  size_t point = dec.find('.');
  size_t int_end = point == std::string::npos ? dec.size() : point;
  std::string out;
  for (size_t i = 0; i < int_end; ++i) {
    if (i > 0 && (int_end - i) % 3 == 0) out += ',';
    out += dec[i];
  }
  out += dec.substr(int_end);
  if (negative) out.insert(0, 1, '-');
  if (!currency_.empty()) {
    out += ' ';
    out += currency_.code();
  }
  return out;
}

Result<Money> Money::plus(const Money& other) const {
  if (!(currency_ == other.currency_)) {
    return Status(ErrorCode::kInvalidArgument,
                  "cannot add " + std::string(other.currency_.code()) + " to " +
                      std::string(currency_.code()));
  }
  std::int64_t out = 0;
  if (__builtin_add_overflow(minor_, other.minor_, &out)) {
    return Status(ErrorCode::kInvalidArgument, "amount overflow");
  }
  return Money(out, currency_);
}

Result<Money> Money::minus(const Money& other) const {
  if (other.minor_ == std::numeric_limits<std::int64_t>::min()) {
    return Status(ErrorCode::kInvalidArgument, "amount overflow");
  }
  return plus(other.negated());
}

}  // namespace arsync
