#include "arsync/service/http_wire.h"

#include <charconv>
#include <ctime>

namespace arsync::service {
namespace {

// RFC 9110 5.6.2: the characters of a method or a header name.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

// A field value: visible characters, obs-text, spaces and tabs.
bool is_field_value(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

Status refuse(int status, const std::string& text) {
  Location at;
  at.http_status = status;
  return Status(ErrorCode::kParseError, text, at);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> decode_path(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    const int hi = i + 2 < raw.size() ? hex_value(raw[i + 1]) : -1;
    const int lo = hi >= 0 ? hex_value(raw[i + 2]) : -1;
    if (lo < 0) return refuse(400, "malformed percent-escape in the path");
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return refuse(400, "the path holds an encoded NUL");
    out += c;
    i += 2;
  }
  for (std::size_t start = 1; start <= out.size();) {
    const std::size_t end = std::min(out.find('/', start), out.size());
    const std::string_view segment = std::string_view(out).substr(start, end - start);
    if (segment == "." || segment == "..") return refuse(400, "the path holds a . or .. segment");
    start = end + 1;
  }
  return out;
}

// Splits `head` into lines without their line ends.
std::vector<std::string_view> lines_of(std::string_view head) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < head.size()) {
    std::size_t end = head.find('\n', start);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

Status parse_request_line(std::string_view line, HttpRequestHead& head, std::string& target) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return refuse(400, "malformed request line");
  }
  head.method = std::string(line.substr(0, sp1));
  target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(head.method)) return refuse(400, "malformed method");
  if (version == "HTTP/1.1") {
    head.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    head.minor_version = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[6] == '.') {
    return refuse(505, "only HTTP/1.0 and HTTP/1.1 are served");
  } else {
    return refuse(400, "malformed HTTP version");
  }
  if (target.empty() || target.front() != '/') {
    return refuse(400, "the request target must be a path starting with /");
  }
  for (const char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return refuse(400, "the request target holds a character that must be escaped");
  }
  return Status::ok();
}

}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::size_t> find_head_end(std::string_view buffer) {
  for (std::size_t at = buffer.find('\n'); at != std::string_view::npos;
       at = buffer.find('\n', at + 1)) {
    if (at + 1 < buffer.size() && buffer[at + 1] == '\n') return at + 2;
    if (at + 2 < buffer.size() && buffer[at + 1] == '\r' && buffer[at + 2] == '\n') return at + 3;
  }
  return std::nullopt;
}

Result<HttpRequestHead> parse_request_head(std::string_view text) {
  const std::vector<std::string_view> lines = lines_of(text);
  if (lines.empty()) return refuse(400, "empty request");
  HttpRequestHead head;
  std::string target;
  ARSYNC_RETURN_IF_ERROR(parse_request_line(lines[0], head, target));

  int hosts = 0;
  int lengths = 0;
  std::string transfer_encoding;
  bool has_transfer_encoding = false;
  head.keep_alive = head.minor_version == 1;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) return refuse(400, "malformed header line");
    if (line.front() == ' ' || line.front() == '\t') {
      return refuse(400, "folded header lines are not accepted");
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      return refuse(400, "malformed header line");
    }
    const std::string_view value = trim(line.substr(colon + 1));
    if (!is_field_value(value)) return refuse(400, "a header holds a control character");
    head.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});

    const std::string name = lower(line.substr(0, colon));
    if (name == "host") {
      ++hosts;
    } else if (name == "content-length") {
      if (++lengths > 1) return refuse(400, "more than one Content-Length");
      std::uint64_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || value.size() > 19 || ec != std::errc() ||
          end != value.data() + value.size()) {
        return refuse(400, "malformed Content-Length");
      }
      head.content_length = n;
    } else if (name == "transfer-encoding") {
      has_transfer_encoding = true;
      transfer_encoding += (transfer_encoding.empty() ? "" : ",") + lower(value);
    } else if (name == "connection") {
      for (std::size_t start = 0; start <= value.size();) {
        const std::size_t end = std::min(value.find(',', start), value.size());
        const std::string option = lower(trim(value.substr(start, end - start)));
        if (option == "close") head.keep_alive = false;
        if (option == "keep-alive" && head.minor_version == 0) head.keep_alive = true;
        start = end + 1;
      }
    } else if (name == "expect") {
      if (lower(value) != "100-continue") return refuse(417, "only Expect: 100-continue is understood");
      head.expect_continue = head.minor_version == 1;
    }
  }
  if (head.minor_version == 1 && hosts != 1) return refuse(400, "HTTP/1.1 needs exactly one Host header");
  if (has_transfer_encoding) {
    if (head.minor_version == 0) return refuse(400, "Transfer-Encoding is not HTTP/1.0");
    if (head.content_length) return refuse(400, "both Content-Length and Transfer-Encoding");
    if (trim(transfer_encoding) != "chunked") {
      return refuse(501, "only the chunked transfer coding is accepted");
    }
    head.chunked = true;
  }

  const std::size_t question = target.find('?');
  if (question != std::string::npos) head.query = target.substr(question + 1);
  Result<std::string> path = decode_path(std::string_view(target).substr(0, question));
  if (!path.is_ok()) return path.status();
  head.path = std::move(path).value();
  return head;
}

bool ChunkedBodyDecoder::take_line(std::string_view input, std::size_t* pos) {
  // A size line with extensions or a trailer line longer than this is not
  // something a real client sends.
  constexpr std::size_t kMaxLine = 4096;
  const std::size_t lf = input.find('\n', *pos);
  const std::size_t end = lf == std::string_view::npos ? input.size() : lf;
  line_.append(input.substr(*pos, end - *pos));
  *pos = lf == std::string_view::npos ? input.size() : lf + 1;
  if (line_.size() > kMaxLine) {
    line_.resize(kMaxLine + 1);  // stays too long: the caller refuses it
    return true;
  }
  if (lf == std::string_view::npos) return false;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

ChunkedBodyDecoder::State ChunkedBodyDecoder::feed(std::string_view input, std::size_t* used,
                                                   std::string* body) {
  constexpr std::size_t kMaxLine = 4096;
  constexpr std::size_t kMaxTrailer = 16 * 1024;
  std::size_t pos = 0;
  const auto done = [&](State s) {
    *used = pos;
    return s;
  };
  while (true) {
    switch (step_) {
      case Step::kSizeLine: {
        if (!take_line(input, &pos)) return done(State::kMore);
        if (line_.size() > kMaxLine) return done(State::kMalformed);
        std::string_view size = line_;
        size = size.substr(0, std::min(size.find(';'), size.size()));
        size = trim(size);
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), n, 16);
        if (size.empty() || size.size() > 16 || ec != std::errc() ||
            end != size.data() + size.size()) {
          return done(State::kMalformed);
        }
        line_.clear();
        if (n == 0) {
          step_ = Step::kTrailer;
          break;
        }
        if (n > max_body_bytes_ - body->size()) return done(State::kTooLarge);
        remaining_ = n;
        step_ = Step::kData;
        break;
      }
      case Step::kData: {
        const std::size_t take = static_cast<std::size_t>(
            std::min<std::uint64_t>(remaining_, input.size() - pos));
        body->append(input.substr(pos, take));
        pos += take;
        remaining_ -= take;
        if (remaining_ > 0) return done(State::kMore);
        step_ = Step::kDataEnd;
        break;
      }
      case Step::kDataEnd: {
        if (!take_line(input, &pos)) return done(State::kMore);
        if (!line_.empty()) return done(State::kMalformed);
        step_ = Step::kSizeLine;
        break;
      }
      case Step::kTrailer: {
        if (!take_line(input, &pos)) return done(State::kMore);
        if (line_.size() > kMaxLine) return done(State::kMalformed);
        trailer_bytes_ += line_.size();
        if (trailer_bytes_ > kMaxTrailer) return done(State::kMalformed);
        if (line_.empty()) {
          step_ = Step::kDone;
          return done(State::kDone);
        }
        line_.clear();
        break;
      }
      case Step::kDone:
        return done(State::kDone);
    }
  }
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
  }
}

HttpResponse text_response(int status, std::string_view text) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  r.body = std::string(text) + "\n";
  return r;
}

Status check_response(const HttpResponse& response) {
  if (response.status < 200 || response.status > 599) {
    return Status(ErrorCode::kInternal,
                  "the handler answered status " + std::to_string(response.status) +
                      ", outside 200 to 599");
  }
  for (const HttpHeader& h : response.headers) {
    if (!is_token(h.name)) {
      return Status(ErrorCode::kInternal, "the handler set a malformed header name");
    }
    if (!is_field_value(h.value)) {
      return Status(ErrorCode::kInternal,
                    "the handler set header " + h.name + " to a value with control characters");
    }
  }
  return Status::ok();
}

std::string serialize_response(const HttpResponse& response, bool close) {
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);

  const bool no_body = response.status == 204 || response.status == 304;
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    std::string(reason_phrase(response.status)) + "\r\n";
  out += "Date: ";
  out += date;
  out += "\r\n";
  for (const HttpHeader& h : response.headers) {
    const std::string name = lower(h.name);
    if (name == "content-length" || name == "transfer-encoding" || name == "connection" ||
        name == "date") {
      continue;
    }
    out += h.name + ": " + h.value + "\r\n";
  }
  if (!no_body) out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!no_body) out += response.body;
  return out;
}

}  // namespace arsync::service
