// MailStore: the store's role for the mail outbox: rendered messages queued
// with the discrepancies they tell about, and each message's delivery state
// as the alerter and the delivery worker move it along.
//
// The durability contract and the thread rule are in store.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arsync/model/clock.h"
#include "arsync/model/status.h"

namespace arsync::store {

// One email, fully rendered (RFC 5322 bytes), waiting in or leaving the outbox.
struct OutgoingMail {
  std::int64_t id = 0;          // set by the store
  std::string message_id;       // "<...@host>", unique
  std::string sender;           // envelope MAIL FROM
  std::vector<std::string> recipients;  // envelope RCPT TO
  std::string subject;          // for listings
  std::string data;             // the whole message, CRLF line ends
  // "pending"; "sending" from just before the content is handed to the
  // server until its answer is stored; "sent"; "dead" (given up).
  std::string state;
  int attempts = 0;
  Instant created_at{};
  Instant next_attempt_at{};
  std::optional<Instant> sent_at;
  std::string last_error;
};

class MailStore {
 public:
  virtual ~MailStore() = default;

  // Queues `mail` (state pending, due now) and marks `discrepancy_ids` as
  // notified, in one transaction, so that a restart neither loses nor repeats
  // an alert. Returns the mail's id.
  virtual Result<std::int64_t> enqueue_mail(const OutgoingMail& mail,
                                            const std::vector<std::int64_t>& discrepancy_ids,
                                            Instant now) = 0;
  // Pending mail whose next attempt is due, oldest first.
  virtual Result<std::vector<OutgoingMail>> due_mail(Instant now, std::size_t limit) = 0;
  virtual Result<std::vector<OutgoingMail>> list_mail(std::size_t limit) = 0;
  // How many pending messages are due at `now`.
  virtual Result<std::int64_t> count_due_mail(Instant now) = 0;
  // When the earliest pending mail is due (nullopt: none is pending).
  virtual Result<std::optional<Instant>> next_mail_attempt() = 0;
  // Pending -> sending, committed before the message's content is handed to
  // the server: a crash from here until mark_mail_sent leaves the message in
  // "sending", so a restart knows its delivery is uncertain.
  // kNotFound if no pending mail has that id.
  virtual Status mark_mail_sending(std::int64_t id, Instant now) = 0;
  // Mail left in "sending" (by a crash, or a connection lost after the
  // content was sent), oldest first.
  virtual Result<std::vector<OutgoingMail>> sending_mail(std::size_t limit) = 0;
  // Pending or sending -> sent (counts the attempt).
  virtual Status mark_mail_sent(std::int64_t id, Instant now) = 0;
  // Sending -> sent without the server's confirmation: `note` (why it is
  // not known) is kept as its last error; sent_at is when sending began.
  virtual Status mark_mail_unconfirmed(std::int64_t id, const std::string& note) = 0;
  // Counts an attempt and schedules the next one (state back to pending).
  virtual Status mark_mail_retry(std::int64_t id, const std::string& error,
                                 Instant next_attempt) = 0;
  // Gives up on a message (dead letter; counts the attempt).
  virtual Status mark_mail_dead(std::int64_t id, const std::string& error, Instant now) = 0;
};

}  // namespace arsync::store
