// What the command groups share: Args, opening the store, IDs, who runs it.
#include <pwd.h>
#include <unistd.h>

#include <iostream>

#include "cli.h"
#include "arsync/service/config.h"

namespace arsync::cli {

std::optional<std::string> Args::option(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

std::size_t Args::number(const std::string& name, std::size_t fallback) const {
  auto text = option(name);
  if (!text) return fallback;
  // The table checked it before the command ran.
  return static_cast<std::size_t>(positive_number(*text).value_or(0));
}

std::optional<long long> positive_number(const std::string& text) {
  try {
    size_t used = 0;
    long long n = std::stoll(text, &used);
    if (used == text.size() && n > 0) return n;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

Result<std::int64_t> parse_id(const Args& args, const std::string& what) {
  if (args.positional.empty()) {
    return Status(ErrorCode::kInvalidArgument, "missing " + what + " ID");
  }
  const std::string& text = args.positional[0];
  if (auto id = positive_number(text)) return static_cast<std::int64_t>(*id);
  return Status(ErrorCode::kInvalidArgument,
                "'" + text + "' is not a " + what + " ID (a positive number)");
}

std::string login_name() {
  // getlogin: the user who logged in, also under sudo; without a login
  // session (cron, systemd, a pipe), the effective user.
  if (const char* name = ::getlogin(); name && *name) return name;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name && *pw->pw_name) {
    return pw->pw_name;
  }
  return "uid " + std::to_string(::geteuid());
}

int fail(const std::string& message, int code) {
  std::cerr << "arsync: " << message << "\n";
  return code;
}

Result<std::unique_ptr<store::Store>> open_store(const Context& ctx) {
  std::string path = ctx.db_path;
  if (path.empty()) {
    Result<service::Config> config = service::load_config(ctx.config_path);
    if (!config) {
      return config.status().with_context("cannot find the store (give --db PATH or --config FILE)");
    }
    path = config->store_path;
  }
  store::SqliteOptions so;
  so.path = path;
  so.read_only = !ctx.writes;
  return store::open_sqlite_store(so);
}

}  // namespace arsync::cli
