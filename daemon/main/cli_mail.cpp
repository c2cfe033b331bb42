// `arsync mail list`: the mail outbox.
#include <iostream>

#include "command_table.h"
#include "arsync/model/date.h"
#include "arsync/service/text_columns.h"

namespace arsync::cli {
namespace {

int list(Context& ctx, const Args& args) {
  Result<std::unique_ptr<store::Store>> st = open_store(ctx);
  if (!st) return fail(st.status().to_string());
  Result<std::vector<store::OutgoingMail>> list = (*st)->list_mail(args.number("limit", 100));
  if (!list) return fail(list.status().to_string());
  for (const store::OutgoingMail& m : *list) {
    std::cout << "#" << m.id << "  " << service::pad_column(m.state, 8) << format_instant(m.created_at)
              << "  attempts " << m.attempts << "  to " << service::join(m.recipients, ", ")
              << "\n    " << m.subject << "\n";
    if (!m.last_error.empty()) std::cout << "    last error: " << m.last_error << "\n";
  }
  return 0;
}

}  // namespace

void add_mail_commands(CommandTable& table) {
  add_command(table, {"mail", "list"}, "the mail outbox: state, attempts, last error", list)
      .options = {{"limit", ValueType::kPositiveInteger, "N", "at most N (default 100)"}};
}

}  // namespace arsync::cli
