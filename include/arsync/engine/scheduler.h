// Scheduler: when each system pulls. Each system has its own thread and its
// own interval, and runs at once when woken (an HTTP post, a webhook, a new
// file in a drop folder, `arsync sync now`), so independent systems pull in
// parallel and a slow or failing one never holds up the others. One system
// never runs twice at once: a wake during its run makes one more run right
// after it (any number of wakes then count as one).
//
// A run that fails is retried after a delay that doubles with each failure
// in a row, from backoff_base up to backoff_cap, shortened at random by up
// to `jitter` of itself (so systems that failed together do not retry in
// step); a success resets it and the next run is an interval later. A wake
// runs the system at once even while it backs off: the event may be what it
// was waiting for.
//
// After each run the after-run hook is called on that system's thread, so
// reconciliation and mail can follow a system's commits without waiting
// for the others.
//
// An idle scheduler sleeps: each system's thread waits on the Clock
// (Clock::wait_until) until its next due time or a wake, with no polling.
// With a ManualClock, tests move time and the threads wake; with the
// SystemClock they sleep for real.
//
// Thread safety: wake(), state() and wakeups() may be called from any
// thread; start() and stop() from one owning thread. The run function is
// called on the systems' threads, for different systems at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "arsync/model/clock.h"
#include "arsync/model/status.h"

namespace arsync::engine {

struct SystemSchedule {
  std::string name;
  std::optional<std::chrono::seconds> interval;  // none: SchedulerOptions::default_interval
};

struct SchedulerOptions {
  std::chrono::seconds default_interval{300};  // the config's top-level interval
  std::chrono::seconds backoff_base{30};       // delay after the first failure in a row
  std::chrono::seconds backoff_cap{1800};      // the longest delay after failures
  double jitter = 0.25;                        // 0..1: at most this share of a delay is cut
  std::uint64_t seed = 0;                      // of the jitter; 0: from std::random_device
  bool run_at_start = true;                    // false: the first run is an interval after start()
};

// What one run did, given to the after-run hook.
struct RunReport {
  std::string system;
  Status status;              // what the run function returned
  Instant started{};
  Instant finished{};
  Instant next_due{};         // when the next run is due (unless woken sooner)
  int failures = 0;           // failed runs in a row, this one included; 0 after a success
};

struct SystemState {
  std::string name;
  Instant next_due{};
  bool running = false;
  bool woken = false;         // a run is asked for (runs as soon as the system is free)
  std::uint64_t runs = 0;     // finished
  int failures = 0;           // in a row
};

// The delay before the run after `failures` (>= 1) failed runs in a row:
// min(cap, base * 2^(failures-1)), less a share up to `jitter` of it chosen
// by `unit` (in [0, 1)); at least one second.
std::chrono::seconds backoff_delay(int failures, const SchedulerOptions& options, double unit);

class Scheduler {
 public:
  // Runs one pull of `system`. `stop` is requested when stop() is called: a
  // long run should end soon after (a pull ends after its current batch).
  using RunFunction = std::function<Status(const std::string& system, std::stop_token stop)>;
  // Must not throw; runs on the system's thread before it waits again.
  using AfterRun = std::function<void(const RunReport&)>;

  // `clock` must outlive the scheduler. Throws std::invalid_argument for no
  // systems, a repeated name or an interval below one second.
  Scheduler(std::vector<SystemSchedule> systems, RunFunction run, const Clock& clock,
            SchedulerOptions options = {}, AfterRun after_run = {});
  ~Scheduler();  // stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts one thread per system; their first runs are due now (or an
  // interval from now, see run_at_start). Once only.
  void start();

  // Asks for a run of `system` at once (or right after the one in progress).
  // kNotFound naming it when no such system is scheduled. Before start(),
  // the wake is kept for the first run.
  Status wake(const std::string& system);

  // Wakes every sleeping thread, requests the runs' stop, and returns once
  // the runs in progress have returned and the threads have ended. No run
  // starts after stop() began. Idempotent. Not from a run or the hook (it
  // waits for their threads).
  void stop();

  std::vector<SystemState> state() const;  // in the order the systems were given
  // How often a system's thread woke from waiting (a due time, a wake, a
  // stop, or spuriously): what an idle daemon should keep near zero.
  std::uint64_t wakeups() const;

 private:
  struct Slot;
  void loop(Slot& slot);
  Instant next_due_after(Slot& slot, bool ok, Instant finished);  // under mu_

  const Clock& clock_;
  const SchedulerOptions options_;
  RunFunction run_;
  AfterRun after_run_;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Slot>> slots_;
  bool started_ = false;
  bool stopping_ = false;
  std::uint64_t wakeups_ = 0;
  std::mt19937_64 random_;
  std::stop_source stop_source_;
};

}  // namespace arsync::engine
