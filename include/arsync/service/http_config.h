// The "http" object of the config file: where the daemon's HTTP listener
// binds, whether it speaks TLS, and the limits it answers with 408, 413, 431
// and 503. parse_http_options validates it; the listener (http_listener.h)
// takes the result.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "arsync/model/status.h"

namespace arsync::service {

struct HttpTlsOptions {
  // PEM files. TLS is on when cert and key are set (both or neither).
  std::string cert;  // the server's certificate, optionally followed by its chain
  std::string key;   // its private key, unencrypted
  // When set, every client must present a certificate issued by one of the
  // CAs in this PEM file; its subject is the request's principal.
  std::string client_ca;

  bool enabled() const { return !cert.empty(); }
};

struct HttpOptions {
  // http.listen as written, and what it names. Loopback by default: the
  // listener is exposed to the network only when an admin says so.
  std::string listen = "127.0.0.1:8089";
  std::string host = "127.0.0.1";  // an IP literal (without brackets) or a host name
  int port = 8089;                 // 0: any free port (HttpListener::port() tells which)

  HttpTlsOptions tls;

  // Largest request body, unless a route sets its own. 16 MiB holds an IDoc
  // packet of several hundred invoices; memory for bodies is bounded by
  // max_concurrent_requests times this.
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  // Request line plus header lines. 16 KiB (Node.js's limit) leaves room for
  // long bearer tokens while keeping a header flood cheap to refuse.
  std::size_t max_header_bytes = 16 * 1024;
  // Requests admitted at once (being read after their head, authenticated,
  // handled); more get 503. 16 serves 16 concurrent SAP senders.
  int max_concurrent_requests = 16;
  // A whole request (head and body) must arrive within this time of the
  // connection being ready for it, else 408: a client trickling one byte at a
  // time cannot hold a thread longer. 60 s carries a full 16 MiB body at
  // about 300 KB/s.
  std::chrono::seconds read_timeout{60};
};

// Builds HttpOptions from the config's "http" object (null or absent: the
// defaults). Keys: listen, tls {cert, key, client_ca}, max_body_bytes,
// max_header_bytes, max_concurrent_requests, read_timeout_seconds. Paths are
// taken as written (the caller resolves relative ones). Errors:
// kInvalidArgument with the key path, e.g. "http.listen: expected
// host:port or [v6]:port, got \"8089\"".
Result<HttpOptions> parse_http_options(const nlohmann::json& http_object);

struct ListenAddress {
  std::string host;  // without brackets
  int port = 0;
};

// Splits "host:port" or "[v6]:port" (port 0 to 65535). Error:
// kInvalidArgument saying what is wrong, without the key path.
Result<ListenAddress> parse_listen_address(const std::string& text);

}  // namespace arsync::service
