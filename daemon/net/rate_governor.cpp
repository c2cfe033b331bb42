#include "arsync/net/rate_governor.h"

#include <map>

namespace arsync::net {

using SteadyClock = std::chrono::steady_clock;

RateGovernor::RateGovernor(RateLimits limits) : limits_(limits) {}

std::shared_ptr<RateGovernor> RateGovernor::shared(const std::string& account, RateLimits limits) {
  // Weak entries: a governor lives while a client of its account does, so a
  // reload that replaces every client starts from a fresh budget only when
  // no old client is left to share the old one.
  static std::mutex registry_mu;
  static std::map<std::string, std::weak_ptr<RateGovernor>> registry;
  std::lock_guard<std::mutex> lock(registry_mu);
  std::weak_ptr<RateGovernor>& slot = registry[account];
  if (std::shared_ptr<RateGovernor> existing = slot.lock()) {
    std::lock_guard<std::mutex> g(existing->mu_);
    RateLimits& l = existing->limits_;
    const auto stricter = [](int have, int want) {
      if (want <= 0) return have;
      return have <= 0 ? want : std::min(have, want);
    };
    if (limits.requests_per_window > 0 &&
        (l.requests_per_window <= 0 ||
         limits.requests_per_window * l.window.count() < l.requests_per_window * limits.window.count())) {
      l.requests_per_window = limits.requests_per_window;
      l.window = limits.window;
    }
    l.max_concurrent = stricter(l.max_concurrent, limits.max_concurrent);
    return existing;
  }
  auto created = std::make_shared<RateGovernor>(limits);
  slot = created;
  return created;
}

RateGovernor::Permit& RateGovernor::Permit::operator=(Permit&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = o.owner_;
    started_ = o.started_;
    o.owner_ = nullptr;
  }
  return *this;
}

void RateGovernor::Permit::release() {
  if (owner_ != nullptr) owner_->release_slot();
  owner_ = nullptr;
}

RateGovernor::Permit RateGovernor::acquire(std::stop_token stop) {
  std::unique_lock<std::mutex> lock(mu_);
  const SteadyClock::time_point asked = SteadyClock::now();
  bool had_to_wait = false;
  for (;;) {
    if (stop.stop_requested()) return Permit();
    const SteadyClock::time_point now = SteadyClock::now();
    while (!starts_.empty() && starts_.front() + limits_.window <= now) starts_.pop_front();
    const bool rate_ok = limits_.requests_per_window <= 0 ||
                         static_cast<int>(starts_.size()) < limits_.requests_per_window;
    const bool slot_ok = limits_.max_concurrent <= 0 || in_flight_ < limits_.max_concurrent;
    if (rate_ok && slot_ok) {
      if (limits_.requests_per_window > 0) starts_.push_back(now);
      ++in_flight_;
      ++stats_.acquired;
      if (had_to_wait) {
        ++stats_.waited;
        stats_.wait_time += std::chrono::duration_cast<std::chrono::milliseconds>(now - asked);
      }
      return Permit(this, now);
    }
    had_to_wait = true;
    if (!rate_ok) {
      // The oldest start leaves the window first; a released slot notifies.
      cv_.wait_until(lock, stop, starts_.front() + limits_.window, [] { return false; });
    } else {
      cv_.wait(lock, stop, [this] {
        return limits_.max_concurrent <= 0 || in_flight_ < limits_.max_concurrent;
      });
    }
  }
}

void RateGovernor::release_slot() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
  }
  cv_.notify_all();
}

void RateGovernor::throttled() {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.throttled;
}

GovernorStats RateGovernor::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

RateLimits RateGovernor::limits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limits_;
}

}  // namespace arsync::net
