// A ConnectorContext::wake for tests: counts the calls and lets a test wait
// for them.
//
// Thread safety: wake() (the function fn() returns) from any thread; the
// counter must outlive every copy of that function.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace arsync::testing {

class WakeCounter {
 public:
  std::function<void()> fn() {
    return [this] {
      std::lock_guard lock(mu_);
      ++count_;
      cv_.notify_all();
    };
  }

  int count() const {
    std::lock_guard lock(mu_);
    return count_;
  }

  // True once the count reaches `n`, false if `within` passes first.
  bool wait_for(int n, std::chrono::milliseconds within) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, within, [&] { return count_ >= n; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  int count_ = 0;
};

}  // namespace arsync::testing
