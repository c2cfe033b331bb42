#include "arsync/model/discrepancy_json.h"

#include <array>
#include <optional>
#include <string_view>

namespace arsync {
namespace {

// Money keys of a per-system object (reconcile/rules.h: describe()), whose
// currency is that object's "currency".
constexpr std::array<std::string_view, 2> kDocumentMoneyKeys = {"amount", "open_amount"};
// Money keys of the rules themselves, each a lone "1,250.00 EUR".
constexpr std::array<std::string_view, 7> kRuleMoneyKeys = {
    "difference", "tolerance", "invoice_amount", "paid", "discount", "shortfall", "excess"};

bool is_one_of(std::string_view key, const auto& keys) {
  for (std::string_view k : keys) {
    if (k == key) return true;
  }
  return false;
}

// Money::to_display's text ("-1,250.00 EUR") read back exactly; nullopt for
// anything else. Only text that prints back the same is taken, so a stray
// comma or a missing decimal is never silently accepted.
std::optional<Money> parse_display(const std::string& text) {
  const std::size_t space = text.rfind(' ');
  if (space == std::string::npos) return std::nullopt;
  std::string plain;
  for (char c : std::string_view(text).substr(0, space)) {
    if (c != ',') plain += c;
  }
  Result<Money> m = Money::parse(plain, std::string_view(text).substr(space + 1));
  if (!m || m->to_display() != text) return std::nullopt;
  return *m;
}

}  // namespace

nlohmann::json money_json(const Money& m) {
  if (m.currency().empty()) return nullptr;
  return {{"amount", m.to_decimal()}, {"currency", std::string(m.currency().code())}};
}

nlohmann::json money_details(const nlohmann::json& details) {
  if (!details.is_object()) return details;
  nlohmann::json out = details;
  for (auto& [key, value] : out.items()) {
    if (value.is_object()) {
      for (auto& [field, v] : value.items()) {
        if (!v.is_string() || !is_one_of(field, kDocumentMoneyKeys)) continue;
        if (std::optional<Money> m = parse_display(v.get<std::string>())) v = m->to_decimal();
      }
    } else if (value.is_string() && is_one_of(key, kRuleMoneyKeys)) {
      if (std::optional<Money> m = parse_display(value.get<std::string>())) value = money_json(*m);
    }
  }
  return out;
}

nlohmann::json to_json(const Discrepancy& d) {
  return {{"id", d.id},
          {"fingerprint", d.fingerprint},
          {"rule", d.finding.rule},
          {"kind", std::string(to_string(d.finding.kind))},
          {"match_key", d.finding.match_key},
          {"systems", d.finding.systems},
          {"severity", std::string(to_string(d.finding.severity))},
          {"customer_key", d.finding.customer_key},
          {"summary", d.finding.summary},
          {"details", money_details(d.finding.details)},
          {"status", std::string(to_string(d.status))},
          {"owner", d.owner},
          {"first_detected", format_instant(d.first_detected)},
          {"last_detected", format_instant(d.last_detected)},
          {"resolved_at", d.resolved_at ? nlohmann::json(format_instant(*d.resolved_at)) : nullptr},
          {"resolution_note", d.resolution_note}};
}

nlohmann::json to_json(const DiscrepancyEvent& e) {
  return {{"at", format_instant(e.at)}, {"event", e.event}, {"actor", e.actor}, {"note", e.note}};
}

std::string dump_for_output(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace arsync
