// Fuzz target: the text parsers every amount and date of a record goes
// through: Money::parse (in JPY, USD, KWD and in the currency the input's
// first three bytes name), parse_date and parse_instant.
//
// Checked besides memory and undefined behaviour (money.h, date.h):
// - an accepted amount is exact: its decimal text parses back to the same
//   Money, and its magnitude matches the digits of the input;
// - display text and negation never overflow;
// - an accepted date is a real calendar day and formats back to itself in
//   the ISO form; an accepted instant formats and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "arsync/model/date.h"
#include "arsync/model/money.h"
#include "invariants.h"

namespace {

using namespace arsync;

void check_money(std::string_view text, const Currency& currency) {
  Result<Money> m = Money::parse(text, currency);
  if (!m) {
    ARSYNC_FUZZ_CHECK(m.status().code() == ErrorCode::kParseError, m.status().to_string());
    return;
  }
  const std::string decimal = m->to_decimal();
  Result<Money> again = Money::parse(decimal, currency);
  ARSYNC_FUZZ_CHECK(again.is_ok() && *again == *m,
                    "'" + std::string(text) + "' -> '" + decimal + "' in " +
                        std::string(currency.code()));
  (void)m->to_display();
  // Whatever digits were given, the sign is where the text put it.
  const bool minus = text.find('-') != std::string_view::npos;
  ARSYNC_FUZZ_CHECK(m->is_zero() || m->is_negative() == minus,
                    "'" + std::string(text) + "' -> " + decimal);
  (void)m->plus(*m);
  (void)m->minus(*m);
}

void check_dates(std::string_view text) {
  if (Result<Date> d = parse_date(text)) {
    ARSYNC_FUZZ_CHECK(d->ok(), std::string(text));
    const std::string iso = format_date(*d);
    Result<Date> again = parse_date(iso);
    ARSYNC_FUZZ_CHECK(again.is_ok() && *again == *d, "'" + std::string(text) + "' -> " + iso);
    (void)days_between(*d, *again);
  }
  if (Result<Instant> t = parse_instant(text)) {
    const std::string iso = format_instant(*t);
    const Date day{std::chrono::floor<std::chrono::days>(*t)};
    // An offset can move 0000-01-01 or 9999-12-31 out of the four-digit
    // years that the ISO form (and parse_date) covers.
    if (day.year() >= std::chrono::year(0) && day.year() <= std::chrono::year(9999)) {
      Result<Instant> again = parse_instant(iso);
      ARSYNC_FUZZ_CHECK(again.is_ok() && *again == *t, "'" + std::string(text) + "' -> " + iso);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Currency kCurrencies[] = {*Currency::find("JPY"), *Currency::find("USD"),
                                         *Currency::find("KWD")};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const Currency& c : kCurrencies) check_money(text, c);
  if (text.size() >= 3) {
    if (Result<Currency> named = Currency::find(text.substr(0, 3))) {
      check_money(text.substr(3), *named);
    }
  }
  check_dates(text);
  return 0;
}
