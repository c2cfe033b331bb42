#include "arsync/engine/sync_engine.h"

#include <filesystem>

#include "arsync/engine/mapping_sink.h"
#include "arsync/log/log.h"

namespace arsync::engine {

struct SyncEngine::System {
  SystemSetup setup;
  std::unique_ptr<Connector> connector;
  mapping::MappingSet mappings;
};

bool CycleReport::ok() const {
  for (const SystemRun& s : systems) {
    if (!s.status.is_ok()) return false;
  }
  return reconcile_status.is_ok() && alert_status.is_ok();
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

  Result<std::unique_ptr<alert::Transport>> transport =
      alert::make_transport(engine->options_.mail.transport, engine->options_.mail.hostname);
  if (!transport) return transport.status().with_context("mail.transport");
  engine->transport_ = std::move(transport).value();
  engine->reconciler_ =
      std::make_unique<reconcile::Reconciler>(store, engine->options_.reconcile, clock);
  return engine;
}

SystemRun SyncEngine::pull_system(System& system) {
  SystemRun run;
  run.system = system.setup.name;
  run.type = system.setup.type;
  Result<std::optional<std::string>> cursor = store_.get_cursor(run.system, kPullCursorKey);
  if (!cursor) {
    run.status = cursor.status();
    return run;
  }
  MappingSink sink(run.system, kPullCursorKey, system.mappings, store_, clock_, &stop_,
                   options_.sink);
  run.status = system.connector->pull(cursor->value_or(""), sink);
  // Whatever the connector says, its accepted batches are committed (or the
  // commit error is known) before anyone else uses the store.
  Status flushed = sink.flush();
  if (run.status.is_ok()) run.status = flushed;
  static_cast<SinkTotals&>(run) = sink.totals();
  return run;
}

CycleReport SyncEngine::run_cycle() {
  CycleReport report;
  report.started = clock_.now();
  for (auto& system : systems_) {
    if (stop_) {
      report.stopped_early = true;
      break;
    }
    SystemRun run = pull_system(*system);
    if (run.status.is_ok()) {
      log::info(run.system, "pull_done",
                {{"records", std::to_string(run.records)},
                 {"inserted", std::to_string(run.inserted)},
                 {"updated", std::to_string(run.updated)},
                 {"unchanged", std::to_string(run.unchanged)},
                 {"quarantined", std::to_string(run.quarantined)},
                 {"skipped", std::to_string(run.skipped)}});
    } else {
      log::error(run.system, "pull_failed", {{"error", run.status.to_string()}});
    }
    report.systems.push_back(std::move(run));
  }

  if (!stop_) {
    Result<reconcile::RunStats> stats = reconciler_->run_dirty();
    if (stats) {
      report.reconcile = *stats;
      log::info("", "reconcile_done",
                {{"groups", std::to_string(stats->groups_checked)},
                 {"opened", std::to_string(stats->opened)},
                 {"reopened", std::to_string(stats->reopened)},
                 {"resolved", std::to_string(stats->resolved)}});
    } else {
      report.reconcile_status = stats.status();
      log::error("", "reconcile_failed", {{"error", stats.status().to_string()}});
    }
  }

  // Alerts are queued and delivered even after a failed pull: discrepancies
  // already found must still reach the AR team.
  Result<std::size_t> queued = alert::queue_alerts(store_, options_.mail, clock_);
  if (queued) {
    report.emails_queued = *queued;
  } else {
    report.alert_status = queued.status();
    log::error("", "alert_queue_failed", {{"error", queued.status().to_string()}});
  }
  Result<alert::DeliveryStats> delivered =
      alert::deliver_due(store_, *transport_, options_.mail, clock_);
  if (delivered) {
    report.delivery = *delivered;
    // A dead letter is an operational problem: the AR team never got it.
    for (const store::OutgoingMail& m : delivered->dead_mail) {
      log::error("", "mail_dead_letter",
                 {{"message_id", m.message_id}, {"subject", m.subject},
                  {"attempts", std::to_string(m.attempts)}, {"error", m.last_error},
                  {"action", "fix the mail transport; the discrepancy stays in `arsync discrepancies list`"}});
    }
    if (delivered->sent || delivered->retried || delivered->dead) {
      log::info("", "mail_delivery",
                {{"sent", std::to_string(delivered->sent)},
                 {"retried", std::to_string(delivered->retried)},
                 {"dead", std::to_string(delivered->dead)}});
    }
  } else if (report.alert_status.is_ok()) {
    report.alert_status = delivered.status();
    log::error("", "mail_delivery_failed", {{"error", delivered.status().to_string()}});
  }
  report.finished = clock_.now();
  return report;
}

}  // namespace arsync::engine
