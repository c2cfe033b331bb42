// `arsync status` and `arsync recheck`: the store as a whole.
#include <iostream>

#include "command_table.h"
#include "arsync/model/clock.h"
#include "arsync/model/discrepancy.h"
#include "arsync/service/text_columns.h"

namespace arsync::cli {
namespace {

using service::pad_column;

std::string status_line(DiscrepancyStatus status, std::int64_t count) {
  return "  " + pad_column(std::string(to_string(status)), 20) + std::to_string(count) + "\n";
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

// Failed groups listed at most; the count says how many there are.
constexpr std::size_t kFailedGroupsShown = 20;

// The match groups whose last check failed: the reconciler retries each with
// backoff, and until one passes its discrepancies are not up to date.
int print_failed_groups(store::Store& st, std::int64_t count) {
  std::cout << "Groups whose check failed " << count << "\n";
  if (count == 0) return 0;
  Result<std::vector<store::DirtyKey>> failed = st.failed_dirty_keys(kFailedGroupsShown);
  if (!failed) return fail(failed.status().to_string());
  for (const store::DirtyKey& k : *failed) {
    std::cout << "  " << pad_column(std::string(to_string(k.kind)), 12) << pad_column(k.match_key, 20)
              << k.attempts << (k.attempts == 1 ? " attempt" : " attempts") << ", next "
              << format_instant(k.due) << "\n"
              << "    " << k.last_error << "\n";
  }
  if (count > static_cast<std::int64_t>(failed->size())) {
    std::cout << "  ... and " << count - static_cast<std::int64_t>(failed->size()) << " more\n";
  }
  return 0;
}

int status(Context& ctx, const Args&) {
  Result<std::unique_ptr<store::Store>> st = open_store(ctx);
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
            << "Mail pending/sending/sent/dead " << stats->mail_pending << "/"
            << stats->mail_sending << "/" << stats->mail_sent << "/" << stats->mail_dead << "\n";
  if (int rc = print_failed_groups(**st, stats->failed_groups); rc != 0) return rc;
  return print_pull_outcomes(**st);
}

int recheck(Context& ctx, const Args&) { return run_writing_command(ctx, service::StoreCommand{"recheck"}); }

}  // namespace

void add_status_commands(CommandTable& table) {
  add_command(table, {"status"}, "documents per system, discrepancies by status, mail", status)
      .help =
      "Documents per system; discrepancies counted by status (the words of `discrepancies list "
      "--status`); quarantined records, groups waiting for a re-check, mail pending/sent/dead, "
      "the groups whose check failed (attempts, next retry, last error), and how each "
      "system's last pull ended.";
  CommandSpec& r = add_command(table, {"recheck"}, "re-check every match group on the next cycle", recheck);
  r.writes = true;
  r.via_daemon = true;
}

}  // namespace arsync::cli
