#include "run_command.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace arsync::testing {
namespace {

// Runs `shell_cmd` and reads its stdout to the end.
CmdResult run_shell(const std::string& shell_cmd) {
  CmdResult r;
  FILE* p = ::popen(shell_cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int w = ::pclose(p);
  r.status = WIFEXITED(w) ? WEXITSTATUS(w) : WIFSIGNALED(w) ? 128 + WTERMSIG(w) : -1;
  return r;
}

}  // namespace

CmdResult run(const std::string& cmd) { return run_shell(cmd + " 2>&1"); }

CmdResult run_split(const std::string& cmd, const std::filesystem::path& err_file) {
  CmdResult r = run_shell(cmd + " 2>" + err_file.string());
  std::ifstream in(err_file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  r.err = text.str();
  return r;
}

}  // namespace arsync::testing
