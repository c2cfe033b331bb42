// HTTP/1.1 on the wire, as the listener (http_listener.h) reads and writes
// it: the request head, a chunked body, the response bytes. No sockets here,
// so each rule is tested on its own.
//
// The parser is strict where leniency lets two readers of one request
// disagree (request smuggling): a request with both Content-Length and
// Transfer-Encoding, a repeated Content-Length, a Transfer-Encoding other than
// "chunked", folded header lines, whitespace before a header's colon, and
// control characters in a header are refused. So are dot segments in the
// path, which a proxy in front would resolve and a prefix route would not.
//
// Thread safety: pure functions; a ChunkedBodyDecoder belongs to one request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/http_route.h"
#include "arsync/model/status.h"

namespace arsync::service {

struct HttpRequestHead {
  std::string method;
  std::string path;   // percent-decoded, without the query
  std::string query;  // raw, without '?'
  int minor_version = 1;  // HTTP/1.<minor_version>: 0 or 1
  std::vector<HttpHeader> headers;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool keep_alive = true;  // the client's wish (version default, Connection header)
  bool expect_continue = false;
};

// The length of the head at the start of `buffer` (request line and header
// lines, through the empty line that ends them; lines may end in CRLF or a
// bare LF), or nullopt while the empty line has not arrived.
std::optional<std::size_t> find_head_end(std::string_view buffer);

// Parses a complete head (as find_head_end delimits it, leading empty lines
// already dropped). Error: kParseError whose where().http_status is the
// status to answer (400; 417 for an unknown Expect; 501 for a
// Transfer-Encoding other than chunked; 505 for an HTTP version other than
// 1.0 and 1.1) and whose message is a short text for the response body.
Result<HttpRequestHead> parse_request_head(std::string_view head);

// Decodes a chunked body as it arrives, refusing it as soon as it would grow
// past `max_body_bytes` (the chunk sizes tell before the data is read).
// Chunk extensions and trailers are read and dropped.
class ChunkedBodyDecoder {
 public:
  enum class State { kMore, kDone, kTooLarge, kMalformed };

  explicit ChunkedBodyDecoder(std::size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

  // Consumes a prefix of `input`, appending decoded data to `body`; `*used`
  // says how many bytes of `input` it took (those after the body's end
  // belong to the next request). kMore: give it more input.
  State feed(std::string_view input, std::size_t* used, std::string* body);

 private:
  enum class Step { kSizeLine, kData, kDataEnd, kTrailer, kDone };
  // Gathers a line into line_; true once its LF has arrived.
  bool take_line(std::string_view input, std::size_t* pos);

  std::size_t max_body_bytes_;
  Step step_ = Step::kSizeLine;
  std::uint64_t remaining_ = 0;
  std::string line_;
  std::size_t trailer_bytes_ = 0;
};

// ASCII lower case (header names, schemes and tokens are case-insensitive).
std::string lower(std::string_view s);
// Without the spaces and tabs around it (HTTP's optional whitespace).
std::string_view trim(std::string_view s);

std::string_view reason_phrase(int status);

// A short text/plain response (error answers): `text` and a line break.
HttpResponse text_response(int status, std::string_view text);

// OK if the response can be sent as it is: a status from 200 to 599 and
// header names and values without CR, LF or other control characters.
// Error: kInternal naming what is wrong (a handler's bug).
Status check_response(const HttpResponse& response);

// The bytes of a response that passed check_response: status line, Date,
// the handler's headers (a Content-Length, Transfer-Encoding or Connection it
// set is replaced by the listener's own), Content-Length, "Connection:
// close" when `close`, then the body. 204 and 304 carry no body.
std::string serialize_response(const HttpResponse& response, bool close);

}  // namespace arsync::service
