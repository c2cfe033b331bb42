#include "arsync/engine/sync_engine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "arsync/engine/mapping_sink.h"
#include "arsync/log/log.h"

namespace arsync::engine {

struct SyncEngine::System {
  SystemSetup setup;
  std::unique_ptr<Connector> connector;
  mapping::MappingSet mappings;
};

namespace {

// `part` of `whole` as a percentage with one decimal where it matters:
// "100%", "14.3%", "0.1%".
std::string percent(std::size_t part, std::size_t whole) {
  const std::size_t tenths = whole == 0 ? 0 : (part * 1000 + whole / 2) / whole;
  std::string out = std::to_string(tenths / 10);
  if (tenths % 10 != 0) out += "." + std::to_string(tenths % 10);
  return out + "%";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// "0.042": milliseconds are what an admin reading the log can act on.
std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

}  // namespace

const char* to_string(PullState state) {
  switch (state) {
    case PullState::kOk: return "ok";
    case PullState::kDegraded: return "degraded";
    case PullState::kFailed: return "failed";
  }
  return "failed";
}

PullState SystemRun::state() const {
  if (!status.is_ok()) return PullState::kFailed;
  return degraded.empty() ? PullState::kOk : PullState::kDegraded;
}

std::string degraded_reason(const SinkTotals& totals, double share) {
  if (totals.quarantined == 0) return "";
  const std::size_t records = std::max(totals.records, totals.quarantined);
  const std::string counts = std::to_string(totals.quarantined) + " of " +
                             std::to_string(records) + " records quarantined (" +
                             percent(totals.quarantined, records) + ")";
  if (totals.inserted + totals.updated + totals.unchanged == 0) return counts + ", none stored";
  // Exact, without floating point at the boundary: quarantined / records > share.
  const auto share_ppm = static_cast<std::size_t>(share * 1e6 + 0.5);
  if (totals.quarantined * 1000000 > share_ppm * records) {
    return counts + ", more than quarantine_alert_share (" + percent(share_ppm, 1000000) + ")";
  }
  return "";
}

bool CycleReport::ok() const {
  for (const SystemRun& s : systems) {
    if (s.state() != PullState::kOk) return false;
  }
  return reconcile_status.is_ok() && reconcile.groups_failed == 0 && alert_status.is_ok() &&
         delivery.undelivered() == 0;
}

SyncEngine::SyncEngine(EngineOptions options, store::Store& store, const Clock& clock)
    : options_(std::move(options)), store_(store), clock_(clock) {}

SyncEngine::~SyncEngine() = default;

Result<std::unique_ptr<SyncEngine>> SyncEngine::create(EngineOptions options,
                                                       const Registry& registry,
                                                       store::Store& store, const Clock& clock) {
  std::unique_ptr<SyncEngine> engine(new SyncEngine(std::move(options), store, clock));
  for (const SystemSetup& setup : engine->options_.systems) {
    const ConnectorType* type = registry.find(setup.type);
    if (!type) {
      std::string known;
      for (const std::string& n : registry.names()) known += (known.empty() ? "" : ", ") + n;
      return Status(ErrorCode::kInvalidArgument,
                    "systems." + setup.name + ".type: unknown connector type '" + setup.type +
                        "' (built in: " + known + ")");
    }
    Result<nlohmann::json> settings = Registry::validate(*type, setup.settings, setup.name);
    if (!settings) return settings.status();

    auto system = std::make_unique<System>();
    system->setup = setup;
    ConnectorContext ctx;
    ctx.system = setup.name;
    ctx.settings = *settings;
    ctx.mappings_dir = setup.mappings_dir;
    // A name the source never sends would map nothing, silently: refuse to start.
    std::optional<RecordSchema> schema;
    if (type->schema) {
      Result<RecordSchema> s = type->schema(ctx);
      if (!s) return s.status().with_context("systems." + setup.name);
      schema = std::move(s).value();
    }
    Result<mapping::MappingSet> mappings =
        mapping::MappingSet::load_dir(setup.mappings_dir, schema ? &*schema : nullptr);
    if (!mappings) {
      return mappings.status().with_context("systems." + setup.name + ": mapping files in " +
                                            setup.mappings_dir);
    }
    system->mappings = std::move(mappings).value();

    ctx.state_dir = (std::filesystem::path(engine->options_.state_dir) / "systems" / setup.name)
                        .string();
    ctx.clock = &clock;
    std::error_code ec;
    std::filesystem::create_directories(ctx.state_dir, ec);
    Result<std::unique_ptr<Connector>> connector = type->create(ctx);
    if (!connector) return connector.status().with_context("systems." + setup.name);
    system->connector = std::move(connector).value();
    engine->systems_.push_back(std::move(system));
  }

  if (engine->options_.open_mail_store) {
    Result<std::unique_ptr<alert::MailDeliveryWorker>> worker = alert::MailDeliveryWorker::start(
        engine->options_.mail, engine->options_.open_mail_store, clock);
    if (!worker) return worker.status();
    engine->mail_worker_ = std::move(worker).value();
  } else {
    Result<std::unique_ptr<alert::Transport>> transport =
        alert::make_transport(engine->options_.mail.transport, engine->options_.mail.hostname);
    if (!transport) return transport.status().with_context("mail.transport");
    engine->transport_ = std::move(transport).value();
  }
  engine->reconciler_ =
      std::make_unique<reconcile::Reconciler>(store, engine->options_.reconcile, clock);
  return engine;
}

SystemRun SyncEngine::pull_system(System& system) {
  const auto t0 = std::chrono::steady_clock::now();
  SystemRun run;
  run.system = system.setup.name;
  run.type = system.setup.type;
  Result<std::optional<std::string>> cursor = store_.get_cursor(run.system, kPullCursorKey);
  if (!cursor) {
    run.status = cursor.status();
    return run;
  }
  log::debug(run.system, "pull_started", {{"cursor", cursor->value_or("")}});
  MappingSink sink(run.system, kPullCursorKey, system.mappings, store_, clock_, &stop_,
                   options_.sink);
  run.status = system.connector->pull(cursor->value_or(""), sink);
  // Whatever the connector says, its accepted batches are committed (or the
  // commit error is known) before anyone else uses the store.
  Status flushed = sink.flush();
  if (run.status.is_ok()) run.status = flushed;
  static_cast<SinkTotals&>(run) = sink.totals();
  if (run.status.is_ok()) run.degraded = degraded_reason(run, options_.quarantine_alert_share);
  run.seconds = seconds_since(t0);
  return run;
}

void SyncEngine::report_pull(const SystemRun& run) {
  const PullState state = run.state();
  if (state == PullState::kFailed) {
    log::error(run.system, "pull_failed", {{"error", run.status.to_string()}});
  } else {
    log::info(run.system, "pull_done",
              {{"records", std::to_string(run.records)},
               {"inserted", std::to_string(run.inserted)},
               {"updated", std::to_string(run.updated)},
               {"unchanged", std::to_string(run.unchanged)},
               {"quarantined", std::to_string(run.quarantined)},
               {"skipped", std::to_string(run.skipped)},
               {"seconds", format_seconds(run.seconds)}});
  }
  if (state == PullState::kDegraded) {
    log::warn(run.system, "pull_degraded",
              {{"records", std::to_string(run.records)},
               {"stored", std::to_string(run.stored())},
               {"quarantined", std::to_string(run.quarantined)},
               {"reason", run.degraded},
               {"action", "see `arsync quarantine list`: fix the mapping or the source, "
                          "then have the records sent again"}});
  }

  store::PullOutcome outcome;
  outcome.system = run.system;
  outcome.at = clock_.now();
  outcome.state = to_string(state);
  outcome.records = static_cast<std::int64_t>(run.records);
  outcome.stored = static_cast<std::int64_t>(run.stored());
  outcome.quarantined = static_cast<std::int64_t>(run.quarantined);
  outcome.message = state == PullState::kFailed ? run.status.to_string() : run.degraded;
  if (Status kept = store_.record_pull_outcome(outcome); !kept) {
    log::error(run.system, "pull_outcome_not_kept",
               {{"error", kept.to_string()}, {"action", "`arsync status` shows an older pull"}});
  }
}

void SyncEngine::reconcile(CycleReport& report) {
  const auto t0 = std::chrono::steady_clock::now();
  Result<reconcile::RunStats> stats = reconciler_->run_dirty();
  report.reconcile_seconds = seconds_since(t0);
  if (!stats) {
    report.reconcile_status = stats.status();
    log::error("", "reconcile_failed", {{"error", stats.status().to_string()}});
    return;
  }
  report.reconcile = *stats;
  for (const reconcile::GroupFailure& f : stats->failures) {
    log::error("", "reconcile_group_failed",
               {{"kind", std::string(to_string(f.kind))},
                {"match_key", f.match_key},
                {"attempts", std::to_string(f.attempts)},
                {"retry_at", format_instant(f.retry_at)},
                {"error", f.error.to_string()},
                {"action", "retried at retry_at; the other groups go on. If it keeps failing, "
                           "the error names what to fix"}});
  }
  if (stats->groups_failed > stats->failures.size()) {
    log::error("", "reconcile_groups_failed",
               {{"unlisted", std::to_string(stats->groups_failed - stats->failures.size())}});
  }
  log::info("", "reconcile_done",
            {{"groups", std::to_string(stats->groups_checked)},
             {"failed", std::to_string(stats->groups_failed)},
             {"opened", std::to_string(stats->opened)},
             {"reopened", std::to_string(stats->reopened)},
             {"resolved", std::to_string(stats->resolved)},
             {"seconds", format_seconds(report.reconcile_seconds)}});
}

CycleReport SyncEngine::run_cycle() {
  const auto t0 = std::chrono::steady_clock::now();
  CycleReport report;
  report.started = clock_.now();
  for (auto& system : systems_) {
    if (stop_) {
      report.stopped_early = true;
      break;
    }
    SystemRun run = pull_system(*system);
    report.pull_seconds += run.seconds;
    report_pull(run);
    report.systems.push_back(std::move(run));
  }

  if (!stop_) reconcile(report);

  // Alerts are queued and delivered even after a failed pull: discrepancies
  // already found must still reach the AR team.
  const auto alerts_t0 = std::chrono::steady_clock::now();
  // queue_alerts takes a page of discrepancies per call (its rendering holds
  // one page in memory). A first load can find many pages; all of them are
  // queued now, not one page per interval.
  for (;;) {
    Result<std::size_t> queued = alert::queue_alerts(store_, options_.mail, clock_);
    if (!queued) {
      report.alert_status = queued.status();
      log::error("", "alert_queue_failed", {{"error", queued.status().to_string()}});
      break;
    }
    report.emails_queued += *queued;
    if (*queued == 0 || stop_) break;
  }
  // Delivery (logged by alert::deliver_due) runs on the mail worker's thread
  // so a hung SMTP server never holds up the next pull; this cycle waits for
  // one round only when asked to (--once), bounded by the round's deadline.
  Result<alert::DeliveryStats> delivered = alert::DeliveryStats{};
  if (!mail_worker_) {
    delivered = alert::deliver_due(store_, *transport_, options_.mail, clock_);
  } else if (options_.wait_for_mail) {
    delivered = mail_worker_->deliver_now();
  } else {
    mail_worker_->wake();
  }
  if (delivered) {
    report.delivery = *delivered;
  } else if (report.alert_status.is_ok()) {
    report.alert_status = delivered.status();
    log::error("", "mail_delivery_failed", {{"error", delivered.status().to_string()}});
  }
  report.alert_seconds = seconds_since(alerts_t0);
  report.finished = clock_.now();
  report.seconds = seconds_since(t0);
  log::info("", "cycle_done",
            {{"ok", report.ok() ? "true" : "false"},
             {"emails_queued", std::to_string(report.emails_queued)},
             {"seconds", format_seconds(report.seconds)},
             {"pull_seconds", format_seconds(report.pull_seconds)},
             {"reconcile_seconds", format_seconds(report.reconcile_seconds)},
             {"alert_seconds", format_seconds(report.alert_seconds)}});
  return report;
}

}  // namespace arsync::engine
