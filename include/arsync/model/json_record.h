// A record's JSON: parsing it without letting money pass through a double,
// and freeing it.
//
// nlohmann::json stores a number with a fraction or exponent as a double, so
// "1190.10" would reach the mapping as the nearest binary fraction. Records
// (API payloads, `arsync mapping test` inputs) are parsed here instead: such
// numbers are kept as the exact text the sender wrote ("1190.10"), which
// Money::parse then reads exactly. Integers stay integers (exact in int64).
//
// Thread safety: no shared state; each value is used by one thread at a time.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "arsync/model/status.h"

namespace arsync {

// How deeply a record's objects and arrays may nest. Real payloads stay far
// below it; a hostile one (50,000 levels) would otherwise exhaust the stack
// of whatever walks it recursively.
inline constexpr std::size_t kMaxJsonDepth = 512;

// The JSON value of `text` (comments allowed). kParseError naming `source`
// and the parser's position and message when it is not valid JSON, the byte
// offset when it is not UTF-8 or nests deeper than kMaxJsonDepth.
Result<nlohmann::json> parse_json_record(std::string_view text, const std::string& source);

// The byte offset of the first byte of `text` that does not start a
// well-formed UTF-8 sequence (overlong forms, surrogates and code points past
// U+10FFFF are not), or std::nullopt when all of it is UTF-8.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

// Frees a record's JSON and leaves `value` null. The same as assigning null,
// but cheaper for a tree of small objects: containers are emptied from the
// leaves up, where the library's destructor first moves every value of the
// tree onto a heap stack, one at a time (which protects a deep tree from
// running out of call stack; below 64 levels this hands over to it).
void release_json(nlohmann::json& value);

}  // namespace arsync
