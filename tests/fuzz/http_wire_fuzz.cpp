// Fuzz target: the listener's HTTP/1.1 request reader (http_wire.h). The
// input is what a client sent on one connection before closing it: requests
// back to back (keep-alive, pipelined), each a head and a Content-Length or
// chunked body. It is read in the steps HttpListener::serve_request takes:
// empty lines dropped, find_head_end, 431 past max_header_bytes,
// parse_request_head, 413 by Content-Length, ChunkedBodyDecoder fed as the
// bytes arrive; a request cut off by the end of the input is the 408 a
// client gets that stops sending. Limits are small (head 1 KiB, body 2 KiB)
// so that short inputs reach them.
//
// Checked besides memory and undefined behaviour:
// - a refused request gets one of the documented statuses (400, 408, 413,
//   417, 431, 501, 505) with a text, and its answer passes check_response;
// - no accepted request has framing a second, lenient reader could read
//   otherwise (invariant "http_framing"): that reader splits lines on CR as
//   well as LF and takes a header name with whitespace before the colon; it
//   must find the same one Content-Length or none, no Transfer-Encoding
//   beside it, the same length, chunked exactly when the parser says so,
//   and (HTTP/1.1) exactly one Host;
// - an accepted Content-Length body is exactly that many bytes; a chunked
//   body is within the limit, and decoding it as it arrives (pieces of 1 to
//   13 bytes) gives the same state, body and end as decoding it at once, so
//   the next request starts at the same byte whatever the network did;
// - an accepted path starts with '/', has no NUL and no . or .. segment.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/service/http_wire.h"
#include "invariants.h"

namespace {

using namespace arsync;
using namespace arsync::service;

constexpr std::size_t kMaxHeaderBytes = 1024;
constexpr std::size_t kMaxBodyBytes = 2048;
constexpr int kMaxRequests = 64;

std::string printable(std::string_view bytes) {
  std::string out;
  for (const char c : bytes.substr(0, 400)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out += c;
    } else {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

void check_refusal(int status, const std::string& text, std::string_view head) {
  static const std::set<int> kDocumented = {400, 408, 413, 417, 431, 501, 505};
  ARSYNC_FUZZ_CHECK(kDocumented.count(status) == 1,
                    "status " + std::to_string(status) + " for " + printable(head));
  ARSYNC_FUZZ_CHECK(!text.empty(), "no text for status " + std::to_string(status));
  const HttpResponse r = text_response(status, text);
  ARSYNC_FUZZ_CHECK(check_response(r).is_ok(), "refusal '" + printable(text) + "' cannot be sent");
  (void)serialize_response(r, /*close=*/true);
}

// What a lenient reader finds in a head: lines split on CR or LF, a name
// trimmed of the whitespace around it, case-insensitive.
struct LenientFraming {
  int content_lengths = 0;
  std::optional<std::uint64_t> content_length;  // of the last one, if digits only
  int transfer_encodings = 0;
  bool chunked = false;
  int hosts = 0;
};

LenientFraming read_leniently(std::string_view head) {
  LenientFraming f;
  bool first = true;
  std::size_t start = 0;
  while (start < head.size()) {
    std::size_t end = head.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    if (first) {
      first = false;  // the request line
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-length") {
      ++f.content_lengths;
      std::uint64_t n = 0;
      bool digits = !value.empty() && value.size() <= 19;
      for (const char c : value) {
        if (c < '0' || c > '9') digits = false;
      }
      if (digits) {
        for (const char c : value) n = n * 10 + static_cast<std::uint64_t>(c - '0');
        f.content_length = n;
      } else {
        f.content_length.reset();
      }
    } else if (name == "transfer-encoding") {
      ++f.transfer_encodings;
      if (lower(value).find("chunked") != std::string::npos) f.chunked = true;
    } else if (name == "host") {
      ++f.hosts;
    }
  }
  return f;
}

void check_accepted_head(const HttpRequestHead& h, std::string_view text) {
  const std::string where = printable(text);
  ARSYNC_FUZZ_CHECK(!(h.content_length && h.chunked), where);
  ARSYNC_FUZZ_CHECK(h.minor_version == 0 || h.minor_version == 1, where);
  ARSYNC_FUZZ_CHECK(!h.path.empty() && h.path.front() == '/', where);
  ARSYNC_FUZZ_CHECK(h.path.find('\0') == std::string::npos, where);
  for (std::size_t start = 1; start <= h.path.size();) {
    const std::size_t end = std::min(h.path.find('/', start), h.path.size());
    const std::string_view segment = std::string_view(h.path).substr(start, end - start);
    ARSYNC_FUZZ_CHECK(segment != "." && segment != "..", where);
    start = end + 1;
  }
  if (fuzz::waived("http_framing")) return;
  const LenientFraming f = read_leniently(text);
  ARSYNC_FUZZ_CHECK(f.content_lengths == (h.content_length ? 1 : 0), where);
  ARSYNC_FUZZ_CHECK(f.content_lengths == 0 || f.transfer_encodings == 0, where);
  ARSYNC_FUZZ_CHECK(!h.content_length || f.content_length == h.content_length, where);
  ARSYNC_FUZZ_CHECK(f.chunked == h.chunked && (f.transfer_encodings > 0) == h.chunked, where);
  ARSYNC_FUZZ_CHECK(h.minor_version == 0 || f.hosts == 1, where);
}

struct ChunkedResult {
  ChunkedBodyDecoder::State state;
  std::string body;
  std::size_t used = 0;  // bytes of the input taken
};

// Feeds `input` as the listener does when its reads return `step` bytes at
// a time (step 0: all at once): the unconsumed bytes received so far, again
// after each read, until the decoder says anything but kMore.
ChunkedResult decode_chunked(std::string_view input, std::size_t step) {
  ChunkedBodyDecoder decoder(kMaxBodyBytes);
  ChunkedResult r;
  std::size_t received = step == 0 ? input.size() : std::min(step, input.size());
  while (true) {
    std::size_t used = 0;
    r.state = decoder.feed(input.substr(r.used, received - r.used), &used, &r.body);
    ARSYNC_FUZZ_CHECK(used <= received - r.used, "feed took more than it was given");
    r.used += used;
    if (r.state != ChunkedBodyDecoder::State::kMore || received == input.size()) return r;
    received = std::min(received + step, input.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  const std::size_t step = 1 + size % 13;
  for (int n = 0; n < kMaxRequests; ++n) {
    const std::size_t blank = stream.find_first_not_of("\r\n");
    if (blank == std::string_view::npos) return 0;  // the client closed an idle connection
    stream.remove_prefix(blank);

    const std::optional<std::size_t> head_end = find_head_end(stream);
    if (!head_end) {
      check_refusal(stream.size() > kMaxHeaderBytes ? 431 : 408, "cut off", stream);
      return 0;
    }
    ARSYNC_FUZZ_CHECK(*head_end <= stream.size(), "head end past the input");
    const std::string_view text = stream.substr(0, *head_end);
    if (*head_end > kMaxHeaderBytes) {
      check_refusal(431, "request header fields too large", text);
      return 0;
    }
    Result<HttpRequestHead> parsed = parse_request_head(text);
    if (!parsed.is_ok()) {
      ARSYNC_FUZZ_CHECK(parsed.status().code() == ErrorCode::kParseError, parsed.status().to_string());
      check_refusal(parsed.status().where().http_status, parsed.status().message(), text);
      return 0;
    }
    const HttpRequestHead& head = *parsed;
    check_accepted_head(head, text);
    stream.remove_prefix(*head_end);

    std::string body;
    if (head.chunked) {
      const ChunkedResult whole = decode_chunked(stream, 0);
      const ChunkedResult pieces = decode_chunked(stream, step);
      const std::string where = "step " + std::to_string(step) + ": " + printable(stream);
      ARSYNC_FUZZ_CHECK(whole.state == pieces.state, where);
      if (whole.state == ChunkedBodyDecoder::State::kTooLarge) {
        ARSYNC_FUZZ_CHECK(pieces.body.size() <= kMaxBodyBytes, where);
        check_refusal(413, "the body is too large", text);
        return 0;
      }
      if (whole.state == ChunkedBodyDecoder::State::kMalformed) {
        check_refusal(400, "malformed chunked body", text);
        return 0;
      }
      if (whole.state == ChunkedBodyDecoder::State::kMore) {
        check_refusal(408, "cut off", text);
        return 0;
      }
      ARSYNC_FUZZ_CHECK(whole.body == pieces.body && whole.used == pieces.used, where);
      ARSYNC_FUZZ_CHECK(whole.body.size() <= kMaxBodyBytes, where);
      ARSYNC_FUZZ_CHECK(whole.used <= stream.size(), where);
      body = whole.body;
      stream.remove_prefix(whole.used);
    } else if (head.content_length) {
      if (*head.content_length > kMaxBodyBytes) {
        check_refusal(413, "the body is too large", text);
        return 0;
      }
      const auto length = static_cast<std::size_t>(*head.content_length);
      if (stream.size() < length) {
        check_refusal(408, "cut off", text);
        return 0;
      }
      body = std::string(stream.substr(0, length));
      stream.remove_prefix(length);
      ARSYNC_FUZZ_CHECK(body.size() == *head.content_length, printable(text));
    }

    // The answer an echoing handler would give carries the body's length.
    HttpResponse echo;
    echo.status = 200;
    echo.body = body;
    const std::string wire = serialize_response(echo, !head.keep_alive);
    ARSYNC_FUZZ_CHECK(wire.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n") !=
                          std::string::npos,
                      printable(wire));
    if (!head.keep_alive) return 0;  // the listener closes after this answer
  }
  return 0;
}
