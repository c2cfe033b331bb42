// Runs the command table: a CLI11 app with one subcommand per word, options
// per command, and our own messages for what CLI11 reports (the tests and
// scripts read them: "unknown option --limt (did you mean --limit?)").
//
// Every level falls through to the one above, so the global options may come
// anywhere (`arsync discrepancies list --db x.db`), and every level allows
// extras, so that an unknown option or word reaches us to be named rather
// than reported as CLI11's "the following arguments were not expected".
#include "command_table.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <set>
#include <string_view>

#include "arsync/model/utf8.h"

namespace arsync::cli {
namespace {

const std::vector<OptionSpec> kGlobalOptions = {
    {"config", ValueType::kPath, "FILE",
     "the config whose store.path is read (default /etc/arsync/arsync.json)"},
    {"db", ValueType::kPath, "PATH", "read this store instead"},
    {"help", ValueType::kFlag, "", "print help (also: arsync help [COMMAND])"},
    {"version", ValueType::kFlag, "", "print the version and exit"},
};

const char kExitStatus[] =
    "Exit status: 0 success, 1 the command failed, 2 usage error, 3 arsyncd runs but could not\n"
    "be reached (or is needed and does not run).\n";

// Offset of the first byte that does not start a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF), or npos.
std::size_t invalid_utf8_at(std::string_view s) { return arsync::first_invalid_utf8(s); }

// The check of a value of `type` given to --name: "" when it is fine, else
// the whole message. Text kept in the store or printed as JSON must be UTF-8;
// file names are bytes, as the OS has them.
std::string value_error(const OptionSpec& o, const std::string& value) {
  if (o.type == ValueType::kPath || o.type == ValueType::kFlag) return "";
  if (const std::size_t at = invalid_utf8_at(value); at != std::string::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(value[at]));
    return "the value of --" + o.name + " is not valid UTF-8 (byte " + byte + " at offset " +
           std::to_string(at) + "); give the text in UTF-8 (check the terminal's or script's encoding)";
  }
  if (o.type == ValueType::kPositiveInteger && !positive_number(value)) {
    return "--" + o.name + " must be a positive number, not '" + value + "'";
  }
  return "";
}

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

// "unknown option --limt (did you mean --limit?)", the suggestion taken from
// `known` (the command's options and the global ones).
std::string unknown_option(const std::string& arg, const std::vector<const OptionSpec*>& known) {
  const std::size_t start = arg.find_first_not_of('-');
  const std::string name = start == std::string::npos ? "" : arg.substr(start);
  std::string best;
  std::size_t best_distance = 3;  // suggest only a near miss
  for (const OptionSpec* o : known) {
    if (name.empty()) break;  // "--" alone: nothing to be near
    const std::size_t d = edit_distance(name, o->name);
    if (d < best_distance) {
      best = o->name;
      best_distance = d;
    }
  }
  return "unknown option " + arg + (best.empty() ? "" : " (did you mean --" + best + "?)");
}

std::string joined(const std::vector<std::string>& words, const char* sep = " ") {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : sep) + w;
  return out;
}

bool starts_with(const std::vector<std::string>& words, const std::vector<std::string>& prefix) {
  return words.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), words.begin());
}

std::string option_synopsis(const OptionSpec& o) {
  std::string s = "--" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
  return o.required ? s : "[" + s + "]";
}

// "discrepancies resolve ID --note TEXT [--by NAME]".
std::string synopsis(const CommandSpec& c) {
  std::string s = joined(c.words);
  for (const std::string& a : c.arguments) s += " " + a;
  for (const OptionSpec& o : c.options) s += " " + option_synopsis(o);
  return s;
}

// `text` wrapped at `width` columns, each line indented by `indent` spaces.
std::string wrapped(const std::string& text, std::size_t indent, std::size_t width = 79) {
  std::string out;
  std::string line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      out += std::string(indent, ' ') + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) out += std::string(indent, ' ') + line + "\n";
  return out;
}

// "  left      right", `right` wrapped from `column` to `width`, starting on the
// next line when `left` reaches the column.
std::string two_columns(const std::string& left, const std::string& right, std::size_t column,
                        std::size_t width = 79) {
  const std::string head = "  " + left;
  const std::string body = wrapped(right, column, width);
  if (body.empty()) return head + "\n";
  if (head.size() + 1 >= column) return head + "\n" + body;
  return head + body.substr(head.size());
}

// The summaries in `arsync --help`, one line each (they are written short).
constexpr std::size_t kCommandColumn = 41;
constexpr std::size_t kCommandWidth = 120;
constexpr std::size_t kOptionColumn = 18;   // the options' help

std::string option_lines(const std::vector<OptionSpec>& options) {
  std::string out;
  for (const OptionSpec& o : options) {
    out += two_columns("--" + o.name + (o.value_name.empty() ? "" : " " + o.value_name),
                       o.help + (o.required ? " (required)" : ""), kOptionColumn);
  }
  return out;
}

// `arsync WORDS --help` for one command.
std::string command_help(const CommandSpec& c) {
  std::string out = "usage: arsync [--config FILE] [--db PATH] " + synopsis(c) + "\n\n" +
                    wrapped(c.summary + (c.help.empty() ? "" : ". " + c.help), 0);
  if (c.writes && c.via_daemon) {
    out += "Changes the store: through arsyncd when it runs, else on the store opened\n"
           "for writing (see README \"CLI and the daemon\").\n";
  } else if (c.writes) {
    out += "Changes the store (opens it for writing).\n";
  } else if (c.via_daemon) {
    out += "Asks the running arsyncd (see README \"CLI and the daemon\").\n";
  }
  if (!c.options.empty()) out += "\nOptions:\n" + option_lines(c.options);
  out += "\nGlobal options:\n" + option_lines(kGlobalOptions) + "\n" + kExitStatus;
  return out;
}

// The commands under `prefix`, one per line with their summaries.
std::string command_lines(const CommandTable& table, const std::vector<std::string>& prefix) {
  std::string out;
  for (const CommandSpec& c : table) {
    if (starts_with(c.words, prefix)) out += two_columns(synopsis(c), c.summary, kCommandColumn, kCommandWidth);
  }
  return out;
}

// `arsync discrepancies --help`.
std::string group_help(const CommandTable& table, const std::vector<std::string>& group) {
  return "usage: arsync [--config FILE] [--db PATH] " + joined(group) + " COMMAND ...\n\n" +
         command_lines(table, group) + "\n`arsync " + joined(group) +
         " COMMAND --help` explains one.\n" + kExitStatus;
}

// "usage: arsync discrepancies list|show|resolve|ack ...": what a group
// takes, for a missing or unknown word after it.
std::string group_usage(const CommandTable& table, const std::vector<std::string>& group) {
  std::vector<std::string> next;
  for (const CommandSpec& c : table) {
    if (starts_with(c.words, group) && c.words.size() > group.size() &&
        std::find(next.begin(), next.end(), c.words[group.size()]) == next.end()) {
      next.push_back(c.words[group.size()]);
    }
  }
  return "usage: arsync " + joined(group) + " " + joined(next, "|") + " ...";
}

// One command's CLI11 subcommand and where its parsed values land.
struct Bound {
  const CommandSpec* spec = nullptr;
  CLI::App* app = nullptr;
  std::map<std::string, std::string> values;
  std::map<std::string, CLI::Option*> options;
  std::vector<std::string> positional;
};

// Adds --name to `app`, its value into `value` (the last one given counts).
CLI::Option* add_option(CLI::App& app, const OptionSpec& o, std::string& value) {
  if (o.type == ValueType::kFlag) return app.add_flag("--" + o.name, o.help);
  CLI::Option* opt = app.add_option("--" + o.name, value, o.help)
                         ->type_name(o.value_name)
                         ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // The whole message is ours; CLI11 prefixes it with the option's name,
  // which run_command_line strips.
  opt->check(CLI::Validator([&o](std::string& v) { return value_error(o, v); }, ""));
  return opt;
}

// The path of subcommands CLI11 selected: {"discrepancies", "list"}.
std::vector<std::string> selected_words(const CLI::App& app) {
  std::vector<std::string> words;
  const CLI::App* at = &app;
  while (!at->get_subcommands().empty()) {
    at = at->get_subcommands().front();
    words.push_back(at->get_name());
  }
  return words;
}

// Help for `words` (a command, a group or nothing), or "" if none has them.
std::string help_for(const CommandTable& table, const std::vector<std::string>& words) {
  if (words.empty()) return table_usage(table);
  for (const CommandSpec& c : table) {
    if (c.words == words) return command_help(c);
  }
  for (const CommandSpec& c : table) {
    if (starts_with(c.words, words)) return group_help(table, words);
  }
  return "";
}

// `--limit=5`: refused (the value is the next argument), unless the token is
// itself the value of an option before it (`--note --a=b`).
std::optional<std::string> equals_form(const CommandTable& table, int argc, char** argv) {
  std::set<std::string> takes_value;
  for (const OptionSpec& o : kGlobalOptions) {
    if (o.type != ValueType::kFlag) takes_value.insert(o.name);
  }
  for (const CommandSpec& c : table) {
    for (const OptionSpec& o : c.options) {
      if (o.type != ValueType::kFlag) takes_value.insert(o.name);
    }
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) != 0) continue;
    const std::size_t eq = a.find('=');
    const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (eq == std::string::npos) {
      if (takes_value.count(name)) ++i;  // its value, whatever it looks like
      continue;
    }
    if (takes_value.count(name)) {
      return "option --" + name + " takes its value as the next argument: --" + name + " " +
             a.substr(eq + 1);
    }
  }
  return std::nullopt;
}

// `arsync [--config FILE] [--db PATH] help WORDS...`: the words, else nullopt.
// Read before CLI11 parses, which would take the words for subcommands.
std::optional<std::vector<std::string>> help_words(int argc, char** argv) {
  int i = 1;
  while (i < argc && (std::string_view(argv[i]) == "--config" || std::string_view(argv[i]) == "--db")) {
    i += 2;
  }
  if (i >= argc || std::string_view(argv[i]) != "help") return std::nullopt;
  return std::vector<std::string>(argv + i + 1, argv + argc);
}

}  // namespace

CommandSpec& add_command(CommandTable& table, std::vector<std::string> words, std::string summary,
                         std::function<int(Context&, const Args&)> run) {
  CommandSpec& c = table.emplace_back();
  c.words = std::move(words);
  c.summary = std::move(summary);
  c.run = std::move(run);
  return c;
}

std::string table_usage(const CommandTable& table) {
  std::string out = "usage: arsync [--config FILE] [--db PATH] COMMAND ...\n\n" +
                    command_lines(table, {}) +
                    two_columns("help [COMMAND]", "this text, or a command's help", kCommandColumn,
                                kCommandWidth) +
                    "\n" + option_lines(kGlobalOptions) +
                    "\n`arsync COMMAND --help` explains a command.\n" + kExitStatus;
  return out;
}

int run_command_line(const CommandTable& table, Context& ctx, const std::string& version_text,
                     int argc, char** argv) {
  if (auto message = equals_form(table, argc, argv)) return fail(*message, 2);
  if (auto words = help_words(argc, argv)) {
    const std::string help = help_for(table, *words);
    if (help.empty()) return fail("no command '" + joined(*words) + "'\n" + table_usage(table), 2);
    std::cout << help;
    return 0;
  }

  CLI::App app("", "arsync");
  app.set_help_flag("-h,--help");
  app.allow_extras();
  std::string config_path;
  std::string db_path;
  CLI::Option* config_opt = add_option(app, kGlobalOptions[0], config_path);
  CLI::Option* db_opt = add_option(app, kGlobalOptions[1], db_path);
  CLI::Option* version_opt = app.add_flag("--version");

  std::map<std::vector<std::string>, CLI::App*> levels;  // {"discrepancies"} -> its app
  std::deque<Bound> bound;                               // stable addresses for CLI11
  for (const CommandSpec& c : table) {
    CLI::App* parent = &app;
    std::vector<std::string> path;
    for (const std::string& word : c.words) {
      path.push_back(word);
      CLI::App*& level = levels[path];
      if (!level) {
        level = parent->add_subcommand(word, "");
        level->allow_extras();
        level->fallthrough();
      }
      parent = level;
    }
    Bound& b = bound.emplace_back();
    b.spec = &c;
    b.app = parent;
    for (const OptionSpec& o : c.options) b.options[o.name] = add_option(*parent, o, b.values[o.name]);
    parent->add_option("arguments", b.positional);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << help_for(table, selected_words(app));
    return 0;
  } catch (const CLI::ValidationError& e) {
    // "--limit: <our message>".
    std::string message = e.what();
    if (const std::size_t colon = message.find(": "); message.rfind("--", 0) == 0 &&
                                                      colon != std::string::npos) {
      message = message.substr(colon + 2);
    }
    return fail(message, 2);
  } catch (const CLI::ArgumentMismatch& e) {
    // "--limit: 1 required N missing".
    const std::string message = e.what();
    const std::string name = message.substr(0, message.find(':'));
    const std::string usage = help_for(table, selected_words(app));
    return fail("option " + name + " needs a value\n" + usage.substr(0, usage.find('\n')), 2);
  } catch (const CLI::ParseError& e) {
    return fail(std::string(e.what()), 2);
  }

  if (version_opt->count() > 0) {
    std::cout << version_text << "\n";
    return 0;
  }
  if (config_opt->count() > 0) ctx.config_path = config_path;
  if (db_opt->count() > 0) ctx.db_path = db_path;

  const std::vector<std::string> words = selected_words(app);
  const Bound* command = nullptr;
  for (const Bound& b : bound) {
    if (b.spec->words == words) command = &b;
  }
  std::vector<const OptionSpec*> known;
  for (const OptionSpec& o : kGlobalOptions) known.push_back(&o);
  if (command) {
    for (const OptionSpec& o : command->spec->options) known.push_back(&o);
  }
  const std::string usage_line =
      command ? "usage: arsync " + synopsis(*command->spec) : table_usage(table);
  std::vector<std::string> rest = app.remaining(true);
  for (const std::string& r : rest) {
    if (r.size() > 1 && r[0] == '-') return fail(unknown_option(r, known) + "\n" + usage_line, 2);
  }

  if (!command) {
    if (words.empty() && rest.empty()) {
      std::cout << table_usage(table);  // `arsync` alone: what there is, as a usage error
      return 2;
    }
    if (words.empty()) return fail("unknown command '" + rest.front() + "'\n" + table_usage(table), 2);
    return fail(group_usage(table, words), 2);
  }

  const CommandSpec& spec = *command->spec;
  if (command->positional.size() > spec.arguments.size()) {
    return fail("unexpected argument '" + command->positional[spec.arguments.size()] + "'\n" +
                    usage_line,
                2);
  }
  Args args;
  args.positional = command->positional;
  args.usage = "arsync " + synopsis(spec);
  for (const OptionSpec& o : spec.options) {
    if (command->options.at(o.name)->count() == 0) {
      if (o.required) {
        return fail("--" + o.name + " " + o.value_name + " is required: " + o.help, 2);
      }
      continue;
    }
    if (o.type == ValueType::kFlag) {
      args.flags[o.name] = true;
    } else {
      args.options[o.name] = command->values.at(o.name);
    }
  }
  ctx.writes = spec.writes;
  return spec.run(ctx, args);
}

}  // namespace arsync::cli
