#include "arsync/service/daemon.h"

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "arsync/engine/scheduler.h"
#include "arsync/log/log.h"
#include "arsync/service/config_check.h"
#include "arsync/service/control_api.h"
#include "arsync/service/engine_setup.h"
#include "arsync/service/http_auth.h"
#include "arsync/service/http_listener.h"
#include "arsync/service/instance_lock.h"
#include "arsync/service/secrets.h"
#include "arsync/service/summary.h"
#include "arsync/store/credential_vault.h"

namespace arsync::service {

// One configuration's subsystems; stop() (also when launch() failed
// halfway) takes them down in the order the header gives.
struct Daemon::Runtime {
  Config config;
  std::optional<Secrets> secrets;
  alert::MailConfig mail;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::CredentialVault> vault;
  std::unique_ptr<engine::Scheduler> scheduler;  // created before the engine (its wake), started after
  std::unique_ptr<engine::SyncEngine> engine;
  std::unique_ptr<HttpListener> listener;
  std::unique_ptr<ControlApi> control;  // the CLI's route on the listener

  // The follow-up thread: reconciliation and alerts after commits. Requests
  // that arrive while one runs make one more run after it.
  std::mutex mu;
  std::condition_variable cv;
  bool follow_up_due = false;
  bool stopping = false;
  std::thread follow_up;

  void request_follow_up() {
    {
      std::lock_guard lock(mu);
      follow_up_due = true;
    }
    cv.notify_one();
  }

  // Runs start at least kFollowUpGap apart: under a stream of commits (HTTP
  // posts, each its own commit) one run covers every group made dirty in
  // the gap, in one transaction per chunk, instead of one run and one
  // fsync per commit group (on the writer, between the posts' commits). A
  // discrepancy is found at most that much later; a stop is not delayed.
  static constexpr std::chrono::milliseconds kFollowUpGap{200};

  void follow_up_loop() {
    auto next_start = std::chrono::steady_clock::now();
    for (;;) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [this] { return follow_up_due || stopping; });
        cv.wait_until(lock, next_start, [this] { return stopping; });
        if (stopping) return;
        follow_up_due = false;
      }
      next_start = std::chrono::steady_clock::now() + kFollowUpGap;
      engine::CycleReport report;
      engine->follow_up(report, /*wait_for_mail=*/false);
    }
  }

  void stop() {
    if (listener) (void)listener->stop();
    // Pulls end after their current batch, a reconciliation after its chunk.
    if (engine) engine->request_stop();
    if (scheduler) scheduler->stop();
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    cv.notify_all();
    if (follow_up.joinable()) follow_up.join();
    // Order of destruction: the listener's handlers and the scheduler's runs
    // use the engine, the engine the vault and the store.
    listener.reset();
    scheduler.reset();
    engine.reset();
    vault.reset();
    store.reset();
  }

  ~Runtime() { stop(); }
};

namespace {

// Reads and checks the config file and its secrets: every error at once.
Result<Daemon::Checked> read_config(const std::string& path, const Registry& registry) {
  ConfigErrors errors(path);
  Daemon::Checked checked;
  std::optional<Config> config = check_config(path, registry, errors, &checked.secrets);
  if (!errors.empty()) return errors.to_status();
  checked.config = std::move(config).value();
  return checked;
}

}  // namespace

Daemon::Daemon(DaemonOptions options, const Registry& registry, const Clock& clock)
    : options_(std::move(options)), registry_(registry), clock_(clock) {}

Daemon::~Daemon() { stop(); }

Result<std::unique_ptr<Daemon>> Daemon::start(DaemonOptions options, const Registry& registry,
                                              const Clock& clock) {
  std::unique_ptr<Daemon> daemon(new Daemon(std::move(options), registry, clock));
  Result<Checked> config = read_config(daemon->options_.config_path, registry);
  if (!config) return config.status();
  Result<std::unique_ptr<Runtime>> rt = daemon->launch(*config);
  if (!rt) return rt.status();
  daemon->rt_ = std::move(rt).value();
  return daemon;
}

Result<std::unique_ptr<Daemon::Runtime>> Daemon::launch(const Checked& checked) {
  const Config& config = checked.config;
  log::Level level;
  if (log::parse_level(options_.log_level.empty() ? config.log_level : options_.log_level,
                       &level)) {
    log::set_level(level);
  }
  // One arsyncd per state_dir, for the daemon's life (instance_lock.h).
  if (!lock_ || lock_->state_dir() != config.state_dir) {
    Result<std::unique_ptr<InstanceLock>> lock = InstanceLock::acquire(config.state_dir);
    if (!lock) return lock.status();
    lock_ = std::move(lock).value();
  }
  auto rt = std::make_unique<Runtime>();
  rt->config = config;
  rt->secrets = checked.secrets;  // read and checked with the config

  Result<engine::EngineOptions> options = make_engine_options(config, registry_);
  if (!options) return options.status();
  if (rt->secrets) {
    for (engine::SystemSetup& system : options->systems) {
      auto it = rt->secrets->systems.find(system.name);
      if (it != rt->secrets->systems.end()) system.secrets = it->second;
    }
  }
  if (rt->secrets && rt->secrets->smtp_password && options->mail.transport.password.empty()) {
    options->mail.transport.password = *rt->secrets->smtp_password;
  }
  // The loop never waits for mail (its own thread delivers it); --once
  // waits for one delivery round so its summary and exit status include it.
  options->wait_for_mail = options_.once;
  rt->mail = options->mail;

  // ---- store
  store::SqliteOptions so;
  so.path = config.store_path;
  so.synchronous_full = config.synchronous_full;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(so.path).parent_path(), ec);
  Result<std::unique_ptr<store::Store>> st = store::open_sqlite_store(so);
  if (!st) return st.status();
  rt->store = std::move(st).value();

  // ---- credential vault: only with a key to encrypt under
  if (rt->secrets && rt->secrets->store_key) {
    Result<std::unique_ptr<store::CredentialVault>> vault =
        store::CredentialVault::open(config.store_path, *rt->secrets->store_key, clock_);
    if (!vault) return vault.status().with_context("credential store");
    rt->vault = std::move(vault).value();
    options->credentials = rt->vault.get();
  }

  // ---- scheduler (started last but one): its wake is the connectors'
  Runtime* r = rt.get();
  if (!options_.once) {
    std::vector<engine::SystemSchedule> schedules;
    for (const SystemConfig& s : config.systems) schedules.push_back({s.name, s.interval});
    engine::SchedulerOptions so2;
    so2.default_interval = config.interval;
    try {
      rt->scheduler = std::make_unique<engine::Scheduler>(
          std::move(schedules),
          [r](const std::string& system, std::stop_token stop) {
            engine::SystemRun run = r->engine->run_system(system, stop);
            // A degraded pull ran: it is reported, not retried sooner.
            return run.state() == engine::PullState::kFailed ? run.status : Status::ok();
          },
          clock_, so2, [r](const engine::RunReport&) { r->request_follow_up(); });
    } catch (const std::invalid_argument& e) {
      return Status(ErrorCode::kInvalidArgument, std::string("systems: ") + e.what());
    }
    options->wake = [r](const std::string& system) { (void)r->scheduler->wake(system); };
    options->committed = [r](const std::string&) { r->request_follow_up(); };
  }

  // ---- engine: connectors, mappings, the store writer
  Result<std::unique_ptr<engine::SyncEngine>> eng =
      engine::SyncEngine::create(std::move(options).value(), registry_, *rt->store, clock_);
  if (!eng) return eng.status();
  rt->engine = std::move(eng).value();
  if (options_.once) return rt;

  rt->follow_up = std::thread([r] {
    pthread_setname_np(pthread_self(), "arsync-followup");
    r->follow_up_loop();
  });
  rt->scheduler->start();

  // ---- listener
  if (config.http) {
    rt->listener = std::make_unique<HttpListener>(*config.http);
    HttpCredentials credentials;
    if (rt->secrets) credentials = {rt->secrets->http_users, rt->secrets->http_tokens};
    // The CLI's control route and token (control_api.h).
    Result<std::unique_ptr<ControlApi>> control = ControlApi::create(
        config.state_dir,
        {rt->engine->writer(), [r](const std::string& s) { return r->scheduler->wake(s); }, clock_});
    if (!control) return control.status();
    rt->control = std::move(control).value();
    Result<HttpCredentials> with_control = rt->control->credentials(std::move(credentials));
    if (!with_control) return with_control.status();
    ARSYNC_RETURN_IF_ERROR(rt->listener->set_credentials(std::move(with_control).value()));
    ARSYNC_RETURN_IF_ERROR(rt->listener->add_route(rt->control->route()));
    for (const HttpRoute& route : rt->engine->routes()) {
      ARSYNC_RETURN_IF_ERROR(rt->listener->add_route(route));
    }
    ARSYNC_RETURN_IF_ERROR(rt->listener->start());  // logs event=http_listening
    ARSYNC_RETURN_IF_ERROR(rt->control->publish(*config.http, rt->listener->port()));
  } else {
    // A connector that takes posts (sap_idoc's XML-HTTP port) is deaf
    // without the listener: say so, once per start.
    for (const HttpRoute& route : rt->engine->routes()) {
      log::warn("", "http_route_unserved",
                {{"route", route.method + " " + route.path},
                 {"reason", "the config has no http section, so no listener runs"},
                 {"action", "add an http section, or set the system's http_inbound to false"}});
    }
  }
  return rt;
}

Status Daemon::reload() {
  log::info("", "reloading", {{"config", options_.config_path}});
  Result<Checked> next = read_config(options_.config_path, registry_);
  if (!next) {
    log::error("", "reload_failed", {{"error", next.status().to_string()},
                                     {"action", "keeping the previous configuration"}});
    return next.status();
  }
  // The connectors of both configurations would share drop folders and the
  // listener's address: the old ones stop before the new ones start.
  // The previous one again if the new one fails: as it ran, with the
  // secrets it read then (not a secrets file changed since).
  Checked previous{rt_->config, rt_->secrets};
  rt_.reset();
  Result<std::unique_ptr<Runtime>> started = launch(*next);
  if (started) {
    rt_ = std::move(started).value();
    log::info("", "reloaded", {});
    return Status::ok();
  }
  log::error("", "reload_failed", {{"error", started.status().to_string()},
                                   {"action", "starting the previous configuration again"}});
  Result<std::unique_ptr<Runtime>> again = launch(previous);
  if (!again) {
    log::error("", "restart_failed", {{"error", again.status().to_string()}});
    return again.status();
  }
  rt_ = std::move(again).value();
  return started.status();
}

void Daemon::stop() { rt_.reset(); }

engine::CycleReport Daemon::run_once() { return rt_->engine->run_cycle(); }

std::string Daemon::summary(const engine::CycleReport& report) {
  return format_cycle_summary(report, *rt_->store, rt_->mail);
}

Status Daemon::wake(const std::string& system) {
  if (!rt_ || !rt_->scheduler) {
    return Status(ErrorCode::kUnavailable, "no scheduler runs (--once, or reloading)");
  }
  return rt_->scheduler->wake(system);
}

const Config& Daemon::config() const { return rt_->config; }

int Daemon::http_port() const { return rt_ && rt_->listener ? rt_->listener->port() : 0; }

void Daemon::request_stop() {
  if (rt_ && rt_->engine) rt_->engine->request_stop();
}

}  // namespace arsync::service
