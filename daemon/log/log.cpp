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

std::string format_value(std::string_view value) {
  bool quote = value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) quote = true;
  }
  if (!quote) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
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
