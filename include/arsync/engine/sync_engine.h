// The sync cycle: pull every system, map, store, reconcile, alert, deliver.
//
//   connector.pull(cursor) -> RecordBatch -> mapping -> store.commit_batch
//   (batch + cursor in one transaction) -> reconciler over dirty groups ->
//   alert::queue_alerts (mail_outbox) -> wake alert::MailDeliveryWorker
//   (delivery on its own thread and store connection)
//
// A system that fails (unreachable, a sink error) is reported and the other
// systems go on; the next cycle resumes it from its last committed cursor.
// A pull that ends OK but quarantined every record it read, or more than
// EngineOptions::quarantine_alert_share of them, is "degraded": reported as
// a problem like a failure (the data is not arriving), though nothing is
// retried. Each system's last outcome is kept in the store (`arsync status`).
// A match group that cannot be reconciled is reported and retried later
// (reconciler.h); the other groups go on.
//
// Thread safety: one SyncEngine runs on one thread (the store's writer).
// request_stop() may be called from any thread (a signal handler's flag).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "arsync/alert/alerter.h"
#include "arsync/alert/delivery_worker.h"
#include "arsync/alert/mail_config.h"
#include "arsync/alert/transport.h"
#include "connector/registry.h"
#include "arsync/engine/mapping_sink.h"
#include "arsync/mapping/mapping.h"
#include "arsync/model/clock.h"
#include "arsync/reconcile/config.h"
#include "arsync/reconcile/reconciler.h"
#include "arsync/store/store.h"

namespace arsync::engine {

// Everything the engine needs to know about one configured system.
struct SystemSetup {
  std::string name;
  std::string type;
  std::string mappings_dir;
  nlohmann::json settings;
};

struct EngineOptions {
  std::vector<SystemSetup> systems;
  std::string state_dir;
  SinkLimits sink;  // how each pull's MappingSink gathers and queues batches
  reconcile::ReconcileConfig reconcile;
  alert::MailConfig mail;
  // A pull that quarantines more than this share of the records it read
  // (0 to 1) is degraded; so is one that stored nothing and quarantined some.
  double quarantine_alert_share = 0.10;
  // Mail delivery: a connection of its own to the same store, for the
  // delivery thread. Empty: run_cycle delivers on the engine's thread.
  alert::MailDeliveryWorker::OpenStore open_mail_store;
  // run_cycle waits for one delivery round (at most
  // mail.delivery_deadline_seconds) and reports it (`--once`, tests); false:
  // it only wakes the delivery thread (the daemon's loop).
  bool wait_for_mail = true;
};

// How one pull ended: "ok", "degraded" (it ran, but quarantined what the AR
// team cannot do without) or "failed" (it stopped with an error).
enum class PullState { kOk, kDegraded, kFailed };
const char* to_string(PullState state);

// Per-system outcome of one cycle: the sink's totals (records read, mapped or
// quarantined; documents inserted, updated, unchanged) and how the pull ended.
struct SystemRun : SinkTotals {
  std::string system;
  std::string type;
  Status status;         // OK, or why the pull stopped
  std::string degraded;  // why an OK pull is degraded ("" when it is not)
  double seconds = 0;    // wall time of the pull, its commits included

  PullState state() const;
  // Documents stored by the pull: inserted, updated or unchanged.
  std::size_t stored() const { return inserted + updated + unchanged; }
};

// Why a pull with `totals` is degraded under `share` (see
// EngineOptions::quarantine_alert_share), e.g. "7 of 7 records quarantined
// (100%), none stored"; "" when it is not.
std::string degraded_reason(const SinkTotals& totals, double share);

struct CycleReport {
  Instant started{};
  Instant finished{};
  std::vector<SystemRun> systems;
  reconcile::RunStats reconcile;
  Status reconcile_status;
  std::size_t emails_queued = 0;
  alert::DeliveryStats delivery;
  Status alert_status;
  bool stopped_early = false;
  // Wall time of each stage (steady clock): every pull, reconciliation, and
  // queuing plus delivering alerts (the delivery thread's round when waited for).
  double pull_seconds = 0;
  double reconcile_seconds = 0;
  double alert_seconds = 0;
  double seconds = 0;  // the whole cycle

  // False when a pull failed or was degraded, a match group could not be
  // reconciled, or alerting failed: `arsyncd --once` then exits 1.
  bool ok() const;
};

class SyncEngine {
 public:
  // Creates the connectors (settings validated against each type's config
  // keys, relative to nothing: paths must already be resolved), loads the
  // mapping sets and the mail transport. Errors name the system and key.
  static Result<std::unique_ptr<SyncEngine>> create(EngineOptions options,
                                                    const Registry& registry,
                                                    store::Store& store, const Clock& clock);

  // Runs one cycle. Never throws; failures are in the report.
  CycleReport run_cycle();

  // Asks a running cycle to stop after the current batch (SIGTERM).
  void request_stop() { stop_ = true; }

  // Mapping sets per system (for `arsync`).
  const std::vector<SystemSetup>& systems() const { return options_.systems; }

  ~SyncEngine();

 private:
  struct System;
  SyncEngine(EngineOptions options, store::Store& store, const Clock& clock);
  SystemRun pull_system(System& system);
  // Logs how `run` ended and keeps it as the system's last pull outcome.
  void report_pull(const SystemRun& run);
  void reconcile(CycleReport& report);

  EngineOptions options_;
  store::Store& store_;
  const Clock& clock_;
  std::vector<std::unique_ptr<System>> systems_;
  std::unique_ptr<alert::Transport> transport_;           // without open_mail_store
  std::unique_ptr<alert::MailDeliveryWorker> mail_worker_;  // with it
  std::unique_ptr<reconcile::Reconciler> reconciler_;
  std::atomic<bool> stop_{false};
};

// The cursor key under which a system's pull cursor is stored.
inline constexpr const char* kPullCursorKey = "pull";

}  // namespace arsync::engine
