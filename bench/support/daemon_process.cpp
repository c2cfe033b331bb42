#include "daemon_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace fs = std::filesystem;

namespace arsync::bench {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<LogFields> log_events(const std::string& log, const std::string& event) {
  std::vector<LogFields> out;
  const std::string needle = "event=" + event;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t at = line.find(needle);
    if (at == std::string::npos) continue;
    const std::size_t end = at + needle.size();
    if (end < line.size() && line[end] != ' ') continue;  // event=pull_done_x
    std::istringstream tokens(line);
    LogFields fields;
    for (std::string token; tokens >> token;) {
      const std::size_t eq = token.find('=');
      if (eq != std::string::npos) fields[token.substr(0, eq)] = token.substr(eq + 1);
    }
    out.push_back(std::move(fields));
  }
  return out;
}

LogFields log_fields(const std::string& log, const std::string& event) {
  std::vector<LogFields> all = log_events(log, event);
  if (all.empty()) throw std::runtime_error("no event=" + event + " in arsyncd's log");
  return all.front();
}

double log_number(const LogFields& fields, const std::string& key) {
  auto it = fields.find(key);
  if (it == fields.end()) throw std::runtime_error("arsyncd's log has no " + key);
  return std::stod(it->second);
}

double process_cpu_seconds(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  // Fields after the command name, which is in parentheses and may hold spaces.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

namespace {

std::string tail(const fs::path& log) {
  std::string text;
  try {
    text = read_file(log);
  } catch (const std::exception&) {
  }
  if (text.size() > 2000) text = "..." + text.substr(text.size() - 2000);
  return text;
}

ChildResult result_of(int status, const rusage& ru) {
  ChildResult r;
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  r.peak_rss_kb = ru.ru_maxrss;
  return r;
}

}  // namespace

bool DaemonBenchFlags::take(int argc, char** argv, int& i) {
  const std::string a = argv[i];
  const bool has_value = i + 1 < argc;
  if (a == "--dir" && has_value) {
    dir = argv[++i];
  } else if (a == "--arsyncd" && has_value) {
    arsyncd = argv[++i];
  } else if (a == "--keep") {
    keep = true;
  } else {
    return false;
  }
  return true;
}

fs::path DaemonBenchFlags::folder(const std::string& prefix) const {
  // Absolute: arsyncd resolves the config's relative paths against the config's folder.
  if (!dir.empty()) return fs::absolute(dir);
  return fs::temp_directory_path() / (prefix + std::to_string(std::random_device{}()));
}

DaemonProcess::DaemonProcess(const std::vector<std::string>& argv, fs::path log)
    : log_(std::move(log)) {
  const std::string out = log_.string() + ".stdout";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));
}

DaemonProcess::~DaemonProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

std::vector<LogFields> DaemonProcess::wait_for(const std::string& event, std::size_t count,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::vector<LogFields> seen = log_events(read_file(log_), event);
    if (seen.size() >= count) return seen;
    int status = 0;
    rusage ru{};
    if (::wait4(pid_, &status, WNOHANG, &ru) == pid_) {
      pid_ = -1;
      throw std::runtime_error("arsyncd exited " + std::to_string(result_of(status, ru).exit_status) +
                               " before event=" + event + "; its log:\n" + tail(log_));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("no event=" + event + " (x" + std::to_string(count) +
                               ") in arsyncd's log within the timeout; its log:\n" + tail(log_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ChildResult DaemonProcess::wait() {
  if (pid_ <= 0) throw std::runtime_error("arsyncd is not running");
  int status = 0;
  rusage ru{};
  if (::wait4(pid_, &status, 0, &ru) != pid_) throw std::runtime_error("wait4 failed");
  pid_ = -1;
  return result_of(status, ru);
}

ChildResult DaemonProcess::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) throw std::runtime_error("arsyncd is not running");
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    rusage ru{};
    if (::wait4(pid_, &status, WNOHANG, &ru) == pid_) {
      pid_ = -1;
      return result_of(status, ru);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("arsyncd did not exit within the timeout after SIGTERM; its log:\n" +
                               tail(log_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

OnceRun run_once(const std::string& arsyncd, const fs::path& config, const fs::path& log) {
  OnceRun r;
  const auto t0 = std::chrono::steady_clock::now();
  DaemonProcess once({arsyncd, "--config", config.string(), "--once"}, log);
  r.child = once.wait();
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.log = read_file(log);
  if (r.child.exit_status != 0) {
    throw std::runtime_error("arsyncd --once exited " + std::to_string(r.child.exit_status) + "; see " +
                             log.string());
  }
  return r;
}

}  // namespace arsync::bench
