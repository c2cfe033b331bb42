// `arsync discrepancies list|show|resolve|ack`.
#include <iostream>
#include <set>

#include "command_table.h"
#include "arsync/model/clock.h"
#include "arsync/model/discrepancy_json.h"
#include "arsync/service/text_columns.h"

namespace arsync::cli {
namespace {

using service::join;
using service::pad_column;

std::string value_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return dump_for_output(v, -1);
}

// Prints details: {"sys": {field: value}} as a table with systems as columns;
// other keys as "key: value" lines.
void print_details(const nlohmann::json& details) {
  if (!details.is_object()) {
    std::cout << "  " << dump_for_output(details, -1) << "\n";
    return;
  }
  std::vector<std::string> systems;
  std::vector<std::string> fields;
  std::set<std::string> seen;
  for (const auto& [key, value] : details.items()) {
    if (value.is_object()) {
      systems.push_back(key);
      for (const auto& [field, v] : value.items()) {
        if (seen.insert(field).second) fields.push_back(field);
      }
    } else {
      std::cout << "  " << key << ": " << value_text(value) << "\n";
    }
  }
  if (systems.empty()) return;
  std::cout << "  " << pad_column("field", 18);
  for (const std::string& s : systems) std::cout << pad_column(s, 26);
  std::cout << "\n";
  for (const std::string& f : fields) {
    std::cout << "  " << pad_column(f, 18);
    for (const std::string& s : systems) {
      const nlohmann::json& obj = details[s];
      std::cout << pad_column(obj.contains(f) ? value_text(obj[f]) : "-", 26);
    }
    std::cout << "\n";
  }
}

int list(Context& ctx, const Args& args) {
  store::DiscrepancyFilter filter;
  std::string status = args.option("status").value_or("open");
  if (status != "all") {
    auto s = parse_discrepancy_status(status);
    if (!s) return fail("--status must be open, acknowledged, resolved or all", 2);
    filter.status = *s;
  }
  filter.rule = args.option("rule").value_or("");
  filter.system = args.option("system").value_or("");
  filter.limit = args.number("limit", filter.limit);
  Result<std::unique_ptr<store::Store>> st = open_store(ctx);
  if (!st) return fail(st.status().to_string());
  Result<std::vector<Discrepancy>> list = (*st)->list_discrepancies(filter);
  if (!list) return fail(list.status().to_string());
  if (args.flag("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const Discrepancy& d : *list) out.push_back(to_json(d));
    std::cout << dump_for_output(out) << "\n";
    return 0;
  }
  std::cout << pad_column("ID", 6) << pad_column("STATUS", 13) << pad_column("SEVERITY", 10) << pad_column("RULE", 24)
            << pad_column("KIND", 13) << pad_column("MATCH KEY", 14) << pad_column("SYSTEMS", 18) << "SUMMARY\n";
  for (const Discrepancy& d : *list) {
    std::cout << pad_column(std::to_string(d.id), 6) << pad_column(std::string(to_string(d.status)), 13)
              << pad_column(std::string(to_string(d.finding.severity)), 10) << pad_column(d.finding.rule, 24)
              << pad_column(std::string(to_string(d.finding.kind)), 13) << pad_column(d.finding.match_key, 14)
              << pad_column(join(d.finding.systems, ","), 18) << d.finding.summary << "\n";
  }
  std::cout << list->size() << " discrepanc" << (list->size() == 1 ? "y" : "ies")
            << (status == "all" ? "" : " with status " + status) << "\n";
  return 0;
}

int show(Context& ctx, const Args& args) {
  Result<std::int64_t> id = parse_id(args, "discrepancy");
  if (!id) return fail(id.status().message(), 2);
  Result<std::unique_ptr<store::Store>> st = open_store(ctx);
  if (!st) return fail(st.status().to_string());
  Result<std::optional<Discrepancy>> d = (*st)->get_discrepancy(*id);
  if (!d) return fail(d.status().to_string());
  if (!d->has_value()) return fail("no discrepancy with ID " + std::to_string(*id));
  Result<std::vector<DiscrepancyEvent>> events = (*st)->discrepancy_events(*id);
  if (!events) return fail(events.status().to_string());
  const Discrepancy& x = **d;
  if (args.flag("json")) {
    nlohmann::json out = to_json(x);
    out["events"] = nlohmann::json::array();
    for (const DiscrepancyEvent& e : *events) out["events"].push_back(to_json(e));
    std::cout << dump_for_output(out) << "\n";
    return 0;
  }
  std::cout << "Discrepancy #" << x.id << ": " << x.finding.summary << "\n"
            << "  rule            " << x.finding.rule << "\n"
            << "  document        " << to_string(x.finding.kind) << " " << x.finding.match_key << "\n"
            << "  systems         " << join(x.finding.systems, ", ") << "\n"
            << "  customer        " << x.finding.customer_key << "\n"
            << "  severity        " << to_string(x.finding.severity) << "\n"
            << "  status          " << to_string(x.status)
            << (x.resolved_at ? " at " + format_instant(*x.resolved_at) : "") << "\n"
            << "  first detected  " << format_instant(x.first_detected) << "\n"
            << "  last detected   " << format_instant(x.last_detected) << "\n";
  if (!x.resolution_note.empty()) std::cout << "  note            " << x.resolution_note << "\n";
  std::cout << "\nValues\n";
  print_details(x.finding.details);
  std::cout << "\nHistory\n";
  for (const DiscrepancyEvent& e : *events) {
    std::cout << "  " << format_instant(e.at) << "  " << pad_column(e.event, 13) << pad_column(e.actor, 14)
              << e.note << "\n";
  }
  return 0;
}

// `resolve` or `ack`: a person's verdict, kept with the note in its history.
int decide(Context& ctx, const Args& args, bool resolve) {
  Result<std::int64_t> id = parse_id(args, "discrepancy");
  if (!id) return fail(id.status().message(), 2);
  auto note = args.option("note");
  if (!note || note->empty()) return fail("--note TEXT is required: say why", 2);
  std::string by = args.option("by").value_or("");
  if (by.empty()) by = login_name();
  return run_writing_command(
      ctx, {resolve ? "discrepancies resolve" : "discrepancies ack",
            {{"id", *id}, {"note", *note}, {"by", by}}});
}

const OptionSpec kJson{"json", ValueType::kFlag, "", "print JSON for scripts (see README \"JSON output\")"};
const OptionSpec kNote{"note", ValueType::kText, "TEXT", "say why", true};
const OptionSpec kBy{"by", ValueType::kText, "NAME",
                     "who decides (default: the login name of the user running arsync)"};

}  // namespace

void add_discrepancy_commands(CommandTable& table) {
  add_command(table, {"discrepancies", "list"},
              "discrepancies, ending with \"N discrepancies with status S\"", list)
      .options = {{"status", ValueType::kText, "open|acknowledged|resolved|all",
                   "only those with this status (default open)"},
                  {"rule", ValueType::kText, "R", "only those found by this rule"},
                  {"system", ValueType::kText, "S", "only those involving this system"},
                  {"limit", ValueType::kPositiveInteger, "N", "at most N (default 1000)"},
                  kJson};
  CommandSpec& show_cmd =
      add_command(table, {"discrepancies", "show"}, "one discrepancy: values per system, history", show);
  show_cmd.arguments = {"ID"};
  show_cmd.options = {kJson};
  CommandSpec& resolve = add_command(
      table, {"discrepancies", "resolve"}, "a person resolves an open or acknowledged discrepancy",
      [](Context& ctx, const Args& args) { return decide(ctx, args, true); });
  resolve.arguments = {"ID"};
  resolve.options = {kNote, kBy};
  resolve.help = "It reopens by itself if the condition returns. Resolving a resolved one is "
                 "refused (exit 1) and keeps the first note.";
  resolve.writes = true;
  resolve.via_daemon = true;
  CommandSpec& ack = add_command(
      table, {"discrepancies", "ack"}, "acknowledge an open discrepancy: known and being worked on",
      [](Context& ctx, const Args& args) { return decide(ctx, args, false); });
  ack.arguments = {"ID"};
  ack.options = {kNote, kBy};
  ack.help = "It resolves by itself when the condition clears; a resolved one is refused (exit 1).";
  ack.writes = true;
  ack.via_daemon = true;
}

}  // namespace arsync::cli
