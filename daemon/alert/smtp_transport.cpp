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

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
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

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// Thrown inside one send, turned into a SendResult at its end. `breaks`:
// the connection cannot carry another message.
struct SmtpFailure {
  Status status;
  bool breaks = true;
};

// One SMTP connection, opened by the first send and shared by the messages
// of a delivery round.
class SmtpSession final : public Session {
 public:
  SmtpSession(const TransportConfig& config, const std::string& helo, const std::string& server,
              Deadline deadline)
      : config_(config), helo_(helo), server_(server), deadline_(deadline) {}

  ~SmtpSession() override {
    if (!connected_) return;
    if (usable_) {
      // The server has what it took; a failing QUIT changes nothing.
      try {
        socket_.sendMessage("QUIT");
        std::string reply;
        socket_.receiveStatusMessage(reply);
      } catch (const std::exception&) {
      }
    }
    fd_ = -1;
    try {
      socket_.close();
    } catch (const std::exception&) {
    }
  }

  SendResult send(const store::OutgoingMail& mail,
                  const std::function<Status()>& before_content) override {
    if (!usable_) return {unavailable("the session ended after an earlier failure"), false};
    content_sent_ = false;
    try {
      return SendResult{deliver(mail, before_content), false};
    } catch (const SmtpFailure& f) {
      if (f.breaks) usable_ = false;
      if (cancelled_) return broken("");
      return {f.status, f.breaks && content_sent_};
    } catch (const Poco::Net::ConnectionRefusedException&) {
      return broken("connection refused");
    } catch (const Poco::TimeoutException&) {
      return broken("timed out after " + std::to_string(wait_seconds_) + " s " + waiting_for_);
    } catch (const Poco::Net::CertificateValidationException& e) {
      return broken(std::string(kUntrusted) + e.displayText());
    } catch (const Poco::Net::SSLException& e) {
      // OpenSSL reports an untrusted chain as a handshake failure.
      if (e.displayText().find("certificate verify failed") != std::string::npos) {
        return broken(std::string(kUntrusted) + e.displayText());
      }
      return broken("TLS error: " + e.displayText());
    } catch (const Poco::Exception& e) {
      return broken(e.displayText());
    } catch (const std::exception& e) {
      return broken(e.what());
    }
  }

  bool usable() const override { return usable_; }

  void cancel() override {
    cancelled_ = true;
    const int fd = fd_.load();
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  }

 private:
  Status unavailable(const std::string& what) const {
    return Status(ErrorCode::kUnavailable, "SMTP server " + server_ + ": " + what, {}, /*retryable=*/true);
  }

  SendResult broken(const std::string& what) {
    usable_ = false;
    if (cancelled_) return {unavailable("delivery was cancelled (arsyncd is stopping)"), content_sent_};
    return {unavailable(what), content_sent_};
  }

  // The time a wait may take: timeout_seconds, cut at the round's deadline.
  // Throws a timeout once the deadline has passed.
  Poco::Timespan next_wait(const std::string& what) {
    waiting_for_ = what;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw SmtpFailure{unavailable("timed out: the delivery round's deadline passed (" + what + ")")};
    }
    const long long ms = std::min<long long>(left.count(), config_.timeout_seconds * 1000LL);
    wait_seconds_ = static_cast<int>((ms + 999) / 1000);
    return Poco::Timespan(ms / 1000, static_cast<long>((ms % 1000) * 1000));
  }

  void set_timeouts(const std::string& what) {
    const Poco::Timespan wait = next_wait(what);
    socket_.setReceiveTimeout(wait);
    socket_.setSendTimeout(wait);
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
  // errors say was sent (AUTH data is never shown). A refusal breaks the
  // session while it is being set up (`setup`), when the connection closed,
  // and on 421 (the server is closing it).
  std::string command(const std::string& command, int expected, const std::string& shown,
                      bool setup = false) {
    set_timeouts(shown.empty() ? "waiting for the greeting" : "waiting for the reply to " + shown);
    if (!command.empty()) socket_.sendMessage(command);
    std::string reply;
    const int code = socket_.receiveStatusMessage(reply);
    if (code / 100 == expected) return reply;
    const std::string what = (shown.empty() ? std::string("greeting") : shown) + " got " +
                             (reply.empty() ? std::string("no reply (connection closed)") : one_line(reply));
    const bool breaks = setup || code == 0 || code == 421;
    if (code / 100 == 5) {
      throw SmtpFailure{Status(ErrorCode::kInvalidArgument, "SMTP server " + server_ + " refused " + what,
                               {}, /*retryable=*/false),
                        breaks};
    }
    if (shown.rfind("AUTH", 0) == 0) {
      throw SmtpFailure{Status(ErrorCode::kAuthError, "SMTP server " + server_ + " refused " + what, {},
                               /*retryable=*/true),
                        breaks};
    }
    throw SmtpFailure{unavailable(shown.empty() ? what : "temporary failure: " + what), breaks};
  }

  // AUTH failures are 535 (5xx) but a wrong password is fixed by an admin,
  // not by giving the mail up, so they are kept retryable.
  void authenticate(const std::string& ehlo_reply) {
    const std::string offered = upper(ehlo_reply);
    const bool plain = offered.find("PLAIN") != std::string::npos;
    const bool login = offered.find("LOGIN") != std::string::npos;
    try {
      if (plain) {
        std::string token;
        token += '\0';
        token += config_.username;
        token += '\0';
        token += config_.password;
        command("AUTH PLAIN " + base64(token), 2, "AUTH PLAIN", true);
      } else if (login) {
        command("AUTH LOGIN", 3, "AUTH LOGIN", true);
        command(base64(config_.username), 3, "AUTH LOGIN (user name)", true);
        command(base64(config_.password), 2, "AUTH LOGIN (password)", true);
      } else {
        const std::string line = one_line(ehlo_reply);
        throw SmtpFailure{Status(ErrorCode::kAuthError,
                                 "SMTP server " + server_ + " offers neither AUTH PLAIN nor AUTH LOGIN (" +
                                     (line.empty() ? std::string("no AUTH in its EHLO reply") : "it offers " + line) +
                                     "; mail.transport.username is set)",
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

  void connect() {
    const Poco::Net::SocketAddress address(config_.host, static_cast<Poco::UInt16>(config_.effective_port()));
    const Poco::Timespan wait = next_wait("waiting to connect");
    if (config_.security == "tls") {
      context_ = make_context();
      Poco::Net::SecureStreamSocket tls(context_);
      tls.setPeerHostName(config_.host);
      tls.connect(address, wait);
      socket_ = tls;
    } else {
      Poco::Net::StreamSocket plain;
      plain.connect(address, wait);
      socket_ = plain;
    }
    connected_ = true;
    fd_ = socket_.impl()->sockfd();
    if (cancelled_) throw SmtpFailure{unavailable("delivery was cancelled (arsyncd is stopping)")};

    command("", 2, "", true);
    std::string ehlo = command("EHLO " + helo_, 2, "EHLO", true);
    if (config_.security == "starttls") {
      if (upper(ehlo).find("STARTTLS") == std::string::npos) {
        throw SmtpFailure{unavailable("does not offer STARTTLS (mail.transport.security is starttls)")};
      }
      command("STARTTLS", 2, "STARTTLS", true);
      context_ = make_context();
      set_timeouts("waiting for the TLS handshake");
      Poco::Net::SecureStreamSocket tls = Poco::Net::SecureStreamSocket::attach(socket_, config_.host, context_);
      tls.completeHandshake();
      socket_ = tls;
      ehlo = command("EHLO " + helo_, 2, "EHLO", true);
    }
    if (!config_.username.empty()) {
      std::string auth_line;
      std::size_t pos = 0;
      while (pos < ehlo.size()) {
        std::size_t nl = ehlo.find('\n', pos);
        std::string line = ehlo.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (line.size() > 8 && upper(line.substr(4, 4)) == "AUTH") auth_line = line;
        pos = nl == std::string::npos ? ehlo.size() : nl + 1;
      }
      authenticate(auth_line);
    }
  }

  Status deliver(const store::OutgoingMail& mail, const std::function<Status()>& before_content) {
    if (!connected_) {
      connect();
    } else if (need_reset_) {
      // The previous message's transaction ended in a refusal: start clean.
      command("RSET", 2, "RSET", true);
    }
    need_reset_ = true;
    command("MAIL FROM:<" + mail.sender + ">", 2, "MAIL FROM:<" + mail.sender + ">");
    for (const auto& rcpt : mail.recipients) {
      command("RCPT TO:<" + rcpt + ">", 2, "RCPT TO:<" + rcpt + ">");
    }
    ARSYNC_RETURN_IF_ERROR(before_content());
    command("DATA", 3, "DATA");
    const std::string body = dot_stuffed(mail.data);
    set_timeouts("sending the message");
    std::size_t sent = 0;
    while (sent < body.size()) {
      const int n = socket_.sendBytes(body.data() + sent, static_cast<int>(body.size() - sent));
      if (n <= 0) throw SmtpFailure{unavailable("connection closed while sending the message")};
      sent += static_cast<std::size_t>(n);
    }
    content_sent_ = true;
    need_reset_ = false;  // after the end of DATA the server starts a new transaction
    command("", 2, "end of DATA");
    return Status::ok();
  }

  // Copies, not references into the transport: a session may outlive the
  // transport that opened it (tests open one on a temporary transport; the
  // garbage EHLO that made a test flaky was a dangling reference here).
  const TransportConfig config_;
  const std::string helo_;
  const std::string server_;
  const Deadline deadline_;
  Poco::Net::Context::Ptr context_;
  Poco::Net::DialogSocket socket_;
  bool connected_ = false;
  bool usable_ = true;
  bool need_reset_ = false;
  bool content_sent_ = false;
  std::atomic<bool> cancelled_{false};
  std::atomic<int> fd_{-1};
  int wait_seconds_ = 0;
  std::string waiting_for_;
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

  std::unique_ptr<Session> open_session(Deadline deadline) override {
    return std::make_unique<SmtpSession>(config_, helo_, server_, deadline);
  }

 private:
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
