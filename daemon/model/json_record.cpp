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

}  // namespace

Result<nlohmann::json> parse_json_record(std::string_view text, const std::string& source) {
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
