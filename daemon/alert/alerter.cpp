#include "arsync/alert/alerter.h"

#include "arsync/alert/message.h"

namespace arsync::alert {

Result<std::size_t> queue_alerts(store::Store& store, const MailConfig& config,
                                 const Clock& clock, std::size_t limit) {
  auto pending = store.pending_notifications(limit);
  if (!pending) return pending.status().with_context("reading pending notifications");
  const std::vector<Discrepancy>& ds = *pending;
  if (ds.empty()) return std::size_t{0};

  std::size_t queued = 0;
  auto enqueue = [&](const Result<store::OutgoingMail>& mail,
                     const std::vector<std::int64_t>& ids) -> Status {
    if (!mail) return mail.status().with_context("rendering alert mail");
    auto id = store.enqueue_mail(*mail, ids, clock.now());
    if (!id) return id.status().with_context("queueing alert mail");
    ++queued;
    return Status::ok();
  };

  if (config.mode == "per_cycle") {
    std::vector<std::int64_t> ids;
    for (const auto& d : ds) ids.push_back(d.id);
    ARSYNC_RETURN_IF_ERROR(enqueue(render_cycle_mail(ds, config, clock), ids));
  } else {
    for (const auto& d : ds) {
      ARSYNC_RETURN_IF_ERROR(enqueue(render_discrepancy_mail(d, config, clock), {d.id}));
    }
  }
  return queued;
}

Result<DeliveryStats> deliver_due(store::Store& store, Transport& transport,
                                  const MailConfig& config, const Clock& clock,
                                  std::size_t limit) {
  const Instant now = clock.now();
  auto due = store.due_mail(now, limit);
  if (!due) return due.status().with_context("reading due mail");

  DeliveryStats stats;
  for (const auto& mail : *due) {
    const Status sent = transport.send(mail);
    const std::string mail_name = "mail " + std::to_string(mail.id) + " " + mail.message_id;
    if (sent.is_ok()) {
      ARSYNC_RETURN_IF_ERROR(store.mark_mail_sent(mail.id, clock.now()).with_context(mail_name));
      ++stats.sent;
      continue;
    }
    const std::string error = sent.to_string();
    const bool expired = now >= mail.created_at + config.retry.give_up_after;
    if (sent.retryable() && !expired) {
      const Instant next = now + config.retry.backoff(mail.attempts + 1);
      ARSYNC_RETURN_IF_ERROR(store.mark_mail_retry(mail.id, error, next).with_context(mail_name));
      ++stats.retried;
      continue;
    }
    const std::string why =
        sent.retryable() ? "gave up after " + std::to_string(mail.attempts + 1) + " attempts: " + error
                         : error;
    ARSYNC_RETURN_IF_ERROR(store.mark_mail_dead(mail.id, why, clock.now()).with_context(mail_name));
    ++stats.dead;
    store::OutgoingMail dead = mail;
    dead.state = "dead";
    dead.last_error = why;
    stats.dead_mail.push_back(std::move(dead));
  }
  return stats;
}

}  // namespace arsync::alert
