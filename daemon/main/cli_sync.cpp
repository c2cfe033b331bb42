// `arsync sync now SYSTEM`: asks the running arsyncd to pull a system at once.
//
// Without arsyncd there is no scheduler to ask, and a pull of one system
// run by the CLI would be a second engine beside a daemon that may start at
// any moment; `arsyncd --once` is the one-shot pull, and the message says so.
#include "command_table.h"

namespace arsync::cli {
namespace {

int sync_now(Context& ctx, const Args& args) {
  if (args.positional.empty()) return fail("missing SYSTEM\nusage: " + args.usage, 2);
  return run_daemon_command(ctx, "sync now", {{"system", args.positional[0]}},
                            "arsyncd is not running, so nothing pulls now; start it, or run "
                            "`arsyncd --once` to pull every system once");
}

}  // namespace

void add_sync_commands(CommandTable& table) {
  CommandSpec& now =
      add_command(table, {"sync", "now"}, "ask the running arsyncd to pull SYSTEM at once", sync_now);
  now.arguments = {"SYSTEM"};
  now.help = "The pull runs as a scheduled one would (right after one in progress); the command "
             "returns once arsyncd was asked. Exit 1 when arsyncd has no such system, 3 when "
             "arsyncd does not run or cannot be reached.";
  now.via_daemon = true;
}

}  // namespace arsync::cli
