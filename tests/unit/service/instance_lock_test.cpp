// The lock file that makes one arsyncd per state_dir and tells the CLI
// whether one runs. flock locks of two open() calls conflict also within
// one process, so one test process plays both sides.
#include "arsync/service/instance_lock.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

namespace arsync::service {
namespace {

namespace fs = std::filesystem;

class InstanceLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("arsync-lock-" + std::to_string(rd()) + std::to_string(rd()));
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string state_dir() const { return (dir_ / "state").string(); }
  fs::path dir_;
};

TEST_F(InstanceLockTest, AStateDirNoDaemonEverUsedHasNoDaemon) {
  Result<DaemonProbe> probe = probe_daemon(state_dir());
  ASSERT_TRUE(probe.is_ok()) << probe.status().to_string();
  EXPECT_FALSE(probe->running);
  EXPECT_FALSE(fs::exists(fs::path(state_dir()) / kLockFileName)) << "the CLI created the file";
}

TEST_F(InstanceLockTest, TheDaemonsLockIsSeenWithItsPidAndItsFileIs0640) {
  Result<std::unique_ptr<InstanceLock>> lock = InstanceLock::acquire(state_dir());
  ASSERT_TRUE(lock.is_ok()) << lock.status().to_string();
  Result<DaemonProbe> probe = probe_daemon(state_dir());
  ASSERT_TRUE(probe.is_ok()) << probe.status().to_string();
  EXPECT_TRUE(probe->running);
  EXPECT_EQ(probe->pid, ::getpid());
  struct stat st {};
  ASSERT_EQ(::stat((*lock)->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(InstanceLockTest, ASecondDaemonIsRefusedNamingTheFileAndThePid) {
  Result<std::unique_ptr<InstanceLock>> first = InstanceLock::acquire(state_dir());
  ASSERT_TRUE(first.is_ok());
  Result<std::unique_ptr<InstanceLock>> second = InstanceLock::acquire(state_dir());
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(second.status().message(),
            "another arsyncd (pid " + std::to_string(::getpid()) + ") runs on state_dir " +
                state_dir() + ": it holds " + state_dir() + "/arsyncd.lock; stop it, or give this "
                "one another state_dir");
}

TEST_F(InstanceLockTest, ReleasedWhenTheDaemonStops) {
  { ASSERT_TRUE(InstanceLock::acquire(state_dir()).is_ok()); }
  Result<DaemonProbe> probe = probe_daemon(state_dir());
  ASSERT_TRUE(probe.is_ok());
  EXPECT_FALSE(probe->running);
}

TEST_F(InstanceLockTest, ADaemonStartingWhileTheCliWritesWaitsForIt) {
  { ASSERT_TRUE(InstanceLock::acquire(state_dir()).is_ok()); }
  Result<DaemonProbe> probe = probe_daemon(state_dir());
  ASSERT_TRUE(probe.is_ok());
  ASSERT_FALSE(probe->running);
  // The CLI holds the shared lock for a while, then lets go.
  std::thread cli([held = std::move(probe->held)]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held = SharedLock();
  });
  const auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<InstanceLock>> lock = InstanceLock::acquire(state_dir());
  cli.join();
  ASSERT_TRUE(lock.is_ok()) << lock.status().to_string();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
}

TEST_F(InstanceLockTest, ACliHoldingTheLockPastTheWaitIsReported) {
  { ASSERT_TRUE(InstanceLock::acquire(state_dir()).is_ok()); }
  Result<DaemonProbe> probe = probe_daemon(state_dir());
  ASSERT_TRUE(probe.is_ok());
  Result<std::unique_ptr<InstanceLock>> lock =
      InstanceLock::acquire(state_dir(), std::chrono::milliseconds(100));
  ASSERT_FALSE(lock.is_ok());
  EXPECT_EQ(lock.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(lock.status().message().find("arsync commands kept " + state_dir() +
                                         "/arsyncd.lock locked for 100 ms"),
            std::string::npos)
      << lock.status().message();
}

// The probe as a user outside arsyncd's group: as root, in a child process
// that becomes user nobody; else with the file's permissions removed.
TEST_F(InstanceLockTest, ALockFileTheCliMayNotReadIsAnErrorNotAGuess) {
  { ASSERT_TRUE(InstanceLock::acquire(state_dir()).is_ok()); }
  const fs::path file = fs::path(state_dir()) / kLockFileName;
  fs::permissions(file, fs::perms::none);
  const auto refused = [&] {
    Result<DaemonProbe> probe = probe_daemon(state_dir());
    return !probe.is_ok() &&
           probe.status().message().find(file.string() + ": Permission denied") != std::string::npos;
  };
  if (::geteuid() != 0) {
    EXPECT_TRUE(refused());
    return;
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    ::_exit(refused() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: could not become nobody; 1: not refused as expected";
}

}  // namespace
}  // namespace arsync::service
