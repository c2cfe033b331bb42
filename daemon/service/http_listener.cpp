#include "arsync/service/http_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "arsync/log/log.h"
#include "arsync/service/http_connection.h"
#include "arsync/service/http_tls.h"
#include "arsync/service/http_wire.h"

namespace arsync::service {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How long a kept-alive connection may wait for its next request. Short: an
// idle connection holds a connection thread.
constexpr std::chrono::seconds kKeepAliveIdle{5};
constexpr const char* kRetryAfterSeconds = "1";

struct Accepted {
  int fd = -1;
  std::string remote;
};

std::string format_remote(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  }
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

bool valid_route_path(const std::string& path) {
  if (path.empty() || path.front() != '/') return false;
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '#') return false;
  }
  return true;
}

bool valid_method(const std::string& method) {
  if (method.empty()) return false;
  for (const char c : method) {
    if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) return false;
  }
  return true;
}

// What a request's log line says; written once, when the request ends.
struct RequestRecord {
  SteadyClock::time_point start = SteadyClock::now();
  std::string method = "-";
  std::string path = "-";
  int status = 0;  // 0: the client went away before an answer
  std::size_t bytes_in = 0;
  std::size_t bytes_out = 0;
  std::string principal;
};

}  // namespace

struct HttpListener::State {
  explicit State(HttpOptions o) : options(std::move(o)) {}
  ~State() {
    if (stop_fd >= 0) ::close(stop_fd);
  }

  HttpOptions options;
  std::vector<HttpRoute> routes;
  HttpAuthenticator auth;
  std::shared_ptr<TlsServerContext> tls;

  int listen_fd = -1;
  int stop_fd = -1;  // eventfd: readable once stopping
  std::atomic<int> port{0};
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  std::atomic<int> admitted{0};

  std::mutex mutex;
  std::condition_variable work;      // a connection queued, or stopping
  std::condition_variable finished;  // a connection thread ended
  std::deque<Accepted> queue;
  std::size_t max_queued = 0;
  int running_threads = 0;
  std::thread accept_thread;
  std::vector<std::thread> connection_threads;

  void accept_loop();
  void connection_loop();
  void serve(HttpConnection& conn);
  // One request; false when the connection is to be closed.
  bool serve_request(HttpConnection& conn, std::string& buffer, bool first);
  const HttpRoute* match(const std::string& method, const std::string& path,
                         std::string* allow) const;
  void log_request(const RequestRecord& r, const std::string& remote) const;
  bool others_waiting() {
    std::lock_guard<std::mutex> lock(mutex);
    return !queue.empty();
  }
};

namespace {

// Sends an answer the listener makes itself and ends the connection.
void answer_and_close(HttpConnection& conn, RequestRecord& record, HttpResponse response) {
  record.status = response.status;
  record.bytes_out = response.body.size();
  const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
  if (conn.write_all(serialize_response(response, /*close=*/true), deadline) ==
      HttpConnection::Io::kOk) {
    conn.linger();
  }
}

// Answers a request that stopped arriving: 408 at its deadline, 503 when
// the listener stops; nothing when the client closed.
void answer_unfinished(HttpConnection& conn, RequestRecord& record, HttpConnection::Io io) {
  if (io == HttpConnection::Io::kTimeout) {
    answer_and_close(conn, record, text_response(408, "the request was not received in time"));
  } else if (io == HttpConnection::Io::kStopped) {
    HttpResponse r = text_response(503, "the server is shutting down");
    r.headers.push_back({"Retry-After", kRetryAfterSeconds});
    answer_and_close(conn, record, std::move(r));
  }
}

// Releases an admission slot at the end of a request.
class Admission {
 public:
  explicit Admission(std::atomic<int>& admitted) : admitted_(admitted) {}
  ~Admission() {
    if (held_) admitted_.fetch_sub(1);
  }
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  bool try_take(int limit) {
    if (admitted_.fetch_add(1) >= limit) {
      admitted_.fetch_sub(1);
      return false;
    }
    held_ = true;
    return true;
  }

 private:
  std::atomic<int>& admitted_;
  bool held_ = false;
};

}  // namespace

const HttpRoute* HttpListener::State::match(const std::string& method, const std::string& path,
                                           std::string* allow) const {
  // The most specific path decides: the exact one, else the longest prefix.
  const std::string* best = nullptr;
  for (const HttpRoute& r : routes) {
    const bool exact = r.path == path;
    const bool prefix = r.path.back() == '/' && path.compare(0, r.path.size(), r.path) == 0;
    if (!exact && !prefix) continue;
    if (best == nullptr || (exact && *best != path) ||
        (*best != path && r.path.size() > best->size())) {
      best = &r.path;
    }
  }
  if (best == nullptr) return nullptr;
  const HttpRoute* found = nullptr;
  std::vector<std::string> methods;
  for (const HttpRoute& r : routes) {
    if (r.path != *best) continue;
    if (r.method == method) found = &r;
    methods.push_back(r.method);
  }
  std::sort(methods.begin(), methods.end());
  for (const std::string& m : methods) *allow += (allow->empty() ? "" : ", ") + m;
  return found;
}

void HttpListener::State::log_request(const RequestRecord& r, const std::string& remote) const {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - r.start);
  log::write(r.status >= 500 || r.status == 0 ? log::Level::kWarning : log::Level::kInfo, "",
             "http_request",
             {{"method", r.method},
              {"path", r.path},
              {"status", std::to_string(r.status)},
              {"bytes_in", std::to_string(r.bytes_in)},
              {"bytes_out", std::to_string(r.bytes_out)},
              {"duration_ms", std::to_string(ms.count())},
              {"remote", remote},
              {"principal", r.principal}});
}

bool HttpListener::State::serve_request(HttpConnection& conn, std::string& buffer, bool first) {
  using Io = HttpConnection::Io;
  const auto ready = SteadyClock::now();
  const auto deadline = ready + options.read_timeout;
  RequestRecord record;
  // A request whose answer has been decided is logged however it ends.
  struct LogOnExit {
    const State& state;
    const RequestRecord& record;
    const std::string& remote;
    bool armed = false;
    ~LogOnExit() {
      if (armed) state.log_request(record, remote);
    }
  } log_on_exit{*this, record, conn.remote()};

  // The head. Empty lines before a request line are allowed (RFC 9112 2.2).
  std::optional<std::size_t> head_end;
  while (true) {
    const std::size_t blank = buffer.find_first_not_of("\r\n");
    buffer.erase(0, blank == std::string::npos ? buffer.size() : blank);
    if (!buffer.empty()) log_on_exit.armed = true;
    head_end = find_head_end(buffer);
    if (head_end) break;
    if (buffer.size() > options.max_header_bytes) {
      answer_and_close(conn, record, text_response(431, "request header fields too large"));
      return false;
    }
    const bool idle = buffer.empty();
    if (idle) record.start = SteadyClock::now();
    const auto wait_until = idle && !first ? std::min(deadline, ready + kKeepAliveIdle) : deadline;
    const Io io = conn.read_some(&buffer, wait_until, /*stoppable=*/true);
    if (io == Io::kOk) continue;
    // Nothing of a request yet: just close, as a client expects of an idle connection.
    if (buffer.find_first_not_of("\r\n") == std::string::npos) {
      log_on_exit.armed = false;
      return false;
    }
    answer_unfinished(conn, record, io);
    return false;
  }
  if (*head_end > options.max_header_bytes) {
    answer_and_close(conn, record, text_response(431, "request header fields too large"));
    return false;
  }

  Result<HttpRequestHead> parsed = parse_request_head(std::string_view(buffer).substr(0, *head_end));
  buffer.erase(0, *head_end);
  if (!parsed.is_ok()) {
    answer_and_close(conn, record,
                     text_response(parsed.status().where().http_status, parsed.status().message()));
    return false;
  }
  HttpRequestHead& head = *parsed;
  record.method = head.method;
  record.path = head.path;
  const bool has_body = head.chunked || head.content_length.value_or(0) > 0;

  // Answers that come before the body is read end the connection when a body
  // follows: it is not worth reading.
  const auto refuse = [&](HttpResponse r) {
    if (has_body || !head.keep_alive || stopping.load()) {
      answer_and_close(conn, record, std::move(r));
      return false;
    }
    record.status = r.status;
    record.bytes_out = r.body.size();
    return conn.write_all(serialize_response(r, false), SteadyClock::now() + options.read_timeout) ==
           Io::kOk;
  };

  std::string allow;
  const HttpRoute* route = match(head.method, head.path, &allow);
  if (route == nullptr && allow.empty()) return refuse(text_response(404, "no such path"));
  if (route == nullptr) {
    HttpResponse r = text_response(405, "method not allowed; allowed: " + allow);
    r.headers.push_back({"Allow", allow});
    return refuse(std::move(r));
  }

  Admission admission(admitted);
  if (!admission.try_take(options.max_concurrent_requests)) {
    HttpResponse r = text_response(503, "too many requests in progress; retry shortly");
    r.headers.push_back({"Retry-After", kRetryAfterSeconds});
    answer_and_close(conn, record, std::move(r));
    return false;
  }

  HttpRequest request;
  if (route->auth == RouteAuth::kListener) {
    const auto is_authorization = [](const HttpHeader& h) {
      return h.name.size() == 13 && strncasecmp(h.name.c_str(), "authorization", 13) == 0;
    };
    std::optional<std::string_view> authorization;
    const auto sent = std::find_if(head.headers.begin(), head.headers.end(), is_authorization);
    if (sent != head.headers.end()) authorization = sent->value;
    std::optional<Principal> principal = auth.authenticate(authorization, conn.peer_subject());
    if (!principal) {
      HttpResponse r = text_response(401, "authentication required");
      r.headers.push_back({"WWW-Authenticate", "Basic realm=\"arsync\""});
      return refuse(std::move(r));
    }
    request.principal = principal->name;
    record.principal = principal->name;
    // Checked: the handler needs the principal, not the credentials, and
    // cannot leak what it never sees.
    std::erase_if(head.headers, is_authorization);
  }

  const std::size_t limit = route->max_body_bytes != 0 ? route->max_body_bytes : options.max_body_bytes;
  if (head.content_length && *head.content_length > limit) {
    answer_and_close(conn, record,
                     text_response(413, "the body is larger than " + std::to_string(limit) + " bytes"));
    return false;
  }
  if (head.expect_continue && has_body &&
      conn.write_all("HTTP/1.1 100 Continue\r\n\r\n", deadline) != Io::kOk) {
    return false;
  }

  // The body, within the same deadline as the head.
  const auto read_more = [&]() {
    const Io io = conn.read_some(&buffer, deadline, /*stoppable=*/true);
    answer_unfinished(conn, record, io);
    return io == Io::kOk;
  };
  if (head.chunked) {
    ChunkedBodyDecoder decoder(limit);
    while (true) {
      std::size_t used = 0;
      const auto state = decoder.feed(buffer, &used, &request.body);
      buffer.erase(0, used);
      record.bytes_in = request.body.size();
      if (state == ChunkedBodyDecoder::State::kDone) break;
      if (state == ChunkedBodyDecoder::State::kTooLarge) {
        answer_and_close(conn, record,
                         text_response(413, "the body is larger than " + std::to_string(limit) + " bytes"));
        return false;
      }
      if (state == ChunkedBodyDecoder::State::kMalformed) {
        answer_and_close(conn, record, text_response(400, "malformed chunked body"));
        return false;
      }
      if (!read_more()) return false;
    }
  } else if (head.content_length) {
    const auto length = static_cast<std::size_t>(*head.content_length);
    while (buffer.size() < length) {
      record.bytes_in = buffer.size();
      if (!read_more()) return false;
    }
    request.body = buffer.substr(0, length);
    buffer.erase(0, length);
    record.bytes_in = length;
  }

  request.method = std::move(head.method);
  request.path = std::move(head.path);
  request.query = std::move(head.query);
  request.headers = std::move(head.headers);
  request.remote_address = conn.remote();

  HttpResponse response;
  try {
    response = route->handle(request);
  } catch (...) {
    // The exception's text may quote the body: it is not logged.
    log::error("", "http_handler_failed",
               {{"path", request.path}, {"error", "the handler threw; it should answer an error status"}});
    response = text_response(500, "internal error");
  }
  if (Status ok = check_response(response); !ok.is_ok()) {
    log::error("", "http_handler_failed", {{"path", request.path}, {"error", ok.message()}});
    response = text_response(500, "internal error");
  }

  const bool keep = head.keep_alive && !stopping.load() && !others_waiting();
  record.status = response.status;
  record.bytes_out = response.status == 204 || response.status == 304 ? 0 : response.body.size();
  const Io written = conn.write_all(serialize_response(response, !keep),
                                    SteadyClock::now() + options.read_timeout);
  if (written != Io::kOk) {
    record.status = 0;
    return false;
  }
  if (!keep) conn.linger();
  return keep;
}

void HttpListener::State::serve(HttpConnection& conn) {
  std::string error;
  const auto io = conn.handshake(SteadyClock::now() + options.read_timeout, &error);
  if (io != HttpConnection::Io::kOk) {
    if (io != HttpConnection::Io::kStopped) {
      log::warn("", "http_tls_handshake_failed", {{"remote", conn.remote()}, {"error", error}});
    }
    return;
  }
  std::string buffer;
  for (bool first = true; serve_request(conn, buffer, first); first = false) {
  }
}

void HttpListener::State::connection_loop() {
  // A TLS write to a peer that has gone raises SIGPIPE (OpenSSL writes with
  // write(2)); blocked here, it is an error return instead.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  while (true) {
    Accepted next;
    {
      std::unique_lock<std::mutex> lock(mutex);
      work.wait(lock, [&] { return stopping.load() || !queue.empty(); });
      if (stopping.load()) break;
      next = std::move(queue.front());
      queue.pop_front();
    }
    HttpConnection conn(next.fd, std::move(next.remote), tls.get(), stop_fd);
    serve(conn);
  }
  std::lock_guard<std::mutex> lock(mutex);
  --running_threads;
  finished.notify_all();
}

void HttpListener::State::accept_loop() {
  // A canned answer for plain-HTTP clients beyond the queue: written in one
  // non-blocking send, no thread needed.
  const std::string busy = serialize_response(
      [] {
        HttpResponse r = text_response(503, "too many connections; retry shortly");
        r.headers.push_back({"Retry-After", kRetryAfterSeconds});
        return r;
      }(),
      true);
  pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  while (!stopping.load()) {
    const int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (fds[1].revents & POLLIN) break;
    if (!(fds[0].revents & POLLIN)) continue;
    while (true) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          log::warn("", "http_accept_failed", {{"error", std::strerror(errno)}});
          // Out of descriptors: pause instead of spinning on a listen socket that stays readable.
          pollfd stop{stop_fd, POLLIN, 0};
          ::poll(&stop, 1, 100);
        }
        break;
      }
      bool queued = false;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (queue.size() < max_queued) {
          queue.push_back({fd, format_remote(addr)});
          queued = true;
        }
      }
      if (queued) {
        work.notify_one();
        continue;
      }
      if (!tls) (void)::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
    }
  }
}

HttpListener::HttpListener(HttpOptions options)
    : state_(std::make_shared<State>(std::move(options))) {}

HttpListener::~HttpListener() { (void)stop(); }

Status HttpListener::add_route(HttpRoute route) {
  State& s = *state_;
  if (s.started.load()) {
    return Status(ErrorCode::kInvalidArgument, "routes must be added before the listener starts");
  }
  if (!valid_method(route.method)) {
    return Status(ErrorCode::kInvalidArgument,
                  "route " + route.path + ": method " + log::format_value(route.method) +
                      " is not an upper-case HTTP method");
  }
  if (!valid_route_path(route.path)) {
    return Status(ErrorCode::kInvalidArgument,
                  "route path " + log::format_value(route.path) +
                      " must start with / and hold no spaces, control characters, ? or #");
  }
  if (!route.handle) {
    return Status(ErrorCode::kInvalidArgument, "route " + route.method + " " + route.path + " has no handler");
  }
  for (const HttpRoute& r : s.routes) {
    if (r.method == route.method && r.path == route.path) {
      return Status(ErrorCode::kAlreadyExists,
                    "route " + route.method + " " + route.path + " is already mounted");
    }
  }
  s.routes.push_back(std::move(route));
  return Status::ok();
}

Status HttpListener::set_credentials(HttpCredentials credentials) {
  return state_->auth.set_credentials(std::move(credentials));
}

int HttpListener::port() const { return state_->port.load(); }

std::uint64_t HttpListener::password_checks() const { return state_->auth.password_checks(); }

Status HttpListener::start() {
  State& s = *state_;
  if (s.started.load()) return Status(ErrorCode::kInvalidArgument, "the HTTP listener is already started");
  const std::string where = "http.listen " + s.options.listen;
  const auto fail = [&](ErrorCode code, const std::string& what) {
    Location at;
    at.field = "http.listen";
    return Status(code, where + ": " + what, at);
  };
  if (s.options.tls.enabled()) {
    Result<std::shared_ptr<TlsServerContext>> tls = TlsServerContext::create(s.options.tls);
    if (!tls.is_ok()) return tls.status();
    s.tls = std::move(tls).value();
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(s.options.port);
  if (const int rc = ::getaddrinfo(s.options.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return fail(ErrorCode::kInvalidArgument,
                "cannot resolve host " + s.options.host + " (" + gai_strerror(rc) + ")");
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ::freeaddrinfo(found);
    return fail(ErrorCode::kIoError, std::string("cannot create a socket: ") + std::strerror(errno));
  }
  const int one = 1;
  // A restart may bind while the last run's connections are in TIME_WAIT.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int bound = ::bind(fd, found->ai_addr, found->ai_addrlen);
  const int bind_errno = errno;
  ::freeaddrinfo(found);
  if (bound != 0 || ::listen(fd, SOMAXCONN) != 0) {
    const int e = bound != 0 ? bind_errno : errno;
    ::close(fd);
    std::string hint;
    if (e == EADDRINUSE) hint = "; another program (or arsyncd) listens there: stop it or change http.listen";
    if (e == EACCES) hint = "; ports below 1024 need CAP_NET_BIND_SERVICE: choose a port from 1024";
    if (e == EADDRNOTAVAIL) hint = "; this host has no such address";
    return fail(ErrorCode::kIoError, std::string("cannot listen: ") + std::strerror(e) + hint);
  }
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  s.port = ntohs(local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  s.stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s.stop_fd < 0) {
    ::close(fd);
    return fail(ErrorCode::kIoError, std::string("cannot create an eventfd: ") + std::strerror(errno));
  }
  s.listen_fd = fd;

  const int threads = std::max(4, 2 * s.options.max_concurrent_requests);
  s.max_queued = static_cast<std::size_t>(4 * threads);
  s.running_threads = threads;
  std::shared_ptr<State> shared = state_;
  for (int i = 0; i < threads; ++i) s.connection_threads.emplace_back([shared] { shared->connection_loop(); });
  s.accept_thread = std::thread([shared] { shared->accept_loop(); });
  s.started = true;
  log::info("", "http_listening",
            {{"listen", s.options.listen},
             {"port", std::to_string(s.port.load())},
             {"tls", s.tls ? (s.tls->verifies_clients() ? "client_certificates" : "on") : "off"}});
  return Status::ok();
}

Status HttpListener::stop(std::chrono::milliseconds deadline) {
  State& s = *state_;
  if (!s.started.load() || s.stopping.exchange(true)) return Status::ok();
  const std::uint64_t one = 1;
  (void)!::write(s.stop_fd, &one, sizeof one);
  s.accept_thread.join();
  ::close(s.listen_fd);
  s.listen_fd = -1;

  std::unique_lock<std::mutex> lock(s.mutex);
  for (const Accepted& a : s.queue) ::close(a.fd);
  s.queue.clear();
  s.work.notify_all();
  const bool all = s.finished.wait_for(lock, deadline, [&] { return s.running_threads == 0; });
  const int left = s.running_threads;
  lock.unlock();
  for (std::thread& t : s.connection_threads) {
    if (all) {
      t.join();
    } else {
      t.detach();  // each holds the shared state, so the listener may go
    }
  }
  s.connection_threads.clear();
  log::info("", "http_stopped", {{"abandoned_handlers", std::to_string(all ? 0 : left)}});
  if (all) return Status::ok();
  return Status(ErrorCode::kUnavailable,
                std::to_string(left) + " HTTP connection(s) still busy after " +
                    std::to_string(deadline.count()) + " ms; left running");
}

}  // namespace arsync::service
