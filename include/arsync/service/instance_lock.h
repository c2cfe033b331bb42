// Whether arsyncd runs on a state_dir: the lock file state_dir/arsyncd.lock.
//
// arsyncd holds an exclusive flock(2) on it for its whole life (across
// reloads), with its pid written in it, so that
// - a second arsyncd on the same state_dir refuses to start, naming the
//   file and the other pid (two daemons would be two store writers and
//   would claim the same drop folders);
// - the CLI knows whether to hand a writing command to the daemon: it asks
//   for a shared lock without blocking. Refused: arsyncd runs. Granted: it
//   keeps the shared lock while it writes the store itself, so that an
//   arsyncd starting meanwhile waits for it (a CLI command takes
//   milliseconds) instead of becoming a second writer.
//
// flock locks belong to the open file description and end when the process
// dies, also by kill -9: a stale file (or a stale pid in it) never blocks a
// restart. The file is created 0640 by arsyncd and never removed. The CLI
// opens it read-only and never creates it: a state_dir without it has never
// seen an arsyncd.
//
// Thread safety: each object is used by one thread; the functions are
// independent.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "arsync/model/status.h"

namespace arsync::service {

inline constexpr char kLockFileName[] = "arsyncd.lock";

// arsyncd's exclusive lock on state_dir/arsyncd.lock.
class InstanceLock {
 public:
  // Creates state_dir (0750 under arsyncd's umask) and the lock file
  // (0640) when missing, takes the exclusive lock and writes the pid in it.
  // Shared holders (a CLI writing the store) are waited for up to
  // `wait_for_cli`. Errors: kAlreadyExists when another arsyncd holds it:
  // "another arsyncd (pid N) runs on state_dir D: it holds D/arsyncd.lock;
  // stop it, or give this one another state_dir"; kUnavailable when shared
  // holders stayed past the wait; kIoError naming the file and the OS's
  // reason.
  static Result<std::unique_ptr<InstanceLock>> acquire(
      const std::string& state_dir,
      std::chrono::milliseconds wait_for_cli = std::chrono::seconds(10));
  ~InstanceLock();  // releases the lock (the file stays)
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  const std::string& state_dir() const { return state_dir_; }
  const std::string& path() const { return path_; }

 private:
  InstanceLock(int fd, std::string state_dir, std::string path)
      : fd_(fd), state_dir_(std::move(state_dir)), path_(std::move(path)) {}
  int fd_;
  std::string state_dir_;
  std::string path_;
};

// The CLI's view: arsyncd runs, or it does not and `held` keeps it from
// starting until the CLI has finished (empty when the lock file does not
// exist).
class SharedLock {
 public:
  SharedLock() = default;
  explicit SharedLock(int fd) : fd_(fd) {}
  SharedLock(SharedLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  SharedLock& operator=(SharedLock&& other) noexcept;
  ~SharedLock();

 private:
  int fd_ = -1;
};

struct DaemonProbe {
  bool running = false;
  pid_t pid = 0;      // arsyncd's, as written in the lock file (0 if unreadable)
  std::string path;   // the lock file
  SharedLock held;    // when !running
};

// Looks at state_dir/arsyncd.lock as above. Errors: kIoError naming the file
// when it exists but cannot be opened (a user outside arsync's group:
// "Permission denied"), so that the CLI never guesses.
Result<DaemonProbe> probe_daemon(const std::string& state_dir);

}  // namespace arsync::service
