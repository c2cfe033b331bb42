// Reconciler: drives the rules (rules.h) over the store's dirty match groups
// and records what it finds as discrepancies.
//
// For each due dirty group it loads the group, the payments and credits
// applied to it and, for payment groups, the groups their applications
// target; evaluates the rules; hands ALL current findings of the group to
// Store::apply_findings (which opens, updates, reopens and resolves); clears
// the dirty mark; and, while a grace period is running, marks the group
// dirty again, due when the grace ends, so that a missing document is
// reported without any new data arriving.
//
// A payment that arrived before its invoice holds a payment_unknown_invoice
// finding until the invoice arrives: the store marks the groups applying to a
// changed group dirty (commit_batch), so the payment group is re-checked.
//
// Thread safety: one thread at a time (it uses the store, which is
// single-threaded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "arsync/model/clock.h"
#include "arsync/model/status.h"
#include "arsync/reconcile/config.h"
#include "arsync/store/store.h"

namespace arsync::reconcile {

struct RunStats {
  std::size_t groups_checked = 0;
  std::size_t findings = 0;  // current findings over all checked groups
  std::size_t opened = 0;
  std::size_t reopened = 0;
  std::size_t updated = 0;
  std::size_t resolved = 0;
  std::vector<std::int64_t> opened_ids;    // discrepancies opened in this run
  std::vector<std::int64_t> reopened_ids;  // and reopened
};

class Reconciler {
 public:
  // `store` and `clock` must outlive the Reconciler.
  Reconciler(store::Store& store, ReconcileConfig config, const Clock& clock);

  // Checks due dirty groups until none is due or `max_groups` were checked.
  // Returns the counts; on a store error, that error (groups checked before
  // it keep their results, the failed group stays dirty).
  Result<RunStats> run_dirty(std::size_t max_groups = std::numeric_limits<std::size_t>::max());

  // Marks every group dirty (due now) and checks them all.
  Result<RunStats> run_full();

 private:
  Status check_group(const store::DirtyKey& key, Instant now, RunStats& stats);

  store::Store& store_;
  ReconcileConfig config_;
  const Clock& clock_;
};

}  // namespace arsync::reconcile
