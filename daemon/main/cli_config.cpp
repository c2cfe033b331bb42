// `arsync config check FILE`: every error of a config file at once.
#include <iostream>

#include "command_table.h"
#include "arsync/service/config_check.h"

namespace arsync::cli {
namespace {

int check(Context& ctx, const Args& args) {
  if (args.positional.size() != 1) return fail("usage: " + args.usage, 2);
  const std::string& file = args.positional[0];
  service::ConfigErrors errors(file);
  std::optional<service::Config> config = service::check_config(file, ctx.registry, errors);
  if (!errors.empty()) {
    std::cerr << "arsync: " << file << ": " << errors.size() << " error"
              << (errors.size() == 1 ? "" : "s") << "\n";
    for (const std::string& line : errors.lines()) std::cerr << "  " << line << "\n";
    return 1;
  }
  std::cout << file << ": OK (" << config->systems.size() << " system"
            << (config->systems.size() == 1 ? "" : "s") << ", store " << config->store_path
            << ")\n";
  return 0;
}

}  // namespace

void add_config_commands(CommandTable& table) {
  CommandSpec& c = add_command(table, {"config", "check"},
                               "check a config file as arsyncd would, every error at once", check);
  c.arguments = {"FILE"};
  c.help = "Each error names its key path (systems.sap-ecc.settings: ...); exit 1 when there is "
           "any, else one line saying OK.";
}

}  // namespace arsync::cli
