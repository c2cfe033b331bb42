// `arsync connectors list|describe`: the connector types built in.
#include <iostream>

#include "command_table.h"

namespace arsync::cli {
namespace {

int list(Context& ctx, const Args&) {
  for (const std::string& name : ctx.registry.names()) {
    std::cout << name << "  " << ctx.registry.find(name)->description << "\n";
  }
  return 0;
}

int describe(Context& ctx, const Args& args) {
  if (args.positional.size() != 1) return fail("usage: " + args.usage, 2);
  const ConnectorType* t = ctx.registry.find(args.positional[0]);
  if (!t) return fail("no connector type '" + args.positional[0] + "' (see arsync connectors list)");
  std::cout << t->name << ": " << t->description << "\n\nSettings (systems.NAME.settings):\n";
  for (const ConfigKey& k : t->config_keys) {
    std::cout << "  " << k.name << " (" << k.type << (k.required ? ", required" : "")
              << (k.default_value.is_null() ? "" : ", default " + k.default_value.dump())
              << ")\n      " << k.description << "\n";
  }
  return 0;
}

}  // namespace

void add_connector_commands(CommandTable& table) {
  add_command(table, {"connectors", "list"}, "built-in connector types", list);
  CommandSpec& describe_cmd = add_command(table, {"connectors", "describe"},
                                          "a connector type's configuration keys", describe);
  describe_cmd.arguments = {"NAME"};
  describe_cmd.help = "Each setting of systems.NAME.settings: name, type, default, whether it is "
                      "required, description.";
}

}  // namespace arsync::cli
