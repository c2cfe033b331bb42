// Runs a program as a user would (through /bin/sh) and captures what it
// printed and its exit status: the tests of the real binaries (arsync,
// arsyncd) assert on these.
//
// Thread safety: each call is independent; the caller owns the result.
#pragma once

#include <filesystem>
#include <string>

namespace arsync::testing {

struct CmdResult {
  int status = -1;  // exit status; 128 + signal when killed; -1 if it could not be run
  std::string out;  // stdout (and stderr, for run())
  std::string err;  // stderr, for run_split() only
};

// Runs `cmd` with stderr merged into stdout.
CmdResult run(const std::string& cmd);

// Runs `cmd` with stdout in `out` and stderr in `err`; stderr passes through
// `err_file` (overwritten), which the caller may read again afterwards.
CmdResult run_split(const std::string& cmd, const std::filesystem::path& err_file);

}  // namespace arsync::testing
