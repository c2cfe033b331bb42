#include "arsync/net/http_client.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <istream>
#include <random>

#include "arsync/log/log.h"
#include "arsync/model/utf8.h"

namespace arsync::net {
namespace {

using SteadyClock = std::chrono::steady_clock;

Poco::Timespan timespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(ms.count() / 1000, static_cast<long>((ms.count() % 1000) * 1000));
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

// What a default ErrorReader says: the status line and the body's start.
Status default_error(const ClientResponse& r) {
  const std::string excerpt = body_excerpt(r.body);
  const std::string message = "HTTP " + std::to_string(r.status) + " " + r.reason +
                              (excerpt.empty() ? "" : ": " + excerpt);
  switch (r.status) {
    case 400: return Status(ErrorCode::kInvalidArgument, message);
    case 401:
    case 403: return Status(ErrorCode::kAuthError, message);
    case 404: return Status(ErrorCode::kNotFound, message);
    case 409:
    case 412: return Status(ErrorCode::kConflict, message);
    case 429: return Status(ErrorCode::kRateLimited, message, {}, true);
    default:
      if (r.status >= 500) return Status(ErrorCode::kUnavailable, message, {}, true);
      return Status(ErrorCode::kInternal, message);
  }
}

bool retried_status(int status) {
  return status == 500 || status == 502 || status == 503 || status == 504;
}

struct Target {
  std::string scheme, host, prefix;
  std::uint16_t port = 0;
};

Result<Target> parse_base(const std::string& base_url) {
  Target t;
  try {
    Poco::URI uri(base_url);
    t.scheme = uri.getScheme();
    t.host = uri.getHost();
    t.port = uri.getPort();
    t.prefix = uri.getPath();
    if (!uri.getQuery().empty() || !uri.getFragment().empty()) {
      return Status(ErrorCode::kInvalidArgument, "base URL " + base_url + ": must not have a query or fragment");
    }
  } catch (const Poco::Exception& e) {
    return Status(ErrorCode::kInvalidArgument, "base URL " + base_url + ": " + e.displayText());
  }
  if (t.scheme != "http" && t.scheme != "https") {
    return Status(ErrorCode::kInvalidArgument, "base URL " + base_url + ": the scheme must be http or https");
  }
  if (t.host.empty()) return Status(ErrorCode::kInvalidArgument, "base URL " + base_url + ": has no host");
  while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();
  return t;
}

}  // namespace

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  return find_header(headers, name);
}

// Idle keep-alive sessions to the one host of the base URL.
class HttpClient::Pool {
 public:
  Pool(Target target, const ClientOptions& options) : target_(std::move(target)), options_(options) {
    if (target_.scheme == "https") {
      Poco::Net::initializeSSL();
      Poco::Net::Context::Params params;
      params.verificationMode =
          options.verify_tls ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE;
      // Poco loads no CAs unless asked: without this every certificate fails.
      params.loadDefaultCAs = options.verify_tls && options.ca_file.empty();
      params.caLocation = options.ca_file;
      params.cipherList = "HIGH:!aNULL:!MD5:!RC4";
      context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      context_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    }
  }
  ~Pool() {
    idle_.clear();
    if (context_) Poco::Net::uninitializeSSL();
  }

  // A session and whether it was used before (a stale keep-alive
  // connection fails differently from a fresh one).
  std::pair<std::unique_ptr<Poco::Net::HTTPClientSession>, bool> take() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        auto s = std::move(idle_.back());
        idle_.pop_back();
        return {std::move(s), true};
      }
    }
    std::unique_ptr<Poco::Net::HTTPClientSession> s;
    if (context_) {
      s = std::make_unique<Poco::Net::HTTPSClientSession>(target_.host, target_.port, context_);
    } else {
      s = std::make_unique<Poco::Net::HTTPClientSession>(target_.host, target_.port);
    }
    s->setKeepAlive(true);
    s->setTimeout(timespan(options_.connect_timeout), timespan(options_.timeout), timespan(options_.timeout));
    return {std::move(s), false};
  }

  void give_back(std::unique_ptr<Poco::Net::HTTPClientSession> s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < 16) idle_.push_back(std::move(s));
  }

  const Target& target() const { return target_; }

 private:
  Target target_;
  const ClientOptions& options_;
  Poco::Net::Context::Ptr context_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle_;
};

struct HttpClient::Attempt {
  std::optional<ClientResponse> response;
  Status error;       // when there is no response
  bool sent = false;  // the whole request may have reached the server
  bool stale = false; // a reused connection closed before any answer
};

HttpClient::HttpClient(ClientOptions options, std::shared_ptr<RateGovernor> governor,
                       ErrorReader read_error)
    : options_(std::move(options)), governor_(std::move(governor)), read_error_(std::move(read_error)) {
  Result<Target> target = parse_base(options_.base_url);
  if (!target.is_ok()) throw std::invalid_argument(target.status().message());
  pool_ = std::make_unique<Pool>(std::move(target).value(), options_);
  rng_state_ = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32) | 1;
}

HttpClient::~HttpClient() = default;

Status HttpClient::check_options(const ClientOptions& options) {
  Result<Target> target = parse_base(options.base_url);
  if (!target.is_ok()) return target.status();
  if (!options.ca_file.empty() && !std::ifstream(options.ca_file)) {
    return Status(ErrorCode::kInvalidArgument, "CA file " + options.ca_file + ": cannot be read");
  }
  if (options.max_attempts < 1) return Status(ErrorCode::kInvalidArgument, "max_attempts must be at least 1");
  return Status::ok();
}

HttpClient::Attempt HttpClient::attempt(const ClientRequest& request) {
  Attempt out;
  const Target& t = pool_->target();
  auto [session, reused] = pool_->take();
  const std::string host = t.scheme + "://" + t.host;
  try {
    Poco::Net::HTTPRequest req(request.method, t.prefix + request.target, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    req.set("User-Agent", options_.user_agent);
    req.set("Accept-Encoding", "gzip");
    for (const HttpHeader& h : request.headers) req.set(h.name, h.value);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      req.setContentLength(static_cast<std::streamsize>(request.body.size()));
    }
    std::ostream& body = session->sendRequest(req);
    body.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
    if (!body) throw Poco::Net::NetException("the request could not be written");
    out.sent = true;

    Poco::Net::HTTPResponse resp;
    std::istream& raw = session->receiveResponse(resp);
    ClientResponse r;
    r.status = static_cast<int>(resp.getStatus());
    r.reason = resp.getReason();
    for (const auto& [name, value] : resp) r.headers.push_back({name, value});
    std::unique_ptr<Poco::InflatingInputStream> inflated;
    std::istream* in = &raw;
    const auto encoding = r.header("Content-Encoding");
    if (encoding && ascii_iequals(*encoding, "gzip")) {
      inflated = std::make_unique<Poco::InflatingInputStream>(raw, Poco::InflatingStreamBuf::STREAM_GZIP);
      in = inflated.get();
    }
    char buf[65536];
    while (*in) {
      in->read(buf, sizeof buf);
      const std::streamsize n = in->gcount();
      if (n <= 0) break;
      if (r.body.size() + static_cast<std::size_t>(n) > options_.max_response_bytes) {
        out.error = Status(ErrorCode::kUnavailable,
                           host + path_of(request.target) + ": the response is larger than " +
                               std::to_string(options_.max_response_bytes) + " bytes",
                           {}, false);
        return out;  // the session is dropped: its connection is mid-body
      }
      r.body.append(buf, static_cast<std::size_t>(n));
    }
    if (in->bad()) throw Poco::Net::NetException("the response body could not be read");
    const bool keep = resp.getKeepAlive();
    out.response = std::move(r);
    if (keep) pool_->give_back(std::move(session));
  } catch (const Poco::Net::NoMessageException&) {
    out.stale = reused && out.sent;
    out.error = Status(ErrorCode::kUnavailable, host + path_of(request.target) +
                       ": the connection closed before a response", {}, true);
  } catch (const Poco::TimeoutException&) {
    out.error = Status(ErrorCode::kUnavailable, host + path_of(request.target) + ": timed out " +
                       (out.sent ? "waiting for the response" : "sending the request"), {}, true);
  } catch (const Poco::Net::ConnectionRefusedException&) {
    out.sent = false;
    out.error = Status(ErrorCode::kUnavailable, host + ": connection refused", {}, true);
  } catch (const Poco::Net::CertificateValidationException& e) {
    out.sent = false;
    out.error = Status(ErrorCode::kUnavailable,
                       host + ": TLS certificate verification failed (for a private CA set ca_file): " +
                           e.displayText());
  } catch (const Poco::Net::SSLException& e) {
    out.sent = false;
    const bool untrusted = e.displayText().find("certificate verify failed") != std::string::npos;
    out.error = Status(ErrorCode::kUnavailable,
                       host + (untrusted ? ": TLS certificate verification failed (for a private CA set "
                                           "ca_file): "
                                         : ": TLS error: ") +
                           e.displayText(),
                       {}, !untrusted);
  } catch (const Poco::Exception& e) {
    out.error = Status(ErrorCode::kUnavailable, host + path_of(request.target) + ": " + e.displayText(), {}, true);
  } catch (const std::exception& e) {
    out.error = Status(ErrorCode::kUnavailable, host + path_of(request.target) + ": " + e.what(), {}, true);
  }
  return out;
}

std::chrono::milliseconds HttpClient::backoff(int attempt, std::chrono::milliseconds at_least) {
  const long long cap = options_.backoff_cap.count();
  long long ceiling = options_.backoff_base.count();
  for (int i = 1; i < attempt && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  std::uint64_t x;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // xorshift64: jitter needs spread, not quality.
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    x = rng_state_;
  }
  const long long jitter = ceiling > 0 ? static_cast<long long>(x % static_cast<std::uint64_t>(ceiling + 1)) : 0;
  return std::max(std::chrono::milliseconds(jitter), at_least);
}

bool HttpClient::sleep_for(std::chrono::milliseconds delay) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(m);
  cv.wait_for(lock, stop_.get_token(), delay, [] { return false; });
  return !stop_.stop_requested();
}

Result<ClientResponse> HttpClient::send(const ClientRequest& request) {
  const std::string where = pool_->target().host + path_of(request.target);
  const auto fail = [this](Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.failed;
    return s;
  };
  const auto cancelled = [&] {
    return fail(Status(ErrorCode::kUnavailable, where + ": cancelled (arsyncd is stopping)", {}, true));
  };
  bool stale_retried = false;
  for (int n = 1;; ++n) {
    if (stop_.stop_requested()) return cancelled();
    RateGovernor::Permit permit;
    if (governor_) {
      permit = governor_->acquire(stop_.get_token());
      if (!permit) return cancelled();
    }
    const SteadyClock::time_point began = SteadyClock::now();
    Attempt a = attempt(request);
    permit.release();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.requests;
      if (n > 1) ++stats_.retries;
    }
    const long long ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - began).count();
    if (log::enabled(log::Level::kDebug)) {
      log::debug(options_.log_system, "http_request",
                 {{"method", request.method},
                  {"url", where},
                  {"status", a.response ? std::to_string(a.response->status) : "none"},
                  {"ms", std::to_string(ms)},
                  {"attempt", std::to_string(n)}});
    }
    if (a.response && a.response->status >= 200 && a.response->status < 300) {
      return std::move(*a.response);
    }

    bool retry = false;
    std::optional<std::chrono::milliseconds> retry_after;
    Status error;
    if (a.response) {
      const ClientResponse& r = *a.response;
      if (r.status == 429) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.throttled;
        }
        if (governor_) governor_->throttled();
        retry = true;
      } else {
        retry = retried_status(r.status) && request.idempotent;
      }
      if (const auto ra = r.header("Retry-After")) {
        retry_after = parse_retry_after(*ra, std::chrono::system_clock::now());
      }
      error = read_error_ ? read_error_(r) : default_error(r);
      if (error.is_ok()) error = default_error(r);
      error.where().http_status = r.status;
      if (r.status == 429 || (retried_status(r.status) && !error.retryable())) {
        error = Status(r.status == 429 ? ErrorCode::kRateLimited : error.code(), error.message(), error.where(),
                       true);
      }
    } else {
      error = std::move(a.error);
      if (a.stale && request.idempotent && !stale_retried) {
        // The server closed an idle keep-alive connection: not a failed
        // attempt, just a connection to open again.
        stale_retried = true;
        --n;
        continue;
      }
      retry = error.retryable() && (!a.sent || request.idempotent);
    }

    if (!retry || n >= options_.max_attempts) return fail(std::move(error));
    if (retry_after && *retry_after > options_.max_retry_after) {
      return fail(error.with_context("the server asks to wait " + std::to_string(retry_after->count() / 1000) +
                                     " s, more than " + std::to_string(options_.max_retry_after.count() / 1000) +
                                     " s"));
    }
    const std::chrono::milliseconds delay = backoff(n, retry_after.value_or(std::chrono::milliseconds(0)));
    log::warn(options_.log_system, "http_retry",
              {{"method", request.method},
               {"url", where},
               {"attempt", std::to_string(n)},
               {"delay_ms", std::to_string(delay.count())},
               {"error", error.message()}});
    if (!sleep_for(delay)) return cancelled();
  }
}

void HttpClient::cancel() { stop_.request_stop(); }

ClientStats HttpClient::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::string body_excerpt(std::string_view body) {
  static constexpr std::size_t kMax = 300;
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string excerpt;
  for (std::size_t i = 0; i < body.size() && excerpt.size() < kMax;) {
    const auto c = static_cast<unsigned char>(body[i]);
    if (c < 0x80) {
      excerpt += c < 0x20 || c == 0x7F ? ' ' : static_cast<char>(c);
      ++i;
    } else if (const std::size_t n = utf8_sequence_length(body, i); n > 0) {
      if (excerpt.size() + n > kMax) break;  // never half a character
      excerpt.append(body.substr(i, n));
      i += n;
    } else {
      excerpt += "\\x";
      excerpt += kHex[c >> 4];
      excerpt += kHex[c & 0xF];
      ++i;
    }
  }
  return excerpt;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += url_encode(name);
    out += '=';
    out += url_encode(value);
  }
  return out;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::milliseconds(999'999'999LL * 1000);
    return std::chrono::milliseconds(std::stoll(std::string(value)) * 1000);
  }
  // Only the IMF-fixdate form HTTP/1.1 senders must use
  // ("Sun, 06 Nov 1994 08:49:37 GMT"): Poco's parser accepts almost anything.
  if (value.size() != 29 || value.substr(25) != " GMT" || value[3] != ',') return std::nullopt;
  Poco::DateTime when;
  int tz = 0;
  if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, std::string(value), when, tz)) {
    return std::nullopt;
  }
  const auto at = std::chrono::system_clock::from_time_t(when.timestamp().epochTime() - tz);
  const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
  return std::max(delay, std::chrono::milliseconds(0));
}

}  // namespace arsync::net
