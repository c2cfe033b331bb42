#include "arsync/engine/sync_engine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "arsync/engine/mapping_sink.h"
#include "arsync/log/log.h"

namespace arsync::engine {

struct SyncEngine::System {
  SystemSetup setup;
  std::unique_ptr<Connector> connector;
  std::unique_ptr<CredentialHandle> credentials;
  mapping::MappingSet mappings;
  std::unique_ptr<BatchMapper> mapper;  // for commit(): records posted to a route
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

// Runs `read` on the writer thread (the store's one user) and returns what
// it gave.
template <typename T, typename Read>
Result<T> on_writer(StoreWriter& writer, Read read) {
  Result<T> out = Status(ErrorCode::kInternal, "store writer task did not run");
  Status ran = writer.run([&](store::Store& s) {
    out = read(s);
    return Status::ok();
  }).get();
  if (!ran) return ran;
  return out;
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

SyncEngine::~SyncEngine() {
  request_stop();
  if (writer_) writer_->stop();
}

SyncEngine::System* SyncEngine::find(const std::string& name) {
  for (auto& s : systems_) {
    if (s->setup.name == name) return s.get();
  }
  return nullptr;
}

Result<std::unique_ptr<SyncEngine>> SyncEngine::create(EngineOptions options,
                                                       const Registry& registry,
                                                       store::Store& store, const Clock& clock) {
  std::unique_ptr<SyncEngine> engine(new SyncEngine(std::move(options), store, clock));
  SyncEngine* self = engine.get();
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
    ctx.secrets = setup.secrets;
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
    system->mapper = std::make_unique<BatchMapper>(setup.name, system->mappings, clock);

    ctx.state_dir = (std::filesystem::path(engine->options_.state_dir) / "systems" / setup.name)
                        .string();
    ctx.clock = &clock;
    if (engine->options_.credentials) {
      system->credentials = engine->options_.credentials->handle(setup.name);
      ctx.credentials = system->credentials.get();
    }
    if (engine->options_.wake) {
      ctx.wake = [wake = engine->options_.wake, name = setup.name] { wake(name); };
    }
    ctx.commit = [self, name = setup.name](RecordBatch batch) {
      return self->commit(name, std::move(batch));
    };
    std::error_code ec;
    std::filesystem::create_directories(ctx.state_dir, ec);
    Result<std::unique_ptr<Connector>> connector = type->create(ctx);
    if (!connector) return connector.status().with_context("systems." + setup.name);
    system->connector = std::move(connector).value();
    for (HttpRoute& route : system->connector->routes()) engine->routes_.push_back(std::move(route));
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
  engine->writer_ = std::make_unique<StoreWriter>(store, clock, engine->options_.writer);
  return engine;
}

SystemRun SyncEngine::pull_system(System& system, const std::atomic<bool>& stop) {
  const auto t0 = std::chrono::steady_clock::now();
  SystemRun run;
  run.system = system.setup.name;
  run.type = system.setup.type;
  Result<std::optional<std::string>> cursor = on_writer<std::optional<std::string>>(
      *writer_, [&](store::Store& s) { return s.get_cursor(run.system, kPullCursorKey); });
  if (!cursor) {
    run.status = cursor.status();
    return run;
  }
  log::debug(run.system, "pull_started", {{"cursor", cursor->value_or("")}});
  MappingSink sink(run.system, kPullCursorKey, system.mappings, *writer_, clock_, &stop,
                   options_.sink);
  run.status = system.connector->pull(cursor->value_or(""), sink);
  // Whatever the connector says, its accepted batches are committed (or the
  // commit error is known) before the run is reported.
  Status flushed = sink.flush();
  if (run.status.is_ok()) run.status = flushed;
  static_cast<SinkTotals&>(run) = sink.totals();
  if (run.status.is_ok()) run.degraded = degraded_reason(run, options_.quarantine_alert_share);
  run.seconds = seconds_since(t0);
  return run;
}

SystemRun SyncEngine::run_system(const std::string& name, std::stop_token stop) {
  System* system = find(name);
  if (!system) {
    SystemRun run;
    run.system = name;
    run.status = Status(ErrorCode::kNotFound, "no system '" + name + "' is configured");
    return run;
  }
  // Stopped by the caller's token (the scheduler) or by request_stop().
  // (A callback on a token already stopped runs at once.)
  std::atomic<bool> halt{false};
  std::stop_callback on_stop(stop, [&halt] { halt = true; });
  std::stop_callback on_engine_stop(stop_source_.get_token(), [&halt] { halt = true; });
  SystemRun run = pull_system(*system, halt);
  report_pull(run);
  return run;
}

Result<CommitSummary> SyncEngine::commit(const std::string& name, RecordBatch batch) {
  System* system = find(name);
  if (!system) return Status(ErrorCode::kNotFound, "no system '" + name + "' is configured");
  if (!batch.cursor.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "records committed outside a pull carry no cursor (got '" + batch.cursor + "')");
  }
  MappedBatch mapped;
  ARSYNC_RETURN_IF_ERROR(system->mapper->map(batch, mapped, /*hash_now=*/true));
  CommitSummary summary;
  summary.records = mapped.records;
  summary.skipped = mapped.skipped;
  mapped.batch.cursor_key = kPullCursorKey;  // no cursor is stored with it
  Result<store::BatchOutcome> outcome = writer_->submit(std::move(mapped.batch)).get();
  if (!outcome) return outcome.status();
  summary.stored = outcome->inserted + outcome->updated + outcome->unchanged;
  summary.quarantined = outcome->quarantined;
  summary.deleted = outcome->deleted;
  log::info(name, "records_committed",
            {{"records", std::to_string(summary.records)},
             {"inserted", std::to_string(outcome->inserted)},
             {"updated", std::to_string(outcome->updated)},
             {"unchanged", std::to_string(outcome->unchanged)},
             {"quarantined", std::to_string(summary.quarantined)}});
  if (options_.committed) options_.committed(name);
  return summary;
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
               {"deleted", std::to_string(run.deleted)},
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
  Status kept = writer_->run([&](store::Store& s) { return s.record_pull_outcome(outcome); }).get();
  if (!kept) {
    log::error(run.system, "pull_outcome_not_kept",
               {{"error", kept.to_string()}, {"action", "`arsync status` shows an older pull"}});
  }
}

void SyncEngine::reconcile(CycleReport& report) {
  const auto t0 = std::chrono::steady_clock::now();
  // In chunks, each a task of its own on the writer: a pull's batches wait
  // for one chunk at most, not for the whole run.
  const std::size_t chunk = std::max<std::size_t>(1, options_.reconcile_chunk);
  Result<reconcile::RunStats> stats = reconcile::RunStats{};
  while (!stopping()) {
    // One transaction per chunk: one fsync for `chunk` groups, not two per
    // group (each group's own writes stay all or nothing inside it).
    Result<reconcile::RunStats> part = on_writer<reconcile::RunStats>(
        *writer_, [&](store::Store& s) -> Result<reconcile::RunStats> {
          Result<reconcile::RunStats> run = reconcile::RunStats{};
          Status committed = s.in_one_transaction([&] {
            run = reconciler_->run_dirty(chunk);
            return run.status();
          });
          if (!committed) return committed;
          return run;
        });
    if (!part) {
      stats = part.status();
      break;
    }
    stats->add(*part);
    if (part->groups_checked + part->groups_failed < chunk) break;
  }
  report.reconcile_seconds += seconds_since(t0);
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

void SyncEngine::alert(CycleReport& report, bool wait_for_mail) {
  // Alerts are queued and delivered even after a failed pull: discrepancies
  // already found must still reach the AR team.
  const auto t0 = std::chrono::steady_clock::now();
  // queue_alerts takes a page of discrepancies per call (its rendering holds
  // one page in memory). A first load can find many pages; all of them are
  // queued now, not one page per follow-up.
  for (;;) {
    Result<std::size_t> queued = on_writer<std::size_t>(*writer_, [&](store::Store& s) {
      return alert::queue_alerts(s, options_.mail, clock_);
    });
    if (!queued) {
      report.alert_status = queued.status();
      log::error("", "alert_queue_failed", {{"error", queued.status().to_string()}});
      break;
    }
    report.emails_queued += *queued;
    if (*queued == 0 || stopping()) break;
  }
  // Delivery (logged by alert::deliver_due) runs on the mail worker's thread
  // so a hung SMTP server never holds up the next pull; it is waited for
  // only when asked to (--once), bounded by the round's deadline.
  Result<alert::DeliveryStats> delivered = alert::DeliveryStats{};
  if (!mail_worker_) {
    delivered = on_writer<alert::DeliveryStats>(*writer_, [&](store::Store& s) {
      return alert::deliver_due(s, *transport_, options_.mail, clock_);
    });
  } else if (wait_for_mail) {
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
  report.alert_seconds += seconds_since(t0);
}

void SyncEngine::follow_up(CycleReport& report, bool wait_for_mail) {
  std::lock_guard lock(follow_up_mu_);
  if (!stopping()) reconcile(report);
  alert(report, wait_for_mail);
}

CycleReport SyncEngine::run_cycle() {
  const auto t0 = std::chrono::steady_clock::now();
  CycleReport report;
  report.started = clock_.now();
  // Independent systems pull at once: a slow one does not hold up the rest,
  // and the writer groups their batches into shared transactions. A stop
  // asked for before the cycle pulls nothing.
  report.stopped_early = stopping();
  report.systems.resize(report.stopped_early ? 0 : systems_.size());
  const auto pulls_t0 = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> pulls;
    for (std::size_t i = 0; i < report.systems.size(); ++i) {
      pulls.emplace_back([this, i, &report] {
        report.systems[i] = run_system(systems_[i]->setup.name);
      });
    }
  }
  report.pull_seconds = seconds_since(pulls_t0);
  report.stopped_early = report.stopped_early || stopping();

  follow_up(report, options_.wait_for_mail);
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
