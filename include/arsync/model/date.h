// Calendar dates and UTC instants.
//
// A Date is std::chrono::year_month_day (no time zone: an invoice date is a
// calendar day). An Instant is a UTC time point. Text forms are ISO 8601.
//
// Thread safety: free functions over values.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "arsync/model/status.h"

namespace arsync {

using Date = std::chrono::year_month_day;
using Instant = std::chrono::sys_seconds;

// "2026-11-25" or "20261125". kParseError naming the text for anything else,
// including impossible dates (2026-02-30).
Result<Date> parse_date(std::string_view text);
std::string format_date(const Date& d);  // "2026-11-25"

// "2026-11-25T10:00:00Z" (also accepts "+00:00" and fractional seconds, and
// an offset such as "-08:00", converted to UTC).
Result<Instant> parse_instant(std::string_view text);
std::string format_instant(Instant t);  // "2026-11-25T10:00:00Z"

// Days from a to b (b - a), negative when b is earlier.
int days_between(const Date& a, const Date& b);

}  // namespace arsync
