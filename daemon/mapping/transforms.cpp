// The named transforms of the mapping language. Each is compiled once from
// its JSON form; apply() does no parsing of the spec and compiles no regex.
#include <algorithm>
#include <chrono>
#include <map>
#include <regex>

#include "arsync/model/date.h"
#include "field_spec.h"

namespace arsync::mapping {
namespace {

using nlohmann::json;

constexpr const char* kTransformNames =
    "trim, upper, lower, strip_leading_zeros, default, lookup, concat, regex_extract, replace, "
    "date, decimal, negate, abs, add_days";

Status fail(const std::string& message) { return Status(ErrorCode::kMappingError, message); }

std::string quote(const std::string& s) { return "'" + s + "'"; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void trim_in_place(std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  if (b != 0 || e != s.size()) s = s.substr(b, e - b);
}

// Trims `text` and removes one sign, SAP's trailing minus ("12.50-") or a
// leading '-'/'+'; true if the sign was negative.
bool take_sign(std::string& text) {
  trim_in_place(text);
  if (!text.empty() && text.back() == '-') {
    text.pop_back();
    return true;
  }
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    const bool negative = text.front() == '-';
    text.erase(0, 1);
    return negative;
  }
  return false;
}

// Splits plain decimal text ("-12.50", "12.50-", "+3") into sign and digits;
// false if it is not one.
bool split_decimal(std::string text, bool& negative, std::string& magnitude) {
  negative = take_sign(text);
  bool digit = false, point = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return false;
    }
  }
  magnitude = std::move(text);
  return digit;
}

// --- parameterless transforms ----------------------------------------------

enum class Simple { kTrim, kUpper, kLower, kStripLeadingZeros, kNegate, kAbs };

class SimpleTransform final : public Transform {
 public:
  explicit SimpleTransform(Simple op) : op_(op) {}
  Status apply(Value& v, const Scope&) const override {
    if (v.missing()) return Status::ok();
    std::string& s = v.text;
    switch (op_) {
      case Simple::kTrim:
        trim_in_place(s);
        break;
      case Simple::kUpper:
        for (char& c : s) {
          if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
        break;
      case Simple::kLower:
        for (char& c : s) {
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
        break;
      case Simple::kStripLeadingZeros: {
        std::size_t n = 0;
        while (n + 1 < s.size() && s[n] == '0' && s[n + 1] != '.') ++n;
        s.erase(0, n);
        break;
      }
      case Simple::kNegate:
      case Simple::kAbs: {
        bool negative = false;
        std::string magnitude;
        const char* name = op_ == Simple::kNegate ? "negate" : "abs";
        if (!split_decimal(s, negative, magnitude)) {
          return fail(std::string(name) + ": " + quote(s) +
                      " is not a plain decimal number (use a \"decimal\" transform first)");
        }
        const bool out_negative = op_ == Simple::kNegate ? !negative : false;
        s = out_negative ? "-" + magnitude : magnitude;
        break;
      }
    }
    return Status::ok();
  }

 private:
  Simple op_;
};

// --- default -----------------------------------------------------------------

class DefaultTransform final : public Transform {
 public:
  explicit DefaultTransform(std::string text) : text_(std::move(text)) {}
  Status apply(Value& v, const Scope&) const override {
    if (v.missing()) {
      v.present = true;
      v.text = text_;
    }
    return Status::ok();
  }

 private:
  std::string text_;
};

// --- lookup ------------------------------------------------------------------

class LookupTransform final : public Transform {
 public:
  LookupTransform(std::map<std::string, std::string, std::less<>> table,
                  std::optional<std::string> fallback)
      : table_(std::move(table)), fallback_(std::move(fallback)) {
    for (const auto& [k, unused] : table_) {
      if (!known_.empty()) known_ += ", ";
      known_ += k;
    }
  }
  Status apply(Value& v, const Scope&) const override {
    if (v.missing()) return Status::ok();
    auto it = table_.find(v.text);
    if (it != table_.end()) {
      v.text = it->second;
    } else if (fallback_) {
      v.text = *fallback_;
    } else {
      return fail("lookup: no entry for " + quote(v.text) + " (known: " + known_ +
                  "; add it to the table or give a \"default\")");
    }
    return Status::ok();
  }

 private:
  std::map<std::string, std::string, std::less<>> table_;
  std::optional<std::string> fallback_;
  std::string known_;
};

// --- concat ------------------------------------------------------------------

class ConcatTransform final : public Transform {
 public:
  using Parts = std::vector<std::pair<std::string, std::shared_ptr<const FieldSpec>>>;
  explicit ConcatTransform(Parts parts) : parts_(std::move(parts)) {}
  Status apply(Value& v, const Scope& scope) const override {
    if (v.missing()) return Status::ok();
    Value part;
    for (const auto& [literal, spec] : parts_) {
      if (!spec) {
        v.text += literal;
        continue;
      }
      ARSYNC_RETURN_IF_ERROR(spec->eval(scope, part));
      if (part.missing()) {
        v.present = false;
        v.text.clear();
        return Status::ok();
      }
      v.text += part.text;
    }
    return Status::ok();
  }

 private:
  Parts parts_;
};

// --- regex_extract and replace ----------------------------------------------

class RegexExtractTransform final : public Transform {
 public:
  RegexExtractTransform(std::regex re, std::string pattern)
      : re_(std::move(re)), pattern_(std::move(pattern)),
        group_(re_.mark_count() >= 1 ? 1 : 0) {}
  Status apply(Value& v, const Scope&) const override {
    if (v.missing()) return Status::ok();
    std::smatch m;
    if (!std::regex_search(v.text, m, re_)) {
      return fail("regex_extract: " + quote(v.text) + " does not match " + quote(pattern_));
    }
    v.text = m[static_cast<int>(group_)].str();
    return Status::ok();
  }

 private:
  std::regex re_;
  std::string pattern_;
  std::size_t group_;
};

class ReplaceTransform final : public Transform {
 public:
  ReplaceTransform(std::regex re, std::string with) : re_(std::move(re)), with_(std::move(with)) {}
  Status apply(Value& v, const Scope&) const override {
    if (v.missing()) return Status::ok();
    v.text = std::regex_replace(v.text, re_, with_);
    return Status::ok();
  }

 private:
  std::regex re_;
  std::string with_;
};

// --- date --------------------------------------------------------------------

class DateTransform final : public Transform {
 public:
  // `format` empty: ISO or YYYYMMDD (parse_date's forms).
  DateTransform(std::string format, std::size_t y, std::size_t m, std::size_t d)
      : format_(std::move(format)), y_(y), m_(m), d_(d) {}
  Status apply(Value& v, const Scope&) const override {
    if (v.missing()) return Status::ok();
    if (format_.empty()) {
      Result<Date> date = parse_date(v.text);
      if (!date) return fail("date: " + date.status().message());
      v.text = format_date(*date);
      return Status::ok();
    }
    const std::string& s = v.text;
    auto bad = [&]() { return fail("date: " + quote(s) + " does not fit format " + quote(format_)); };
    if (s.size() != format_.size()) return bad();
    for (std::size_t i = 0; i < s.size(); ++i) {
      const bool digit_slot = (i >= y_ && i < y_ + 4) || (i >= m_ && i < m_ + 2) ||
                              (i >= d_ && i < d_ + 2);
      if (digit_slot ? (s[i] < '0' || s[i] > '9') : s[i] != format_[i]) return bad();
    }
    auto num = [&s](std::size_t pos, std::size_t len) {
      int n = 0;
      for (std::size_t i = pos; i < pos + len; ++i) n = n * 10 + (s[i] - '0');
      return n;
    };
    Date date{std::chrono::year(num(y_, 4)), std::chrono::month(static_cast<unsigned>(num(m_, 2))),
              std::chrono::day(static_cast<unsigned>(num(d_, 2)))};
    if (!date.ok()) return fail("date: " + quote(s) + " is not a real calendar day");
    v.text = format_date(date);
    return Status::ok();
  }

 private:
  std::string format_;
  std::size_t y_, m_, d_;
};

// --- decimal -----------------------------------------------------------------

enum class SignMode { kAny, kTrailingMinus, kLeading };

class DecimalTransform final : public Transform {
 public:
  DecimalTransform(SignMode sign, char decimal_separator, char thousands_separator)
      : sign_(sign), dec_(decimal_separator), thou_(thousands_separator) {
    conventions_ = std::string("sign ") +
                   (sign == SignMode::kAny ? "any"
                    : sign == SignMode::kTrailingMinus ? "trailing_minus" : "leading") +
                   ", decimal separator '" + dec_ + "'";
    if (thou_ != 0) conventions_ += std::string(", thousands separator '") + thou_ + "'";
  }
  Status apply(Value& v, const Scope&) const override {
    if (v.missing()) return Status::ok();
    std::string s = v.text;
    trim_in_place(s);
    auto bad = [&](const std::string& why) {
      return fail("decimal: " + quote(v.text) + " is not a number: " + why + " (" +
                  conventions_ + ")");
    };
    bool negative = false;
    if (!s.empty() && s.back() == '-') {
      if (sign_ == SignMode::kLeading) return bad("a trailing '-' is not allowed");
      negative = true;
      s.pop_back();
    } else if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
      if (sign_ == SignMode::kTrailingMinus) {
        return bad(std::string("a leading '") + s.front() + "' is not allowed");
      }
      negative = s.front() == '-';
      s.erase(0, 1);
    }
    // JSON senders may write an amount in exponent notation ("1e2",
    // "1.5E-2"): the exponent moves the decimal point in the text, exactly.
    std::string_view mantissa = s;
    long exponent = 0;
    if (const std::size_t e = s.find_first_of("eE"); e != std::string::npos) {
      mantissa = std::string_view(s).substr(0, e);
      std::string_view rest = std::string_view(s).substr(e + 1);
      const bool minus = !rest.empty() && rest.front() == '-';
      if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) rest.remove_prefix(1);
      if (rest.empty()) return bad("exponent without digits");
      for (char c : rest) {
        if (c < '0' || c > '9') return bad(std::string("unexpected character '") + c + "' in the exponent");
        exponent = exponent * 10 + (c - '0');
        if (exponent > kMaxExponent) {
          return bad("exponent beyond " + std::to_string(kMaxExponent) + " (no amount is that large or small)");
        }
      }
      if (minus) exponent = -exponent;
    }
    std::string digits;
    digits.reserve(mantissa.size());
    long point_at = -1;  // digits before the decimal point
    for (char c : mantissa) {
      if (c >= '0' && c <= '9') {
        digits += c;
      } else if (c == dec_ && point_at < 0) {
        point_at = static_cast<long>(digits.size());
      } else if (thou_ != 0 && c == thou_ && point_at < 0) {
        continue;
      } else {
        return bad(std::string("unexpected character '") + c + "'");
      }
    }
    if (digits.empty()) return bad("no digits");
    std::string out;
    if (negative) out += '-';
    const long n = static_cast<long>(digits.size());
    if (exponent == 0) {
      out += digits;
      if (point_at >= 0) out.insert(out.size() - static_cast<std::size_t>(n - point_at), ".");
    } else {
      const long at = (point_at < 0 ? n : point_at) + exponent;
      if (at <= 0) {
        out += "0." + std::string(static_cast<std::size_t>(-at), '0') + digits;
      } else if (at >= n) {
        out += digits + std::string(static_cast<std::size_t>(at - n), '0');
      } else {
        out += digits.substr(0, static_cast<std::size_t>(at)) + "." +
               digits.substr(static_cast<std::size_t>(at));
      }
    }
    v.text = std::move(out);
    return Status::ok();
  }

  // Larger exponents are refused rather than spelled out in digits.
  static constexpr long kMaxExponent = 40;

 private:
  SignMode sign_;
  char dec_;
  char thou_;
  std::string conventions_;
};

// --- add_days ----------------------------------------------------------------

class AddDaysTransform final : public Transform {
 public:
  AddDaysTransform(std::optional<Path> path, long long constant)
      : path_(std::move(path)), constant_(constant) {}
  Status apply(Value& v, const Scope& scope) const override {
    if (v.missing()) return Status::ok();
    long long days = constant_;
    if (path_) {
      const RecordValue node = scope.first(*path_);
      std::string text;
      if (!scalar_text(node, text) || text.empty()) {
        // No term days: the result is missing, so the field's default applies.
        v.present = false;
        v.text.clear();
        return Status::ok();
      }
      if (!parse_days(text, days)) {
        return fail("add_days: days " + quote(text) + " from '" + path_->text() +
                    "' is not a whole number");
      }
    }
    Result<Date> date = parse_date(v.text);
    if (!date) {
      return fail("add_days: " + quote(v.text) +
                  " is not a date (put a \"date\" transform before add_days)");
    }
    v.text = format_date(Date{std::chrono::sys_days(*date) + std::chrono::days(days)});
    return Status::ok();
  }

  void select(FieldSelection& root, FieldSelection& here) const override {
    if (path_) path_->select(path_->absolute() ? root : here).select_everything();
  }

  static bool parse_days(std::string text, long long& out) {
    const bool negative = take_sign(text);
    if (text.empty() || text.size() > 6) return false;
    long long n = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + (c - '0');
    }
    out = negative ? -n : n;
    return true;
  }

 private:
  std::optional<Path> path_;
  long long constant_;
};

// --- compile -----------------------------------------------------------------

Result<std::regex> compile_regex(const json& p, const std::string& where,
                                 const CompileContext& ctx, std::string& pattern) {
  if (!p.is_string() || p.get_ref<const std::string&>().empty()) {
    return ctx.error(where, "the pattern must be a non-empty string");
  }
  pattern = p.get<std::string>();
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return ctx.error(where, "invalid regular expression " + quote(pattern) + ": " + e.what());
  }
}

Result<std::unique_ptr<Transform>> compile_date(const json& p, const std::string& where,
                                                const CompileContext& ctx) {
  if (!p.is_string()) {
    return ctx.error(where, "\"date\" takes a format string such as \"YYYYMMDD\", "
                            "\"YYYY-MM-DD\", \"DD.MM.YYYY\" or \"MM/DD/YYYY\"");
  }
  const std::string format = p.get<std::string>();
  std::size_t y = std::string::npos, m = std::string::npos, d = std::string::npos;
  for (std::size_t i = 0; i < format.size();) {
    auto take = [&](std::string_view token, std::size_t& slot) {
      if (format.compare(i, token.size(), token) != 0 || slot != std::string::npos) return false;
      slot = i;
      i += token.size();
      return true;
    };
    if (take("YYYY", y) || take("MM", m) || take("DD", d)) continue;
    const char c = format[i];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      return ctx.error(where, "date format " + quote(format) +
                                  " may hold YYYY, MM and DD once each, separated by "
                                  "punctuation (for example \"DD.MM.YYYY\")");
    }
    ++i;
  }
  if (y == std::string::npos || m == std::string::npos || d == std::string::npos) {
    return ctx.error(where, "date format " + quote(format) + " must contain YYYY, MM and DD");
  }
  return std::unique_ptr<Transform>(std::make_unique<DateTransform>(format, y, m, d));
}

Result<std::unique_ptr<Transform>> compile_decimal(const json& p, const std::string& where,
                                                   const CompileContext& ctx) {
  SignMode sign = SignMode::kAny;
  char dec = '.', thou = 0;
  if (!p.is_object()) {
    return ctx.error(where, "\"decimal\" takes an object with \"sign\", \"decimal_separator\" "
                            "and \"thousands_separator\"");
  }
  for (auto it = p.begin(); it != p.end(); ++it) {
    const std::string key = it.key();
    const std::string sub = where + ".decimal." + key;
    if (!it.value().is_string()) return ctx.error(sub, "\"" + key + "\" must be a string");
    const std::string val = it.value().get<std::string>();
    if (key == "sign") {
      if (val == "any") sign = SignMode::kAny;
      else if (val == "trailing_minus") sign = SignMode::kTrailingMinus;
      else if (val == "leading") sign = SignMode::kLeading;
      else return ctx.error(sub, "unknown sign convention " + quote(val) +
                                     " (allowed: any, trailing_minus, leading)");
    } else if (key == "decimal_separator" || key == "thousands_separator") {
      if (val.size() > 1 || (key == "decimal_separator" && val.empty()) ||
          (!val.empty() && ((val[0] >= '0' && val[0] <= '9') || val[0] == '-' || val[0] == '+'))) {
        return ctx.error(sub, "\"" + key + "\" must be one character such as \".\", \",\" "
                              "or \"'\"" + (key == "thousands_separator" ? " (or \"\")" : ""));
      }
      (key == "decimal_separator" ? dec : thou) = val.empty() ? '\0' : val[0];
    } else {
      return ctx.error(sub, "unknown key " + quote(key) +
                                " (allowed: sign, decimal_separator, thousands_separator)");
    }
  }
  if (dec == thou) {
    return ctx.error(where, "decimal and thousands separators must differ");
  }
  return std::unique_ptr<Transform>(std::make_unique<DecimalTransform>(sign, dec, thou));
}

}  // namespace

Result<std::unique_ptr<Transform>> Transform::compile(const json& spec,
                                                      const std::string& where,
                                                      const CompileContext& ctx) {
  std::string name;
  const json* param = nullptr;
  if (spec.is_string()) {
    name = spec.get<std::string>();
  } else if (spec.is_object() && spec.size() == 1) {
    name = spec.begin().key();
    param = &spec.begin().value();
  } else {
    return ctx.error(where, "a transform is a name such as \"trim\" or an object with one key "
                            "such as {\"lookup\": {...}} (transforms: " +
                                std::string(kTransformNames) + ")");
  }
  auto simple = [](Simple op) {
    return Result<std::unique_ptr<Transform>>(std::make_unique<SimpleTransform>(op));
  };
  auto needs = [&](const char* example) -> Status {
    return ctx.error(where, "transform " + quote(name) + " needs a parameter, for example " +
                                example);
  };
  auto no_param = [&]() -> Status {
    return ctx.error(where, "transform " + quote(name) + " takes no parameter: write \"" +
                                name + "\"");
  };

  if (name == "trim" || name == "upper" || name == "lower" || name == "strip_leading_zeros" ||
      name == "negate" || name == "abs") {
    if (param) return no_param();
    if (name == "trim") return simple(Simple::kTrim);
    if (name == "upper") return simple(Simple::kUpper);
    if (name == "lower") return simple(Simple::kLower);
    if (name == "negate") return simple(Simple::kNegate);
    if (name == "abs") return simple(Simple::kAbs);
    return simple(Simple::kStripLeadingZeros);
  }
  if (name == "default") {
    std::string text;
    if (!param) return needs("{\"default\": \"0\"}");
    if (!scalar_text(*param, text)) return ctx.error(where, "\"default\" must be a string");
    return std::unique_ptr<Transform>(std::make_unique<DefaultTransform>(text));
  }
  if (name == "lookup") {
    if (!param) return needs("{\"lookup\": {\"F2\": \"invoice\"}}");
    if (!param->is_object() || param->empty()) {
      return ctx.error(where, "\"lookup\" takes a non-empty table of text to text, for example "
                              "{\"F2\": \"invoice\", \"G2\": \"credit_memo\"}");
    }
    std::map<std::string, std::string, std::less<>> table;
    std::optional<std::string> fallback;
    for (auto it = param->begin(); it != param->end(); ++it) {
      std::string text;
      if (!scalar_text(it.value(), text)) {
        return ctx.error(where + ".lookup." + it.key(), "a lookup result must be a string");
      }
      if (it.key() == "default") fallback = text;
      else table.emplace(it.key(), text);
    }
    return std::unique_ptr<Transform>(
        std::make_unique<LookupTransform>(std::move(table), std::move(fallback)));
  }
  if (name == "concat") {
    if (!param) return needs("{\"concat\": [\"-\", {\"path\": \"E1EDK01.BELNR\"}]}");
    if (!param->is_array() || param->empty()) {
      return ctx.error(where, "\"concat\" takes a list of literal strings and field specs");
    }
    ConcatTransform::Parts parts;
    for (std::size_t i = 0; i < param->size(); ++i) {
      const json& part = (*param)[i];
      if (part.is_string()) {
        parts.emplace_back(part.get<std::string>(), nullptr);
        continue;
      }
      auto sub = FieldSpec::compile(part, where + ".concat[" + std::to_string(i) + "]", ctx);
      if (!sub) return sub.status();
      parts.emplace_back(std::string(), std::move(*sub));
    }
    return std::unique_ptr<Transform>(std::make_unique<ConcatTransform>(std::move(parts)));
  }
  if (name == "regex_extract") {
    if (!param) return needs("{\"regex_extract\": \"INV-(\\\\d+)\"}");
    std::string pattern;
    Result<std::regex> re = compile_regex(*param, where + ".regex_extract", ctx, pattern);
    if (!re) return re.status();
    return std::unique_ptr<Transform>(
        std::make_unique<RegexExtractTransform>(std::move(*re), pattern));
  }
  if (name == "replace") {
    if (!param) return needs("{\"replace\": {\"pattern\": \"^INV-\", \"with\": \"\"}}");
    if (!param->is_object() || !param->contains("pattern") || param->size() > 2 ||
        (param->size() == 2 && !param->contains("with")) ||
        (param->contains("with") && !(*param)["with"].is_string())) {
      return ctx.error(where, "\"replace\" takes {\"pattern\": REGEX, \"with\": TEXT} "
                              "($1, $2 in TEXT insert groups)");
    }
    std::string pattern;
    Result<std::regex> re = compile_regex((*param)["pattern"], where + ".replace.pattern", ctx, pattern);
    if (!re) return re.status();
    std::string with = param->contains("with") ? (*param)["with"].get<std::string>() : "";
    return std::unique_ptr<Transform>(std::make_unique<ReplaceTransform>(std::move(*re), with));
  }
  if (name == "date") {
    if (!param) return std::unique_ptr<Transform>(std::make_unique<DateTransform>("", 0, 0, 0));
    return compile_date(*param, where, ctx);
  }
  if (name == "decimal") {
    if (!param) {
      return std::unique_ptr<Transform>(std::make_unique<DecimalTransform>(SignMode::kAny, '.', 0));
    }
    return compile_decimal(*param, where, ctx);
  }
  if (name == "add_days") {
    if (!param) return needs("{\"add_days\": \"E1EDK18[QUALF=001].TAGE\"} or {\"add_days\": 30}");
    if (param->is_number_integer()) {
      return std::unique_ptr<Transform>(
          std::make_unique<AddDaysTransform>(std::nullopt, param->get<long long>()));
    }
    if (!param->is_string()) {
      return ctx.error(where, "\"add_days\" takes a whole number or the path of the days field");
    }
    Result<Path> p = Path::parse(param->get<std::string>());
    if (!p) return ctx.error(where + ".add_days", p.status().message());
    if (p->fans_out()) return ctx.error(where + ".add_days", "the days path cannot use '[*]'");
    ctx.number_first_step(*p);
    ctx.note_path(*p, where + ".add_days");
    return std::unique_ptr<Transform>(std::make_unique<AddDaysTransform>(std::move(*p), 0));
  }
  return ctx.error(where, "unknown transform " + quote(name) + " (allowed: " +
                              std::string(kTransformNames) + ")");
}

}  // namespace arsync::mapping
