// Instants as QuickBooks Online writes and reads them. Entities carry
// MetaData times to the second with the company's UTC offset
// ("2015-07-24T10:33:39-07:00"), response envelopes add milliseconds
// ("2015-07-24T10:33:39.110-07:00"), webhooks use a colon-less offset
// ("2015-10-05T14:42:19-0700"). Instants here are UTC epoch milliseconds.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace arsync::emulators::quickbooks {

// The emulated company's UTC offset in minutes (Pacific Standard Time, as a
// sandbox company in December).
inline constexpr int kCompanyOffsetMinutes = -8 * 60;

std::string format_entity_time(int64_t epoch_ms);    // 2015-07-24T10:33:39-08:00
std::string format_response_time(int64_t epoch_ms);  // 2015-07-24T10:33:39.110-08:00
std::string format_webhook_time(int64_t epoch_ms);   // 2015-07-24T10:33:39-0800
std::string format_date(int64_t epoch_ms);           // 2015-07-24, in the company's zone

// Parses YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM|-HH:MM|+HHMM]; a value
// without an offset is in the company's zone. Returns nullopt if malformed.
std::optional<int64_t> parse_instant(std::string_view text);

int64_t now_ms();

}  // namespace arsync::emulators::quickbooks
