// Discrepancies: what the reconciler finds, and their life cycle.
//
// A Finding is one rule's observation about one match group at one moment.
// Its fingerprint (rule, kind, match key, systems) is stable, so the store
// opens a discrepancy once, updates it while it persists, resolves it when
// the finding disappears and reopens it if it returns.
//
// Thread safety: plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/model/date.h"
#include "arsync/model/document.h"

namespace arsync {

enum class Severity { kInfo, kWarning, kCritical };
std::string_view to_string(Severity s);  // "info", "warning", "critical"
std::optional<Severity> parse_severity(std::string_view text);

struct Finding {
  std::string rule;  // "missing_in_system", "amount_differs", ...
  DocumentKind kind = DocumentKind::kInvoice;
  std::string match_key;
  std::vector<std::string> systems;  // the systems involved, sorted
  Severity severity = Severity::kWarning;
  std::string customer_key;
  std::string summary;      // one line for people, built from checked values
  nlohmann::json details;   // per-system values: {"sap-ecc": {...}, ...}
};

// "rule|kind|match_key|sys1,sys2": stable across runs and processes.
std::string fingerprint(const Finding& f);

enum class DiscrepancyStatus { kOpen, kAcknowledged, kResolved };
std::string_view to_string(DiscrepancyStatus s);  // "open", "acknowledged", "resolved"
std::optional<DiscrepancyStatus> parse_discrepancy_status(std::string_view text);

// A discrepancy as stored.
struct Discrepancy {
  std::int64_t id = 0;
  std::string fingerprint;
  Finding finding;
  DiscrepancyStatus status = DiscrepancyStatus::kOpen;
  std::string owner;
  Instant first_detected{};
  Instant last_detected{};
  std::optional<Instant> resolved_at;
  std::string resolution_note;
};

// One entry of a discrepancy's history.
struct DiscrepancyEvent {
  std::int64_t id = 0;
  std::int64_t discrepancy_id = 0;
  Instant at{};
  std::string event;  // "opened", "updated", "resolved", "reopened", "acknowledged", "notified"
  std::string actor;  // "reconciler" or a person's name
  std::string note;
};

}  // namespace arsync
