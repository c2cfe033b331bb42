// Scheduler: one thread per system, each sleeping on the clock until its
// due time, a wake or stop. All state is under one mutex (few systems, and
// it is held only to read or set a handful of fields); each system has its
// own condition variable so that a wake wakes only its thread.
#include "arsync/engine/scheduler.h"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <set>
#include <stdexcept>
#include <utility>

namespace arsync::engine {

struct Scheduler::Slot {
  std::string name;
  std::chrono::seconds interval{};
  std::condition_variable_any cv;
  Instant due{};
  bool woken = false;
  bool running = false;
  std::uint64_t runs = 0;
  int failures = 0;
  std::thread thread;
};

std::chrono::seconds backoff_delay(int failures, const SchedulerOptions& options, double unit) {
  using std::chrono::seconds;
  const seconds base = std::max(options.backoff_base, seconds(1));
  const seconds cap = std::max(options.backoff_cap, base);
  seconds nominal = base;
  for (int i = 1; i < failures && nominal < cap; ++i) nominal *= 2;  // no overflow: stops at cap
  nominal = std::min(nominal, cap);
  const double share = std::clamp(options.jitter, 0.0, 1.0) * std::clamp(unit, 0.0, 1.0);
  const auto cut = static_cast<seconds::rep>(static_cast<double>(nominal.count()) * share);
  return std::max(nominal - seconds(cut), seconds(1));
}

Scheduler::Scheduler(std::vector<SystemSchedule> systems, RunFunction run, const Clock& clock,
                     SchedulerOptions options, AfterRun after_run)
    : clock_(clock),
      options_(options),
      run_(std::move(run)),
      after_run_(std::move(after_run)),
      random_(options.seed != 0 ? options.seed : std::random_device{}()) {
  if (systems.empty()) throw std::invalid_argument("scheduler: no systems to schedule");
  std::set<std::string> names;
  for (SystemSchedule& s : systems) {
    if (!names.insert(s.name).second) {
      throw std::invalid_argument("scheduler: system '" + s.name + "' is listed twice");
    }
    auto slot = std::make_unique<Slot>();
    slot->name = std::move(s.name);
    slot->interval = s.interval.value_or(options_.default_interval);
    if (slot->interval < std::chrono::seconds(1)) {
      throw std::invalid_argument("scheduler: system '" + slot->name +
                                  "' has an interval below one second");
    }
    slots_.push_back(std::move(slot));
  }
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
  std::lock_guard lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  const Instant now = clock_.now();
  for (auto& slot : slots_) {
    slot->due = options_.run_at_start ? now : now + slot->interval;
    Slot& s = *slot;
    s.thread = std::thread([this, &s] {
      pthread_setname_np(pthread_self(), "arsync-pull");
      loop(s);
    });
  }
}

Status Scheduler::wake(const std::string& system) {
  std::lock_guard lock(mu_);
  for (auto& slot : slots_) {
    if (slot->name != system) continue;
    slot->woken = true;
    slot->cv.notify_all();
    return Status();
  }
  return Status(ErrorCode::kNotFound, "no system named '" + system + "' is scheduled");
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& slot : slots_) slot->cv.notify_all();
  }
  stop_source_.request_stop();
  for (auto& slot : slots_) {
    if (slot->thread.joinable()) slot->thread.join();
  }
}

std::vector<SystemState> Scheduler::state() const {
  std::lock_guard lock(mu_);
  std::vector<SystemState> out;
  out.reserve(slots_.size());
  for (const auto& s : slots_) {
    out.push_back({s->name, s->due, s->running, s->woken, s->runs, s->failures});
  }
  return out;
}

std::uint64_t Scheduler::wakeups() const {
  std::lock_guard lock(mu_);
  return wakeups_;
}

Instant Scheduler::next_due_after(Slot& slot, bool ok, Instant finished) {
  if (ok) {
    slot.failures = 0;
    return finished + slot.interval;
  }
  ++slot.failures;
  const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  return finished + backoff_delay(slot.failures, options_, unit);
}

void Scheduler::loop(Slot& slot) {
  std::unique_lock lock(mu_);
  for (;;) {
    while (!stopping_ && !slot.woken && clock_.now() < slot.due) {
      clock_.wait_until(slot.cv, lock, slot.due);
      ++wakeups_;
    }
    if (stopping_) return;
    slot.woken = false;
    slot.running = true;
    lock.unlock();

    RunReport report;
    report.system = slot.name;
    report.started = clock_.now();
    try {
      report.status = run_(slot.name, stop_source_.get_token());
    } catch (const std::exception& e) {
      report.status = Status(ErrorCode::kInternal, "run of '" + slot.name + "' threw: " + e.what());
    } catch (...) {
      report.status = Status(ErrorCode::kInternal, "run of '" + slot.name + "' threw");
    }
    report.finished = clock_.now();

    lock.lock();
    slot.running = false;
    ++slot.runs;
    slot.due = next_due_after(slot, report.status.is_ok(), report.finished);
    report.next_due = slot.due;
    report.failures = slot.failures;
    lock.unlock();
    if (after_run_) after_run_(report);
    lock.lock();
  }
}

}  // namespace arsync::engine
