// ReconcileStore: the store's role for the reconciler's work: the dirty
// match groups still to check, and the findings of a check applied to the
// group's discrepancies. The reconciler reads the groups themselves through
// DocumentStore.
//
// The durability contract and the thread rule are in store.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "arsync/model/clock.h"
#include "arsync/model/discrepancy.h"
#include "arsync/model/document.h"
#include "arsync/model/status.h"

namespace arsync::store {

// A match group to (re-)check, no earlier than `due`.
struct DirtyKey {
  DocumentKind kind = DocumentKind::kInvoice;
  std::string match_key;
  Instant due{};
  std::int64_t seq = 0;  // set by the store; clear_dirty_key only clears this mark
  // Set by the store: checks of this mark that failed so far, and the last
  // one's error (defer_dirty_key). A successful check clears the mark.
  int attempts = 0;
  std::string last_error;
};

// What apply_findings changed, by discrepancy id.
struct FindingsOutcome {
  std::vector<std::int64_t> opened;
  std::vector<std::int64_t> reopened;
  std::vector<std::int64_t> updated;   // persisted, details changed
  std::vector<std::int64_t> resolved;  // cleared automatically
};

class ReconcileStore {
 public:
  virtual ~ReconcileStore() = default;

  // ---- dirty match groups --------------------------------------------------
  // Marks groups to check no earlier than each key's `due` (keeps the earlier
  // due time when a group is already marked).
  virtual Status mark_dirty(const std::vector<DirtyKey>& keys) = 0;
  // Groups due at `now`, oldest first (of one due time, by kind and match
  // key: the same documents give the same order, however their pulls
  // interleaved), at most `limit`.
  virtual Result<std::vector<DirtyKey>> due_dirty_keys(Instant now, std::size_t limit) = 0;
  // Clears a mark unless it was re-marked (higher seq) since it was read.
  virtual Status clear_dirty_key(const DirtyKey& key) = 0;
  // Marks every match group dirty, due `now` (full re-check).
  virtual Status mark_all_dirty(Instant now) = 0;
  // Checking `key`'s group failed: counts the attempt, keeps `error` and
  // makes the mark due at `retry_at` (the mark stays; its seq is unchanged).
  virtual Status defer_dirty_key(const DirtyKey& key, const std::string& error,
                                 Instant retry_at) = 0;
  // Groups whose last check failed (attempts > 0), due or not: most attempts
  // first, then by kind and match key; at most `limit`. For `arsync status`.
  virtual Result<std::vector<DirtyKey>> failed_dirty_keys(std::size_t limit) = 0;

  // ---- findings ------------------------------------------------------------
  // Reconciles the open discrepancies of match group (kind, match_key) with
  // `findings` (all of that group's current findings): opens new ones
  // (pending notification), updates persisting ones (last_detected, details;
  // no new notification), reopens resolved ones (pending notification) and
  // resolves open or acknowledged ones that are no longer found. Each change
  // is a discrepancy event. One transaction.
  virtual Result<FindingsOutcome> apply_findings(DocumentKind kind, const std::string& match_key,
                                                 const std::vector<Finding>& findings,
                                                 Instant now) = 0;
};

}  // namespace arsync::store
