// Clock: the one source of "now". Tests pass a ManualClock to move time for
// grace periods, retries and digests without sleeping.
//
// Thread safety: SystemClock is stateless; ManualClock is safe to read and
// advance from several threads.
#pragma once

#include <atomic>
#include <chrono>

#include "arsync/model/date.h"

namespace arsync {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Instant now() const override {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start) : seconds_(start.time_since_epoch().count()) {}
  Instant now() const override { return Instant(std::chrono::seconds(seconds_.load())); }
  void advance(std::chrono::seconds by) { seconds_ += by.count(); }
  void set(Instant t) { seconds_ = t.time_since_epoch().count(); }

 private:
  std::atomic<long long> seconds_;
};

}  // namespace arsync
