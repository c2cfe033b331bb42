// `arsync quarantine list|show`: records that failed to parse or map.
#include <iostream>

#include "command_table.h"
#include "arsync/model/date.h"

namespace arsync::cli {
namespace {

int list(Context& ctx, const Args& args) {
  Result<std::unique_ptr<store::Store>> st = open_store(ctx);
  if (!st) return fail(st.status().to_string());
  Result<std::vector<store::QuarantineEntry>> list = (*st)->list_quarantine(args.number("limit", 100));
  if (!list) return fail(list.status().to_string());
  for (const store::QuarantineEntry& q : *list) {
    std::cout << "#" << q.id << "  " << format_instant(q.at) << "  " << q.system << "  "
              << q.entity << " " << q.external_id << "  (" << q.raw_size << " bytes)\n    "
              << q.error << "\n";
  }
  std::cout << list->size() << " quarantined record(s)\n";
  return 0;
}

int show(Context& ctx, const Args& args) {
  Result<std::int64_t> id = parse_id(args, "quarantined record");
  if (!id) return fail(id.status().message(), 2);
  Result<std::unique_ptr<store::Store>> st = open_store(ctx);
  if (!st) return fail(st.status().to_string());
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

}  // namespace

void add_quarantine_commands(CommandTable& table) {
  add_command(table, {"quarantine", "list"}, "records that failed to parse or map", list).options = {
      {"limit", ValueType::kPositiveInteger, "N", "at most N, newest first (default 100)"}};
  add_command(table, {"quarantine", "show"}, "one quarantined record with its raw bytes", show)
      .arguments = {"ID"};
}

}  // namespace arsync::cli
