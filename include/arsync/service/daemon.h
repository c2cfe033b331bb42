// The daemon as subsystems: configuration (with the secrets file), store,
// credential vault, engine (which owns the one store writer), scheduler,
// follow-up (reconciliation and alerts after commits) and HTTP listener,
// each started in that order and stopped in the reverse one. arsyncd.cpp
// only parses its arguments, handles signals and calls these.
//
//   start:  config + secrets -> state_dir/arsyncd.lock (one arsyncd per
//           state_dir, held across reloads: instance_lock.h) -> store ->
//           vault -> engine (connectors, writer) -> follow-up thread ->
//           scheduler (one thread per system) -> listener (when the config
//           has an "http" section) with the CLI's control route, then its
//           control.json and token (control_api.h)
//   stop:   listener (answers what is in flight) -> scheduler (runs end
//           after their current batch) -> follow-up -> engine (the writer
//           commits what was submitted) -> vault -> store
//
// Reload (SIGHUP): the config and secrets are read and checked again; a bad
// one is logged with every error and the running subsystems are kept. A
// good one replaces them: the old ones are stopped, new ones started.
// Should the new ones fail to start (a store that cannot be opened, an
// address in use), the previous configuration is started again.
//
// Thread safety: start/reload/stop/run_once from one owning thread (the
// main thread); wake() from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "connector/registry.h"
#include "arsync/engine/sync_engine.h"
#include "arsync/model/clock.h"
#include "arsync/model/status.h"
#include "arsync/service/config.h"
#include "arsync/service/secrets.h"

namespace arsync::service {

class InstanceLock;

struct DaemonOptions {
  std::string config_path = "/etc/arsync/arsync.json";
  std::string log_level;  // overrides the config's log_level when set
  // `arsyncd --once`: no scheduler, no listener; run_once() runs one cycle
  // and waits for its mail.
  bool once = false;
};

class Daemon {
 public:
  // Reads and checks the config (every error at once), then starts the
  // subsystems. Errors name the key, file or address that failed.
  static Result<std::unique_ptr<Daemon>> start(DaemonOptions options, const Registry& registry,
                                               const Clock& clock);
  ~Daemon();  // stop()
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // SIGHUP. OK when the new configuration runs; else why not (logged too),
  // and the previous one still runs.
  Status reload();

  // SIGTERM: stops every subsystem (see above). Idempotent.
  void stop();

  // `--once`: pulls every system, follows up, returns the report and the
  // printed summary.
  engine::CycleReport run_once();
  std::string summary(const engine::CycleReport& report);

  // Asks for a pull of `system` now (kNotFound naming it; kUnavailable with
  // --once or while reloading).
  Status wake(const std::string& system);

  // False after a reload that could start neither the new configuration
  // nor the previous one again: arsyncd then exits 1.
  bool running() const { return rt_ != nullptr; }
  const Config& config() const;  // while running()
  // The listener's port (0 when none runs): tests configure port 0.
  int http_port() const;
  // Asks the --once cycle to stop after its current batch (SIGTERM).
  void request_stop();

 public:
  // A config file read and checked, with its secrets file (read once).
  struct Checked {
    Config config;
    std::optional<Secrets> secrets;
  };

 private:
  struct Runtime;
  Daemon(DaemonOptions options, const Registry& registry, const Clock& clock);
  // Builds and starts the subsystems for `checked`.
  Result<std::unique_ptr<Runtime>> launch(const Checked& checked);

  DaemonOptions options_;
  const Registry& registry_;
  const Clock& clock_;
  // state_dir/arsyncd.lock, held across reloads (instance_lock.h); declared
  // before rt_ so that it is released after the subsystems stopped.
  std::unique_ptr<InstanceLock> lock_;
  std::unique_ptr<Runtime> rt_;
};

}  // namespace arsync::service
