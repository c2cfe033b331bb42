#include "arsync/reconcile/reconciler.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <set>
#include <tuple>
#include <utility>

#include "arsync/reconcile/rules.h"

namespace arsync::reconcile {
namespace {

// Groups fetched per due_dirty_keys call.
constexpr std::size_t kBatch = 256;

}  // namespace

Reconciler::Reconciler(store::DocumentStore& documents, store::ReconcileStore& work,
                       ReconcileConfig config, const Clock& clock)
    : documents_(documents), work_(work), config_(std::move(config)), clock_(clock) {}

Status Reconciler::check_group(const store::DirtyKey& key, Instant now, RunStats& stats) {
  std::string where = std::string(to_string(key.kind)) + " " + key.match_key;

  GroupInput input;
  input.kind = key.kind;
  input.match_key = key.match_key;
  auto group = documents_.find_group(key.kind, key.match_key);
  if (!group) return group.status().with_context("reconcile " + where);
  input.documents = std::move(*group);

  if (key.kind != DocumentKind::kCustomer) {
    auto settlements = documents_.find_applications_to(key.kind, key.match_key);
    if (!settlements) return settlements.status().with_context("reconcile " + where);
    input.settlements = std::move(*settlements);
  }

  if (key.kind == DocumentKind::kPayment) {
    std::set<std::pair<DocumentKind, std::string>> looked_up;
    for (const Document& d : input.documents) {
      for (const Application& a : d.applications) {
        auto target = std::make_pair(a.target_kind, a.target_match_key);
        if (!looked_up.insert(target).second) continue;
        auto docs = documents_.find_group(a.target_kind, a.target_match_key);
        if (!docs) return docs.status().with_context("reconcile " + where);
        if (!docs->empty()) input.known_targets.insert(target);
      }
    }
  }

  for (const Document& d : input.documents) {
    std::optional<Instant> since = estimate_known_since(d);
    if (!since) continue;
    auto it = input.known_since.find(d.system);
    if (it == input.known_since.end() || *since < it->second) input.known_since[d.system] = *since;
  }

  Evaluation eval = evaluate_group(input, config_, now);

  auto outcome = work_.apply_findings(key.kind, key.match_key, eval.findings, now);
  if (!outcome) return outcome.status().with_context("reconcile " + where);

  // Clear first, then re-mark: mark_dirty keeps the earlier due time of an
  // existing mark, so marking first would leave this one due now. If new
  // data re-marked the group while we evaluated, the clear is a no-op (seq)
  // and the group is checked again anyway. Should either fail, the group is
  // deferred and checked again: applying the same findings again changes
  // nothing and sends no second alert.
  ARSYNC_RETURN_IF_ERROR(work_.clear_dirty_key(key));
  if (eval.recheck_at) {
    store::DirtyKey again;
    again.kind = key.kind;
    again.match_key = key.match_key;
    again.due = *eval.recheck_at;
    ARSYNC_RETURN_IF_ERROR(work_.mark_dirty({again}));
  }

  stats.groups_checked += 1;
  stats.findings += eval.findings.size();
  stats.opened += outcome->opened.size();
  stats.reopened += outcome->reopened.size();
  stats.updated += outcome->updated.size();
  stats.resolved += outcome->resolved.size();
  stats.opened_ids.insert(stats.opened_ids.end(), outcome->opened.begin(), outcome->opened.end());
  stats.reopened_ids.insert(stats.reopened_ids.end(), outcome->reopened.begin(),
                            outcome->reopened.end());
  return Status::ok();
}

Status Reconciler::defer_group(const store::DirtyKey& key, const Status& error, Instant now,
                               RunStats& stats) {
  // retry_first << (attempts so far), capped; at least a second, so that the
  // mark is not due again within this run (whose `now` is fixed).
  auto wait = std::max(config_.retry_first, std::chrono::seconds(1));
  for (int i = 0; i < key.attempts && wait < config_.retry_max; ++i) wait *= 2;
  wait = std::min(wait, std::max(config_.retry_max, std::chrono::seconds(1)));
  const Instant retry_at = now + wait;
  Status deferred = work_.defer_dirty_key(key, error.to_string(), retry_at);
  if (!deferred) {
    return deferred.with_context("reconcile: cannot record that checking " +
                                 std::string(to_string(key.kind)) + " " + key.match_key +
                                 " failed (" + error.to_string() + ")");
  }
  stats.groups_failed += 1;
  if (stats.failures.size() < RunStats::kMaxListedFailures) {
    stats.failures.push_back({key.kind, key.match_key, error, key.attempts + 1, retry_at});
  }
  return Status::ok();
}

void RunStats::add(const RunStats& later) {
  groups_checked += later.groups_checked;
  groups_failed += later.groups_failed;
  for (const GroupFailure& f : later.failures) {
    if (failures.size() >= kMaxListedFailures) break;
    failures.push_back(f);
  }
  findings += later.findings;
  opened += later.opened;
  reopened += later.reopened;
  updated += later.updated;
  resolved += later.resolved;
  opened_ids.insert(opened_ids.end(), later.opened_ids.begin(), later.opened_ids.end());
  reopened_ids.insert(reopened_ids.end(), later.reopened_ids.begin(), later.reopened_ids.end());
}

Result<RunStats> Reconciler::run_dirty(std::size_t max_groups) {
  RunStats stats;
  const Instant now = clock_.now();
  // A mark we cleared must not come back with the same seq; if it does the
  // store is not clearing and looping would never end.
  std::set<std::tuple<DocumentKind, std::string, std::int64_t>> done;
  auto handled = [&stats] { return stats.groups_checked + stats.groups_failed; };
  while (handled() < max_groups) {
    std::size_t want = std::min(kBatch, max_groups - handled());
    auto keys = work_.due_dirty_keys(now, want);
    if (!keys) return keys.status().with_context("reconcile");
    if (keys->empty()) break;
    for (const store::DirtyKey& key : *keys) {
      if (!done.insert({key.kind, key.match_key, key.seq}).second) {
        return Status(ErrorCode::kInternal,
                      "reconcile: dirty mark for " + std::string(to_string(key.kind)) + " " +
                          key.match_key + " was not cleared by the store");
      }
      Status checked;
      try {
        checked = check_group(key, now, stats);
      } catch (const std::exception& e) {  // a rule or library that threw
        checked = Status(ErrorCode::kInternal, "reconcile " + std::string(to_string(key.kind)) +
                                                   " " + key.match_key + ": " + e.what());
      }
      if (!checked) ARSYNC_RETURN_IF_ERROR(defer_group(key, checked, now, stats));
      if (handled() >= max_groups) break;
    }
  }
  return stats;
}

Result<RunStats> Reconciler::run_full() {
  Status marked = work_.mark_all_dirty(clock_.now());
  if (!marked) return marked.with_context("reconcile");
  return run_dirty();
}

}  // namespace arsync::reconcile
