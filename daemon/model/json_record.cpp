// One JSON parser for records: nlohmann's SAX parser, feeding a
// RecordBuilder. Its lexer hands a non-integer number (and an integer too
// large for 64 bits) over with the token's text, which is what the Record
// keeps; an integer's text is written back from its exact 64-bit value, which
// is the sender's digits (JSON allows no leading zeros or '+'; "-0" reads as
// "0", the same amount). The library is used for its strictness and tested
// error messages; a hand-written lexer would save the per-string copy the
// SAX interface makes, which no record source has yet needed.
#include "arsync/model/json_record.h"

#include <nlohmann/json.hpp>

#include "arsync/model/utf8.h"

namespace arsync {
namespace {

using json = nlohmann::json;

class RecordSax {
 public:
  explicit RecordSax(RecordBuilder& b) : b_(b) {}

  bool null() { return b_.null(), true; }
  bool boolean(bool v) { return b_.boolean(v), true; }
  bool number_integer(json::number_integer_t v) { return b_.number(std::to_string(v)), true; }
  bool number_unsigned(json::number_unsigned_t v) { return b_.number(std::to_string(v)), true; }
  bool number_float(json::number_float_t, const json::string_t& text) {
    return b_.number(text), true;
  }
  bool string(json::string_t& v) { return b_.string(v), true; }
  bool binary(json::binary_t&) { return false; }  // not produced by the JSON lexer
  bool start_object(std::size_t) { return b_.begin_object(), true; }
  bool key(json::string_t& k) { return b_.key(k), true; }
  bool end_object() { return b_.end(), true; }
  bool start_array(std::size_t) { return b_.begin_array(), true; }
  bool end_array() { return b_.end(), true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  RecordBuilder& b_;
  std::string error_;
};

Status not_utf8(std::size_t offset, const std::string& source) {
  return Status(ErrorCode::kParseError,
                "input is not valid UTF-8 at byte " + std::to_string(offset) +
                    ": save the record as UTF-8",
                Location::in_file(source));
}

// Before the parser sees it: text that is not UTF-8 or nests deeper than
// kMaxJsonDepth is refused with the byte offset where it goes wrong, so that
// no later step (the mapping, the JSON writer, a walk) meets it. One pass
// does both: UTF-8 runs are checked in bulk between the bytes that matter to
// nesting.
Status prescan(std::string_view text, const std::string& source) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const std::size_t n = utf8_sequence_length(text, i);
      if (n == 0) return not_utf8(i, source);
      i += n;
      continue;
    }
    if (in_string) {
      if (c == '\\') {
        // The escaped character is ASCII in valid JSON; a byte >= 0x80 here
        // is still checked on the next round.
        i += (i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0x80) ? 2 : 1;
        continue;
      }
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '/' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '*')) {
      // Comments: skipped, but still checked as UTF-8.
      const bool line = text[i + 1] == '/';
      std::size_t end = text.find(line ? "\n" : "*/", i + 2);
      if (end == std::string_view::npos) end = text.size();
      if (std::size_t bad = first_invalid_utf8(text.substr(i + 2, end - i - 2));
          bad != std::string_view::npos) {
        return not_utf8(i + 2 + bad, source);
      }
      i = end;
      continue;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        return Status(ErrorCode::kParseError,
                      "input nests deeper than " + std::to_string(kMaxJsonDepth) +
                          " levels at byte " + std::to_string(i) +
                          " (the limit for a record's JSON)",
                      Location::in_file(source));
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
    ++i;
  }
  return Status::ok();
}

}  // namespace

Result<Record> parse_json_record(std::string_view text, const std::string& source) {
  ARSYNC_RETURN_IF_ERROR(prescan(text, source));
  RecordBuilder builder;
  builder.reserve(text.size() / 8 + 1, text.size());
  RecordSax sax(builder);
  const bool ok = json::sax_parse(text, &sax, json::input_format_t::json, /*strict=*/true,
                                  /*ignore_comments=*/true);
  if (!ok) {
    return Status(ErrorCode::kParseError, "input is not valid JSON: " + sax.error(),
                  Location::in_file(source));
  }
  return builder.finish();
}

}  // namespace arsync
