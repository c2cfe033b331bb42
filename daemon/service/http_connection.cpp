#include "arsync/service/http_connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "arsync/service/http_tls.h"

namespace arsync::service {
namespace {

int remaining_ms(HttpConnection::Deadline deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

std::string subject_of(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n > 0 ? n : 0));
  BIO_free(bio);
  return out;
}

}  // namespace

HttpConnection::HttpConnection(int fd, std::string remote, const TlsServerContext* tls,
                               int stop_fd)
    : fd_(fd), remote_(std::move(remote)), stop_fd_(stop_fd) {
  if (tls != nullptr) {
    ssl_ = SSL_new(tls->native());
    if (ssl_ != nullptr) SSL_set_fd(ssl_, fd_);
  }
}

HttpConnection::~HttpConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  ::close(fd_);
}

HttpConnection::Io HttpConnection::wait(short events, Deadline deadline, bool stoppable) {
  pollfd fds[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
  while (true) {
    const int ms = remaining_ms(deadline);
    if (ms == 0) return Io::kTimeout;
    const int n = ::poll(fds, stoppable ? 2 : 1, ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Io::kClosed;
    if (n == 0) return Io::kTimeout;
    if (stoppable && (fds[1].revents & POLLIN)) return Io::kStopped;
    // POLLHUP or POLLERR: the next read or write reports what happened.
    if (fds[0].revents != 0) return Io::kOk;
  }
}

HttpConnection::Io HttpConnection::handshake(Deadline deadline, std::string* error) {
  if (ssl_ == nullptr) return Io::kOk;
  while (true) {
    ERR_clear_error();
    const int rc = SSL_accept(ssl_);
    if (rc == 1) break;
    const int e = SSL_get_error(ssl_, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      const Io io = wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, true);
      if (io != Io::kOk) {
        *error = io == Io::kTimeout ? "the TLS handshake did not finish in time" : "stopping";
        return io;
      }
      continue;
    }
    const long verify = SSL_get_verify_result(ssl_);
    std::string reason = openssl_errors();
    if (verify != X509_V_OK) {
      reason = std::string("client certificate refused: ") + X509_verify_cert_error_string(verify);
    } else if (reason.empty()) {
      reason = "the client closed the connection during the TLS handshake";
    }
    *error = reason;
    return Io::kClosed;
  }
  if (X509* cert = SSL_get1_peer_certificate(ssl_)) {
    if (SSL_get_verify_result(ssl_) == X509_V_OK) peer_subject_ = subject_of(cert);
    X509_free(cert);
  }
  return Io::kOk;
}

HttpConnection::Io HttpConnection::read_some(std::string* buffer, Deadline deadline,
                                             bool stoppable) {
  char chunk[16 * 1024];
  while (true) {
    if (ssl_ == nullptr) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n > 0) {
        buffer->append(chunk, static_cast<std::size_t>(n));
        return Io::kOk;
      }
      if (n == 0) return Io::kClosed;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return Io::kClosed;
      const Io io = wait(POLLIN, deadline, stoppable);
      if (io != Io::kOk) return io;
      continue;
    }
    ERR_clear_error();
    const int n = SSL_read(ssl_, chunk, sizeof chunk);
    if (n > 0) {
      buffer->append(chunk, static_cast<std::size_t>(n));
      return Io::kOk;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      const Io io = wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, stoppable);
      if (io != Io::kOk) return io;
      continue;
    }
    ERR_clear_error();
    return Io::kClosed;
  }
}

HttpConnection::Io HttpConnection::write_all(std::string_view bytes, Deadline deadline) {
  while (!bytes.empty()) {
    if (ssl_ == nullptr) {
      // MSG_NOSIGNAL: a peer gone away is an error here, not a SIGPIPE.
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        const Io io = wait(POLLOUT, deadline, false);
        if (io != Io::kOk) return io;
        continue;
      }
      return Io::kClosed;
    }
    ERR_clear_error();
    const int n = SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 30)));
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    const int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      const Io io = wait(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, false);
      if (io != Io::kOk) return io;
      continue;
    }
    ERR_clear_error();
    return Io::kClosed;
  }
  return Io::kOk;
}

void HttpConnection::linger() {
  if (ssl_ != nullptr) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // one attempt: close_notify is a courtesy here
    ERR_clear_error();
  }
  ::shutdown(fd_, SHUT_WR);
  // Closing with unread bytes in the receive buffer sends a reset; with
  // none it is an orderly close. So read until the client is quiet for a
  // moment; a stalled client costs that moment, not the whole 2 s.
  const auto start = std::chrono::steady_clock::now();
  std::size_t dropped = 0;
  char chunk[16 * 1024];
  while (dropped < (1u << 20)) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      dropped += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return;
    const Deadline quiet = std::min(std::chrono::steady_clock::now() + std::chrono::milliseconds(250),
                                    start + std::chrono::seconds(2));
    if (wait(POLLIN, quiet, true) != Io::kOk) return;
  }
}

}  // namespace arsync::service
