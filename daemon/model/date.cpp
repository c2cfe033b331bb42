#include "arsync/model/date.h"

#include <cstdio>

namespace arsync {
namespace {

bool read_int(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

Status bad_date(std::string_view text, const char* expected) {
  return Status(ErrorCode::kParseError,
                "invalid date '" + std::string(text) + "' (expected " + expected + ")");
}

}  // namespace

Result<Date> parse_date(std::string_view text) {
  int y = 0, m = 0, d = 0;
  bool ok = false;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    ok = read_int(text, 0, 4, y) && read_int(text, 5, 2, m) && read_int(text, 8, 2, d);
  } else if (text.size() == 8) {
    ok = read_int(text, 0, 4, y) && read_int(text, 4, 2, m) && read_int(text, 6, 2, d);
  }
  if (!ok) return bad_date(text, "YYYY-MM-DD or YYYYMMDD");
  Date date{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
            std::chrono::day(static_cast<unsigned>(d))};
  if (!date.ok()) return bad_date(text, "a real calendar day");
  return date;
}

std::string format_date(const Date& d) {
  const int year = static_cast<int>(d.year());
  const auto month = static_cast<unsigned>(d.month());
  const auto day = static_cast<unsigned>(d.day());
  if (year >= 0 && year <= 9999 && month <= 99 && day <= 99) {  // the usual case, without printf
    std::string out = "0000-00-00";
    out[0] = static_cast<char>('0' + year / 1000);
    out[1] = static_cast<char>('0' + year / 100 % 10);
    out[2] = static_cast<char>('0' + year / 10 % 10);
    out[3] = static_cast<char>('0' + year % 10);
    out[5] = static_cast<char>('0' + month / 10);
    out[6] = static_cast<char>('0' + month % 10);
    out[8] = static_cast<char>('0' + day / 10);
    out[9] = static_cast<char>('0' + day % 10);
    return out;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

Result<Instant> parse_instant(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)
  if (text.size() < 19 || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':') {
    return Status(ErrorCode::kParseError,
                  "invalid timestamp '" + std::string(text) +
                      "' (expected ISO 8601 such as 2026-11-25T10:00:00Z)");
  }
  Result<Date> date = parse_date(text.substr(0, 10));
  if (!date) return date.status();
  int hh = 0, mm = 0, ss = 0;
  if (!read_int(text, 11, 2, hh) || !read_int(text, 14, 2, mm) ||
      !read_int(text, 17, 2, ss) || hh > 23 || mm > 59 || ss > 60) {
    return Status(ErrorCode::kParseError, "invalid time in '" + std::string(text) + "'");
  }
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  }
  int offset_minutes = 0;
  std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone.empty()) {
    offset_minutes = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh = 0, om = 0;
    if (!read_int(zone, 1, 2, oh) || !read_int(zone, 4, 2, om)) {
      return Status(ErrorCode::kParseError, "invalid UTC offset in '" + std::string(text) + "'");
    }
    offset_minutes = (oh * 60 + om) * (zone[0] == '-' ? -1 : 1);
  } else {
    return Status(ErrorCode::kParseError, "invalid UTC offset in '" + std::string(text) + "'");
  }
  Instant t = std::chrono::sys_days(*date) + std::chrono::hours(hh) +
              std::chrono::minutes(mm) + std::chrono::seconds(ss);
  return t - std::chrono::minutes(offset_minutes);
}

std::string format_instant(Instant t) {
  auto day = std::chrono::floor<std::chrono::days>(t);
  Date d{day};
  std::chrono::hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02dZ", format_date(d).c_str(),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

int days_between(const Date& a, const Date& b) {
  return static_cast<int>((std::chrono::sys_days(b) - std::chrono::sys_days(a)).count());
}

}  // namespace arsync
