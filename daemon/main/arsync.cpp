// arsync: the command line for IT admins, the AR team and ERP admins.
// Reads the store while arsyncd runs (SQLite WAL); see README "CLI".
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <string_view>

#include "cli.h"
#include "arsync/model/utf8.h"
#include "arsync/service/config.h"

namespace arsync::cli {

std::optional<std::string> Args::option(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
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
    "  status                                 documents per system, discrepancies by status, mail\n"
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
    "  --db PATH      read this store instead\n"
    "  --by NAME      default: the login name of the user running arsync\n"
    "\n"
    "Exit status: 0 success, 1 the command failed, 2 usage error.\n";

// Every option there is; any other is refused, so that a typo (--limt 5) is
// an error rather than an option silently ignored.
const std::set<std::string> kValueOptions = {"config", "db", "status", "rule", "system",
                                             "limit", "note", "by"};
const std::set<std::string> kFlags = {"json", "help"};
// Options whose value is text kept in the store or printed as JSON, which
// must be UTF-8. --config and --db are file names: bytes, as the OS has them.
const std::set<std::string> kTextOptions = {"status", "rule", "system", "limit", "note", "by"};

// Offset of the first byte that does not start a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF), or npos.
std::size_t invalid_utf8_at(std::string_view s) { return arsync::first_invalid_utf8(s); }

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "unknown option --limt (did you mean --limit?)".
std::string unknown_option(const std::string& name) {
  const std::size_t eq = name.find('=');
  if (eq != std::string::npos && kValueOptions.count(name.substr(0, eq))) {
    return "option --" + name.substr(0, eq) + " takes its value as the next argument: --" +
           name.substr(0, eq) + " " + name.substr(eq + 1);
  }
  std::string best;
  std::size_t best_distance = 3;  // suggest only a near miss
  for (const auto* names : {&kValueOptions, &kFlags}) {
    for (const std::string& known : *names) {
      const std::size_t d = edit_distance(name, known);
      if (d < best_distance) {
        best = known;
        best_distance = d;
      }
    }
  }
  return "unknown option --" + name + (best.empty() ? "" : " (did you mean --" + best + "?)");
}

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
      } else if (!kValueOptions.count(name)) {
        return fail(unknown_option(name) + "\n" + kUsage, 2);
      } else if (i + 1 < argc) {
        std::string value = argv[++i];
        if (const std::size_t at = invalid_utf8_at(value);
            kTextOptions.count(name) && at != std::string::npos) {
          char byte[8];
          std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(value[at]));
          return fail("the value of --" + name + " is not valid UTF-8 (byte " + byte +
                          " at offset " + std::to_string(at) +
                          "); give the text in UTF-8 (check the terminal's or script's encoding)",
                      2);
        }
        args.options[name] = std::move(value);
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
