// Transports take a rendered email out of the outbox: into a folder of .eml
// files (the embedded default) or to an SMTP server.
//
// Thread safety: a Transport is used by one thread at a time.
#pragma once

#include <memory>

#include "arsync/alert/mail_config.h"
#include "arsync/model/status.h"
#include "arsync/store/store.h"

namespace arsync::alert {

class Transport {
 public:
  virtual ~Transport() = default;

  // Delivers `mail` (envelope from mail.sender to mail.recipients, content
  // mail.data sent as is). OK once the server (or the file system) has taken
  // responsibility for it. On failure Status::retryable() says whether a later
  // attempt can help: true for connection refused, timeouts, TLS and network
  // errors, 4xx replies and refused credentials (kUnavailable / kAuthError);
  // false for 5xx replies such as a rejected recipient (kInvalidArgument).
  // The message names the server, the command and the reply; never a password.
  virtual Status send(const store::OutgoingMail& mail) = 0;
};

// Writes each message to `dir`/<message id, sanitised>.eml: written under a
// temporary name, synced, then renamed, so a crash never leaves half a file;
// a message whose file already exists is not written again (idempotent).
std::unique_ptr<Transport> make_file_transport(const std::string& dir);

// SMTP with Poco: security "none", "starttls" (EHLO, STARTTLS, EHLO again;
// refused if the server does not offer it) or "tls" (implicit TLS). With
// verify_peer (the default) the server certificate must chain to the system
// CA store or ca_file and match the host name. AUTH PLAIN or LOGIN (as
// offered) when a username is set.
std::unique_ptr<Transport> make_smtp_transport(const TransportConfig& config,
                                               const std::string& default_helo);

// The transport `config` describes; `default_helo` is the EHLO name when
// config.helo_name is empty. kInvalidArgument for an unknown type or
// missing dir/host.
Result<std::unique_ptr<Transport>> make_transport(const TransportConfig& config,
                                                  const std::string& default_helo = "localhost");

}  // namespace arsync::alert
