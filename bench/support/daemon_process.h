// The real arsyncd as a child process of a benchmark: started with its
// stderr (the log) in a file, watched through that log's key=value lines,
// stopped with SIGTERM as systemd stops it. Used by bench/idoc_http and
// bench/idle_daemon; bench/daemon_cycle reads the same log lines.
//
// Thread safety: a DaemonProcess belongs to one thread; the free functions
// are pure or read files only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace arsync::bench {

// The whole file; throws std::runtime_error when it cannot be read.
std::string read_file(const std::filesystem::path& path);

using LogFields = std::map<std::string, std::string>;

// The key=value fields of every log line with `event=<event>`, in order.
std::vector<LogFields> log_events(const std::string& log, const std::string& event);

// The first such line's fields; throws std::runtime_error when there is none.
LogFields log_fields(const std::string& log, const std::string& event);

// fields[key] as a number; throws std::runtime_error when it is missing.
double log_number(const LogFields& fields, const std::string& key);

// CPU time (user + system) process `pid` has used so far, all its threads
// together, from /proc/<pid>/stat; throws std::runtime_error when it cannot
// be read.
double process_cpu_seconds(pid_t pid);

struct ChildResult {
  int exit_status = -1;  // 128 + signal when killed
  double cpu_seconds = 0;  // user + system
  long peak_rss_kb = 0;
};

// The flags of every bench that runs arsyncd: --dir DIR (the bench's
// folder, removed at the end unless --keep), --arsyncd PATH (the binary),
// --keep.
struct DaemonBenchFlags {
  std::filesystem::path dir;
  std::string arsyncd = ARSYNCD_PATH;
  bool keep = false;

  // If argv[i] is one of these flags, takes it (and its value, moving i
  // past it) and returns true.
  bool take(int argc, char** argv, int& i);
  // `dir`, or a new folder name under the temp folder starting with `prefix`.
  std::filesystem::path folder(const std::string& prefix) const;
};

class DaemonProcess {
 public:
  // Starts `argv` (argv[0] a path) with stdout into `log.stdout` and stderr
  // into `log`. Throws std::runtime_error when it cannot be started.
  DaemonProcess(const std::vector<std::string>& argv, std::filesystem::path log);
  ~DaemonProcess();  // kills a child still running (SIGKILL) and reaps it
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::filesystem::path& log_path() const { return log_; }

  // Waits until the log holds `count` lines with event=<event> and returns
  // them. Throws std::runtime_error, quoting the log's tail, when the child
  // exits first or `timeout` passes.
  std::vector<LogFields> wait_for(const std::string& event, std::size_t count,
                                  std::chrono::milliseconds timeout);

  // Waits for the child to exit on its own (arsyncd --once).
  ChildResult wait();

  // SIGTERM, then waits for the exit. Throws std::runtime_error when it has
  // not exited within `timeout` (it is then killed).
  ChildResult stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

// One `arsyncd --config CONFIG --once` run to its end.
struct OnceRun {
  ChildResult child;
  double wall_s = 0;
  std::string log;  // its stderr
};

// Runs `arsyncd --config config --once` with its log in `log`. Throws
// std::runtime_error naming the log when it exits with a non-zero status.
OnceRun run_once(const std::string& arsyncd, const std::filesystem::path& config,
                 const std::filesystem::path& log);

}  // namespace arsync::bench
