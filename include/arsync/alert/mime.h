// The MIME pieces of an email, kept apart from what the email says: header
// sanitising and RFC 2047 encoded-words, quoted-printable bodies, RFC 5322
// dates. Decoders exist so that tests (and `arsync mail show`) can check what
// a mail client would see.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "arsync/model/date.h"

namespace arsync::alert {

// Makes `text` safe for a header value: invalid UTF-8 bytes become U+FFFD,
// C0/C1 control characters (CR, LF, NUL, TAB, NEL...), DEL and the Unicode
// line/paragraph separators become a space. Never returns CR, LF or NUL.
std::string sanitize_header_text(std::string_view text);

// One header field, "<name>: <value>" and CRLF, folded (RFC 5322 2.2.3):
// CRLF is put before a space wherever the line would pass 78 characters,
// never before the first word. A run without spaces longer than a line
// stays whole (callers keep such runs under 998: addresses, Message-IDs,
// encoded-words), so a Message-ID with a long host name may pass 78. `value` must already be
// safe (no CR, LF or NUL).
std::string header_field(std::string_view name, std::string_view value);

// The header field for unstructured text (Subject), "<name>: <value>" and
// CRLF, the one way text from data becomes a header: sanitised first; plain
// ASCII without "=?" folded at spaces (header_field) when that keeps every
// line within 78 characters, otherwise RFC 2047 UTF-8 "B" encoded-words of
// 36 bytes each (60 characters, never splitting a UTF-8 sequence), one per
// line. No line passes 78 characters as long as `name` has at most 16.
// decode_header_text() of the value gives back the sanitised text.
std::string unstructured_header_field(std::string_view name, std::string_view text);

// Unfolds (removes CRLF before white space) and decodes RFC 2047 encoded-
// words (B and Q, any charset label; bytes are returned as they are).
// Malformed words are left as they are.
std::string decode_header_text(std::string_view value);

// Quoted-printable (RFC 2045) of UTF-8 text whose lines end in "\n" or
// "\r\n": output lines end in CRLF and are at most 76 characters; '=' and
// bytes outside printable ASCII are encoded, so is trailing white space and
// a '.' starting a line. The output never contains "=_".
std::string encode_quoted_printable(std::string_view text);
std::string decode_quoted_printable(std::string_view encoded);

// "Wed, 25 Nov 2026 11:36:40 +0000" (RFC 5322 date-time, UTC).
std::string format_rfc5322_date(Instant t);

}  // namespace arsync::alert
