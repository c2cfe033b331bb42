// The `arsync` command table: every command declares its words, its
// arguments and options (typed, with or without a value), its help text and
// whether it changes the store; `run_command_line` parses argv against the
// table with CLI11 and runs the one command named.
//
// Parsing is per command: an option the named command does not declare is a
// usage error naming it (with the nearest known one), so a typo such as
// `--limt 5` fails instead of being ignored. `--help` after any command or
// group, and `arsync help [WORDS...]`, print help generated from the table.
//
// Exit status: whatever the command returns (0 success, 1 it ran and
// failed, 3 it needs arsyncd and could not reach it); 2 for every usage
// error found before it runs.
//
// Thread safety: single-threaded use from main().
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli.h"

namespace arsync::cli {

// What an option's value is, checked before the command runs.
enum class ValueType {
  kFlag,             // takes no value: --json
  kText,             // UTF-8 text (kept in the store or printed as JSON): --note
  kPositiveInteger,  // a whole number > 0 written in digits: --limit
  kPath,             // a file name: bytes as the OS has them, not checked: --db
};

struct OptionSpec {
  OptionSpec(std::string name, ValueType type, std::string value_name, std::string help,
             bool required = false)
      : name(std::move(name)), type(type), value_name(std::move(value_name)),
        help(std::move(help)), required(required) {}

  std::string name;        // without the dashes: "limit" for --limit
  ValueType type;
  std::string value_name;  // shown in usage: "N", "TEXT"; empty for flags
  std::string help;        // one line
  bool required;           // a usage error when missing: "--note TEXT is required: <help>"
};

struct CommandSpec {
  std::vector<std::string> words;      // {"discrepancies", "list"}
  std::vector<std::string> arguments;  // positional names in usage: {"ID"}; more is an error
  std::vector<OptionSpec> options;
  std::string summary;                 // one line, in `arsync --help`
  std::string help;                    // more, in `arsync WORDS --help`; may be empty
  // Changes the store: open_store() opens it for writing only for such a
  // command (Context::writes), and its help says so.
  bool writes = false;
  // Goes through the running arsyncd when one runs (the command's run calls
  // run_writing_command or run_daemon_command, cli.h), and, for a writing
  // one, opens the store itself only when none does. Its help says so.
  bool via_daemon = false;
  std::function<int(Context&, const Args&)> run;
};

using CommandTable = std::vector<CommandSpec>;

// Appends a command and returns it, for the caller to set the other fields
// (the reference is valid until the next append).
CommandSpec& add_command(CommandTable& table, std::vector<std::string> words, std::string summary,
                         std::function<int(Context&, const Args&)> run);

// Parses argv against `table` and the global options (--config FILE, --db
// PATH, --help, --version), sets ctx.config_path, ctx.db_path and
// ctx.writes, and runs the command. `version_text` is printed by --version.
// Returns the exit status.
int run_command_line(const CommandTable& table, Context& ctx, const std::string& version_text,
                     int argc, char** argv);

// The usage text of the whole table (`arsync --help`).
std::string table_usage(const CommandTable& table);

// The command groups, one file each; each appends its commands.
void add_status_commands(CommandTable& table);         // cli_status.cpp
void add_auth_commands(CommandTable& table);           // cli_auth.cpp
void add_discrepancy_commands(CommandTable& table);    // cli_discrepancies.cpp
void add_quarantine_commands(CommandTable& table);     // cli_quarantine.cpp
void add_mail_commands(CommandTable& table);           // cli_mail.cpp
void add_mapping_commands(CommandTable& table);        // cli_mapping.cpp
void add_connector_commands(CommandTable& table);      // cli_connectors.cpp
void add_config_commands(CommandTable& table);         // cli_config.cpp
void add_sync_commands(CommandTable& table);           // cli_sync.cpp

}  // namespace arsync::cli
