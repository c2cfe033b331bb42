// `arsync auth TYPE SYSTEM`: connects a system to its account once (an OAuth
// 2.0 consent), for connector types that publish ConnectorType::authorize.
// The tokens go to the credential store (under the secrets file's
// store_key) through the vault's own connection, which is safe beside a
// running arsyncd: its connector reads them again when its own are refused.
#include <iostream>

#include "arsync/log/log.h"
#include "arsync/service/config.h"
#include "arsync/service/secrets.h"
#include "arsync/store/credential_vault.h"
#include "command_table.h"
#include "connector/registry.h"

namespace arsync::cli {
namespace {

int authorize(Context& ctx, const Args& args) {
  if (args.positional.size() != 2) return fail("usage: " + args.usage, 2);
  const std::string& type_name = args.positional[0];
  const std::string& system = args.positional[1];
  Result<service::Config> config = service::load_config(ctx.config_path);
  if (!config.is_ok()) return fail(config.status().to_string());
  const service::SystemConfig* found = nullptr;
  for (const service::SystemConfig& s : config.value().systems) {
    if (s.name == system) found = &s;
  }
  if (found == nullptr) return fail("no system '" + system + "' in " + ctx.config_path);
  if (found->type != type_name) {
    return fail("system '" + system + "' is of type " + found->type + ", not " + type_name);
  }
  const ConnectorType* type = ctx.registry.find(type_name);
  if (type == nullptr || !type->authorize) {
    return fail("connector type '" + type_name + "' has nothing to authorize");
  }
  Result<nlohmann::json> settings = Registry::validate(*type, found->settings, system);
  if (!settings.is_ok()) return fail(settings.status().to_string());
  Result<service::Secrets> secrets = service::load_secrets(config.value().secrets_file);
  if (!secrets.is_ok()) return fail(secrets.status().to_string());
  if (!secrets.value().store_key) {
    return fail("the secrets file " + config.value().secrets_file +
                " has no store_key: the tokens need the credential store");
  }
  SystemClock clock;
  Result<std::unique_ptr<store::CredentialVault>> vault =
      store::CredentialVault::open(ctx.db_path.empty() ? config.value().store_path : ctx.db_path,
                                   *secrets.value().store_key, clock);
  if (!vault.is_ok()) return fail(vault.status().to_string());
  std::unique_ptr<CredentialHandle> handle = vault.value()->handle(system);

  ConnectorContext cctx;
  cctx.system = system;
  cctx.settings = settings.value();
  cctx.clock = &clock;
  cctx.credentials = handle.get();
  if (auto it = secrets.value().systems.find(system); it != secrets.value().systems.end()) {
    cctx.secrets = it->second;
  }
  const auto code = args.options.find("code");
  const auto interact = [&](const std::string& text) {
    if (code != args.options.end()) return code->second;
    std::cout << text << "\n> " << std::flush;
    std::string line;
    std::getline(std::cin, line);
    return line;
  };
  Status s = type->authorize(cctx, interact);
  if (!s) return fail(s.to_string());
  std::cout << system << ": authorized; the tokens are in the credential store\n";
  return 0;
}

}  // namespace

void add_auth_commands(CommandTable& table) {
  CommandSpec& c = add_command(table, {"auth"}, "connect a system to its account (OAuth consent), once", authorize);
  c.arguments = {"TYPE", "SYSTEM"};
  c.options = {{"code", ValueType::kText, "TEXT",
                "the address the browser was redirected to, or its code (else it is asked for)"}};
  c.help = "For QuickBooks: `arsync auth quickbooks qbo-us` prints Intuit's consent address; open it, "
           "connect the company, and paste back the address the browser was sent to. Needs the "
           "system's redirect_uri and client_id settings, and client_secret and store_key in the "
           "secrets file. The tokens are stored encrypted in the store; a running arsyncd takes "
           "them up when its own are refused.";
  c.writes = true;
}

}  // namespace arsync::cli
