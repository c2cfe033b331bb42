// The alert cycle: new discrepancies -> rendered emails in the mail outbox ->
// delivered, retried with backoff, or dead-lettered.
//
// All state lives in the store: a discrepancy is marked notified in the same
// transaction that queues its email, and a mail's attempts and next attempt
// time are stored. A restart never loses an alert; it repeats one only when
// a crash fell between handing a message to the SMTP server and storing its
// answer, and mail.resend_uncertain asks for that (see
// recover_interrupted_mail).
//
// Thread safety: each function uses the store it is given on the calling
// thread (the engine's writer queues, MailDeliveryWorker's thread delivers).
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "arsync/alert/mail_config.h"
#include "arsync/alert/transport.h"
#include "arsync/model/clock.h"
#include "arsync/model/status.h"
#include "arsync/store/discrepancy_store.h"
#include "arsync/store/mail_store.h"
#include "arsync/store/store.h"

namespace arsync::alert {

// Renders the pending notifications of `discrepancies` (config.mode: one
// email per discrepancy, or one for all of them) and queues them with
// `mail`'s enqueue_mail, which marks those discrepancies notified (so both
// must be roles of one store). Returns the number of emails queued (0 when
// nothing is pending). Stops at the first store or render error and returns
// it; what was queued before stays queued.
Result<std::size_t> queue_alerts(store::DiscrepancyStore& discrepancies, store::MailStore& mail,
                                 const MailConfig& config, const Clock& clock,
                                 std::size_t limit = 1000);
// Both roles of one store (for callers that hold a whole Store).
inline Result<std::size_t> queue_alerts(store::Store& store, const MailConfig& config,
                                        const Clock& clock, std::size_t limit = 1000) {
  return queue_alerts(store, store, config, clock, limit);
}

struct DeliveryStats {
  std::size_t sent = 0;
  std::size_t retried = 0;      // failed, tried again after the backoff
  std::size_t dead = 0;         // given up (dead letters)
  // Handed over to the server, whose answer never came (a timeout or a lost
  // connection after the end of DATA); stored as sent without confirmation
  // unless mail.resend_uncertain (or a file transport) retries them.
  std::size_t unconfirmed = 0;
  // Due but not tried: the round stopped at a broken connection or reached
  // its deadline. They stay due for the next round.
  std::size_t not_tried = 0;
  std::vector<store::OutgoingMail> dead_mail;  // the ones given up this call
  std::string first_error;  // Status::to_string() of the round's first failure
  std::optional<Instant> next_attempt;  // the earliest retry this round scheduled
  bool deadline_reached = false;

  // Mail that was due and is not known to be delivered.
  std::size_t undelivered() const { return retried + dead + unconfirmed + not_tried; }
};

// Lets another thread end a delivery round early: cancel() cuts the running
// session off and no further message is started. Thread safety: cancel()
// from any thread; the rest is for deliver_due.
class RoundControl {
 public:
  void cancel();
  bool cancelled() const;
  void attach(Session* session);  // deliver_due: the session to cut off (nullptr: none)

 private:
  mutable std::mutex mu_;
  Session* session_ = nullptr;
  bool cancelled_ = false;
};

// One delivery round: sends every mail due at clock.now() over one session
// of `transport` that ends config.delivery_deadline after the call, oldest
// first, in pages (no cap on how many). Each message is marked sending
// (store.mark_mail_sending) right before its content is handed over, then:
// sent: mark_mail_sent. Retryable failure: mark_mail_retry at now +
// config.retry.backoff(attempts+1) (300 s, 600 s, ... capped at 3600 s),
// unless created_at + give_up_after has passed, then mark_mail_dead;
// permanent failure: mark_mail_dead; unconfirmed (see DeliveryStats): as a
// retryable failure when config.resend_uncertain or
// transport.resend_is_harmless(), else mark_mail_unconfirmed. The round stops
// when the session breaks (the first timeout, a refused connection) or at
// the deadline; the rest stays due (not_tried). Each failed attempt is logged
// at warning with the server's reply or the socket error, each dead letter
// at error. A store error stops the round and is returned.
Result<DeliveryStats> deliver_due(store::MailStore& store, Transport& transport,
                                  const MailConfig& config, const Clock& clock,
                                  RoundControl* control = nullptr);

// At start: mail left in "sending" by a process that stopped mid-delivery.
// The server may or may not have taken it; it is stored as sent without
// confirmation (mark_mail_unconfirmed) unless config.resend_uncertain or
// transport.resend_is_harmless(), then it is due again at once. Each is
// logged at warning. Returns how many there were.
Result<std::size_t> recover_interrupted_mail(store::MailStore& store, const Transport& transport,
                                             const MailConfig& config, const Clock& clock);

}  // namespace arsync::alert
