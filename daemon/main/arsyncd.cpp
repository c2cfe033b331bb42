// arsyncd: the arsync service. Runs sync cycles on an interval in the
// foreground (systemd Type=notify), reloads its config on SIGHUP, finishes the
// current batch and exits on SIGTERM/SIGINT. `--once` runs one cycle, prints
// the summary and exits (the demo and cron-style use).
#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "connector/registry.h"
#include "arsync/engine/sync_engine.h"
#include "arsync/log/log.h"
#include "arsync/service/config.h"
#include "arsync/service/config_check.h"
#include "arsync/service/engine_setup.h"
#include "arsync/service/summary.h"
#include "arsync/service/systemd_notify.h"
#include "arsync/store/store.h"
#include "arsync/version.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;

void on_signal(int sig) {
  if (sig == SIGHUP) {
    g_reload = 1;
  } else {
    g_stop = 1;
  }
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int usage(int code) {
  (code == 0 ? std::cout : std::cerr)
      << "usage: arsyncd --config FILE [--once] [--log-level debug|info|warning|error] [--version]\n"
         "  --config FILE   configuration file (default /etc/arsync/arsync.json)\n"
         "  --once          run one sync cycle, print a summary and exit\n"
         "                  (exit status 1 if a system failed or was degraded,\n"
         "                  a match group could not be reconciled, alerting failed\n"
         "                  or due mail was not sent)\n"
         "  --log-level L   override the config's log_level\n"
         "  --version       print the version and exit\n";
  return code;
}

// Everything built from one config; rebuilt on SIGHUP.
struct Runtime {
  arsync::service::Config config;
  std::unique_ptr<arsync::store::Store> store;
  std::unique_ptr<arsync::engine::SyncEngine> engine;
  arsync::alert::MailConfig mail;
};

arsync::Result<Runtime> build_runtime(const std::string& config_path, const std::string& level,
                                      const arsync::Registry& registry, const arsync::Clock& clock,
                                      bool once) {
  using namespace arsync;
  // Every error of the config at once (the admin fixes them in one go),
  // including those the engine would find one at a time.
  service::ConfigErrors errors(config_path);
  std::optional<service::Config> config = service::check_config(config_path, registry, errors);
  if (!errors.empty()) return errors.to_status();
  log::Level lvl;
  if (log::parse_level(level.empty() ? config->log_level : level, &lvl)) log::set_level(lvl);
  Result<engine::EngineOptions> options = service::make_engine_options(*config, registry);
  if (!options) return options.status();
  // The loop never waits for mail (its own thread delivers it); --once
  // waits for one delivery round so its summary and exit status include it.
  options->wait_for_mail = once;

  Runtime rt;
  rt.config = *config;
  rt.mail = options->mail;
  store::SqliteOptions so;
  so.path = config->store_path;
  so.synchronous_full = config->synchronous_full;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(so.path).parent_path(), ec);
  Result<std::unique_ptr<store::Store>> st = store::open_sqlite_store(so);
  if (!st) return st.status();
  rt.store = std::move(st).value();
  Result<std::unique_ptr<engine::SyncEngine>> eng =
      engine::SyncEngine::create(std::move(options).value(), registry, *rt.store, clock);
  if (!eng) return eng.status();
  rt.engine = std::move(eng).value();
  return rt;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace arsync;
  // The store, spool and archive hold customer names, amounts and bank
  // details: files at most 0640 and folders at most 0750, whatever umask
  // arsyncd inherits (a stricter one is kept).
  ::umask(::umask(027) | 027);
  std::string config_path = "/etc/arsync/arsync.json";
  std::string level;
  bool once = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--once") {
      once = true;
    } else if (a == "--log-level" && i + 1 < argc) {
      level = argv[++i];
    } else if (a == "--help" || a == "-h") {
      return usage(0);
    } else if (a == "--version") {
      std::cout << version_text("arsyncd") << "\n";
      return 0;
    } else {
      std::cerr << "arsyncd: unknown argument '" << a << "'\n";
      return usage(2);
    }
  }

  Registry registry;
  register_builtin_connectors(registry);
  SystemClock clock;
  install_signal_handlers();

  Result<Runtime> rt = build_runtime(config_path, level, registry, clock, once);
  if (!rt) {
    log::error("", "startup_failed", {{"error", rt.status().to_string()}});
    std::cerr << "arsyncd: " << rt.status().to_string() << "\n";
    return 1;
  }
  log::info("", "started", {{"config", config_path}, {"store", rt->config.store_path},
                            {"systems", std::to_string(rt->config.systems.size())}});

  if (once) {
    engine::CycleReport report = rt->engine->run_cycle();
    std::cout << service::format_cycle_summary(report, *rt->store, rt->mail) << std::flush;
    return report.ok() ? 0 : 1;
  }

  service::systemd_notify("READY=1");
  const auto watchdog = service::systemd_watchdog_interval();
  // The stopper forwards the signal flag into a running cycle (the engine
  // stops after its current batch) and pings the systemd watchdog.
  std::mutex rt_mutex;  // guards swapping `rt` on reload against the stopper
  std::atomic<bool> running{true};
  std::thread stopper([&] {
    while (running) {
      {
        std::lock_guard<std::mutex> lock(rt_mutex);
        if (g_stop && rt->engine) rt->engine->request_stop();
      }
      if (watchdog) service::systemd_notify("WATCHDOG=1");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });

  while (!g_stop) {
    if (g_reload) {
      g_reload = 0;
      service::systemd_notify("RELOADING=1");
      log::info("", "reloading", {{"config", config_path}});
      Result<Runtime> next = build_runtime(config_path, level, registry, clock, once);
      if (next) {
        std::lock_guard<std::mutex> lock(rt_mutex);
        rt = std::move(next);
        log::info("", "reloaded", {});
      } else {
        log::error("", "reload_failed", {{"error", next.status().to_string()},
                                         {"action", "keeping the previous configuration"}});
      }
      service::systemd_notify("READY=1");
    }
    rt->engine->run_cycle();  // logs cycle_done
    const auto until = std::chrono::steady_clock::now() + rt->config.interval;
    while (!g_stop && !g_reload && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  service::systemd_notify("STOPPING=1");
  log::info("", "stopping", {});
  running = false;
  stopper.join();
  return 0;
}
