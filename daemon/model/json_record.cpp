#include "arsync/model/json_record.h"

namespace arsync {
namespace {

using json = nlohmann::json;

// The library's DOM builder, except that non-integer numbers become strings
// holding their original text.
class ExactNumbers {
 public:
  explicit ExactNumbers(json& out) : dom_(out, /*allow_exceptions=*/false) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t, const json::string_t& text) {
    json::string_t copy = text;
    return dom_.string(copy);
  }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return dom_.start_object(n); }
  bool key(json::string_t& k) { return dom_.key(k); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::string error_;
};

// Length of the UTF-8 sequence at text[i], or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are not).
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

Status not_utf8(std::size_t offset, const std::string& source) {
  return Status(ErrorCode::kParseError,
                "input is not valid UTF-8 at byte " + std::to_string(offset) +
                    ": save the record as UTF-8",
                Location::in_file(source));
}

// Before the parser sees it: text that is not UTF-8 or nests deeper than
// kMaxJsonDepth is refused with the byte offset where it goes wrong, so that
// no later step (the mapping, the JSON writer, a recursive walk) meets it.
Status prescan(std::string_view text, const std::string& source) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) return not_utf8(i, source);
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '/' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '*')) {
      // Comments: skipped, but still checked as UTF-8 byte by byte.
      const bool line = text[i + 1] == '/';
      std::size_t end = text.find(line ? "\n" : "*/", i + 2);
      if (end == std::string_view::npos) end = text.size();
      if (auto bad = first_invalid_utf8(text.substr(i + 2, end - i - 2))) {
        return not_utf8(i + 2 + *bad, source);
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
    i += n;
  }
  return Status::ok();
}

}  // namespace

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

Result<nlohmann::json> parse_json_record(std::string_view text, const std::string& source) {
  ARSYNC_RETURN_IF_ERROR(prescan(text, source));
  json out;
  ExactNumbers sax(out);
  const bool ok = json::sax_parse(text, &sax, json::input_format_t::json, /*strict=*/true,
                                  /*ignore_comments=*/true);
  if (!ok) {
    return Status(ErrorCode::kParseError, "input is not valid JSON: " + sax.error(),
                  Location::in_file(source));
  }
  return out;
}

namespace {

constexpr int kReleaseDepth = 64;  // below it, the library's iterative destructor

void empty_from_leaves(json& value, int depth) {
  if (value.is_object()) {
    json::object_t& object = value.get_ref<json::object_t&>();
    if (depth < kReleaseDepth) {
      for (auto& member : object) {
        if (member.second.is_structured()) empty_from_leaves(member.second, depth + 1);
      }
    }
    object.clear();
  } else if (value.is_array()) {
    json::array_t& array = value.get_ref<json::array_t&>();
    if (depth < kReleaseDepth) {
      for (json& element : array) {
        if (element.is_structured()) empty_from_leaves(element, depth + 1);
      }
    }
    array.clear();
  }
}

}  // namespace

void release_json(json& value) {
  empty_from_leaves(value, 0);
  value = nullptr;
}

}  // namespace arsync
