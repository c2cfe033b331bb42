#include "arsync/model/discrepancy.h"

#include <algorithm>
#include <array>

namespace arsync {
namespace {
constexpr std::array<std::string_view, 3> kSeverityNames = {"info", "warning", "critical"};
constexpr std::array<std::string_view, 3> kStatusNames = {"open", "acknowledged", "resolved"};
}  // namespace

std::string_view to_string(Severity s) { return kSeverityNames[static_cast<size_t>(s)]; }

std::optional<Severity> parse_severity(std::string_view text) {
  for (size_t i = 0; i < kSeverityNames.size(); ++i) {
    if (kSeverityNames[i] == text) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

std::string_view to_string(DiscrepancyStatus s) { return kStatusNames[static_cast<size_t>(s)]; }

std::optional<DiscrepancyStatus> parse_discrepancy_status(std::string_view text) {
  for (size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == text) return static_cast<DiscrepancyStatus>(i);
  }
  return std::nullopt;
}

std::string fingerprint(const Finding& f) {
  std::vector<std::string> systems = f.systems;
  std::sort(systems.begin(), systems.end());
  std::string out = f.rule;
  out += '|';
  out += to_string(f.kind);
  out += '|';
  out += f.match_key;
  out += '|';
  for (size_t i = 0; i < systems.size(); ++i) {
    if (i) out += ',';
    out += systems[i];
  }
  return out;
}

}  // namespace arsync
