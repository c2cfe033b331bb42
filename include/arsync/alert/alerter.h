// The alert cycle: new discrepancies -> rendered emails in the mail outbox ->
// delivered, retried with backoff, or dead-lettered.
//
// All state lives in the store: a discrepancy is marked notified in the same
// transaction that queues its email, and a mail's attempts and next attempt
// time are stored, so a restart neither loses nor repeats an alert.
//
// Thread safety: call from the store's writer thread.
#pragma once

#include <cstddef>
#include <vector>

#include "arsync/alert/mail_config.h"
#include "arsync/alert/transport.h"
#include "arsync/model/clock.h"
#include "arsync/model/status.h"
#include "arsync/store/store.h"

namespace arsync::alert {

// Renders the store's pending notifications (config.mode: one email per
// discrepancy, or one for all of them) and queues them with enqueue_mail,
// which marks those discrepancies notified. Returns the number of emails
// queued (0 when nothing is pending). Stops at the first store or render
// error and returns it; what was queued before stays queued.
Result<std::size_t> queue_alerts(store::Store& store, const MailConfig& config,
                                 const Clock& clock, std::size_t limit = 1000);

struct DeliveryStats {
  std::size_t sent = 0;
  std::size_t retried = 0;
  std::size_t dead = 0;
  std::vector<store::OutgoingMail> dead_mail;  // the ones given up this call
};

// Sends every mail due at clock.now() (at most `limit`). Sent: mark_mail_sent.
// Retryable failure: mark_mail_retry at now + config.retry.backoff(attempts+1)
// (300 s, 600 s, ... capped at 3600 s), unless created_at + give_up_after
// has passed, then mark_mail_dead; permanent failure: mark_mail_dead. A store
// error stops the loop and is returned.
Result<DeliveryStats> deliver_due(store::Store& store, Transport& transport,
                                  const MailConfig& config, const Clock& clock,
                                  std::size_t limit = 100);

}  // namespace arsync::alert
