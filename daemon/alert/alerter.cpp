#include "arsync/alert/alerter.h"

#include "arsync/alert/message.h"
#include "arsync/log/log.h"

namespace arsync::alert {

Result<std::size_t> queue_alerts(store::DiscrepancyStore& discrepancies,
                                 store::MailStore& mail_store, const MailConfig& config,
                                 const Clock& clock, std::size_t limit) {
  auto pending = discrepancies.pending_notifications(limit);
  if (!pending) return pending.status().with_context("reading pending notifications");
  const std::vector<Discrepancy>& ds = *pending;
  if (ds.empty()) return std::size_t{0};

  std::size_t queued = 0;
  auto enqueue = [&](const Result<store::OutgoingMail>& mail,
                     const std::vector<std::int64_t>& ids) -> Status {
    if (!mail) return mail.status().with_context("rendering alert mail");
    auto id = mail_store.enqueue_mail(*mail, ids, clock.now());
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

void RoundControl::cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (session_) session_->cancel();
}

bool RoundControl::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void RoundControl::attach(Session* session) {
  std::lock_guard lock(mu_);
  session_ = session;
  if (session_ && cancelled_) session_->cancel();
}

namespace {

constexpr std::size_t kPage = 50;  // due mail read per query; the round goes on until none is due

std::string mail_name(const store::OutgoingMail& mail) {
  return "mail " + std::to_string(mail.id) + " " + mail.message_id;
}

// What a delivery of uncertain outcome becomes (a crash or a lost reply
// after the content was handed over).
bool resend_uncertain(const Transport& transport, const MailConfig& config) {
  return config.resend_uncertain || transport.resend_is_harmless();
}

// Detaches the session from the control when the round ends.
struct Attached {
  RoundControl* control;
  ~Attached() {
    if (control) control->attach(nullptr);
  }
};

}  // namespace

Result<DeliveryStats> deliver_due(store::MailStore& store, Transport& transport,
                                  const MailConfig& config, const Clock& clock,
                                  RoundControl* control) {
  const Deadline deadline = std::chrono::steady_clock::now() + config.delivery_deadline;
  const Instant now = clock.now();
  DeliveryStats stats;
  std::unique_ptr<Session> session;
  Attached attached{control};

  auto note_failure = [&](const Status& s) {
    if (stats.first_error.empty()) stats.first_error = s.to_string();
  };
  auto retry = [&](const store::OutgoingMail& mail, const std::string& error) -> Status {
    const Instant next = now + config.retry.backoff(mail.attempts + 1);
    ARSYNC_RETURN_IF_ERROR(store.mark_mail_retry(mail.id, error, next).with_context(mail_name(mail)));
    ++stats.retried;
    if (!stats.next_attempt || next < *stats.next_attempt) stats.next_attempt = next;
    log::warn("", "mail_attempt_failed",
              {{"message_id", mail.message_id}, {"attempt", std::to_string(mail.attempts + 1)},
               {"error", error}, {"next_attempt", format_instant(next)}});
    return Status::ok();
  };
  auto give_up = [&](const store::OutgoingMail& mail, const std::string& why) -> Status {
    ARSYNC_RETURN_IF_ERROR(store.mark_mail_dead(mail.id, why, clock.now()).with_context(mail_name(mail)));
    ++stats.dead;
    store::OutgoingMail dead = mail;
    dead.state = "dead";
    dead.attempts = mail.attempts + 1;  // the attempt that just failed counts
    dead.last_error = why;
    // A dead letter is an operational problem: the AR team never got it.
    log::error("", "mail_dead_letter",
               {{"message_id", dead.message_id}, {"subject", dead.subject},
                {"attempts", std::to_string(dead.attempts)}, {"error", why},
                {"action", "fix the mail transport; the discrepancy stays in `arsync discrepancies list`"}});
    stats.dead_mail.push_back(std::move(dead));
    return Status::ok();
  };

  bool stop = false;
  while (!stop) {
    auto due = store.due_mail(now, kPage);
    if (!due) return due.status().with_context("reading due mail");
    if (due->empty()) break;
    for (std::size_t i = 0; i < due->size(); ++i) {
      const store::OutgoingMail& mail = (*due)[i];
      const bool cancelled = control && control->cancelled();
      if (cancelled || std::chrono::steady_clock::now() >= deadline || (session && !session->usable())) {
        if (!cancelled && (!session || session->usable())) stats.deadline_reached = true;
        stop = true;
        break;
      }
      if (!session) {
        session = transport.open_session(deadline);
        if (control) control->attach(session.get());
      }
      Status store_error;
      const SendResult result = session->send(mail, [&]() -> Status {
        store_error = store.mark_mail_sending(mail.id, clock.now()).with_context(mail_name(mail));
        return store_error;
      });
      if (!store_error.is_ok()) return store_error;
      if (result.status.is_ok()) {
        ARSYNC_RETURN_IF_ERROR(store.mark_mail_sent(mail.id, clock.now()).with_context(mail_name(mail)));
        ++stats.sent;
        continue;
      }
      note_failure(result.status);
      const std::string error = result.status.to_string();
      if (result.unconfirmed && !resend_uncertain(transport, config)) {
        const std::string note = "not confirmed: " + error +
                                 " after the whole message was sent; it may have been delivered and is "
                                 "not sent again (mail.resend_uncertain is false)";
        ARSYNC_RETURN_IF_ERROR(store.mark_mail_unconfirmed(mail.id, note).with_context(mail_name(mail)));
        ++stats.unconfirmed;
        log::warn("", "mail_unconfirmed", {{"message_id", mail.message_id}, {"error", note}});
        continue;
      }
      const bool expired = now >= mail.created_at + config.retry.give_up_after;
      if (result.status.retryable() && !expired) {
        ARSYNC_RETURN_IF_ERROR(retry(mail, error));
        continue;
      }
      log::warn("", "mail_attempt_failed",
                {{"message_id", mail.message_id}, {"attempt", std::to_string(mail.attempts + 1)},
                 {"error", error}, {"next_attempt", "none"}});
      ARSYNC_RETURN_IF_ERROR(give_up(
          mail, result.status.retryable()
                    ? "gave up after " + std::to_string(mail.attempts + 1) + " attempts: " + error
                    : error));
    }
  }
  if (stop) {
    // Every message still due, not only this page's: the rest of the
    // outbox was never read.
    Result<std::int64_t> left = store.count_due_mail(now);
    if (!left) return left.status().with_context("counting due mail");
    stats.not_tried = static_cast<std::size_t>(*left);
  }
  if (stats.sent || stats.undelivered()) {
    log::info("", "mail_delivery",
              {{"sent", std::to_string(stats.sent)}, {"retried", std::to_string(stats.retried)},
               {"dead", std::to_string(stats.dead)}, {"unconfirmed", std::to_string(stats.unconfirmed)},
               {"not_tried", std::to_string(stats.not_tried)}});
  }
  if (stats.not_tried > 0) {
    log::warn("", "mail_round_stopped",
              {{"not_tried", std::to_string(stats.not_tried)},
               {"reason", stats.deadline_reached
                              ? "mail.delivery_deadline_seconds reached; the rest goes in the next round"
                              : (control && control->cancelled() ? "stopping"
                                                                 : "the connection failed: " + stats.first_error)}});
  }
  return stats;
}

Result<std::size_t> recover_interrupted_mail(store::MailStore& store, const Transport& transport,
                                             const MailConfig& config, const Clock& clock) {
  std::size_t count = 0;
  for (;;) {
    auto left = store.sending_mail(kPage);
    if (!left) return left.status().with_context("reading mail left in state sending");
    if (left->empty()) return count;
    for (const store::OutgoingMail& mail : *left) {
      ++count;
      if (resend_uncertain(transport, config)) {
        const std::string note =
            "arsyncd stopped while delivering it; sent again (" +
            std::string(transport.resend_is_harmless() ? "the file transport never writes a message twice"
                                                       : "mail.resend_uncertain is true") +
            ")";
        ARSYNC_RETURN_IF_ERROR(store.mark_mail_retry(mail.id, note, clock.now()).with_context(mail_name(mail)));
        log::warn("", "mail_interrupted_resent", {{"message_id", mail.message_id}, {"note", note}});
      } else {
        const std::string note =
            "not confirmed: arsyncd stopped after handing it to the server and before storing the "
            "answer; it was probably delivered and is not sent again (mail.resend_uncertain is false)";
        ARSYNC_RETURN_IF_ERROR(store.mark_mail_unconfirmed(mail.id, note).with_context(mail_name(mail)));
        log::warn("", "mail_interrupted_unconfirmed",
                  {{"message_id", mail.message_id}, {"subject", mail.subject}, {"note", note}});
      }
    }
  }
}

}  // namespace arsync::alert
