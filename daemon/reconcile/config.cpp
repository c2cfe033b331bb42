#include "arsync/reconcile/config.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>

namespace arsync::reconcile {
namespace {

Status config_error(const std::string& key, const std::string& message) {
  return Status(ErrorCode::kInvalidArgument, key + ": " + message);
}

std::string type_name(const nlohmann::json& v) { return v.type_name(); }

// "24h", "30m", "90s", "2d" -> seconds.
std::optional<std::chrono::seconds> parse_duration(const std::string& text) {
  if (text.size() < 2) return std::nullopt;
  char unit = text.back();
  std::int64_t scale = 0;
  switch (unit) {
    case 's': scale = 1; break;
    case 'm': scale = 60; break;
    case 'h': scale = 3600; break;
    case 'd': scale = 86400; break;
    default: return std::nullopt;
  }
  std::int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (n > (std::numeric_limits<std::int64_t>::max() / 10 - 9) / scale) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return std::chrono::seconds(n * scale);
}

// Non-negative plain decimal: digits, optionally '.' and digits.
bool valid_tolerance(const std::string& text) {
  if (text.empty() || text.size() > 18) return false;
  size_t point = text.find('.');
  std::string int_part = text.substr(0, point);
  std::string frac = point == std::string::npos ? "" : text.substr(point + 1);
  if (int_part.empty()) return false;
  if (point != std::string::npos && frac.empty()) return false;
  auto digits = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  return digits(int_part) && digits(frac);
}

Result<PairConfig> parse_pair(const nlohmann::json& j, const std::string& key,
                              const std::vector<std::string>& known_systems) {
  if (!j.is_object()) return config_error(key, "expected an object, got " + type_name(j));
  PairConfig pair;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    std::string k = key + "." + name;
    if (name == "left" || name == "right") {
      if (!v.is_string()) return config_error(k, "expected a system name, got " + type_name(v));
      std::string sys = v.get<std::string>();
      if (std::find(known_systems.begin(), known_systems.end(), sys) == known_systems.end()) {
        return config_error(k, "unknown system '" + sys + "'");
      }
      (name == "left" ? pair.left : pair.right) = sys;
    } else if (name == "kinds") {
      if (!v.is_array() || v.empty()) {
        return config_error(k, "expected a non-empty array of document kinds");
      }
      pair.kinds.clear();
      for (size_t i = 0; i < v.size(); ++i) {
        std::string ki = k + "[" + std::to_string(i) + "]";
        if (!v[i].is_string()) return config_error(ki, "expected a document kind, got " + type_name(v[i]));
        auto kind = parse_document_kind(v[i].get<std::string>());
        if (!kind || *kind == DocumentKind::kCustomer) {
          return config_error(ki, "unknown document kind '" + v[i].get<std::string>() +
                                      "' (invoice, credit_memo, debit_memo, payment, refund, write_off)");
        }
        if (std::find(pair.kinds.begin(), pair.kinds.end(), *kind) == pair.kinds.end()) {
          pair.kinds.push_back(*kind);
        }
      }
    } else if (name == "missing_grace") {
      std::optional<std::chrono::seconds> d;
      if (v.is_string()) d = parse_duration(v.get<std::string>());
      if (!d) {
        return config_error(k, "expected a duration such as \"24h\", \"30m\", \"90s\" or \"2d\", got " +
                                   v.dump());
      }
      pair.missing_grace = *d;
    } else if (name == "amount_tolerance") {
      if (!v.is_string() || !valid_tolerance(v.get<std::string>())) {
        return config_error(k, "expected a non-negative decimal text such as \"0.05\", got " + v.dump());
      }
      pair.amount_tolerance = v.get<std::string>();
    } else {
      return config_error(k, "unknown key (expected left, right, kinds, missing_grace, amount_tolerance)");
    }
  }
  if (pair.left.empty()) return config_error(key + ".left", "missing");
  if (pair.right.empty()) return config_error(key + ".right", "missing");
  if (pair.left == pair.right) {
    return config_error(key, "left and right are the same system '" + pair.left + "'");
  }
  return pair;
}

}  // namespace

const std::vector<std::string_view>& all_rules() {
  static const std::vector<std::string_view> kRules = {
      kRuleMissingInSystem, kRuleAmountDiffers,     kRuleCurrencyDiffers,
      kRuleCustomerDiffers, kRuleDuplicateDocument, kRuleShortPayment,
      kRuleOverpayment,     kRulePaymentUnknownInvoice};
  return kRules;
}

Severity default_severity(std::string_view rule) {
  if (rule == kRuleDuplicateDocument || rule == kRuleOverpayment) return Severity::kCritical;
  return Severity::kWarning;
}

bool PairConfig::covers(DocumentKind kind) const {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

Severity ReconcileConfig::severity_of(std::string_view rule) const {
  auto it = severities.find(std::string(rule));
  return it == severities.end() ? default_severity(rule) : it->second;
}

Money tolerance_in(const std::string& tolerance, const Currency& currency) {
  size_t point = tolerance.find('.');
  std::string int_part = tolerance.substr(0, point);
  std::string frac = point == std::string::npos ? "" : tolerance.substr(point + 1);
  int exp = currency.exponent();
  frac.resize(static_cast<size_t>(exp), '0');  // drops or pads decimals
  std::int64_t minor = 0;
  for (char c : int_part + frac) {
    if (c < '0' || c > '9') return Money(0, currency);
    if (minor > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
      return Money(std::numeric_limits<std::int64_t>::max(), currency);
    }
    minor = minor * 10 + (c - '0');
  }
  return Money(minor, currency);
}

Result<ReconcileConfig> parse_reconcile_config(const nlohmann::json& reconcile,
                                               const std::vector<std::string>& known_systems) {
  const std::string root = "reconcile";
  if (!reconcile.is_object()) {
    return config_error(root, "expected an object, got " + type_name(reconcile));
  }
  ReconcileConfig config;
  for (auto it = reconcile.begin(); it != reconcile.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& v = it.value();
    std::string k = root + "." + name;
    if (name == "pairs") {
      if (!v.is_array()) return config_error(k, "expected an array, got " + type_name(v));
      for (size_t i = 0; i < v.size(); ++i) {
        auto pair = parse_pair(v[i], k + "[" + std::to_string(i) + "]", known_systems);
        if (!pair) return pair.status();
        config.pairs.push_back(std::move(*pair));
      }
    } else if (name == "severities") {
      if (!v.is_object()) return config_error(k, "expected an object, got " + type_name(v));
      for (auto s = v.begin(); s != v.end(); ++s) {
        std::string sk = k + "." + s.key();
        const auto& rules = all_rules();
        if (std::find(rules.begin(), rules.end(), s.key()) == rules.end()) {
          return config_error(sk, "unknown rule '" + s.key() + "'");
        }
        std::optional<Severity> sev;
        if (s.value().is_string()) sev = parse_severity(s.value().get<std::string>());
        if (!sev) {
          return config_error(sk, "expected \"info\", \"warning\" or \"critical\", got " +
                                      s.value().dump());
        }
        config.severities[s.key()] = *sev;
      }
    } else {
      return config_error(k, "unknown key (expected pairs, severities)");
    }
  }
  return config;
}

}  // namespace arsync::reconcile
