// Rendering alert emails: one discrepancy per email or one email per cycle.
//
// The result is a complete RFC 5322 message (CRLF line ends): From, To,
// Subject, Date (from the Clock), a unique Message-ID, MIME-Version and a
// multipart/alternative body with a text/plain and a text/html part (UTF-8,
// quoted-printable). Every header value built from data (customer names,
// match keys, summaries) goes through sanitize_header_text, so no header
// value contains CR, LF or NUL, also after RFC 2047 decoding; every HTML
// value is escaped.
//
// Thread safety: pure functions (the Message-ID uses a thread-safe random
// source).
#pragma once

#include <vector>

#include "arsync/alert/mail_config.h"
#include "arsync/model/clock.h"
#include "arsync/model/discrepancy.h"
#include "arsync/model/status.h"
#include "arsync/store/store.h"

namespace arsync::alert {

// One email about `d`. Subject:
//   "<prefix> <rule>: <kind> <match key> (<sys1> vs <sys2>)[ - <customer>]"
// Returns an OutgoingMail ready for Store::enqueue_mail (message_id, sender,
// recipients, subject, data, created_at = next_attempt_at = clock.now()).
// kInvalidArgument if config.from or a recipient is not a valid address.
Result<store::OutgoingMail> render_discrepancy_mail(const Discrepancy& d, const MailConfig& config,
                                                    const Clock& clock);

// One email listing all of `ds` (at least one). Subject:
//   "<prefix> <n> new discrepancies" ("1 new discrepancy").
Result<store::OutgoingMail> render_cycle_mail(const std::vector<Discrepancy>& ds,
                                              const MailConfig& config, const Clock& clock);

// "<20261125T113640.1f2e...@host>": unique per call (time plus 128 random
// bits). `hostname` is used when it is a plain domain name, else "localhost".
std::string make_message_id(Instant now, std::string_view hostname);

}  // namespace arsync::alert
