// `arsync status`, `discrepancies ...`, `quarantine ...`, `mail ...`, `recheck`.
#include <iomanip>
#include <iostream>
#include <set>

#include "cli.h"
#include "arsync/model/clock.h"
#include "arsync/model/discrepancy_json.h"
#include "arsync/service/text_columns.h"

namespace arsync::cli {
namespace {

using service::join;
using service::pad_column;


// A whole number > 0 written as `text` (nothing after it), or nullopt.
std::optional<long long> positive_number(const std::string& text) {
  try {
    size_t used = 0;
    long long n = std::stoll(text, &used);
    if (used == text.size() && n > 0) return n;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// --limit N: a positive number, or `fallback` when not given.
Result<std::size_t> parse_limit(const Args& args, std::size_t fallback) {
  auto text = args.option("limit");
  if (!text) return fallback;
  if (auto n = positive_number(*text)) return static_cast<std::size_t>(*n);
  return Status(ErrorCode::kInvalidArgument, "--limit must be a positive number, not '" + *text + "'");
}

// The ID argument of a `show`-like command; `what` names the thing
// ("discrepancy") in the error.
Result<std::int64_t> parse_id(const Args& args, const std::string& what) {
  if (args.positional.empty()) {
    return Status(ErrorCode::kInvalidArgument, "missing " + what + " ID");
  }
  const std::string& text = args.positional[0];
  if (auto id = positive_number(text)) return static_cast<std::int64_t>(*id);
  return Status(ErrorCode::kInvalidArgument,
                "'" + text + "' is not a " + what + " ID (a positive number)");
}

std::string status_line(DiscrepancyStatus status, std::int64_t count) {
  return "  " + pad_column(std::string(to_string(status)), 20) + std::to_string(count) + "\n";
}

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

// `arsync status`'s last section: how each system's last pull ended.
int print_pull_outcomes(store::Store& st) {
  Result<std::vector<store::PullOutcome>> pulls = st.pull_outcomes();
  if (!pulls) return fail(pulls.status().to_string());
  std::cout << "Last pull by system\n";
  for (const store::PullOutcome& p : *pulls) {
    std::cout << "  " << pad_column(p.system, 20) << pad_column(p.state, 10)
              << format_instant(p.at) << "  " << p.records << " records, " << p.stored
              << " stored, " << p.quarantined << " quarantined\n";
    if (!p.message.empty()) std::cout << "    " << p.message << "\n";
  }
  return 0;
}

}  // namespace

int cmd_status(Context& ctx, const Args&) {
  Result<std::unique_ptr<store::Store>> st = open_store(ctx, false);
  if (!st) return fail(st.status().to_string());
  Result<store::StoreStats> stats = (*st)->stats();
  if (!stats) return fail(stats.status().to_string());
  std::cout << "Documents by system\n";
  for (const auto& [system, n] : stats->documents_by_system) {
    std::cout << "  " << pad_column(system, 20) << n << "\n";
  }
  // The words of `discrepancies list --status`, each status counted apart.
  std::cout << "Discrepancies\n"
            << status_line(DiscrepancyStatus::kOpen, stats->open_discrepancies)
            << status_line(DiscrepancyStatus::kAcknowledged, stats->acknowledged_discrepancies)
            << status_line(DiscrepancyStatus::kResolved, stats->resolved_discrepancies)
            << "Quarantined records    " << stats->quarantined << "\n"
            << "Groups to re-check     " << stats->dirty_keys << "\n"
            << "Mail pending/sent/dead " << stats->mail_pending << "/" << stats->mail_sent << "/"
            << stats->mail_dead << "\n";
  return print_pull_outcomes(**st);
}

int cmd_discrepancies(Context& ctx, const std::string& sub, const Args& args) {
  if (sub == "list") {
    store::DiscrepancyFilter filter;
    std::string status = args.option("status").value_or("open");
    if (status != "all") {
      auto s = parse_discrepancy_status(status);
      if (!s) return fail("--status must be open, acknowledged, resolved or all", 2);
      filter.status = *s;
    }
    filter.rule = args.option("rule").value_or("");
    filter.system = args.option("system").value_or("");
    Result<std::size_t> limit = parse_limit(args, filter.limit);
    if (!limit) return fail(limit.status().message(), 2);
    filter.limit = *limit;
    Result<std::unique_ptr<store::Store>> st = open_store(ctx, false);
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
  if (sub == "show") {
    Result<std::int64_t> id = parse_id(args, "discrepancy");
    if (!id) return fail(id.status().message(), 2);
    Result<std::unique_ptr<store::Store>> st = open_store(ctx, false);
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
  if (sub == "resolve" || sub == "ack") {
    Result<std::int64_t> id = parse_id(args, "discrepancy");
    if (!id) return fail(id.status().message(), 2);
    auto note = args.option("note");
    if (!note || note->empty()) return fail("--note TEXT is required: say why", 2);
    std::string by = args.option("by").value_or("");
    if (by.empty()) by = login_name();
    Result<std::unique_ptr<store::Store>> st = open_store(ctx, true);
    if (!st) return fail(st.status().to_string());
    SystemClock clock;
    Status s = sub == "resolve" ? (*st)->resolve_discrepancy(*id, by, *note, clock.now())
                                : (*st)->acknowledge_discrepancy(*id, by, *note, clock.now());
    if (!s) return fail(s.to_string());
    std::cout << "discrepancy #" << *id << (sub == "resolve" ? " resolved" : " acknowledged")
              << " by " << by << "\n";
    return 0;
  }
  return fail("usage: arsync discrepancies list|show|resolve|ack ...", 2);
}

int cmd_quarantine(Context& ctx, const std::string& sub, const Args& args) {
  if (sub != "list" && sub != "show") return fail("usage: arsync quarantine list|show ...", 2);
  Result<std::size_t> limit = parse_limit(args, 100);
  if (!limit) return fail(limit.status().message(), 2);
  Result<std::int64_t> id = sub == "show" ? parse_id(args, "quarantined record")
                                           : Result<std::int64_t>(0);
  if (!id) return fail(id.status().message(), 2);
  Result<std::unique_ptr<store::Store>> st = open_store(ctx, false);
  if (!st) return fail(st.status().to_string());
  if (sub == "show") {
    Result<std::optional<store::QuarantineEntry>> found = (*st)->find_quarantine(*id);
    if (!found) return fail(found.status().to_string());
    if (!*found) return fail("no quarantined record with ID " + std::to_string(*id));
    const store::QuarantineEntry& q = **found;
    std::cout << "Quarantined record #" << q.id << "\n  system    " << q.system
              << "\n  type      " << q.entity << "\n  record    " << q.external_id
              << "\n  source    " << q.source << "\n  at        " << format_instant(q.at)
              << "\n  error     " << q.error << "\n  location  " << q.location
              << "\n  raw (" << q.raw.size() << " bytes)\n" << q.raw << "\n";
    return 0;
  }
  Result<std::vector<store::QuarantineEntry>> list = (*st)->list_quarantine(*limit);
  if (!list) return fail(list.status().to_string());
  for (const store::QuarantineEntry& q : *list) {
    std::cout << "#" << q.id << "  " << format_instant(q.at) << "  " << q.system << "  "
              << q.entity << " " << q.external_id << "  (" << q.raw_size << " bytes)\n    "
              << q.error << "\n";
  }
  std::cout << list->size() << " quarantined record(s)\n";
  return 0;
}

int cmd_mail(Context& ctx, const std::string& sub, const Args& args) {
  if (sub != "list") return fail("usage: arsync mail list [--limit N]", 2);
  Result<std::size_t> limit = parse_limit(args, 100);
  if (!limit) return fail(limit.status().message(), 2);
  Result<std::unique_ptr<store::Store>> st = open_store(ctx, false);
  if (!st) return fail(st.status().to_string());
  Result<std::vector<store::OutgoingMail>> list = (*st)->list_mail(*limit);
  if (!list) return fail(list.status().to_string());
  for (const store::OutgoingMail& m : *list) {
    std::cout << "#" << m.id << "  " << pad_column(m.state, 8) << format_instant(m.created_at)
              << "  attempts " << m.attempts << "  to " << join(m.recipients, ", ") << "\n    "
              << m.subject << "\n";
    if (!m.last_error.empty()) std::cout << "    last error: " << m.last_error << "\n";
  }
  return 0;
}

int cmd_recheck(Context& ctx, const Args&) {
  Result<std::unique_ptr<store::Store>> st = open_store(ctx, true);
  if (!st) return fail(st.status().to_string());
  SystemClock clock;
  Status s = (*st)->mark_all_dirty(clock.now());
  if (!s) return fail(s.to_string());
  std::cout << "every match group will be re-checked on the next cycle\n";
  return 0;
}

}  // namespace arsync::cli
