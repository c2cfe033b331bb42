// UTF-8 validation, written once for every edge that checks text: records
// from connectors and JSON sources, command-line values, mail headers.
//
// "Valid" follows RFC 3629: overlong forms, surrogates (U+D800..U+DFFF) and
// code points past U+10FFFF are not UTF-8.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace arsync {

// Length (1..4) of the well-formed UTF-8 sequence starting at text[i], or 0
// when the bytes there do not start one (including a sequence cut short by
// the end of `text`). Requires i < text.size().
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// As utf8_sequence_length(), also giving the sequence's code point in `cp`
// (left unspecified when it returns 0).
std::size_t utf8_sequence(std::string_view text, std::size_t i, char32_t& cp);

// The offset of the first byte of `text` that does not start a well-formed
// sequence, or std::string_view::npos when all of it is UTF-8. Runs of ASCII
// are checked eight bytes at a time.
std::size_t first_invalid_utf8(std::string_view text);

}  // namespace arsync
