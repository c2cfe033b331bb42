// The `arsync` command line: what every command is given (its parsed
// arguments and the context) and the helpers the command groups share. The
// commands themselves are declared in the table (command_table.h), one file
// per group. Each command returns the process exit status: 0 success, 1 the
// command ran and found errors, 2 usage error, 3 (kExitNoDaemon) the command
// needs the running arsyncd and could not hand it over (cli_daemon.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "connector/registry.h"
#include "arsync/service/store_commands.h"
#include "arsync/store/store.h"

namespace arsync::cli {

// One command's arguments, already checked against its table entry: only
// the options it declares, each value of the declared type, and no more
// positional arguments than it names (fewer are the command's to refuse).
struct Args {
  std::vector<std::string> positional;            // after the command words
  std::map<std::string, std::string> options;     // --name value
  std::map<std::string, bool> flags;              // --json
  std::string usage;  // the command's usage line, "arsync mapping test FILE INPUT"

  std::optional<std::string> option(const std::string& name) const;
  bool flag(const std::string& name) const { return flags.count(name) > 0; }
  // A ValueType::kPositiveInteger option's value, or `fallback` when not given.
  std::size_t number(const std::string& name, std::size_t fallback) const;
};

struct Context {
  std::string config_path;  // --config, or the default
  std::string db_path;      // --db, overrides the config's store.path
  bool writes = false;      // the command is declared as changing the store
  Registry registry;
};

// Opens the store named by --db or the config: for writing when the running
// command is declared as writing (ctx.writes), else read-only.
Result<std::unique_ptr<store::Store>> open_store(const Context& ctx);

// A whole number > 0 written as `text` (nothing after it), or nullopt.
std::optional<long long> positive_number(const std::string& text);

// The ID argument of a `show`-like command; `what` names the thing
// ("discrepancy") in the error.
Result<std::int64_t> parse_id(const Args& args, const std::string& what);

// Who runs this command, for --by: the login name (also under sudo), else the
// effective user's name, else "uid N".
std::string login_name();

// Prints "arsync: <message>" to stderr and returns `code`.
int fail(const std::string& message, int code = 1);

// arsyncd runs but the command could not be handed to it (no listener, a
// refused token, no answer), or it needs arsyncd and none runs.
inline constexpr int kExitNoDaemon = 3;

// Runs a command that changes the store (cli_daemon.cpp): when arsyncd runs
// on the config's state_dir, it hands the command to it over the control
// route (service/control_api.h) and prints its answer; when none runs, it
// opens the store for writing and runs the same code itself. With --db the
// named file is written directly, without asking arsyncd. Returns the exit
// status.
int run_writing_command(const Context& ctx, const service::StoreCommand& command);

// Hands `command` (with its JSON `arguments`) to the running arsyncd, for
// commands only the daemon can do (`sync now`); `not_running` is the message
// when none runs (exit kExitNoDaemon). Prints the answer; returns the exit
// status.
int run_daemon_command(const Context& ctx, const std::string& command,
                       const nlohmann::json& arguments, const std::string& not_running);

}  // namespace arsync::cli
