// A record's JSON: parsing it into an arsync::Record without letting money
// pass through a double.
//
// Records that arrive as JSON (API payloads, `arsync mapping test` inputs)
// are parsed here, and only here: every number is kept as the text the
// sender wrote ("1190.10", "1e2", "-0.00"), which Money::parse and the
// mapping's decimal transform then read exactly.
//
// Thread safety: no shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "arsync/model/status.h"
#include "arsync/record.h"

namespace arsync {

// How deeply a record's objects and arrays may nest. Real payloads stay far
// below it; a hostile one (50,000 levels) would otherwise exhaust the stack
// of whatever walks it recursively.
inline constexpr std::size_t kMaxJsonDepth = 512;

// The Record of `text` (JSON; comments allowed; members kept in order,
// duplicate keys kept). kParseError naming `source` and the parser's
// position and message when it is not valid JSON (truncated, a syntax
// error), the byte offset when it is not UTF-8 or nests deeper than
// kMaxJsonDepth.
Result<Record> parse_json_record(std::string_view text, const std::string& source);

}  // namespace arsync
