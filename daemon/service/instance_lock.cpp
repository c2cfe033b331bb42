#include "arsync/service/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

namespace arsync::service {
namespace {

std::string lock_path(const std::string& state_dir) {
  return (std::filesystem::path(state_dir) / kLockFileName).string();
}

Status io_error(const std::string& what, const std::string& path, int err) {
  return Status(ErrorCode::kIoError, what + " " + path + ": " + std::strerror(err));
}

// The pid arsyncd wrote in the file, or 0.
pid_t read_pid(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return 0;
  char* end = nullptr;
  const long pid = std::strtol(text, &end, 10);
  return pid > 0 ? static_cast<pid_t>(pid) : 0;
}

}  // namespace

Result<std::unique_ptr<InstanceLock>> InstanceLock::acquire(const std::string& state_dir,
                                                            std::chrono::milliseconds wait_for_cli) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    return Status(ErrorCode::kIoError, "state_dir " + state_dir + ": cannot create: " + ec.message());
  }
  const std::string path = lock_path(state_dir);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return io_error("cannot open the lock file", path, errno);
  const auto deadline = std::chrono::steady_clock::now() + wait_for_cli;
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    const int err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK) {
      ::close(fd);
      return io_error("cannot lock", path, err);
    }
    // Held: by another arsyncd (exclusive), or by CLIs writing the store
    // (shared), which a shared request of our own tells apart.
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
      const pid_t other = read_pid(fd);
      ::close(fd);
      return Status(ErrorCode::kAlreadyExists,
                    "another arsyncd" + (other ? " (pid " + std::to_string(other) + ")" : std::string()) +
                        " runs on state_dir " + state_dir + ": it holds " + path +
                        "; stop it, or give this one another state_dir");
    }
    (void)::flock(fd, LOCK_UN);
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return Status(ErrorCode::kUnavailable,
                    "arsync commands kept " + path + " locked for " +
                        std::to_string(wait_for_cli.count()) + " ms; try again", {}, true);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return io_error("cannot write the pid into", path, err);
  }
  return std::unique_ptr<InstanceLock>(new InstanceLock(fd, state_dir, path));
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

SharedLock& SharedLock::operator=(SharedLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

SharedLock::~SharedLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<DaemonProbe> probe_daemon(const std::string& state_dir) {
  DaemonProbe probe;
  probe.path = lock_path(state_dir);
  const int fd = ::open(probe.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return probe;  // no arsyncd ever ran here
    return io_error("cannot open", probe.path, errno)
        .with_context("cannot tell whether arsyncd runs (run arsync as arsyncd's user or a member "
                      "of its group)");
  }
  for (;;) {
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
      probe.held = SharedLock(fd);
      return probe;
    }
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      const int err = errno;
      ::close(fd);
      return io_error("cannot lock", probe.path, err);
    }
    probe.running = true;
    probe.pid = read_pid(fd);
    ::close(fd);
    return probe;
  }
}

}  // namespace arsync::service
