// Reconciler: drives the rules (rules.h) over the store's dirty match groups
// and records what it finds as discrepancies.
//
// For each due dirty group it loads the group, the payments and credits
// applied to it and, for payment groups, the groups their applications
// target (DocumentStore); evaluates the rules; hands ALL current findings
// of the group to ReconcileStore::apply_findings (which opens, updates,
// reopens and resolves); clears the dirty mark; and, while a grace period
// is running, marks the group dirty again, due when the grace ends, so that
// a missing document is reported without any new data arriving.
//
// A payment that arrived before its invoice holds a payment_unknown_invoice
// finding until the invoice arrives: the store marks the groups applying to a
// changed group dirty (commit_batch), so the payment group is re-checked.
//
// A failure on one group (a store error, a stored document the rules or the
// store cannot handle) never stops the others: the group's mark stays, with
// the attempt and the error counted in the store, due again after a backoff
// (ReconcileConfig::retry_first, doubling to retry_max), and the run goes on.
// The run reports each such failure. Only an error that stops the store from
// recording a failure, or from listing the dirty groups, ends the run.
//
// Thread safety: one thread at a time (it uses the store's roles, which are
// single-threaded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "arsync/model/clock.h"
#include "arsync/model/status.h"
#include "arsync/reconcile/config.h"
#include "arsync/store/document_store.h"
#include "arsync/store/reconcile_store.h"
#include "arsync/store/store.h"

namespace arsync::reconcile {

// A group whose check failed in a run. It stays dirty and is checked again
// at retry_at (or sooner, when new data marks it).
struct GroupFailure {
  DocumentKind kind = DocumentKind::kInvoice;
  std::string match_key;
  Status error;
  int attempts = 0;  // failed checks of this group in a row, this one included
  Instant retry_at{};
};

struct RunStats {
  std::size_t groups_checked = 0;  // checked and recorded
  std::size_t groups_failed = 0;   // failed and deferred (see GroupFailure)
  // The first kMaxListedFailures of them.
  std::vector<GroupFailure> failures;
  static constexpr std::size_t kMaxListedFailures = 100;
  std::size_t findings = 0;  // current findings over all checked groups
  std::size_t opened = 0;
  std::size_t reopened = 0;
  std::size_t updated = 0;
  std::size_t resolved = 0;
  std::vector<std::int64_t> opened_ids;    // discrepancies opened in this run
  std::vector<std::int64_t> reopened_ids;  // and reopened

  // Adds a later run's counts and ids (failures up to kMaxListedFailures).
  void add(const RunStats& later);
};

class Reconciler {
 public:
  // Reads match groups from `documents`, takes dirty groups from and
  // records findings in `work` (usually two roles of one store connection).
  // Both and `clock` must outlive the Reconciler.
  Reconciler(store::DocumentStore& documents, store::ReconcileStore& work,
             ReconcileConfig config, const Clock& clock);
  // Both roles of one store (for callers that hold a whole Store).
  Reconciler(store::Store& store, ReconcileConfig config, const Clock& clock)
      : Reconciler(store, store, std::move(config), clock) {}

  // Checks due dirty groups until none is due or `max_groups` were checked
  // or failed. Returns the counts and the failed groups; an error only when
  // the store cannot list the dirty groups or record a failure (groups
  // checked before it keep their results; unchecked ones stay dirty).
  Result<RunStats> run_dirty(std::size_t max_groups = std::numeric_limits<std::size_t>::max());

  // Marks every group dirty (due now) and checks them all.
  Result<RunStats> run_full();

 private:
  Status check_group(const store::DirtyKey& key, Instant now, RunStats& stats);
  // Records that `key`'s check failed with `error` and when to retry it.
  Status defer_group(const store::DirtyKey& key, const Status& error, Instant now,
                     RunStats& stats);

  store::DocumentStore& documents_;
  store::ReconcileStore& work_;
  ReconcileConfig config_;
  const Clock& clock_;
};

}  // namespace arsync::reconcile
