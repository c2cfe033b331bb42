// Scheduler: intervals under a ManualClock, parallel systems, wakes on the
// real clock, backoff, coalesced wakes, stop, and an idle scheduler that
// does not wake.
#include "arsync/engine/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <map>
#include <thread>

namespace arsync::engine {
namespace {

using namespace std::chrono_literals;

Instant t0() { return Instant(std::chrono::seconds(1'795'000'000)); }

// Records each run's start time (on the scheduler's clock) and each report,
// and lets the test wait for a number of runs.
class Runs {
 public:
  explicit Runs(const Clock& clock) : clock_(clock) {}
  // A run function that records its start and succeeds, and the hook.
  Scheduler::RunFunction succeeding() {
    return [this](const std::string& system, std::stop_token) {
      started(system);
      return Status();
    };
  }
  Scheduler::AfterRun hook() {
    return [this](const RunReport& r) { finished(r); };
  }
  void started(const std::string& system) {
    std::lock_guard lock(mu_);
    starts_[system].push_back(clock_.now());
  }
  void finished(const RunReport& r) {
    std::lock_guard lock(mu_);
    reports_[r.system].push_back(r);
    cv_.notify_all();
  }
  // Waits (real time, at most 10 s) until `system` has finished `n` runs.
  bool wait_for(const std::string& system, std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return reports_[system].size() >= n; });
  }
  std::size_t finished_count(const std::string& system) {
    std::lock_guard lock(mu_);
    return reports_[system].size();
  }
  std::vector<std::int64_t> offsets(const std::string& system) {  // starts, in seconds after t0
    std::lock_guard lock(mu_);
    std::vector<std::int64_t> out;
    for (Instant t : starts_[system]) out.push_back((t - t0()).count());
    return out;
  }
  RunReport report(const std::string& system, std::size_t i) {
    std::lock_guard lock(mu_);
    return reports_[system].at(i);
  }

 private:
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<Instant>> starts_;
  std::map<std::string, std::vector<RunReport>> reports_;
};

TEST(SchedulerTest, SystemsWithDifferentIntervalsRunOnTheirOwnSchedules) {
  ManualClock clock(t0());
  Runs runs(clock);
  Scheduler s({{"sap-ecc", 10s}, {"qbo-us", 25s}},
              runs.succeeding(), clock, {}, runs.hook());
  s.start();
  std::size_t sap = 1, qbo = 1;
  ASSERT_TRUE(runs.wait_for("sap-ecc", sap) && runs.wait_for("qbo-us", qbo));
  for (int t = 5; t <= 50; t += 5) {
    clock.advance(5s);
    if (t % 10 == 0) {
      ASSERT_TRUE(runs.wait_for("sap-ecc", ++sap)) << "t=" << t;
    }
    if (t % 25 == 0) {
      ASSERT_TRUE(runs.wait_for("qbo-us", ++qbo)) << "t=" << t;
    }
  }
  std::this_thread::sleep_for(100ms);  // room for a run that should not happen
  EXPECT_EQ(runs.offsets("sap-ecc"), (std::vector<std::int64_t>{0, 10, 20, 30, 40, 50}));
  EXPECT_EQ(runs.offsets("qbo-us"), (std::vector<std::int64_t>{0, 25, 50}));
  EXPECT_EQ(s.state()[1].next_due, t0() + 75s);
}

TEST(SchedulerTest, SlowSystemDoesNotDelayAFastOne) {
  ManualClock clock(t0());
  Runs runs(clock);
  std::latch slow_started(1);
  std::latch slow_may_return(1);
  Scheduler s({{"netsuite", 10s}, {"sap-ecc", 10s}},
              [&](const std::string& system, std::stop_token) {
                runs.started(system);
                if (system == "netsuite") {
                  slow_started.count_down();
                  slow_may_return.wait();
                }
                return Status();
              },
              clock, {}, runs.hook());
  s.start();
  slow_started.wait();
  ASSERT_TRUE(runs.wait_for("sap-ecc", 1));
  for (std::size_t n = 2; n <= 4; ++n) {
    clock.advance(10s);
    ASSERT_TRUE(runs.wait_for("sap-ecc", n));
  }
  EXPECT_EQ(runs.finished_count("netsuite"), 0u);
  EXPECT_TRUE(s.state()[0].running);
  slow_may_return.count_down();
  ASSERT_TRUE(runs.wait_for("netsuite", 1));
  // Its next run is an interval after this one ended, not the runs it missed.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(runs.finished_count("netsuite"), 1u);
  EXPECT_EQ(s.state()[0].next_due, t0() + 40s);
}

TEST(SchedulerTest, WokenSystemRunsWithinASecond) {
  SystemClock clock;
  Runs runs(clock);
  Scheduler s({{"sap-ecc", 3600s}},
              runs.succeeding(), clock, {}, runs.hook());
  s.start();
  ASSERT_TRUE(runs.wait_for("sap-ecc", 1));
  const auto woken_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(s.wake("sap-ecc"));
  ASSERT_TRUE(runs.wait_for("sap-ecc", 2));
  EXPECT_LT(std::chrono::steady_clock::now() - woken_at, 1s);

  Status unknown = s.wake("sap-prod");
  EXPECT_EQ(unknown.code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown.message(), "no system named 'sap-prod' is scheduled");
}

TEST(SchedulerTest, BackoffGrowsIsCappedJitteredAndResetAfterSuccess) {
  ManualClock clock(t0());
  Runs runs(clock);
  SchedulerOptions options;
  options.backoff_base = 10s;
  options.backoff_cap = 40s;
  options.jitter = 0.5;
  options.seed = 42;
  // Runs 1-7 fail, run 8 succeeds, run 9 fails again.
  std::atomic<int> n{0};
  Scheduler s({{"qbo-us", 300s}},
              [&](const std::string& system, std::stop_token) {
                runs.started(system);
                const int i = ++n;
                return i == 8 ? Status() : Status(ErrorCode::kUnavailable, "503 from QuickBooks");
              },
              clock, options, runs.hook());
  s.start();
  std::vector<std::int64_t> delays;
  for (std::size_t i = 1; i <= 9; ++i) {
    ASSERT_TRUE(runs.wait_for("qbo-us", i));
    RunReport r = runs.report("qbo-us", i - 1);
    delays.push_back((r.next_due - r.finished).count());
    EXPECT_EQ(r.failures, i == 8 ? 0 : (i < 8 ? static_cast<int>(i) : 1));
    if (i < 9) clock.set(r.next_due);
  }
  // Nominal 10, 20, 40, 40, ... each cut by up to half; success: the interval.
  const std::vector<std::int64_t> nominal = {10, 20, 40, 40, 40, 40, 40, 300, 10};
  bool any_cut = false;
  for (std::size_t i = 0; i < delays.size(); ++i) {
    EXPECT_LE(delays[i], nominal[i]) << "run " << i + 1;
    if (i != 7) {
      EXPECT_GE(delays[i], nominal[i] / 2) << "run " << i + 1;
    }
    if (delays[i] != nominal[i]) any_cut = true;
  }
  EXPECT_EQ(delays[7], 300);
  EXPECT_TRUE(any_cut) << "no delay was jittered";
  // The runs happened at the times the reports said.
  std::vector<std::int64_t> expected_starts = {0};
  for (std::size_t i = 0; i + 1 < delays.size(); ++i) {
    expected_starts.push_back(expected_starts.back() + delays[i]);
  }
  EXPECT_EQ(runs.offsets("qbo-us"), expected_starts);
}

TEST(SchedulerTest, BackoffDelayDoublesUpToTheCap) {
  SchedulerOptions o;
  o.backoff_base = 30s;
  o.backoff_cap = 1800s;
  o.jitter = 0.25;
  EXPECT_EQ(backoff_delay(1, o, 0.0), 30s);
  EXPECT_EQ(backoff_delay(2, o, 0.0), 60s);
  EXPECT_EQ(backoff_delay(7, o, 0.0), 1800s);  // 1920 capped
  EXPECT_EQ(backoff_delay(1000, o, 0.0), 1800s);
  EXPECT_EQ(backoff_delay(7, o, 0.999), 1800s - 449s);
}

TEST(SchedulerTest, WakesDuringARunGiveExactlyOneMoreRun) {
  ManualClock clock(t0());
  Runs runs(clock);
  std::latch first_may_return(1);
  std::latch first_started(1);
  std::atomic<int> n{0};
  Scheduler s({{"sap-ecc", 3600s}},
              [&](const std::string& system, std::stop_token) {
                runs.started(system);
                if (++n == 1) {
                  first_started.count_down();
                  first_may_return.wait();
                }
                return Status();
              },
              clock, {}, runs.hook());
  s.start();
  first_started.wait();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.wake("sap-ecc"));
  EXPECT_TRUE(s.state()[0].woken);
  first_may_return.count_down();
  ASSERT_TRUE(runs.wait_for("sap-ecc", 2));
  std::this_thread::sleep_for(200ms);  // room for a third run that should not happen
  EXPECT_EQ(runs.finished_count("sap-ecc"), 2u);
  SystemState st = s.state()[0];
  EXPECT_FALSE(st.running);
  EXPECT_FALSE(st.woken);
  EXPECT_EQ(st.next_due, t0() + 3600s);
}

TEST(SchedulerTest, StopWhileRunsAreBlockedReturnsOnceTheyReturn) {
  SystemClock clock;
  std::latch both_started(2);
  std::latch both_saw_stop(2);
  std::latch may_return(1);
  std::atomic<int> returned{0};
  Scheduler s({{"sap-ecc", 3600s}, {"qbo-us", 3600s}},
              [&](const std::string&, std::stop_token stop) {
                std::stop_callback on_stop(stop, [&] { both_saw_stop.count_down(); });
                both_started.count_down();
                may_return.wait();
                ++returned;
                return Status();
              },
              clock);
  s.start();
  both_started.wait();
  std::atomic<bool> stop_returned{false};
  std::thread stopper([&] {
    s.stop();
    stop_returned = true;
  });
  both_saw_stop.wait();  // each run got its stop request
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(stop_returned.load()) << "stop() returned while runs were still in progress";
  may_return.count_down();
  stopper.join();
  EXPECT_EQ(returned.load(), 2);
  for (const SystemState& st : s.state()) EXPECT_EQ(st.runs, 1u) << st.name;
}

TEST(SchedulerTest, IdleSchedulerDoesNotWakeAndStopsPromptly) {
  SystemClock clock;
  Runs runs(clock);
  Scheduler s({{"sap-ecc", 3600s}, {"qbo-us", 600s}},
              runs.succeeding(), clock, {}, runs.hook());
  s.start();
  ASSERT_TRUE(runs.wait_for("sap-ecc", 1) && runs.wait_for("qbo-us", 1));
  std::this_thread::sleep_for(50ms);  // both threads back asleep
  const std::uint64_t before = s.wakeups();
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(s.wakeups(), before);
  EXPECT_EQ(runs.finished_count("sap-ecc") + runs.finished_count("qbo-us"), 2u);
  const auto stop_began = std::chrono::steady_clock::now();
  s.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_began, 1s);
}

}  // namespace
}  // namespace arsync::engine
