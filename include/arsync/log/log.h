// Logging to stderr in a form journald keeps: one line per event,
// "level=info system=sap-ecc event=batch_committed records=500 ...".
// Under systemd (JOURNAL_STREAM set) each line starts with the syslog
// priority prefix "<N>" so journald records the level.
//
// Values are quoted when they contain spaces, '=', quotes, control
// characters or bytes that are not UTF-8; inside quotes those are escaped
// (format_value), so a record's content can never forge a log line or field.
// Secrets must never be passed here.
//
// Thread safety: log() may be called from any thread; lines do not interleave.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace arsync::log {

enum class Level { kDebug = 0, kInfo, kWarning, kError };

// Lines below `level` are dropped. Default: kInfo.
void set_level(Level level);
Level level();
// Whether lines at `lvl` are written: callers on hot paths test it before
// building the fields of a debug line.
inline bool enabled(Level lvl) { return static_cast<int>(lvl) >= static_cast<int>(level()); }
// "debug", "info", "warning", "error"; false if unknown.
bool parse_level(std::string_view text, Level* out);

using Field = std::pair<std::string_view, std::string>;

// Writes one line: level, system (may be empty), event, then the fields.
void write(Level level, std::string_view system, std::string_view event,
           std::initializer_list<Field> fields = {});

inline void info(std::string_view system, std::string_view event,
                 std::initializer_list<Field> fields = {}) {
  write(Level::kInfo, system, event, fields);
}
inline void warn(std::string_view system, std::string_view event,
                 std::initializer_list<Field> fields = {}) {
  write(Level::kWarning, system, event, fields);
}
inline void error(std::string_view system, std::string_view event,
                  std::initializer_list<Field> fields = {}) {
  write(Level::kError, system, event, fields);
}
inline void debug(std::string_view system, std::string_view event,
                  std::initializer_list<Field> fields = {}) {
  write(Level::kDebug, system, event, fields);
}

// Quotes/escapes one value as written in a log line (exposed for tests).
std::string format_value(std::string_view value);

}  // namespace arsync::log
