// bench/idle_daemon: what an idle arsyncd costs the machine: its resident
// memory, and how often its threads wake up. The target: an idle
// daemon sleeps until the next due time or event, no polling loop (with the
// default 300 s interval, well under one wake-up per second).
//
// A fresh folder and a config a site would run: two sap_idoc systems with
// empty drop folders (inotify on, the default), reconciliation between them,
// the file mail transport, the HTTP listener on 127.0.0.1:0, the default
// intervals. arsyncd runs as a child process; once both systems have logged
// their first pull (and --settle seconds more), every thread's context
// switches (voluntary + involuntary, /proc/<pid>/task/<tid>/status) and CPU
// time (schedstat) are read, again after --seconds (default 60), and
// VmRSS / VmHWM from /proc/<pid>/status. It prints the process's wake-ups
// per second, then per thread with its name (comm) and the system call it
// is blocked in (/proc/<pid>/task/<tid>/syscall), so a polling thread shows
// which it is; then stops arsyncd with SIGTERM and checks it exits 0.
//
// usage: idle_daemon [--seconds N] [--settle N] [--dir DIR] [--arsyncd PATH] [--keep]
#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_support.h"
#include "daemon_process.h"

namespace fs = std::filesystem;
using namespace arsync::bench;

namespace {

fs::path write_config(const fs::path& dir) {
  fs::create_directories(dir / "inbound/sap-a");
  fs::create_directories(dir / "inbound/sap-b");
  auto system = [&](const char* name) {
    return nlohmann::json{{"type", "sap_idoc"},
                          {"settings", {{"inbound_dir", (dir / "inbound" / name).string()}}}};
  };
  nlohmann::json config = {
      {"store", {{"path", (dir / "var/arsync.db").string()}}},
      {"state_dir", (dir / "var").string()},
      {"mappings_dir", (fs::path(ARSYNC_SOURCE_DIR) / "mappings").string()},
      {"http", {{"listen", "127.0.0.1:0"}}},
      {"systems", {{"sap-a", system("sap-a")}, {"sap-b", system("sap-b")}}},
      {"reconcile",
       {{"pairs", {{{"left", "sap-a"}, {"right", "sap-b"}, {"kinds", {"invoice"}}}}}}},
      {"mail",
       {{"from", "arsync@bench.example"},
        {"to", {"ar@bench.example"}},
        {"transport", {{"type", "file"}, {"dir", (dir / "mail").string()}}}}}};
  const fs::path path = dir / "arsync.json";
  std::ofstream out(path);
  out << config.dump(2);
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path;
}

// One line of a /proc status file ("VmRSS:	  12345 kB" -> 12345), or -1.
long status_value(const std::string& status, const std::string& key) {
  std::istringstream lines(status);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct Task {
  std::string name;
  long switches = 0;     // voluntary + involuntary context switches
  double cpu_ms = 0;     // time on a CPU (schedstat's first field, ns)
  std::string blocked;   // the system call it waits in, when readable
};

// The name of an x86-64 system call a sleeping thread may be in.
std::string syscall_name(const std::string& syscall_file) {
  std::istringstream in(syscall_file);
  std::string first;
  in >> first;
  if (first == "running" || first.empty()) return first;
#if defined(__x86_64__)
  static const std::map<long, std::string> kNames = {
      {0, "read"},           {7, "poll"},          {23, "select"},      {35, "nanosleep"},
      {43, "accept"},        {45, "recvfrom"},     {61, "wait4"},       {128, "rt_sigtimedwait"},
      {202, "futex"},        {230, "clock_nanosleep"}, {232, "epoll_wait"}, {270, "pselect6"},
      {271, "ppoll"},        {281, "epoll_pwait"}, {288, "accept4"}};
  try {
    auto it = kNames.find(std::stol(first));
    if (it != kNames.end()) return it->second;
  } catch (const std::exception&) {
  }
#endif
  return "syscall " + first;
}

std::map<pid_t, Task> read_tasks(pid_t pid) {
  std::map<pid_t, Task> tasks;
  const fs::path root = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& entry : fs::directory_iterator(root)) {
    try {
      Task t;
      const std::string status = read_file(entry.path() / "status");
      t.switches = status_value(status, "voluntary_ctxt_switches") +
                   status_value(status, "nonvoluntary_ctxt_switches");
      t.name = trimmed(read_file(entry.path() / "comm"));
      std::istringstream sched(read_file(entry.path() / "schedstat"));
      double ns = 0;
      sched >> ns;
      t.cpu_ms = ns / 1e6;
      try {
        t.blocked = syscall_name(read_file(entry.path() / "syscall"));
      } catch (const std::exception&) {
        t.blocked = "?";  // needs ptrace rights over the child
      }
      tasks[static_cast<pid_t>(std::stol(entry.path().filename().string()))] = t;
    } catch (const std::exception&) {
      // The thread ended while it was read.
    }
  }
  return tasks;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 60, settle = 2;
  DaemonBenchFlags flags;
  const char* usage = "usage: idle_daemon [--seconds N] [--settle N] [--dir DIR] [--arsyncd PATH] [--keep]\n";
  try {
    for (int i = 1; i < argc; ++i) {
      if (flags.take(argc, argv, i)) continue;
      const std::string a = argv[i];
      const bool has_value = i + 1 < argc;
      if (a == "--seconds" && has_value) {
        seconds = std::stod(argv[++i]);
      } else if (a == "--settle" && has_value) {
        settle = std::stod(argv[++i]);
      } else {
        std::cerr << usage;
        return 2;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "idle_daemon: " << e.what() << "\n" << usage;
    return 2;
  }
  if (seconds <= 0 || settle < 0) {
    std::cerr << usage;
    return 2;
  }
  const fs::path dir = flags.folder("arsync-idle-");
  const std::string& arsyncd = flags.arsyncd;
  try {
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path config = write_config(dir);
    DaemonProcess daemon({arsyncd, "--config", config.string()}, dir / "arsyncd.log");
    daemon.wait_for("http_listening", 1, std::chrono::seconds(30));
    daemon.wait_for("pull_done", 2, std::chrono::seconds(60));
    std::this_thread::sleep_for(std::chrono::duration<double>(settle));

    const fs::path proc = "/proc/" + std::to_string(daemon.pid());
    const long rss_before = status_value(read_file(proc / "status"), "VmRSS");
    const std::map<pid_t, Task> before = read_tasks(daemon.pid());
    const auto t0 = SteadyClock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const std::map<pid_t, Task> after = read_tasks(daemon.pid());
    const double window = seconds_since(t0);
    const std::string status = read_file(proc / "status");
    const long rss_after = status_value(status, "VmRSS"), hwm = status_value(status, "VmHWM");
    const std::size_t log_lines_during = [&] {
      std::size_t lines = 0;
      for (char c : read_file(daemon.log_path())) lines += c == '\n';
      return lines;
    }();

    struct Row {
      pid_t tid;
      Task task;
      long wakeups;
      double cpu_ms;
    };
    std::vector<Row> rows;
    long total = 0, started = 0;
    double cpu_total = 0;
    for (const auto& [tid, t] : after) {
      auto was = before.find(tid);
      const long w = t.switches - (was == before.end() ? 0 : was->second.switches);
      const double cpu = t.cpu_ms - (was == before.end() ? 0 : was->second.cpu_ms);
      started += was == before.end();
      total += w;
      cpu_total += cpu;
      rows.push_back({tid, t, w, cpu});
    }
    long before_window = 0;  // shows the counters are live: the start and first pulls woke threads
    for (const auto& entry : before) before_window += entry.second.switches;
    long ended = 0;
    for (const auto& entry : before) ended += after.count(entry.first) == 0;
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.wakeups > b.wakeups; });

    const ChildResult exited = daemon.stop();

    std::printf("idle_daemon: arsyncd with 2 sap_idoc systems (empty drop folders, inotify), HTTP listener,"
                " file mail, default intervals; %s\n",
                arsyncd.c_str());
    std::printf("  idle window %.1f s, after both first pulls + %.1f s\n", window, settle);
    std::printf("  RSS %.1f MiB at the start, %.1f MiB at the end (peak %.1f MiB); %zu threads",
                rss_before / 1024.0, rss_after / 1024.0, hwm / 1024.0, after.size());
    if (started || ended) std::printf(" (%ld started, %ld ended in the window)", started, ended);
    std::printf("\n  wake-ups: %ld in %.1f s = %.2f /s for the process; CPU %.1f ms in the window"
                " (%ld context switches from the start to the window)\n",
                total, window, static_cast<double>(total) / window, cpu_total, before_window);
    std::printf("  target: no polling loop, < 1 wake-up/s when idle: %s\n",
                static_cast<double>(total) / window < 1 ? "met" : "NOT met");
    std::map<std::string, int> quiet;  // name + blocked-in -> threads that never woke
    std::printf("  per thread (woken ones):\n");
    for (const Row& r : rows) {
      if (r.wakeups == 0) {
        ++quiet[r.task.name + ", in " + r.task.blocked];
        continue;
      }
      std::printf("    tid %-7d %-16s in %-16s %6ld wake-ups  %7.2f /s  CPU %.1f ms\n", r.tid, r.task.name.c_str(),
                  r.task.blocked.c_str(), r.wakeups, static_cast<double>(r.wakeups) / window, r.cpu_ms);
    }
    for (const auto& [what, count] : quiet) {
      std::printf("    %d thread%s never woke: %s\n", count, count == 1 ? "" : "s", what.c_str());
    }
    std::printf("  log lines so far: %zu; arsyncd exited %d after SIGTERM\n", log_lines_during, exited.exit_status);
    if (exited.exit_status != 0) {
      throw std::runtime_error("arsyncd exited " + std::to_string(exited.exit_status) + " after SIGTERM; see " +
                               daemon.log_path().string());
    }
    if (!flags.keep) fs::remove_all(dir);
  } catch (const std::exception& e) {
    std::cerr << "idle_daemon: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
