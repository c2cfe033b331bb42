// SMTP delivery over Poco sockets. The dialog is written here (rather than
// with SMTPClientSession::sendMessage) so that every reply code is seen: a
// 4xx is worth a retry, a 5xx is not, and Poco's exceptions do not say which.

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/DialogSocket.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <cctype>

#include "arsync/alert/transport.h"

namespace arsync::alert {
namespace {

std::string base64(std::string_view in) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += {kB64[(v >> 18) & 63], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], kB64[v & 63]};
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += {kB64[(v >> 18) & 63], kB64[(v >> 12) & 63], i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=', '='};
  }
  return out;
}

// Replies are shown on one line in errors.
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

// The message bytes for DATA: CRLF line ends, a '.' starting a line doubled
// (RFC 5321 4.5.2), terminated by CRLF . CRLF.
std::string dot_stuffed(const std::string& data) {
  std::string out;
  out.reserve(data.size() + data.size() / 64 + 8);
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t nl = data.find('\n', pos);
    std::size_t end = nl == std::string::npos ? data.size() : nl;
    std::size_t content_end = (end > pos && data[end - 1] == '\r') ? end - 1 : end;
    if (data[pos] == '.') out += '.';
    out.append(data, pos, content_end - pos);
    out += "\r\n";
    pos = nl == std::string::npos ? data.size() : nl + 1;
  }
  out += ".\r\n";
  return out;
}

constexpr const char* kUntrusted =
    "TLS certificate verification failed (if the server uses a private CA, set "
    "mail.transport.ca_file to it): ";

// Thrown inside one delivery attempt, turned into a Status at its end.
struct SmtpFailure {
  Status status;
};

class SmtpTransport final : public Transport {
 public:
  SmtpTransport(TransportConfig config, std::string default_helo)
      : config_(std::move(config)),
        helo_(config_.helo_name.empty() ? std::move(default_helo) : config_.helo_name),
        server_(config_.host + ":" + std::to_string(config_.effective_port())) {
    Poco::Net::initializeSSL();
  }
  ~SmtpTransport() override { Poco::Net::uninitializeSSL(); }

  Status send(const store::OutgoingMail& mail) override {
    try {
      return deliver(mail);
    } catch (const SmtpFailure& f) {
      return f.status;
    } catch (const Poco::Net::ConnectionRefusedException& e) {
      return unavailable("connection refused");
    } catch (const Poco::TimeoutException& e) {
      return unavailable("timed out after " + std::to_string(config_.timeout_seconds) + " s");
    } catch (const Poco::Net::CertificateValidationException& e) {
      return unavailable(std::string(kUntrusted) + e.displayText());
    } catch (const Poco::Net::SSLException& e) {
      // OpenSSL reports an untrusted chain as a handshake failure.
      if (e.displayText().find("certificate verify failed") != std::string::npos) {
        return unavailable(std::string(kUntrusted) + e.displayText());
      }
      return unavailable("TLS error: " + e.displayText());
    } catch (const Poco::Exception& e) {
      return unavailable(e.displayText());
    } catch (const std::exception& e) {
      return unavailable(e.what());
    }
  }

 private:
  Status unavailable(const std::string& what) const {
    return Status(ErrorCode::kUnavailable, "SMTP server " + server_ + ": " + what, {}, /*retryable=*/true);
  }

  Poco::Net::Context::Ptr make_context() const {
    Poco::Net::Context::Params params;
    params.verificationMode =
        config_.verify_peer ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE;
    // Poco loads no CAs unless asked: without this every certificate fails.
    params.loadDefaultCAs = config_.verify_peer;
    params.caLocation = config_.ca_file;
    params.cipherList = "HIGH:!aNULL:!MD5:!RC4";
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    return context;
  }

  // Sends `command` (when not empty) and reads the reply; a reply outside
  // `expected` (2 or 3: the first digit) ends the attempt. `shown` is what
  // errors say was sent (AUTH data is never shown).
  std::string command(Poco::Net::DialogSocket& socket, const std::string& command, int expected,
                      const std::string& shown) {
    if (!command.empty()) socket.sendMessage(command);
    std::string reply;
    const int code = socket.receiveStatusMessage(reply);
    if (code / 100 == expected) return reply;
    const std::string what = (shown.empty() ? std::string("greeting") : shown) + " got " +
                             (reply.empty() ? std::string("no reply (connection closed)") : one_line(reply));
    if (code / 100 == 5) {
      throw SmtpFailure{Status(ErrorCode::kInvalidArgument,
                               "SMTP server " + server_ + " refused " + what, {}, /*retryable=*/false)};
    }
    if (shown.rfind("AUTH", 0) == 0) {
      throw SmtpFailure{Status(ErrorCode::kAuthError, "SMTP server " + server_ + " refused " + what, {},
                               /*retryable=*/true)};
    }
    throw SmtpFailure{unavailable(shown.empty() ? what : "temporary failure: " + what)};
  }

  // AUTH failures are 535 (5xx) but a wrong password is fixed by an admin,
  // not by giving the mail up, so they are kept retryable.
  void authenticate(Poco::Net::DialogSocket& socket, const std::string& ehlo_reply) {
    std::string upper = ehlo_reply;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    const bool plain = upper.find("PLAIN") != std::string::npos;
    const bool login = upper.find("LOGIN") != std::string::npos;
    try {
      if (plain) {
        std::string token;
        token += '\0';
        token += config_.username;
        token += '\0';
        token += config_.password;
        command(socket, "AUTH PLAIN " + base64(token), 2, "AUTH PLAIN");
      } else if (login) {
        command(socket, "AUTH LOGIN", 3, "AUTH LOGIN");
        command(socket, base64(config_.username), 3, "AUTH LOGIN (user name)");
        command(socket, base64(config_.password), 2, "AUTH LOGIN (password)");
      } else {
        throw SmtpFailure{Status(ErrorCode::kAuthError,
                                 "SMTP server " + server_ + " offers neither AUTH PLAIN nor AUTH LOGIN",
                                 {}, /*retryable=*/true)};
      }
    } catch (SmtpFailure& f) {
      if (f.status.code() == ErrorCode::kInvalidArgument) {
        f.status = Status(ErrorCode::kAuthError, f.status.message() + " (check mail.transport.username and password)",
                          {}, /*retryable=*/true);
      }
      throw;
    }
  }

  Status deliver(const store::OutgoingMail& mail) {
    const Poco::Timespan timeout(config_.timeout_seconds, 0);
    const Poco::Net::SocketAddress address(config_.host, static_cast<Poco::UInt16>(config_.effective_port()));
    Poco::Net::Context::Ptr context;
    Poco::Net::DialogSocket socket;
    if (config_.security == "tls") {
      context = make_context();
      Poco::Net::SecureStreamSocket tls(context);
      tls.setPeerHostName(config_.host);
      tls.connect(address, timeout);
      socket = tls;
    } else {
      Poco::Net::StreamSocket plain;
      plain.connect(address, timeout);
      socket = plain;
    }
    socket.setReceiveTimeout(timeout);
    socket.setSendTimeout(timeout);

    command(socket, "", 2, "");
    std::string ehlo = command(socket, "EHLO " + helo_, 2, "EHLO");
    if (config_.security == "starttls") {
      std::string upper = ehlo;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      if (upper.find("STARTTLS") == std::string::npos) {
        return unavailable("does not offer STARTTLS (mail.transport.security is starttls)");
      }
      command(socket, "STARTTLS", 2, "STARTTLS");
      context = make_context();
      Poco::Net::SecureStreamSocket tls = Poco::Net::SecureStreamSocket::attach(socket, config_.host, context);
      tls.completeHandshake();
      socket = tls;
      socket.setReceiveTimeout(timeout);
      socket.setSendTimeout(timeout);
      ehlo = command(socket, "EHLO " + helo_, 2, "EHLO");
    }
    if (!config_.username.empty()) {
      std::string auth_line;
      std::size_t pos = 0;
      while (pos < ehlo.size()) {
        std::size_t nl = ehlo.find('\n', pos);
        std::string line = ehlo.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (line.size() > 8 && (line.compare(4, 4, "AUTH") == 0 || line.compare(4, 4, "auth") == 0)) {
          auth_line = line;
        }
        pos = nl == std::string::npos ? ehlo.size() : nl + 1;
      }
      authenticate(socket, auth_line);
    }

    command(socket, "MAIL FROM:<" + mail.sender + ">", 2, "MAIL FROM:<" + mail.sender + ">");
    for (const auto& rcpt : mail.recipients) {
      command(socket, "RCPT TO:<" + rcpt + ">", 2, "RCPT TO:<" + rcpt + ">");
    }
    command(socket, "DATA", 3, "DATA");
    const std::string body = dot_stuffed(mail.data);
    std::size_t sent = 0;
    while (sent < body.size()) {
      const int n = socket.sendBytes(body.data() + sent, static_cast<int>(body.size() - sent));
      if (n <= 0) return unavailable("connection closed while sending the message");
      sent += static_cast<std::size_t>(n);
    }
    command(socket, "", 2, "end of DATA");
    // The server has taken the message; a failing QUIT changes nothing.
    try {
      socket.sendMessage("QUIT");
      std::string reply;
      socket.receiveStatusMessage(reply);
      socket.close();
    } catch (const Poco::Exception&) {
    }
    return Status::ok();
  }

  TransportConfig config_;
  std::string helo_;
  std::string server_;
};

}  // namespace

std::unique_ptr<Transport> make_smtp_transport(const TransportConfig& config,
                                               const std::string& default_helo) {
  return std::make_unique<SmtpTransport>(config, default_helo);
}

}  // namespace arsync::alert
