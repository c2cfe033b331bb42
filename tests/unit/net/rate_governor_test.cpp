// RateGovernor: no window ever holds more starts than the limit, the
// concurrency limit holds, a stopped wait ends, and one account's governor
// is shared.
#include "arsync/net/rate_governor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace arsync::net {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

TEST(RateGovernor, NoWindowEverHoldsMoreStartsThanTheLimit) {
  RateGovernor g(RateLimits{5, 200ms, 0});
  std::vector<SteadyClock::time_point> starts;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        RateGovernor::Permit p = g.acquire();
        ASSERT_TRUE(p);
        // The governor's own start time: one read here could come late.
        std::lock_guard<std::mutex> lock(mu);
        starts.push_back(p.started());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::sort(starts.begin(), starts.end());
  ASSERT_EQ(starts.size(), 30u);
  for (std::size_t i = 0; i + 5 < starts.size(); ++i) {
    EXPECT_GE(starts[i + 5] - starts[i], 200ms) << "six starts inside one window at " << i;
  }
  EXPECT_EQ(g.stats().acquired, 30u);
}

TEST(RateGovernor, NoMoreThanMaxConcurrentPermitsAreOut) {
  RateGovernor g(RateLimits{0, 60s, 2});
  std::atomic<int> in_flight{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        RateGovernor::Permit p = g.acquire();
        const int now = ++in_flight;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(10ms);
        --in_flight;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(most.load(), 2);
  EXPECT_GT(g.stats().waited, 0u);
}

TEST(RateGovernor, AStopRequestEndsAWaitWithAnEmptyPermit) {
  RateGovernor g(RateLimits{1, 60s, 0});
  RateGovernor::Permit first = g.acquire();
  ASSERT_TRUE(first);
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    stop.request_stop();
  });
  const auto began = SteadyClock::now();
  RateGovernor::Permit second = g.acquire(stop.get_token());
  stopper.join();
  EXPECT_FALSE(second);
  EXPECT_LT(SteadyClock::now() - began, 5s);
}

TEST(RateGovernor, OneAccountSharesOneGovernorWithTheStricterLimits) {
  auto a = RateGovernor::shared("realm-test-1", RateLimits{500, 60s, 10});
  auto b = RateGovernor::shared("realm-test-1", RateLimits{100, 60s, 4});
  auto other = RateGovernor::shared("realm-test-2", RateLimits{500, 60s, 10});
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), other.get());
  EXPECT_EQ(a->limits().requests_per_window, 100);
  EXPECT_EQ(a->limits().max_concurrent, 4);
  a.reset();
  b.reset();
  auto fresh = RateGovernor::shared("realm-test-1", RateLimits{500, 60s, 10});
  EXPECT_EQ(fresh->limits().requests_per_window, 500) << "released governors are not kept";
}

}  // namespace
}  // namespace arsync::net
