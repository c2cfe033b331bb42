#include "arsync/service/summary.h"

#include "arsync/service/text_columns.h"

#include <filesystem>
#include <sstream>

namespace arsync::service {
namespace {

// The status column of a system's row: "ok", "degraded: why", or the error.
std::string pull_status(const engine::SystemRun& s) {
  switch (s.state()) {
    case engine::PullState::kOk: return "ok";
    case engine::PullState::kDegraded: return "degraded: " + s.degraded;
    case engine::PullState::kFailed: break;
  }
  return "failed: " + s.status.to_string();
}

}  // namespace

std::string format_cycle_summary(const engine::CycleReport& report, store::Store& store,
                                 const alert::MailConfig& mail) {
  std::ostringstream out;
  out << "arsync cycle " << format_instant(report.started) << " .. "
      << format_instant(report.finished) << (report.ok() ? "" : "  (with errors)") << "\n\n";

  out << "Documents synced\n";
  out << "  " << pad_column("system", 16) << pad_column("records", 9) << pad_column("new", 7) << pad_column("changed", 9)
      << pad_column("same", 7) << pad_column("quarantined", 13) << pad_column("skipped", 9) << "status\n";
  for (const engine::SystemRun& s : report.systems) {
    out << "  " << pad_column(s.system, 16) << pad_column(std::to_string(s.records), 9)
        << pad_column(std::to_string(s.inserted), 7) << pad_column(std::to_string(s.updated), 9)
        << pad_column(std::to_string(s.unchanged), 7) << pad_column(std::to_string(s.quarantined), 13)
        << pad_column(std::to_string(s.skipped), 9) << pull_status(s) << "\n";
  }

  Result<std::vector<store::QuarantineEntry>> quarantine = store.list_quarantine(50);
  if (quarantine && !quarantine->empty()) {
    out << "\nQuarantined records (" << quarantine->size() << ", newest first; `arsync quarantine list`)\n";
    for (const store::QuarantineEntry& q : *quarantine) {
      out << "  #" << q.id << " " << q.system << " " << (q.entity.empty() ? "?" : q.entity) << " "
          << (q.external_id.empty() ? "" : q.external_id + " ") << "\n      " << q.error << "\n";
    }
  }

  store::DiscrepancyFilter open_filter;
  open_filter.status = DiscrepancyStatus::kOpen;
  Result<std::vector<Discrepancy>> open = store.list_discrepancies(open_filter);
  if (open) {
    out << "\nOpen discrepancies (" << open->size() << "; `arsync discrepancies show ID`)\n";
    for (const Discrepancy& d : *open) {
      out << "  #" << pad_column(std::to_string(d.id), 4) << pad_column(d.finding.rule, 24)
          << pad_column(std::string(to_string(d.finding.kind)) + " " + d.finding.match_key, 22)
          << pad_column(join(d.finding.systems, ","), 18) << d.finding.summary << "\n";
    }
  } else {
    out << "\nOpen discrepancies: cannot list (" << open.status().to_string() << ")\n";
  }
  if (!report.reconcile_status.is_ok()) {
    out << "  reconciliation failed: " << report.reconcile_status.to_string() << "\n";
  }
  if (const reconcile::RunStats& r = report.reconcile; r.groups_failed > 0) {
    out << "  " << r.groups_failed << " match group" << (r.groups_failed == 1 ? "" : "s")
        << " could not be reconciled (the others were; each is retried later):\n";
    for (const reconcile::GroupFailure& f : r.failures) {
      out << "    " << to_string(f.kind) << " " << f.match_key << ": " << f.error.to_string()
          << " (attempt " << f.attempts << ", next " << format_instant(f.retry_at) << ")\n";
    }
  }

  const alert::DeliveryStats& d = report.delivery;
  out << "\nEmails: " << report.emails_queued << " queued this cycle, " << d.sent << " delivered, "
      << d.retried << " waiting for retry, " << d.dead << " given up\n";
  Result<std::vector<store::OutgoingMail>> mails = store.list_mail(200);
  if (mails) {
    for (const store::OutgoingMail& m : *mails) {
      if (m.created_at < report.started) continue;
      out << "  " << pad_column(m.state, 8) << "to " << join(m.recipients, ", ") << ": " << m.subject
          << "\n";
    }
  }
  if (mail.transport.type == "file") {
    out << "  written as .eml files to " << mail.transport.dir << "\n";
  } else {
    out << "  via SMTP " << mail.transport.host << ":" << mail.transport.effective_port() << "\n";
  }
  // Mail that was due and did not go out, in words (the exit status is 1).
  if (d.undelivered() > 0) {
    out << "  NOT SENT: " << d.undelivered() << (d.undelivered() == 1 ? " email" : " emails")
        << " could not be delivered this cycle";
    if (!d.first_error.empty()) out << ": " << d.first_error;
    out << "\n";
    if (d.retried > 0 && d.next_attempt) {
      out << "    " << d.retried << " will be tried again from " << format_instant(*d.next_attempt) << "\n";
    }
    if (d.not_tried > 0) {
      out << "    " << d.not_tried << " not tried: "
          << (d.deadline_reached ? "mail.delivery_deadline_seconds was reached"
                                 : "the round stopped at the failed connection")
          << "; they go in the next round\n";
    }
    if (d.dead > 0) out << "    " << d.dead << " given up (dead letters; see `arsync mail list`)\n";
    if (d.unconfirmed > 0) {
      out << "    " << d.unconfirmed
          << " handed to the server without a confirmation; not sent again (mail.resend_uncertain)\n";
    }
  }
  if (!report.alert_status.is_ok()) {
    out << "  alerting failed: " << report.alert_status.to_string() << "\n";
  }
  return out.str();
}

}  // namespace arsync::service
