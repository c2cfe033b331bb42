// arsync: the command line for IT admins, the AR team and ERP admins.
// Reads the store while arsyncd runs (SQLite WAL), and hands the commands
// that change it to arsyncd when it runs (cli_daemon.cpp); see README "CLI"
// and "CLI and the daemon". The commands are declared in a table
// (command_table.h), one file per group; main builds the table and runs it.
#include "command_table.h"
#include "arsync/version.h"

int main(int argc, char** argv) {
  using namespace arsync::cli;
  Context ctx;
  ctx.config_path = "/etc/arsync/arsync.json";
  arsync::register_builtin_connectors(ctx.registry);

  CommandTable table;
  add_status_commands(table);
  add_discrepancy_commands(table);
  add_quarantine_commands(table);
  add_mail_commands(table);
  add_mapping_commands(table);
  add_connector_commands(table);
  add_config_commands(table);
  add_sync_commands(table);
  add_auth_commands(table);
  return run_command_line(table, ctx, arsync::version_text("arsync"), argc, argv);
}
