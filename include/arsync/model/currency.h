// ISO 4217 currencies and their minor-unit exponents (JPY 0, USD 2, KWD 3).
//
// Thread safety: the table is immutable; Currency is a small value type.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "arsync/model/status.h"

namespace arsync {

class Currency {
 public:
  // An empty currency (code "", exponent 0): the value of a default Money.
  Currency() = default;

  // Looks up an ISO 4217 alphabetic code (upper case, exactly 3 letters).
  // Returns kInvalidArgument naming the code if it is not in the table.
  static Result<Currency> find(std::string_view code);

  std::string_view code() const { return std::string_view(code_.data(), len_); }
  // Number of digits after the decimal point in the minor unit.
  int exponent() const { return exponent_; }
  bool empty() const { return len_ == 0; }

  friend bool operator==(const Currency& a, const Currency& b) {
    return a.code() == b.code();
  }

 private:
  Currency(std::string_view code, int exponent);
  std::array<char, 4> code_{};
  unsigned char len_ = 0;
  signed char exponent_ = 0;
};

}  // namespace arsync
