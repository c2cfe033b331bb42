// RateGovernor: keeps the requests made to one account (a QuickBooks realm,
// a NetSuite account) under that service's limits by making callers wait,
// never by failing them.
//
// Two limits, both optional: at most `requests_per_window` request starts in
// any span of `window` (a sliding log of start times, so no window the
// server may count, however aligned, sees more), and at most
// `max_concurrent` requests in flight. acquire() blocks until both allow one
// more and returns a Permit that holds the concurrency slot until it is
// destroyed.
//
// A 429 from the server does not pause the governor: the caller that got it
// backs off on its own (HttpClient honours Retry-After for that request), and
// the other callers go on within the limits, so one throttled response never
// stalls every worker. throttled() only counts it.
//
// Governors are shared by every client of one account in the process
// (shared()): two systems configured on the same realm keep one budget.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

namespace arsync::net {

struct RateLimits {
  int requests_per_window = 0;  // 0: no rate limit
  std::chrono::milliseconds window{60'000};
  int max_concurrent = 0;  // 0: no concurrency limit
};

struct GovernorStats {
  std::uint64_t acquired = 0;   // permits handed out
  std::uint64_t waited = 0;     // of them, how many had to wait
  std::chrono::milliseconds wait_time{0};  // total time spent waiting
  std::uint64_t throttled = 0;  // 429s reported through throttled()
};

class RateGovernor {
 public:
  explicit RateGovernor(RateLimits limits);
  RateGovernor(const RateGovernor&) = delete;
  RateGovernor& operator=(const RateGovernor&) = delete;

  // The governor of `account` in this process, created with `limits` by its
  // first caller; later callers get the same one (their limits are ignored
  // unless stricter, which then apply to all).
  static std::shared_ptr<RateGovernor> shared(const std::string& account, RateLimits limits);

  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& o) noexcept : owner_(o.owner_), started_(o.started_) { o.owner_ = nullptr; }
    Permit& operator=(Permit&& o) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { release(); }
    // False for a permit that was not granted (the wait was cancelled).
    explicit operator bool() const { return owner_ != nullptr; }
    void release();
    // When the governor counted this request's start (the time its rate
    // limit is kept on).
    std::chrono::steady_clock::time_point started() const { return started_; }

   private:
    friend class RateGovernor;
    Permit(RateGovernor* owner, std::chrono::steady_clock::time_point started)
        : owner_(owner), started_(started) {}
    RateGovernor* owner_ = nullptr;
    std::chrono::steady_clock::time_point started_{};
  };

  // Waits until a request may start, records its start and returns its
  // permit. Returns an empty permit as soon as `stop` is requested (the
  // client is being cancelled; other callers' waits go on).
  Permit acquire(std::stop_token stop = {});

  // A request under this governor got a 429.
  void throttled();

  GovernorStats stats() const;
  RateLimits limits() const;

 private:
  void release_slot();

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  RateLimits limits_;
  std::deque<std::chrono::steady_clock::time_point> starts_;  // within the window
  int in_flight_ = 0;
  GovernorStats stats_;
};

}  // namespace arsync::net
