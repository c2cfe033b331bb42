// The built arsyncd as a child process (fork + exec), which a test can
// freeze (SIGSTOP), inspect while frozen, let go on, or kill with SIGKILL.
//
// Thread safety: one thread owns a DaemonProcess. The destructor kills and
// reaps a child still running, so a failed assertion leaves no daemon behind.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

namespace arsync::testing {

class DaemonProcess {
 public:
  // Starts `binary args...` with stdout and stderr appended to `log_path`.
  DaemonProcess(const std::string& binary, const std::vector<std::string>& args,
                const std::string& log_path) {
    std::vector<std::string> argv_s{binary};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    if (log >= 0) ::close(log);
  }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;
  ~DaemonProcess() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      wait_exit();
    }
  }

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_; }

  // Freezes every thread. Returns false if the child exited instead.
  bool stop() {
    if (!running() || ::kill(pid_, SIGSTOP) != 0) return false;
    for (;;) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WUNTRACED);
      if (r < 0 && errno == EINTR) continue;
      if (r == pid_ && WIFSTOPPED(st)) return true;
      if (r == pid_) status_ = st;
      return false;
    }
  }
  void resume() {
    if (running()) ::kill(pid_, SIGCONT);
  }

  // SIGKILL (also when frozen) and reap. Returns the wait status.
  int kill_now() {
    if (!running()) return *status_;
    ::kill(pid_, SIGKILL);
    return wait_exit();
  }

  // Whether it exited by itself; reaps it if so.
  bool exited() {
    if (!running()) return true;
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_ && !WIFSTOPPED(st)) status_ = st;
    return status_.has_value();
  }

  int wait_exit() {
    while (running()) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        status_ = -1;
        break;
      }
      if (r == pid_ && !WIFSTOPPED(st)) status_ = st;
    }
    return *status_;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace arsync::testing
