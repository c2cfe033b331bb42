// arsync: the command line for IT admins, the AR team and ERP admins.
// Reads the store while arsyncd runs (SQLite WAL); see README "CLI".
#include <iostream>
#include <set>

#include "cli.h"
#include "arsync/service/config.h"

namespace arsync::cli {

std::optional<std::string> Args::option(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

int fail(const std::string& message, int code) {
  std::cerr << "arsync: " << message << "\n";
  return code;
}

Result<std::unique_ptr<store::Store>> open_store(const Context& ctx, bool write) {
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
  so.read_only = !write;
  return store::open_sqlite_store(so);
}

}  // namespace arsync::cli

namespace {

const char kUsage[] =
    "usage: arsync [--config FILE] [--db PATH] COMMAND ...\n"
    "\n"
    "  status                                 documents per system, open discrepancies, mail\n"
    "  discrepancies list [--status S|all] [--rule R] [--system S] [--limit N] [--json]\n"
    "  discrepancies show ID [--json]         one discrepancy: values per system, history\n"
    "  discrepancies resolve ID --note TEXT [--by NAME]\n"
    "  discrepancies ack ID --note TEXT [--by NAME]\n"
    "  quarantine list [--limit N]            records that failed to parse or map\n"
    "  quarantine show ID                     one quarantined record with its raw bytes\n"
    "  mail list [--limit N]                  the mail outbox\n"
    "  recheck                                re-check every match group on the next cycle\n"
    "  mapping check FILE                     validate a mapping file\n"
    "  mapping test FILE INPUT                map a source file (IDoc file or JSON record)\n"
    "  connectors list                        built-in connector types\n"
    "  connectors describe NAME               a connector type's configuration keys\n"
    "\n"
    "  --config FILE  default /etc/arsync/arsync.json (its store.path is used)\n"
    "  --db PATH      read this store instead\n";

// Options that take no value.
const std::set<std::string> kFlags = {"json", "help"};

}  // namespace

int main(int argc, char** argv) {
  using namespace arsync::cli;
  Context ctx;
  ctx.config_path = "/etc/arsync/arsync.json";
  arsync::register_builtin_connectors(ctx.registry);

  std::vector<std::string> words;
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      std::string name = a.substr(2);
      if (kFlags.count(name)) {
        args.flags[name] = true;
      } else if (i + 1 < argc) {
        args.options[name] = argv[++i];
      } else {
        return fail("option --" + name + " needs a value\n" + kUsage, 2);
      }
    } else {
      words.push_back(a);
    }
  }
  if (args.flag("help") || words.empty()) {
    std::cout << kUsage;
    return words.empty() && !args.flag("help") ? 2 : 0;
  }
  if (auto c = args.option("config")) ctx.config_path = *c;
  if (auto d = args.option("db")) ctx.db_path = *d;

  const std::string cmd = words[0];
  auto sub_and_rest = [&](size_t n_words) {
    args.positional.assign(words.begin() + static_cast<long>(std::min(n_words, words.size())),
                           words.end());
    return words.size() > 1 ? words[1] : std::string();
  };
  if (cmd == "status") {
    sub_and_rest(1);
    return cmd_status(ctx, args);
  }
  if (cmd == "discrepancies") return cmd_discrepancies(ctx, sub_and_rest(2), args);
  if (cmd == "quarantine") return cmd_quarantine(ctx, sub_and_rest(2), args);
  if (cmd == "mail") return cmd_mail(ctx, sub_and_rest(2), args);
  if (cmd == "recheck") {
    sub_and_rest(1);
    return cmd_recheck(ctx, args);
  }
  if (cmd == "mapping") return cmd_mapping(ctx, sub_and_rest(2), args);
  if (cmd == "connectors") return cmd_connectors(ctx, sub_and_rest(2), args);
  return fail("unknown command '" + cmd + "'\n" + kUsage, 2);
}
