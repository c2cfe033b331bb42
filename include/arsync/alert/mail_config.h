// Mail configuration: who alerts go to, how they are batched, and how they
// leave the machine (file folder or SMTP), plus the retry policy of the
// outbox. parse_mail_config validates the "mail" object of the config file.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/model/status.h"

namespace arsync::alert {

struct TransportConfig {
  std::string type = "file";  // "file" or "smtp"

  // file: one .eml per message in this folder (created if missing).
  std::string dir;

  // smtp
  std::string host;
  int port = 0;                  // 0: 25 (none), 587 (starttls), 465 (tls)
  std::string security = "starttls";  // "none", "starttls" or "tls" (implicit)
  std::string username;          // empty: no AUTH
  std::string password;          // never logged
  bool verify_peer = true;       // false only when configured so
  std::string ca_file;           // extra CA (PEM) besides the system store
  int timeout_seconds = 30;      // connect and per-reply
  std::string helo_name;         // empty: MailConfig::hostname

  // The port to use: `port`, or the default for `security`.
  int effective_port() const;
};

// Postfix-like backoff: first retry after first_retry, doubling, capped at
// max_interval; a message still undelivered give_up_after its creation is
// dead-lettered.
struct RetryPolicy {
  std::chrono::seconds first_retry{300};
  std::chrono::seconds max_interval{3600};
  std::chrono::seconds give_up_after{432000};  // 5 days

  // Delay before the next attempt after `failed_attempts` failures (>= 1):
  // first_retry * 2^(failed_attempts-1), at most max_interval.
  std::chrono::seconds backoff(int failed_attempts) const;
};

struct MailConfig {
  std::string from;              // addr-spec, e.g. "arsync@example.com"
  std::vector<std::string> to;   // addr-specs, at least one
  // "per_discrepancy": one email per new discrepancy; "per_cycle": one
  // email per cycle listing every new discrepancy.
  std::string mode = "per_discrepancy";
  std::string subject_prefix = "[arsync]";
  std::string hostname;          // right side of Message-IDs; empty: this host's name
  TransportConfig transport;
  RetryPolicy retry;
  // A delivery round (one SMTP connection for all due mail) ends this long
  // after it starts; what is left waits for the next round.
  std::chrono::seconds delivery_deadline{120};
  // A message whose delivery was cut off after its content reached the
  // server and before the server's answer (a crash, a lost connection) may
  // have been delivered. false: it is stored as sent without confirmation
  // (an alert may be lost, never doubled); true: it is sent again (an alert
  // may arrive twice, never be lost).
  bool resend_uncertain = false;
};

// Builds a MailConfig from the "mail" object of the config file:
//   {"from": "...", "to": ["..."], "mode": "per_cycle", "subject_prefix": "...",
//    "hostname": "...",
//    "transport": {"type": "smtp", "host": "...", "port": 587,
//                  "security": "starttls", "username": "...", "password": "...",
//                  "verify_peer": true, "ca_file": "...", "timeout_seconds": 30,
//                  "helo_name": "..."}  or  {"type": "file", "dir": "..."},
//    "retry": {"first_retry_seconds": 300, "max_interval_seconds": 3600,
//              "give_up_after_seconds": 432000},
//    "delivery_deadline_seconds": 120, "resend_uncertain": false}
// Unknown keys are refused (they are typos). `config_file` is the file the
// object came from ("" if none): an inline transport.password is refused
// when group or others may read that file. Errors are kInvalidArgument
// whose message names the key, e.g. "mail.transport.security must be one of
// none, starttls, tls", with Location::field set to that key. An empty
// hostname is filled in from the machine's name ("localhost" if unknown).
Result<MailConfig> parse_mail_config(const nlohmann::json& mail, const std::string& config_file = "");

// Checks that `address` is a bare addr-spec (local@domain) as arsync writes
// it into headers and SMTP commands: dot-atom local part and a domain of
// letters, digits, '-' and '.'; ASCII only; no display name, angle brackets,
// comments, quotes, spaces, CR, LF or NUL. kInvalidArgument naming the
// address (with control characters shown escaped) otherwise.
Status validate_address(std::string_view address);

}  // namespace arsync::alert
