// The listener's HTTP/1.1 reading and writing, rule by rule, without sockets.
#include "arsync/service/http_wire.h"

#include <gtest/gtest.h>

namespace arsync::service {
namespace {

Result<HttpRequestHead> parse(const std::string& head) { return parse_request_head(head); }

// The status a malformed head is answered with.
int refused_with(const std::string& head) {
  Result<HttpRequestHead> r = parse(head);
  EXPECT_FALSE(r.is_ok()) << head;
  return r.is_ok() ? 0 : r.status().where().http_status;
}

TEST(HttpWire, FindsTheEndOfTheHead) {
  EXPECT_FALSE(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n"));
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"), 27u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: a\n\nbody"), 24u);
}

TEST(HttpWire, ParsesMethodPathQueryAndHeaders) {
  Result<HttpRequestHead> h =
      parse("POST /sap/idoc/sap%2Decc?sap-client=100 HTTP/1.1\r\nHost: arsync\r\n"
            "Content-Type:  application/xml \r\nContent-Length: 12\r\n\r\n");
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  EXPECT_EQ(h->method, "POST");
  EXPECT_EQ(h->path, "/sap/idoc/sap-ecc");
  EXPECT_EQ(h->query, "sap-client=100");
  ASSERT_EQ(h->headers.size(), 3u);
  EXPECT_EQ(h->headers[1].name, "Content-Type");
  EXPECT_EQ(h->headers[1].value, "application/xml");
  EXPECT_EQ(h->content_length, 12u);
  EXPECT_FALSE(h->chunked);
  EXPECT_TRUE(h->keep_alive);
  EXPECT_FALSE(h->expect_continue);
}

TEST(HttpWire, ConnectionAndVersionDecideKeepAlive) {
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")->keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n")->keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")->keep_alive);
}

TEST(HttpWire, ExpectContinueIsUnderstoodAndOthersRefused) {
  EXPECT_TRUE(parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
                  ->expect_continue);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"), 417);
}

TEST(HttpWire, RefusesWhatTwoReadersCouldReadDifferently) {
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"), 501);
  EXPECT_EQ(refused_with("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

TEST(HttpWire, RefusesMalformedRequestLinesAndPaths) {
  EXPECT_EQ(refused_with("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(refused_with("GET / HTTX/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET / HTTP/1.1\r\n\r\n"), 400);  // no Host
  EXPECT_EQ(refused_with("GET /a/../admin HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET /a/%2e%2e/admin HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET /a/. HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(refused_with("GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  Result<HttpRequestHead> r = parse("GET /x/%2e%2e HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), "the path holds a . or .. segment");
}

TEST(HttpWire, DecodesAChunkedBodyFedByteByByte) {
  const std::string wire = "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
  ChunkedBodyDecoder decoder(1024);
  std::string body;
  std::size_t consumed = 0;
  ChunkedBodyDecoder::State state = ChunkedBodyDecoder::State::kMore;
  for (std::size_t i = 0; i < wire.size() && state == ChunkedBodyDecoder::State::kMore; ++i) {
    std::size_t used = 0;
    state = decoder.feed(std::string_view(wire).substr(i, 1), &used, &body);
    consumed += used;
  }
  EXPECT_EQ(state, ChunkedBodyDecoder::State::kDone);
  EXPECT_EQ(body, "hello, world");
  EXPECT_EQ(wire.substr(consumed), "NEXT");
}

TEST(HttpWire, ChunkedBodyPastTheLimitIsRefusedBeforeItsDataArrives) {
  ChunkedBodyDecoder decoder(10);
  std::string body;
  std::size_t used = 0;
  EXPECT_EQ(decoder.feed("8\r\n12345678\r\n", &used, &body), ChunkedBodyDecoder::State::kMore);
  EXPECT_EQ(decoder.feed("3\r\n", &used, &body), ChunkedBodyDecoder::State::kTooLarge);
  EXPECT_EQ(body, "12345678");
}

TEST(HttpWire, MalformedChunksAreRefused) {
  for (const char* wire : {"x\r\n", "5\r\nhelloX\r\n", "ffffffffffffffffff\r\n", "\r\n"}) {
    ChunkedBodyDecoder decoder(1024);
    std::string body;
    std::size_t used = 0;
    EXPECT_EQ(decoder.feed(wire, &used, &body), ChunkedBodyDecoder::State::kMalformed) << wire;
  }
}

TEST(HttpWire, SerializesWithContentLengthAndReplacesFramingHeaders) {
  HttpResponse r;
  r.status = 201;
  r.headers = {{"Content-Type", "application/json"}, {"Content-Length", "999"},
               {"Transfer-Encoding", "chunked"}, {"Connection", "upgrade"}};
  r.body = "{\"ok\":true}";
  const std::string wire = serialize_response(r, /*close=*/true);
  EXPECT_EQ(wire.rfind("HTTP/1.1 201 Created\r\nDate: ", 0), 0u) << wire;
  EXPECT_NE(wire.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(wire.find("\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}"),
            std::string::npos) << wire;
  EXPECT_EQ(wire.find("999"), std::string::npos);
  EXPECT_EQ(wire.find("chunked"), std::string::npos);
  EXPECT_EQ(wire.find("upgrade"), std::string::npos);

  HttpResponse empty;
  empty.status = 204;
  empty.body = "dropped";
  const std::string no_content = serialize_response(empty, false);
  EXPECT_EQ(no_content.find("Content-Length"), std::string::npos);
  EXPECT_EQ(no_content.find("dropped"), std::string::npos);
}

TEST(HttpWire, ResponsesAHeaderCouldBreakOutOfAreCaught) {
  HttpResponse r;
  r.headers = {{"X-Note", "a\r\nSet-Cookie: x=1"}};
  EXPECT_EQ(check_response(r).code(), ErrorCode::kInternal);
  r.headers = {{"Bad Name", "v"}};
  EXPECT_FALSE(check_response(r).is_ok());
  r.headers = {};
  r.status = 99;
  EXPECT_FALSE(check_response(r).is_ok());
  r.status = 200;
  EXPECT_TRUE(check_response(r).is_ok());
}

}  // namespace
}  // namespace arsync::service
