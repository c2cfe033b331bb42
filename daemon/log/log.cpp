#include "arsync/log/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "arsync/model/clock.h"

namespace arsync::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mutex;

constexpr std::string_view kNames[] = {"debug", "info", "warning", "error"};
constexpr int kSyslogPriority[] = {7, 6, 4, 3};

bool under_journald() {
  static const bool yes = std::getenv("JOURNAL_STREAM") != nullptr;
  return yes;
}

}  // namespace

void set_level(Level level) { g_level = static_cast<int>(level); }
Level level() { return static_cast<Level>(g_level.load()); }

bool parse_level(std::string_view text, Level* out) {
  for (int i = 0; i < 4; ++i) {
    if (kNames[i] == text) {
      *out = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

namespace {

// The length of the well-formed UTF-8 sequence at value[i] (1 to 4) with its
// code point in *cp, or 0 when the bytes there are not one (a stray
// continuation byte, a truncated or overlong sequence, a surrogate, beyond
// U+10FFFF).
std::size_t utf8_sequence(std::string_view value, std::size_t i, char32_t* cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(value[k]); };
  const unsigned char lead = byte(i);
  std::size_t len = 0;
  char32_t min = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    len = 2, min = 0x80, *cp = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    len = 3, min = 0x800, *cp = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    len = 4, min = 0x10000, *cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + len > value.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    *cp = (*cp << 6) | (byte(i + k) & 0x3f);
  }
  if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) return 0;
  return len;
}

// Code points that some terminals and log viewers take as a line break or
// a control: C1 controls (NEL is U+0085) and the line and paragraph
// separators.
bool is_unicode_control(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

}  // namespace

// A value is written as it is unless it holds a space, '=', '"', a control
// character or bytes that are not well-formed UTF-8; then it is quoted, and
// inside the quotes '"' and '\\' are escaped, controls become \n, \r, \t,
// \xNN or \uNNNN, and each byte of a malformed sequence becomes \xNN. So a
// value can neither end its line nor look like another field, and the line is
// valid UTF-8 whatever a record held.
std::string format_value(std::string_view value) {
  bool quote = value.empty();
  for (std::size_t i = 0; i < value.size() && !quote;) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      quote = c == ' ' || c == '"' || c == '=' || c < 0x20 || c == 0x7f;
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = utf8_sequence(value, i, &cp);
    quote = len == 0 || is_unicode_control(cp);
    i += len;
  }
  if (!quote) return std::string(value);

  std::string out = "\"";
  char buf[8];
  for (std::size_t i = 0; i < value.size();) {
    const char ch = value[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      char32_t cp = 0;
      const std::size_t len = utf8_sequence(value, i, &cp);
      if (len == 0) {
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
        ++i;
      } else if (is_unicode_control(cp)) {
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
        out += buf;
        i += len;
      } else {
        out.append(value, i, len);
        i += len;
      }
      continue;
    }
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

void write(Level lvl, std::string_view system, std::string_view event,
           std::initializer_list<Field> fields) {
  if (static_cast<int>(lvl) < g_level.load()) return;
  const int idx = static_cast<int>(lvl);
  std::string line;
  if (under_journald()) {
    line += '<';
    line += std::to_string(kSyslogPriority[idx]);
    line += '>';
  } else {
    line += format_instant(SystemClock().now());
    line += ' ';
  }
  line += "level=";
  line += kNames[idx];
  if (!system.empty()) {
    line += " system=";
    line += format_value(system);
  }
  line += " event=";
  line += format_value(event);
  for (const Field& f : fields) {
    line += ' ';
    line += f.first;
    line += '=';
    line += format_value(f.second);
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace arsync::log
