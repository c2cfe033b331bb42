// The `arsync` command line: shared argument handling and the command groups
// (one file each). Each command returns the process exit status:
// 0 success, 1 the command ran and found errors, 2 usage error.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connector/registry.h"
#include "arsync/store/store.h"

namespace arsync::cli {

struct Args {
  std::vector<std::string> positional;            // after the command words
  std::map<std::string, std::string> options;     // --name value
  std::map<std::string, bool> flags;              // --json

  std::optional<std::string> option(const std::string& name) const;
  bool flag(const std::string& name) const { return flags.count(name) > 0; }
};

struct Context {
  std::string config_path;  // --config, or the default
  std::string db_path;      // --db, overrides the config's store.path
  Registry registry;
};

// Opens the store named by --db or the config (read-only unless `write`).
Result<std::unique_ptr<store::Store>> open_store(const Context& ctx, bool write);

int cmd_status(Context& ctx, const Args& args);
int cmd_discrepancies(Context& ctx, const std::string& sub, const Args& args);
int cmd_quarantine(Context& ctx, const std::string& sub, const Args& args);
int cmd_mail(Context& ctx, const std::string& sub, const Args& args);
int cmd_recheck(Context& ctx, const Args& args);
int cmd_mapping(Context& ctx, const std::string& sub, const Args& args);
int cmd_connectors(Context& ctx, const std::string& sub, const Args& args);

// Who runs this command, for --by: the login name (also under sudo), else the
// effective user's name, else "uid N".
std::string login_name();

// Prints "arsync: <message>" to stderr and returns `code`.
int fail(const std::string& message, int code = 1);

}  // namespace arsync::cli
