// arsyncd: the arsync service. Runs its subsystems (service/daemon.h) in the
// foreground (systemd Type=notify): each system pulls on its own interval
// and when woken; reloads its config and secrets on SIGHUP; on SIGTERM or
// SIGINT finishes the current batches and exits 0. `--once` pulls every
// system once, prints the summary and exits (the demo and cron-style use).
//
// Signals are blocked in every thread and taken by sigwait on one thread
// (the main one, or in --once a thread of its own), so no handler runs
// inside library code and an idle daemon has no polling loop: the main
// thread sleeps in sigtimedwait until a signal or the systemd watchdog's
// next ping.
#include <pthread.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>

#include "connector/registry.h"
#include "arsync/log/log.h"
#include "arsync/service/daemon.h"
#include "arsync/service/systemd_notify.h"
#include "arsync/version.h"

namespace {

// The signals arsyncd takes; SIGUSR1 only ends the --once signal thread.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&set, sig);
  return set;
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

  // Before any thread starts, so that every thread inherits the mask.
  const sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Registry registry;
  register_builtin_connectors(registry);
  SystemClock clock;
  service::DaemonOptions options;
  options.config_path = config_path;
  options.log_level = level;
  options.once = once;
  Result<std::unique_ptr<service::Daemon>> daemon =
      service::Daemon::start(options, registry, clock);
  if (!daemon) {
    log::error("", "startup_failed", {{"error", daemon.status().to_string()}});
    std::cerr << "arsyncd: " << daemon.status().to_string() << "\n";
    return 1;
  }
  service::Daemon& d = **daemon;
  log::info("", "started", {{"config", config_path}, {"store", d.config().store_path},
                            {"systems", std::to_string(d.config().systems.size())}});

  if (once) {
    // SIGTERM during the cycle: it stops after its current batches.
    std::thread waiter([&] {
      int sig = 0;
      while (sigwait(&signals, &sig) == 0 && sig != SIGUSR1) {
        if (sig == SIGTERM || sig == SIGINT) d.request_stop();
      }
    });
    engine::CycleReport report = d.run_once();
    pthread_kill(waiter.native_handle(), SIGUSR1);
    waiter.join();
    std::cout << d.summary(report) << std::flush;
    return report.ok() ? 0 : 1;
  }

  service::systemd_notify("READY=1");
  const auto watchdog = service::systemd_watchdog_interval();
  for (;;) {
    siginfo_t info{};
    int sig = -1;
    if (watchdog) {
      // Pinged at half the interval, as sd_watchdog_enabled(3) advises.
      const auto half = *watchdog / 2;
      timespec wait{static_cast<std::time_t>(half.count() / 1000000),
                    static_cast<long>(half.count() % 1000000) * 1000};
      sig = sigtimedwait(&signals, &info, &wait);
      if (sig < 0) {
        service::systemd_notify("WATCHDOG=1");
        continue;
      }
    } else {
      sig = sigwaitinfo(&signals, &info);
      if (sig < 0) continue;  // EINTR
    }
    if (sig == SIGHUP) {
      service::systemd_notify("RELOADING=1");
      (void)d.reload();  // logged; a bad config keeps the old one
      if (!d.running()) return 1;
      service::systemd_notify("READY=1");
    } else if (sig == SIGTERM || sig == SIGINT) {
      break;
    }
  }
  service::systemd_notify("STOPPING=1");
  log::info("", "stopping", {});
  d.stop();
  log::info("", "stopped", {});
  return 0;
}
