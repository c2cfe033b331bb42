// The sync engine: each system's pull, and what follows commits.
//
//   connector.pull(cursor) -> RecordBatch -> MappingSink (map) ->
//   StoreWriter (batch + cursor committed in group transactions) ->
//   follow_up: reconciler over dirty groups -> alert::queue_alerts
//   (mail_outbox) -> wake alert::MailDeliveryWorker (delivery on its own
//   thread and store connection)
//
// The engine owns the one StoreWriter: every write to the store (batches
// of every pull, records posted to a connector's route through
// ConnectorContext::commit, pull outcomes, the reconciler's findings, the
// alert queue) goes through it, so the store has one writer thread however
// many systems pull at once. Reconciliation runs on the writer in chunks of
// reconcile_chunk groups, so pulls' batches are committed between them.
//
// Two ways to drive it: run_cycle() pulls every system at once (one thread
// each), then follows up once (`arsyncd --once`, tests); the daemon's
// scheduler calls run_system() per system on its own schedule and
// follow_up() after commits (service/daemon.h).
//
// A system that fails (unreachable, a sink error) is reported and the other
// systems go on; its next run resumes from its last committed cursor.
// A pull that ends OK but quarantined every record it read, or more than
// EngineOptions::quarantine_alert_share of them, is "degraded": reported as
// a problem like a failure (the data is not arriving), though nothing is
// retried. Each system's last outcome is kept in the store (`arsync status`).
// A match group that cannot be reconciled is reported and retried later
// (reconciler.h); the other groups go on.
//
// Thread safety: run_system() may run for different systems at once, and
// commit() from any thread; one system is pulled by one thread at a time.
// follow_up() calls are serialized. run_cycle() is not run beside the
// others. request_stop() may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <map>
#include <stop_token>
#include <string>
#include <vector>

#include "arsync/alert/alerter.h"
#include "arsync/alert/delivery_worker.h"
#include "arsync/alert/mail_config.h"
#include "arsync/alert/transport.h"
#include "connector/registry.h"
#include "arsync/engine/mapping_sink.h"
#include "arsync/engine/store_writer.h"
#include "arsync/mapping/mapping.h"
#include "arsync/model/clock.h"
#include "arsync/reconcile/config.h"
#include "arsync/reconcile/reconciler.h"
#include "arsync/store/credential_vault.h"
#include "arsync/store/store.h"

namespace arsync::engine {

// Everything the engine needs to know about one configured system.
struct SystemSetup {
  std::string name;
  std::string type;
  std::string mappings_dir;
  nlohmann::json settings;
  std::map<std::string, std::string> secrets;  // the secrets file's systems.<name>
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
  StoreWriterOptions writer;
  // Dirty match groups reconciled per writer task (pulls commit between).
  std::size_t reconcile_chunk = 256;
  // Given to each connector as ConnectorContext::wake (for its system);
  // empty: connectors get none.
  std::function<void(const std::string& system)> wake;
  // Called after records posted through ConnectorContext::commit are
  // committed (the daemon then follows up); may be empty.
  std::function<void(const std::string& system)> committed;
  // Gives each connector its CredentialHandle; null: connectors get none.
  // Must outlive the engine.
  store::CredentialVault* credentials = nullptr;
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
  // Wall time of each stage (steady clock): the pulls (which run at once),
  // reconciliation, and queuing plus delivering alerts (the delivery
  // thread's round when waited for).
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
  // `store` is written by the engine's writer thread only, from create()
  // until the engine is destroyed: read it through writer().run() (or after
  // run_cycle() has returned, when nothing else runs).
  // Creates the connectors (settings validated against each type's config
  // keys, relative to nothing: paths must already be resolved), loads the
  // mapping sets and the mail transport. Errors name the system and key.
  static Result<std::unique_ptr<SyncEngine>> create(EngineOptions options,
                                                    const Registry& registry,
                                                    store::Store& store, const Clock& clock);

  // Pulls every system, each on its own thread, then follows up once.
  // Never throws; failures are in the report.
  CycleReport run_cycle();

  // One pull of `system` (the scheduler's run function), logged and kept as
  // its last outcome. `stop` ends it after the current batch. A system not
  // configured: status kNotFound.
  SystemRun run_system(const std::string& system, std::stop_token stop = {});

  // Reconciles the dirty groups, queues the alerts for what changed, and
  // delivers due mail: waits for a delivery round when `wait_for_mail`,
  // else wakes the delivery thread. Fills the report's reconcile, alert and
  // delivery parts (and their seconds). Serialized.
  void follow_up(CycleReport& report, bool wait_for_mail);

  // ConnectorContext::commit for `system`: maps `batch` and commits it
  // through the writer, returning once it is committed.
  Result<CommitSummary> commit(const std::string& system, RecordBatch batch);

  // The HTTP routes of every system's connector (asked once, at create()).
  const std::vector<HttpRoute>& routes() const { return routes_; }

  // Asks running pulls and follow-ups to stop after the current batch
  // (SIGTERM during `--once`).
  void request_stop() { stop_source_.request_stop(); }

  const std::vector<SystemSetup>& systems() const { return options_.systems; }
  StoreWriter& writer() { return *writer_; }

  // Commits what was submitted, then stops the writer and the connectors.
  ~SyncEngine();

 private:
  struct System;
  SyncEngine(EngineOptions options, store::Store& store, const Clock& clock);
  System* find(const std::string& name);
  SystemRun pull_system(System& system, const std::atomic<bool>& stop);
  // Logs how `run` ended and keeps it as the system's last pull outcome.
  void report_pull(const SystemRun& run);
  void reconcile(CycleReport& report);
  void alert(CycleReport& report, bool wait_for_mail);

  EngineOptions options_;
  store::Store& store_;
  const Clock& clock_;
  std::vector<std::unique_ptr<System>> systems_;
  std::vector<HttpRoute> routes_;
  std::unique_ptr<alert::Transport> transport_;           // without open_mail_store
  std::unique_ptr<alert::MailDeliveryWorker> mail_worker_;  // with it
  std::unique_ptr<reconcile::Reconciler> reconciler_;
  std::unique_ptr<StoreWriter> writer_;
  std::mutex follow_up_mu_;
  bool stopping() const { return stop_source_.stop_requested(); }
  std::stop_source stop_source_;  // reaches the pulls running when a stop is asked
};

// The cursor key under which a system's pull cursor is stored.
inline constexpr const char* kPullCursorKey = "pull";

}  // namespace arsync::engine
