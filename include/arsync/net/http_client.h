// HttpClient: the HTTP(S) client REST connectors share (QuickBooks Online,
// NetSuite). A connector builds requests and reads bodies; this layer owns
// connections, TLS, limits, retries and turning failures into a Status.
//
// - Connections: keep-alive sessions to the base URL's host, pooled (one
//   per request in flight), over Poco's HTTPClientSession or
//   HTTPSClientSession. TLS is verified against the system CA store (or
//   `ca_file`), host name included, TLS 1.2 or later; `verify_tls: false`
//   exists for tests against a self-signed emulator only.
// - Bodies: responses may come gzip-compressed (Accept-Encoding: gzip is
//   sent); they are inflated, and a body beyond `max_response_bytes` (after
//   inflating) is an error rather than memory exhaustion.
// - Limits: every attempt first takes a permit from the account's
//   RateGovernor (if any), so callers wait instead of drawing 429s.
// - Retries, with exponential backoff and full jitter (a random delay in
//   [0, min(cap, base * 2^attempt))), at least the server's Retry-After:
//     429                               always (the server did nothing);
//     500, 502, 503, 504                when the request is idempotent;
//     connect failure                   always (nothing was sent);
//     timeout, reset after sending      when the request is idempotent.
//   Other statuses are not retried. After `max_attempts`, or when the
//   server asks to wait longer than `max_retry_after`, the last error is
//   returned, marked retryable where a later run may succeed.
// - Errors: a non-2xx response becomes a Status through the client's
//   ErrorReader (each vendor's error body: code, message, detail), with the
//   HTTP status in its location; without a reader the status line and the
//   first bytes of the body are used.
// - Logging: one debug line per attempt (method, path without the query,
//   status, milliseconds) and a warning per retry. Header values named in
//   kSecretHeaders and bodies are never logged.
//
// Thread safety: send() may be called from several threads at once; each
// call uses its own pooled connection. cancel() may be called from any
// thread: waits (for a permit, a backoff) end at once and send() returns
// kUnavailable; a request in flight ends at its timeout at the latest.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/http_route.h"
#include "arsync/model/status.h"
#include "arsync/net/rate_governor.h"

namespace arsync::net {

struct ClientOptions {
  // Scheme, host, optional port and path prefix: "https://quickbooks.api.intuit.com",
  // "http://127.0.0.1:8080/qbo". Request targets are appended to it.
  std::string base_url;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{60'000};  // each send or receive
  bool verify_tls = true;
  std::string ca_file;  // PEM CA bundle; "" for the system store
  std::string user_agent = "arsync";
  std::size_t max_response_bytes = 256u << 20;
  // Retries (see the file comment).
  int max_attempts = 6;
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_cap{30'000};
  std::chrono::milliseconds max_retry_after{300'000};
  // The system name in log lines.
  std::string log_system;
};

struct ClientRequest {
  std::string method = "GET";
  // Path and query below the base URL: "/v3/company/123/query?query=...".
  std::string target;
  std::vector<HttpHeader> headers;
  std::string body;  // sent with Content-Length when not empty (or for POST/PUT)
  // Safe to send twice (GET, or a POST carrying an idempotency key): 5xx
  // and timeouts are then retried.
  bool idempotent = true;
};

struct ClientResponse {
  int status = 0;
  std::string reason;
  std::vector<HttpHeader> headers;
  std::string body;  // inflated
  // The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
};

// Turns a non-2xx response into a Status: code, "message: detail", whether
// retrying can help. The client adds the HTTP status to its location.
using ErrorReader = std::function<Status(const ClientResponse&)>;

// Header names whose values are never logged (compared case-insensitively).
inline constexpr std::string_view kSecretHeaders[] = {"authorization", "cookie", "set-cookie",
                                                      "proxy-authorization"};

struct ClientStats {
  std::uint64_t requests = 0;   // attempts sent
  std::uint64_t retries = 0;    // attempts after the first, over all calls
  std::uint64_t throttled = 0;  // 429 responses
  std::uint64_t failed = 0;     // send() calls that returned an error
};

class HttpClient {
 public:
  // `governor` may be null (no limits). `read_error` may be empty.
  HttpClient(ClientOptions options, std::shared_ptr<RateGovernor> governor = nullptr,
             ErrorReader read_error = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Checks the options (base URL shape, scheme http/https, CA file readable).
  // OK, or kInvalidArgument naming what is wrong.
  static Status check_options(const ClientOptions& options);

  // Sends `request`, retrying as the file comment says. Returns the
  // response when its status is 2xx; otherwise the error (kRateLimited after
  // too many 429s, kUnavailable for the network and 5xx, the reader's code
  // for other statuses). Never throws.
  Result<ClientResponse> send(const ClientRequest& request);

  // Ends waits now and makes later sends fail at once (kUnavailable).
  void cancel();

  ClientStats stats() const;
  const ClientOptions& options() const { return options_; }

 private:
  class Pool;
  struct Attempt;
  Attempt attempt(const ClientRequest& request);
  std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds at_least);
  bool sleep_for(std::chrono::milliseconds delay);

  ClientOptions options_;
  std::shared_ptr<RateGovernor> governor_;
  ErrorReader read_error_;
  std::unique_ptr<Pool> pool_;
  std::stop_source stop_;
  mutable std::mutex mu_;  // stats_, rng state
  ClientStats stats_;
  std::uint64_t rng_state_;
};

// The first 300 bytes of an error body with control characters made spaces,
// so that an error message quoting it stays one line (for ErrorReaders),
// and each byte that is not UTF-8 written as \xNN, so that the message can
// go to the log, the store and JSON output as it is. A character is never
// cut in half.
std::string body_excerpt(std::string_view body);

// Percent-encodes `text` for a URL query value or path segment: RFC 3986's
// unreserved characters stay, everything else (space too) becomes %XX.
std::string url_encode(std::string_view text);

// Decodes %XX escapes ('+' stays '+'); nullopt when an escape is malformed.
std::optional<std::string> url_decode(std::string_view text);

// "a=1&b=x%20y" from name/value pairs, each encoded by url_encode.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// Parses "Retry-After" (delay seconds, or an HTTP-date) relative to `now`;
// nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace arsync::net
