// One accepted connection of the HTTP listener: bytes in and out, plain or
// TLS, each wait bounded by a deadline (steady clock) and ended early by the
// listener's stop signal where that is safe. The socket is non-blocking and
// every wait is one poll(2) on it and on the stop descriptor, so a client
// that trickles bytes cannot stretch a deadline.
//
// Thread safety: one connection is used by one thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

struct ssl_st;  // OpenSSL's SSL

namespace arsync::service {

class TlsServerContext;

class HttpConnection {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  enum class Io {
    kOk,
    kClosed,   // the peer closed or reset the connection
    kTimeout,  // the deadline passed
    kStopped,  // the listener is stopping
  };

  // Takes ownership of `fd` (non-blocking, connected). `tls` null: plain
  // HTTP. `stop_fd` becomes readable when the listener stops.
  HttpConnection(int fd, std::string remote, const TlsServerContext* tls, int stop_fd);
  ~HttpConnection();  // closes the socket
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // The TLS handshake (OK at once for plain HTTP). On failure `*error` says
  // why, e.g. a client without a certificate when one is required.
  Io handshake(Deadline deadline, std::string* error);

  // "127.0.0.1:53412", "[::1]:53412".
  const std::string& remote() const { return remote_; }
  // The subject (RFC 2253) of the client certificate the handshake
  // verified; "" without one.
  const std::string& peer_subject() const { return peer_subject_; }

  // Appends at least one byte to `buffer`. `stoppable`: the listener's stop
  // ends the wait (reads of a request not yet complete); otherwise only the
  // deadline does.
  Io read_some(std::string* buffer, Deadline deadline, bool stoppable);
  Io write_all(std::string_view bytes, Deadline deadline);

  // After a last response: sends TLS close_notify, shuts the sending side
  // and reads and drops what the client still sends (until it closes, is
  // quiet for 250 ms, 2 s or 1 MiB), so that a client still sending its body
  // reads the response instead of a connection reset.
  void linger();

 private:
  Io wait(short events, Deadline deadline, bool stoppable);

  int fd_;
  std::string remote_;
  int stop_fd_;
  ssl_st* ssl_ = nullptr;
  std::string peer_subject_;
};

}  // namespace arsync::service
