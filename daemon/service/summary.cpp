#include "arsync/service/summary.h"

#include "arsync/service/text_columns.h"

#include <filesystem>
#include <sstream>

namespace arsync::service {
namespace {


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
        << pad_column(std::to_string(s.skipped), 9)
        << (s.status.is_ok() ? "ok" : s.status.to_string()) << "\n";
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

  out << "\nEmails: " << report.emails_queued << " queued this cycle, " << report.delivery.sent
      << " delivered, " << report.delivery.retried << " waiting for retry, "
      << report.delivery.dead << " given up\n";
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
    out << "  via SMTP " << mail.transport.host << ":" << mail.transport.port << "\n";
  }
  if (!report.alert_status.is_ok()) {
    out << "  alerting failed: " << report.alert_status.to_string() << "\n";
  }
  return out.str();
}

}  // namespace arsync::service
