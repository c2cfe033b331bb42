// DiscrepancyStore: the store's role for discrepancies as people and the
// alerter see them: listings, one discrepancy and its history, a person's
// resolve or acknowledge, and the ones not yet put in an email. (The
// reconciler opens, updates and resolves them through
// ReconcileStore::apply_findings.)
//
// The durability contract and the thread rule are in store.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arsync/model/clock.h"
#include "arsync/model/discrepancy.h"
#include "arsync/model/status.h"

namespace arsync::store {

struct DiscrepancyFilter {
  std::optional<DiscrepancyStatus> status;  // none: all
  std::string rule;                         // empty: all
  std::string system;                       // empty: all
  std::size_t limit = 1000;
};

class DiscrepancyStore {
 public:
  virtual ~DiscrepancyStore() = default;

  virtual Result<std::vector<Discrepancy>> list_discrepancies(const DiscrepancyFilter& filter) = 0;
  virtual Result<std::optional<Discrepancy>> get_discrepancy(std::int64_t id) = 0;
  virtual Result<std::vector<DiscrepancyEvent>> discrepancy_events(std::int64_t id) = 0;
  // A person resolves or acknowledges a discrepancy (kNotFound if no such id).
  virtual Status resolve_discrepancy(std::int64_t id, const std::string& actor,
                                     const std::string& note, Instant now) = 0;
  virtual Status acknowledge_discrepancy(std::int64_t id, const std::string& actor,
                                         const std::string& note, Instant now) = 0;

  // Discrepancies opened or reopened and not yet put in an email
  // (MailStore::enqueue_mail marks them notified).
  virtual Result<std::vector<Discrepancy>> pending_notifications(std::size_t limit) = 0;
};

}  // namespace arsync::store
