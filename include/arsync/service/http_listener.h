// The daemon's HTTP listener: one subsystem that serves the HttpRoutes of
// connectors (SAP's XML-HTTP port, webhooks) and of the service itself.
//
// What a client sees:
// - a route answers with its status, headers and body, sent with
//   Content-Length; no route for the path: 404; a route for the path but not
//   the method: 405 with Allow.
// - routes with RouteAuth::kListener need HTTP Basic (a user of
//   HttpCredentials), a bearer token, or (with http.tls.client_ca) a verified
//   client certificate, else 401 with WWW-Authenticate: Basic realm="arsync".
//   The handler gets the principal; the Authorization header is removed.
// - limits, each answered with a short text body and Connection: close:
//   a head over max_header_bytes: 431; a body over the route's limit: 413
//   (by Content-Length before the body is read, or as soon as a chunked body
//   grows past it); more than max_concurrent_requests admitted at once: 503
//   with Retry-After; a request not fully received within read_timeout of
//   the connection being ready for it: 408.
// - one log line per request (event=http_request: method, path, status,
//   bytes_in and bytes_out of the bodies, duration_ms, remote, principal).
//   Never the query, a header or a body: no credential reaches the log.
//
// Why not Poco::Net::HTTPServer: it reads the request head inside its own
// connection class before any hook runs, answers an oversized head with 400
// (not 431), bounds reads per recv() only (a client trickling a byte per
// timeout holds a thread for ever, and gets no 408), and its accept loop
// wakes four times a second. So the listener owns the accept loop and reads
// HTTP/1.1 itself (http_wire.h) over non-blocking sockets and OpenSSL.
//
// Threads: one accept thread and a fixed pool of connection threads, twice
// max_concurrent_requests (at least 4), so that requests beyond the limit
// are still read and answered 503 while admitted ones block. Accepted
// connections wait in a queue of four times the pool; beyond it a plain-HTTP
// client gets a 503 at once and a TLS one is closed. A slow client holds a
// connection thread for at most the TLS handshake plus one read_timeout, and
// an idle keep-alive connection for at most 5 s, or not at all when others
// wait for a thread. Idle, the listener makes no wake-ups.
//
// Thread safety: add_route, start and stop are called by the one thread that
// owns the listener; set_credentials and port may be called from any thread.
// Handlers run concurrently on connection threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "arsync/http_route.h"
#include "arsync/model/status.h"
#include "arsync/service/http_auth.h"
#include "arsync/service/http_config.h"

namespace arsync::service {

class HttpListener {
 public:
  explicit HttpListener(HttpOptions options);
  // Stops (with stop()'s default deadline) if still running.
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Mounts a route; before start() only. `path` starts with '/': an exact
  // path, or a prefix when it ends in '/'. For a request the exact path wins,
  // then the longest prefix; the methods of that one path decide 405.
  // Errors: kInvalidArgument (after start, a malformed method or path, no
  // handler), kAlreadyExists (the same method and path twice).
  Status add_route(HttpRoute route);

  // Replaces who may authenticate (check_credentials's errors; the old ones
  // stay then). May be called while serving: a SIGHUP reload.
  Status set_credentials(HttpCredentials credentials);

  // Loads the TLS files and binds http.listen; returns once connections are
  // accepted. Errors (kIoError, kInvalidArgument) name the key, the address
  // or file and the operating system's or OpenSSL's reason, e.g.
  // "http.listen 127.0.0.1:8089: cannot listen: Address already in use".
  Status start();

  // Stops accepting, closes idle connections, answers requests still being
  // received with 503, and waits up to `deadline` for handlers in flight
  // (their responses are still sent). OK when all finished; kUnavailable
  // when some did not: their threads are left running, holding nothing of
  // the listener, so it may be destroyed; what the handler itself uses must
  // outlive it. A listener never started, or stopped, returns OK.
  Status stop(std::chrono::milliseconds deadline = std::chrono::seconds(30));

  // The bound port after start() (the kernel's choice for port 0); 0 before.
  int port() const;

  // PBKDF2 computations made by Basic checks so far (tests, metrics).
  std::uint64_t password_checks() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace arsync::service
