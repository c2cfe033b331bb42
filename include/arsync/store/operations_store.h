// OperationsStore: the store's role for what the operator reads about the
// daemon's work: quarantined records, the append-only audit log, each
// system's last pull outcome and the store's counts (`arsync status`).
//
// The durability contract and the thread rule are in store.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "arsync/model/clock.h"
#include "arsync/model/status.h"
#include "arsync/store/quarantine_entry.h"

namespace arsync::store {

// How a system's last pull ended, kept for `arsync status`.
struct PullOutcome {
  std::string system;
  Instant at{};              // when the pull ended
  std::string state;         // "ok", "degraded" or "failed"
  std::int64_t records = 0;  // read from the source (stored, quarantined or skipped)
  std::int64_t stored = 0;   // documents inserted, updated or unchanged
  std::int64_t quarantined = 0;
  std::string message;       // why degraded or failed; empty when ok
};

struct AuditEntry {
  std::int64_t id = 0;
  Instant at{};
  std::string actor;   // "arsyncd", "reconciler", a user name
  std::string action;  // "discrepancy.resolve", "file.archive", ...
  std::string object;  // what it acted on
  std::string details;
};

struct StoreStats {
  std::map<std::string, std::int64_t> documents_by_system;
  std::int64_t quarantined = 0;
  // Discrepancies by status, each counted apart (the words of
  // DiscrepancyStatus: open, acknowledged, resolved).
  std::int64_t open_discrepancies = 0;
  std::int64_t acknowledged_discrepancies = 0;
  std::int64_t resolved_discrepancies = 0;
  std::int64_t dirty_keys = 0;
  // Of those, the groups whose last check failed (ReconcileStore::
  // failed_dirty_keys lists them).
  std::int64_t failed_groups = 0;
  std::int64_t mail_pending = 0;
  // Handed to the server, its answer not stored yet (or a crash in between:
  // settled at the next start, see MailStore::mark_mail_sending).
  std::int64_t mail_sending = 0;
  std::int64_t mail_sent = 0;
  std::int64_t mail_dead = 0;
};

class OperationsStore {
 public:
  virtual ~OperationsStore() = default;

  // ---- quarantine, audit, stats ------------------------------------------
  // Quarantines records outside a batch (a whole file that failed to open).
  // Here and in commit_batch, an entry equal to a stored one but for `at`
  // (the same failure of the same record, replayed after a crash) adds no row.
  virtual Status add_quarantine(const QuarantineEntry& entry) = 0;
  // Newest first, without their raw bytes (raw_size says how many): a
  // listing does not load what may be megabytes per record.
  virtual Result<std::vector<QuarantineEntry>> list_quarantine(std::size_t limit) = 0;
  // One record with its raw bytes; empty if no record has that ID.
  virtual Result<std::optional<QuarantineEntry>> find_quarantine(std::int64_t id) = 0;
  virtual Status append_audit(const AuditEntry& entry) = 0;
  virtual Result<std::vector<AuditEntry>> audit_log(std::size_t limit) = 0;
  virtual Result<StoreStats> stats() = 0;

  // ---- pull outcomes -------------------------------------------------------
  // Replaces the last outcome kept for `outcome.system`.
  virtual Status record_pull_outcome(const PullOutcome& outcome) = 0;
  // The last outcome of each system that has pulled, by system name.
  virtual Result<std::vector<PullOutcome>> pull_outcomes() = 0;
};

}  // namespace arsync::store
