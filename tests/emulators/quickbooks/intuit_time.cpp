#include "intuit_time.h"

#include <chrono>
#include <cstdio>

namespace arsync::emulators::quickbooks {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;

struct Civil {
  int y, m, d, hh, mm, ss, ms;
};

Civil to_civil(int64_t local_ms) {
  int64_t days = local_ms >= 0 ? local_ms / kMsPerDay : (local_ms - kMsPerDay + 1) / kMsPerDay;
  int64_t rem = local_ms - days * kMsPerDay;
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  Civil c{};
  c.y = static_cast<int>(ymd.year());
  c.m = static_cast<int>(static_cast<unsigned>(ymd.month()));
  c.d = static_cast<int>(static_cast<unsigned>(ymd.day()));
  c.hh = static_cast<int>(rem / 3'600'000);
  c.mm = static_cast<int>(rem / 60'000 % 60);
  c.ss = static_cast<int>(rem / 1000 % 60);
  c.ms = static_cast<int>(rem % 1000);
  return c;
}

std::string format(int64_t epoch_ms, bool millis, bool colon) {
  const Civil c = to_civil(epoch_ms + int64_t{kCompanyOffsetMinutes} * 60'000);
  const int off = kCompanyOffsetMinutes < 0 ? -kCompanyOffsetMinutes : kCompanyOffsetMinutes;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", c.y, c.m, c.d, c.hh,
                        c.mm, c.ss);
  if (millis) n += std::snprintf(buf + n, sizeof buf - n, ".%03d", c.ms);
  std::snprintf(buf + n, sizeof buf - n, colon ? "%c%02d:%02d" : "%c%02d%02d",
                kCompanyOffsetMinutes < 0 ? '-' : '+', off / 60, off % 60);
  return buf;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::string format_entity_time(int64_t epoch_ms) { return format(epoch_ms, false, true); }
std::string format_response_time(int64_t epoch_ms) { return format(epoch_ms, true, true); }
std::string format_webhook_time(int64_t epoch_ms) { return format(epoch_ms, false, false); }

std::string format_date(int64_t epoch_ms) { return format_entity_time(epoch_ms).substr(0, 10); }

std::optional<int64_t> parse_instant(std::string_view s) {
  int y, mo, d, hh = 0, mi = 0, ss = 0, ms = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) ||
      s[7] != '-' || !digits(s, 8, 2, d))
    return std::nullopt;
  size_t p = 10;
  if (p < s.size() && (s[p] == 'T' || s[p] == ' ')) {
    if (!digits(s, p + 1, 2, hh) || p + 3 >= s.size() || s[p + 3] != ':' ||
        !digits(s, p + 4, 2, mi))
      return std::nullopt;
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!digits(s, p + 1, 2, ss)) return std::nullopt;
      p += 3;
      if (p < s.size() && s[p] == '.') {
        ++p;
        int scale = 100;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
          ms += (s[p] - '0') * scale;
          scale /= 10;
          ++p;
        }
      }
    }
  }
  int offset_min = kCompanyOffsetMinutes;
  if (p < s.size()) {
    if (s[p] == 'Z' && p + 1 == s.size()) {
      offset_min = 0;
    } else if (s[p] == '+' || s[p] == '-' || s[p] == ' ') {
      // A ' ' is a '+' that a form decoder turned into a space.
      const int sign = s[p] == '-' ? -1 : 1;
      int oh, om;
      if (!digits(s, p + 1, 2, oh)) return std::nullopt;
      size_t q = p + 3;
      if (q < s.size() && s[q] == ':') ++q;
      if (!digits(s, q, 2, om) || q + 2 != s.size()) return std::nullopt;
      offset_min = sign * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || hh > 23 || mi > 59 || ss > 60) return std::nullopt;
  const int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return days * kMsPerDay + (hh * 3600 + mi * 60 + ss) * int64_t{1000} + ms -
         int64_t{offset_min} * 60'000;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace arsync::emulators::quickbooks
