// The arsync commands that change the store, as one implementation that two
// callers run: the CLI on a store it opened itself (arsyncd not running),
// and arsyncd on its one store writer (StoreWriter::run) when the CLI
// handed the command to it over the control route (control_api.h).
//
// A command is its name (the CLI's words, "discrepancies ack") and its
// arguments as JSON, already checked by the CLI's command table; they are
// checked again here, since the daemon takes them from the network. The
// result is what the CLI prints and its exit status, so that a command
// reads the same whichever path ran it.
//
// Thread safety: run_store_command uses `store` from the calling thread only
// (in the daemon, the writer thread).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "arsync/model/clock.h"
#include "arsync/store/store.h"

namespace arsync::service {

struct StoreCommand {
  std::string name;  // "discrepancies ack", "discrepancies resolve", "recheck"
  // discrepancies ack|resolve: {"id": N, "note": TEXT, "by": NAME}; recheck: {}.
  nlohmann::json arguments = nlohmann::json::object();
};

struct CommandOutput {
  int exit_code = 0;    // 0 done, 1 the command failed, 2 malformed arguments
  std::string output;   // for stdout, with its newlines
  std::string error;    // for stderr after "arsync: ", one message; "" when none
};

// True for the names above.
bool is_store_command(std::string_view name);

// Runs `command` on `store` with `clock`'s time. Never throws: an unknown
// name or malformed arguments give exit code 2 with the argument named,
// a store error exit code 1 with its message.
CommandOutput run_store_command(const StoreCommand& command, store::Store& store,
                                const Clock& clock);

}  // namespace arsync::service
