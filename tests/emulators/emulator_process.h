// An emulator program (qbo_emulator, ...) as a child process on a free
// loopback port: started with `--listen 127.0.0.1:0`, it prints
// `listening on http://HOST:PORT` as its first line, which the constructor
// waits for. The destructor sends SIGTERM and reaps the child (SIGKILL if it
// has not exited within five seconds), so a failed assertion leaves nothing.
//
// Thread safety: one thread owns an EmulatorProcess.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace arsync::testing {

class EmulatorProcess {
 public:
  // Runs `binary args...`; throws std::runtime_error if it does not print
  // its listening line within `timeout` (its stderr goes to the test's).
  EmulatorProcess(const std::string& binary, const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv_s{binary};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{out_, POLLIN, 0};
      char buf[256];
      ssize_t n = 0;
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0 ||
          (n = ::read(out_, buf, sizeof buf)) <= 0) {
        terminate();
        throw std::runtime_error(binary + " did not print its listening line; got: " + line);
      }
      line.append(buf, static_cast<size_t>(n));
    }
    line.resize(line.find('\n'));
    const std::string prefix = "listening on http://";
    if (line.rfind(prefix, 0) != 0) {
      terminate();
      throw std::runtime_error("unexpected first line: " + line);
    }
    const std::string hostport = line.substr(prefix.size());
    host_ = hostport.substr(0, hostport.rfind(':'));
    port_ = static_cast<uint16_t>(std::stoi(hostport.substr(hostport.rfind(':') + 1)));
  }
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;
  ~EmulatorProcess() { terminate(); }

  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  std::string base_url() const { return "http://" + host_ + ":" + std::to_string(port_); }
  pid_t pid() const { return pid_; }

  // SIGTERM, then waits; returns the wait status (-1 if already reaped).
  int terminate() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    if (out_ >= 0) ::close(out_);
    out_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string host_;
  uint16_t port_ = 0;
};

}  // namespace arsync::testing
