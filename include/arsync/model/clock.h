// Clock: the one source of "now". Tests pass a ManualClock to move time for
// grace periods, retries and digests without sleeping.
//
// Waiting: a thread that sleeps until a time on the clock (the scheduler)
// waits through the clock, so that with a ManualClock it wakes when a test
// moves time instead of sleeping for real. wait_until is a condition
// variable wait with a deadline on this clock: the caller holds `lock`,
// re-checks its own condition after every return (a notify of `cv`, the
// deadline, or spuriously), and notifies `cv` under `lock` when that
// condition changes.
//
// Thread safety: SystemClock is stateless; ManualClock is safe to read,
// advance and wait on from several threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "arsync/model/date.h"

namespace arsync {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;

  // Blocks (releasing `lock`) until now() >= deadline or `cv` is notified;
  // may return early. This default suits a clock that follows real time.
  virtual void wait_until(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                          Instant deadline) const {
    const Instant t = now();
    if (t >= deadline) return;
    cv.wait_for(lock, deadline - t);
  }
};

class SystemClock final : public Clock {
 public:
  Instant now() const override {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  }
  // Sleeps for the real time left, measured on the steady clock, so that a
  // change of the wall clock neither cuts a sleep short nor stretches it.
  void wait_until(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                  Instant deadline) const override {
    const auto left = deadline - std::chrono::system_clock::now();
    if (left <= left.zero()) return;
    cv.wait_for(lock, left);
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start) : seconds_(start.time_since_epoch().count()) {}
  Instant now() const override { return Instant(std::chrono::seconds(seconds_.load())); }
  void advance(std::chrono::seconds by) {
    std::lock_guard lock(waiters_mu_);
    seconds_ += by.count();
    for (std::condition_variable_any* cv : waiters_) cv->notify_all();
  }
  void set(Instant t) {
    std::lock_guard lock(waiters_mu_);
    seconds_ = t.time_since_epoch().count();
    for (std::condition_variable_any* cv : waiters_) cv->notify_all();
  }

  // Sleeps without a timeout until advance() or set() (or `cv`) wakes it.
  // The waiter is registered and the time checked while both `lock` and
  // waiters_mu_ are held, and the wait releases both at once, so a move of
  // time between the check and the sleep is not missed; advance() notifies
  // under waiters_mu_, so no waiter it notifies is gone.
  void wait_until(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                  Instant deadline) const override {
    std::unique_lock mine(waiters_mu_);
    if (now() >= deadline) return;
    waiters_.push_back(&cv);
    BothLocks both{lock, mine};
    cv.wait(both);
    // One entry: several threads may wait on one cv, each registered once.
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &cv));
  }

 private:
  // The caller's lock and waiters_mu_, released together and taken again in
  // the order the caller took them (its own first).
  struct BothLocks {
    std::unique_lock<std::mutex>& outer;
    std::unique_lock<std::mutex>& inner;
    void lock() {
      outer.lock();
      inner.lock();
    }
    void unlock() {
      inner.unlock();
      outer.unlock();
    }
  };

  std::atomic<long long> seconds_;
  mutable std::mutex waiters_mu_;
  mutable std::vector<std::condition_variable_any*> waiters_;
};

}  // namespace arsync
