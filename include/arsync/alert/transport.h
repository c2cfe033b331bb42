// Transports take a rendered email out of the outbox: into a folder of .eml
// files (the embedded default) or to an SMTP server.
//
// Mail leaves in delivery rounds: a round opens one Session (one SMTP
// connection) with a deadline and sends every due message over it, so a
// hung server costs one deadline per round, not one timeout per message.
//
// Thread safety: a Transport and its Sessions are used by one thread at a
// time, except Session::cancel, which any thread may call.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "arsync/alert/mail_config.h"
#include "arsync/model/status.h"
#include "arsync/store/store.h"

namespace arsync::alert {

using Deadline = std::chrono::steady_clock::time_point;

// How one message fared on a session.
struct SendResult {
  // OK once the server (or the file system) has taken responsibility for the
  // message. On failure retryable() says whether a later attempt can help:
  // true for connection refused, timeouts, TLS and network errors, 4xx
  // replies and refused credentials (kUnavailable / kAuthError); false for
  // 5xx replies such as a rejected recipient (kInvalidArgument). The message
  // names the server, the command and the reply; never a password.
  Status status;
  // True when the failure came after the whole message was handed over and
  // before the server answered (a timeout or a lost connection waiting for
  // the reply to the end of DATA): the server may have taken it.
  bool unconfirmed = false;
};

class Session {
 public:
  // Ends the session (SMTP QUIT, at most until the deadline).
  virtual ~Session() = default;

  // Delivers `mail` (envelope from mail.sender to mail.recipients, content
  // mail.data sent as is). `before_content` is called once the envelope is
  // accepted, right before the content is handed over (SMTP: before DATA);
  // if it fails the message is not sent (SMTP: RSET) and its status is
  // returned. Every wait ends at the session's deadline at the latest.
  virtual SendResult send(const store::OutgoingMail& mail,
                          const std::function<Status()>& before_content) = 0;

  // False once a failure has left the session unusable (timeout, lost or
  // refused connection, TLS failure, a refused greeting, EHLO or AUTH): the
  // round should end and the other messages wait for the next one. A
  // message-level refusal (a rejected recipient) leaves it usable.
  virtual bool usable() const = 0;

  // Cuts a session off from another thread (shutdown): a blocked read
  // returns at once and send fails as unavailable. Safe to call at any time.
  virtual void cancel() {}
};

class Transport {
 public:
  virtual ~Transport() = default;

  // A session whose every wait ends by `deadline`. The SMTP transport
  // connects on the first send, so opening never blocks. The session keeps
  // what it needs of the transport: it may outlive it.
  virtual std::unique_ptr<Session> open_session(Deadline deadline) = 0;

  // True when sending a message again cannot deliver it twice (the file
  // transport writes one file per Message-ID), so a delivery of uncertain
  // outcome is simply repeated.
  virtual bool resend_is_harmless() const { return false; }

  // One message on a session of its own, with no deadline beyond the
  // transport's own timeouts: for tools and tests.
  Status send(const store::OutgoingMail& mail);
};

// Writes each message to `dir`/<message id, sanitised>.eml: written under a
// temporary name (.tmp-<pid>-<name>), synced, then renamed, so a crash never
// leaves half a file; a message whose file already exists is not written
// again (idempotent). Creating the transport removes the temporary files
// that processes no longer running left in `dir` (a kill -9 mid-write).
std::unique_ptr<Transport> make_file_transport(const std::string& dir);

// SMTP with Poco: security "none", "starttls" (EHLO, STARTTLS, EHLO again;
// refused if the server does not offer it) or "tls" (implicit TLS). With
// verify_peer (the default) the server certificate must chain to the system
// CA store or ca_file and match the host name. AUTH PLAIN or LOGIN (as
// offered) when a username is set. Each wait is bounded by timeout_seconds
// and by the session's deadline; messages after the first are preceded by
// RSET when the one before failed.
std::unique_ptr<Transport> make_smtp_transport(const TransportConfig& config,
                                               const std::string& default_helo);

// The transport `config` describes; `default_helo` is the EHLO name when
// config.helo_name is empty. kInvalidArgument for an unknown type or
// missing dir/host.
Result<std::unique_ptr<Transport>> make_transport(const TransportConfig& config,
                                                  const std::string& default_helo = "localhost");

}  // namespace arsync::alert
