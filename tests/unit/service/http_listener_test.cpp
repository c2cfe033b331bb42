// The HTTP listener over real loopback sockets (port 0): routes, 404/405,
// authentication, the limits (413, 431, 503, 408), TLS with client
// certificates made at test time, the log line, concurrency and lifecycle.
#include "arsync/service/http_listener.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "arsync/model/sha256.h"
#include "arsync/service/http_auth.h"

namespace arsync::service {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr char kPassword[] = "Pa55-word-XYZ";
constexpr char kToken[] = "tok-SECRET-123";

HttpOptions loopback() {
  HttpOptions o;
  o.listen = "127.0.0.1:0";
  o.host = "127.0.0.1";
  o.port = 0;
  return o;
}

HttpCredentials credentials() {
  HttpCredentials c;
  c.users["sap-prd"] = hash_password(kPassword, 1000).value();
  c.tokens["ci"] = sha256_hex(kToken);
  return c;
}

std::string basic_header(const std::string& user, const std::string& password) {
  Poco::Net::HTTPRequest carrier;
  // Poco's own encoder, as a client would use it.
  Poco::Net::HTTPBasicCredentials(user, password).authenticate(carrier);
  return carrier.get("Authorization");
}

// Echoes what the handler was given: "<method> <path> ?<query> <principal> <body>".
HttpRoute echo_route(const std::string& method, const std::string& path,
                     RouteAuth auth = RouteAuth::kListener) {
  HttpRoute r;
  r.method = method;
  r.path = path;
  r.auth = auth;
  r.handle = [](const HttpRequest& req) {
    HttpResponse resp;
    resp.headers.push_back({"Content-Type", "text/plain"});
    resp.headers.push_back({"X-Remote", req.remote_address});
    if (auto v = req.header("x-probe")) resp.headers.push_back({"X-Probe-Seen", std::string(*v)});
    resp.headers.push_back({"X-Saw-Authorization", req.header("authorization") ? "yes" : "no"});
    resp.body = req.method + " " + req.path + " ?" + req.query + " " + req.principal + " " + req.body;
    return resp;
  };
  return r;
}

struct Reply {
  int status = 0;
  std::string body;
  Poco::Net::HTTPResponse head;
};

Reply exchange(Poco::Net::HTTPClientSession& session, const std::string& method,
               const std::string& path, const std::string& body = "",
               std::vector<std::pair<std::string, std::string>> headers = {}, bool chunked = false) {
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : headers) req.set(name, value);
  if (chunked) {
    req.setChunkedTransferEncoding(true);
  } else if (!body.empty() || method == "POST") {
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  std::ostream& out = session.sendRequest(req);
  out << body;
  Reply reply;
  std::istream& in = session.receiveResponse(reply.head);
  reply.status = reply.head.getStatus();
  reply.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return reply;
}

Reply send(int port, const std::string& method, const std::string& path,
           const std::string& body = "",
           std::vector<std::pair<std::string, std::string>> headers = {}, bool chunked = false) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(20, 0));
  return exchange(session, method, path, body, std::move(headers), chunked);
}

// Writes `bytes` on a raw connection, then reads until the server closes
// (or `timeout`); returns what came back.
std::string raw(int port, const std::string& bytes, seconds timeout = seconds(10)) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  socket.setReceiveTimeout(Poco::Timespan(timeout.count(), 0));
  std::string out;
  char buf[4096];
  try {
    for (int n; (n = socket.receiveBytes(buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  } catch (const Poco::Exception&) {
    // a timeout or a reset: what arrived is the answer
  }
  return out;
}

// Waits until `done` holds, for at most 10 s.
template <typename F>
bool eventually(F done) {
  const auto until = SteadyClock::now() + seconds(10);
  while (!done()) {
    if (SteadyClock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

// Redirects stderr (the log) into a file while it lives.
class LogCapture {
 public:
  LogCapture() : path_(fs::temp_directory_path() / ("arsync-http-log-" + std::to_string(::getpid()))) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ::dup2(::fileno(f), 2);
    std::fclose(f);
  }
  ~LogCapture() {
    text();
    fs::remove(path_);
  }
  // Restores stderr and returns what was logged.
  std::string text() {
    if (saved_ >= 0) {
      std::fflush(stderr);
      ::dup2(saved_, 2);
      ::close(saved_);
      saved_ = -1;
    }
    std::ifstream in(path_);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  fs::path path_;
  int saved_ = -1;
};

class HttpListenerTest : public ::testing::Test {
 protected:
  // Starts a listener with `routes` and the test credentials.
  HttpListener& start(HttpOptions options, std::vector<HttpRoute> routes) {
    listener_ = std::make_unique<HttpListener>(std::move(options));
    for (HttpRoute& r : routes) EXPECT_TRUE(listener_->add_route(std::move(r)).is_ok());
    EXPECT_TRUE(listener_->set_credentials(credentials()).is_ok());
    Status s = listener_->start();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    port_ = listener_->port();
    return *listener_;
  }
  std::unique_ptr<HttpListener> listener_;
  int port_ = 0;
};

TEST_F(HttpListenerTest, RouteGetsTheWholeRequestAndItsAnswerIsSent) {
  start(loopback(), {echo_route("POST", "/echo", RouteAuth::kRoute)});
  ASSERT_NE(port_, 0);
  Reply r = send(port_, "POST", "/echo?sap-client=100", "<IDOC/>",
                 {{"X-Probe", "p1"}, {"Authorization", "Signature abc"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /echo ?sap-client=100  <IDOC/>");
  EXPECT_EQ(r.head.getContentLength(), static_cast<std::streamsize>(r.body.size()));
  EXPECT_EQ(r.head.get("X-Probe-Seen"), "p1");
  EXPECT_EQ(r.head.get("X-Saw-Authorization"), "yes");  // a kRoute route checks it itself
  EXPECT_EQ(r.head.get("X-Remote").rfind("127.0.0.1:", 0), 0u);
}

TEST_F(HttpListenerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  start(loopback(), {echo_route("POST", "/sap/idoc/", RouteAuth::kRoute),
                     echo_route("PUT", "/sap/idoc/", RouteAuth::kRoute)});
  Reply missing = send(port_, "GET", "/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "no such path\n");
  Reply wrong = send(port_, "GET", "/sap/idoc/sap-ecc");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.head.get("Allow"), "POST, PUT");
  EXPECT_EQ(wrong.body, "method not allowed; allowed: POST, PUT\n");
}

TEST_F(HttpListenerTest, ExactPathWinsOverPrefixAndPrefixCoversPathsBelow) {
  HttpRoute exact = echo_route("POST", "/sap/idoc/special", RouteAuth::kRoute);
  exact.handle = [](const HttpRequest&) { return HttpResponse{202, {}, "exact"}; };
  start(loopback(), {echo_route("POST", "/sap/idoc/", RouteAuth::kRoute), std::move(exact)});
  EXPECT_EQ(send(port_, "POST", "/sap/idoc/sap-ecc", "x").body, "POST /sap/idoc/sap-ecc ?  x");
  Reply special = send(port_, "POST", "/sap/idoc/special", "x");
  EXPECT_EQ(special.status, 202);
  EXPECT_EQ(special.body, "exact");
  EXPECT_EQ(send(port_, "POST", "/sap/idoc").status, 404);  // the prefix is /sap/idoc/
}

TEST_F(HttpListenerTest, MissingOrWrongCredentialsAre401WithTheChallenge) {
  start(loopback(), {echo_route("POST", "/in")});
  for (const auto& auth : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {}, {{"Authorization", basic_header("sap-prd", "wrong")}},
           {{"Authorization", basic_header("nobody", kPassword)}},
           {{"Authorization", "Bearer not-the-token"}}, {{"Authorization", "Digest x"}}}) {
    Reply r = send(port_, "POST", "/in", "data", auth);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.head.get("WWW-Authenticate", ""), "Basic realm=\"arsync\"");
    EXPECT_EQ(r.body, "authentication required\n");
  }
}

TEST_F(HttpListenerTest, BasicAndBearerAreAcceptedAndNameThePrincipal) {
  start(loopback(), {echo_route("POST", "/in")});
  Reply basic = send(port_, "POST", "/in", "data", {{"Authorization", basic_header("sap-prd", kPassword)}});
  EXPECT_EQ(basic.status, 200);
  EXPECT_EQ(basic.body, "POST /in ? sap-prd data");
  EXPECT_EQ(basic.head.get("X-Saw-Authorization"), "no");
  Reply bearer = send(port_, "POST", "/in", "data", {{"Authorization", std::string("Bearer ") + kToken}});
  EXPECT_EQ(bearer.status, 200);
  EXPECT_EQ(bearer.body, "POST /in ? ci data");
  EXPECT_EQ(bearer.head.get("X-Saw-Authorization"), "no");
}

TEST_F(HttpListenerTest, SixteenConcurrentSendersCostOnePasswordCheck) {
  HttpOptions o = loopback();
  HttpListener& listener = start(o, {echo_route("POST", "/in")});
  HttpCredentials c;
  c.users["sap-prd"] = hash_password(kPassword).value();  // the real 600000 iterations
  ASSERT_TRUE(listener.set_credentials(c).is_ok());
  std::vector<std::future<int>> senders;
  for (int i = 0; i < 16; ++i) {
    senders.push_back(std::async(std::launch::async, [&] {
      return send(port_, "POST", "/in", "x", {{"Authorization", basic_header("sap-prd", kPassword)}}).status;
    }));
  }
  for (auto& s : senders) EXPECT_EQ(s.get(), 200);
  EXPECT_EQ(listener.password_checks(), 1u);
}

TEST_F(HttpListenerTest, BodyOverTheLimitByContentLengthIs413) {
  HttpOptions o = loopback();
  o.max_body_bytes = 1024;
  start(o, {echo_route("POST", "/in", RouteAuth::kRoute)});
  Reply r = send(port_, "POST", "/in", std::string(2048, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "the body is larger than 1024 bytes\n");
  EXPECT_EQ(send(port_, "POST", "/in", std::string(1024, 'x')).status, 200);
}

TEST_F(HttpListenerTest, ContentLengthIsCheckedBeforeTheBodyIsRead) {
  HttpOptions o = loopback();
  o.max_body_bytes = 1024;
  start(o, {echo_route("POST", "/in", RouteAuth::kRoute)});
  // Announces 1 GB and sends none of it: the answer comes at once.
  const auto t0 = SteadyClock::now();
  const std::string answer =
      raw(port_, "POST /in HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 413 Content Too Large\r\n", 0), 0u) << answer;
  EXPECT_LT(SteadyClock::now() - t0, seconds(3));
}

TEST_F(HttpListenerTest, ChunkedBodyGrowingPastTheLimitIs413) {
  HttpOptions o = loopback();
  o.max_body_bytes = 1024;
  start(o, {echo_route("POST", "/in", RouteAuth::kRoute)});
  Reply r = send(port_, "POST", "/in", std::string(4096, 'x'), {}, /*chunked=*/true);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "the body is larger than 1024 bytes\n");
  Reply ok = send(port_, "POST", "/in", std::string(1000, 'y'), {}, /*chunked=*/true);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "POST /in ?  " + std::string(1000, 'y'));
}

TEST_F(HttpListenerTest, ARouteCanSetItsOwnBodyLimit) {
  HttpRoute small = echo_route("POST", "/small", RouteAuth::kRoute);
  small.max_body_bytes = 10;
  start(loopback(), {std::move(small)});
  EXPECT_EQ(send(port_, "POST", "/small", std::string(11, 'x')).status, 413);
  EXPECT_EQ(send(port_, "POST", "/small", std::string(10, 'x')).status, 200);
}

TEST_F(HttpListenerTest, HugeHeaderIs431) {
  start(loopback(), {echo_route("GET", "/in", RouteAuth::kRoute)});
  Reply r = send(port_, "GET", "/in", "", {{"X-Huge", std::string(20000, 'h')}});
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.body, "request header fields too large\n");
  EXPECT_EQ(send(port_, "GET", "/in", "", {{"X-Fine", std::string(8000, 'h')}}).status, 200);
}

TEST_F(HttpListenerTest, MalformedRequestIs400WithItsReason) {
  start(loopback(), {echo_route("POST", "/in", RouteAuth::kRoute)});
  const std::string answer = raw(port_,
      "POST /in HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc");
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("\r\n\r\nboth Content-Length and Transfer-Encoding\n"), std::string::npos);
}

TEST_F(HttpListenerTest, MoreThanMaxConcurrentRequestsIs503WithRetryAfter) {
  HttpOptions o = loopback();
  o.max_concurrent_requests = 2;
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> entered{0};
  HttpRoute slow = echo_route("POST", "/slow", RouteAuth::kRoute);
  slow.handle = [&](const HttpRequest&) {
    ++entered;
    open.wait_for(seconds(20));
    return HttpResponse{200, {}, "done"};
  };
  start(o, {std::move(slow), echo_route("POST", "/fast", RouteAuth::kRoute)});
  auto first = std::async(std::launch::async, [&] { return send(port_, "POST", "/slow", "1").status; });
  auto second = std::async(std::launch::async, [&] { return send(port_, "POST", "/slow", "2").status; });
  ASSERT_TRUE(eventually([&] { return entered.load() == 2; }));

  Reply busy = send(port_, "POST", "/fast", "3");
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.head.get("Retry-After", ""), "1");
  EXPECT_EQ(busy.body, "too many requests in progress; retry shortly\n");

  gate.set_value();
  EXPECT_EQ(first.get(), 200);
  EXPECT_EQ(second.get(), 200);
  EXPECT_EQ(send(port_, "POST", "/fast", "4").status, 200);
}

TEST_F(HttpListenerTest, ClientThatStallsAfterTheHeadersGets408) {
  HttpOptions o = loopback();
  o.read_timeout = seconds(1);
  start(o, {echo_route("POST", "/in", RouteAuth::kRoute)});
  const auto t0 = SteadyClock::now();
  const std::string answer =
      raw(port_, "POST /in HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
  const auto took = SteadyClock::now() - t0;
  EXPECT_EQ(answer.rfind("HTTP/1.1 408 Request Timeout\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(answer.find("\r\n\r\nthe request was not received in time\n"), std::string::npos);
  EXPECT_GE(took, milliseconds(900));
  EXPECT_LT(took, seconds(5));
}

TEST_F(HttpListenerTest, TricklingClientGets408AtTheDeadlineNotPerByte) {
  HttpOptions o = loopback();
  o.read_timeout = seconds(1);
  start(o, {echo_route("POST", "/in", RouteAuth::kRoute)});
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_)));
  const std::string head = "POST /in HTTP/1.1\r\nHost: a\r\nX-Slow: ";
  socket.sendBytes(head.data(), static_cast<int>(head.size()));
  const auto t0 = SteadyClock::now();
  // A byte every 100 ms never lets a per-read timeout expire.
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    try {
      if (socket.sendBytes("a", 1) != 1) closed = true;
    } catch (const Poco::Exception&) {
      closed = true;
    }
    if (socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ)) closed = true;
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(SteadyClock::now() - t0, seconds(3));
  char buf[512] = {};
  socket.setReceiveTimeout(Poco::Timespan(2, 0));
  int n = 0;
  try {
    n = socket.receiveBytes(buf, sizeof buf - 1);
  } catch (const Poco::Exception&) {
  }
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(std::max(n, 0))).rfind("HTTP/1.1 408", 0), 0u) << buf;
}

TEST_F(HttpListenerTest, SlowClientsHoldAThreadOnlyUntilTheirDeadline) {
  HttpOptions o = loopback();
  o.max_concurrent_requests = 2;  // 4 connection threads
  o.read_timeout = seconds(1);
  start(o, {echo_route("GET", "/in", RouteAuth::kRoute)});
  // Twice as many stalled clients as threads: every thread is taken.
  std::vector<std::unique_ptr<Poco::Net::StreamSocket>> stalled;
  for (int i = 0; i < 8; ++i) {
    stalled.push_back(std::make_unique<Poco::Net::StreamSocket>(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_))));
    stalled.back()->sendBytes("GET /in HTTP/1.1\r\nHo", 20);
  }
  const auto t0 = SteadyClock::now();
  EXPECT_EQ(send(port_, "GET", "/in").status, 200);
  // Two rounds of deadlines (about 2.5 s), then the queue moves on; a
  // listener whose threads stalled clients could hold would not answer.
  EXPECT_LT(SteadyClock::now() - t0, seconds(8));
}

TEST_F(HttpListenerTest, ConcurrentRequestsAreServedConcurrently) {
  HttpOptions o = loopback();
  o.max_concurrent_requests = 4;
  std::atomic<int> arrived{0};
  HttpRoute meet = echo_route("POST", "/meet", RouteAuth::kRoute);
  // Each handler waits for all four: only concurrent handlers all answer 200.
  meet.handle = [&](const HttpRequest&) {
    ++arrived;
    const bool all = eventually([&] { return arrived.load() >= 4; });
    return HttpResponse{all ? 200 : 504, {}, ""};
  };
  start(o, {std::move(meet)});
  std::vector<std::future<int>> senders;
  for (int i = 0; i < 4; ++i) {
    senders.push_back(std::async(std::launch::async, [&] { return send(port_, "POST", "/meet", "x").status; }));
  }
  for (auto& s : senders) EXPECT_EQ(s.get(), 200);
}

TEST_F(HttpListenerTest, KeptAliveConnectionServesSeveralRequests) {
  start(loopback(), {echo_route("POST", "/in", RouteAuth::kRoute)});
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
  session.setKeepAlive(true);
  Reply a = exchange(session, "POST", "/in", "one");
  Reply b = exchange(session, "POST", "/in", "two");
  EXPECT_EQ(a.body, "POST /in ?  one");
  EXPECT_EQ(b.body, "POST /in ?  two");
  EXPECT_EQ(a.head.get("X-Remote"), b.head.get("X-Remote"));  // one connection
}

TEST_F(HttpListenerTest, LogLineNamesTheRequestAndNoSecret) {
  LogCapture capture;
  start(loopback(), {echo_route("POST", "/in")});
  EXPECT_EQ(send(port_, "POST", "/in?token=query-secret-777", "body-secret-555",
                 {{"Authorization", basic_header("sap-prd", kPassword)}}).status, 200);
  EXPECT_EQ(send(port_, "POST", "/in", "body-secret-555",
                 {{"Authorization", basic_header("sap-prd", "Wrong-pass-QQQ")}}).status, 401);
  EXPECT_EQ(send(port_, "POST", "/in", "body-secret-555",
                 {{"Authorization", std::string("Bearer ") + kToken}}).status, 200);
  ASSERT_TRUE(listener_->stop().is_ok());  // every line is written
  const std::string log = capture.text();

  EXPECT_NE(log.find("event=http_request method=POST path=/in status=200 bytes_in=15 bytes_out=56 "
                     "duration_ms="), std::string::npos) << log;
  EXPECT_NE(log.find(" remote=127.0.0.1:"), std::string::npos);
  EXPECT_NE(log.find(" principal=sap-prd\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" principal=ci\n"), std::string::npos) << log;
  EXPECT_NE(log.find("status=401 bytes_in=0 bytes_out=24"), std::string::npos) << log;
  for (const std::string& secret :
       {std::string(kPassword), std::string("Wrong-pass-QQQ"), std::string(kToken),
        basic_header("sap-prd", kPassword).substr(6), std::string("query-secret-777"),
        std::string("body-secret-555")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in:\n" << log;
  }
}

TEST_F(HttpListenerTest, StopWaitsForAHandlerInFlightAndItsAnswerIsSent) {
  std::atomic<bool> entered{false};
  HttpRoute slow = echo_route("POST", "/slow", RouteAuth::kRoute);
  slow.handle = [&](const HttpRequest&) {
    entered = true;
    std::this_thread::sleep_for(milliseconds(300));
    return HttpResponse{200, {}, "committed"};
  };
  start(loopback(), {std::move(slow)});
  auto client = std::async(std::launch::async, [&] { return send(port_, "POST", "/slow", "x"); });
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  EXPECT_TRUE(listener_->stop(seconds(5)).is_ok());
  Reply r = client.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "committed");
  EXPECT_THROW(send(port_, "POST", "/slow", "x"), Poco::Exception);  // no longer accepting
}

TEST_F(HttpListenerTest, StopGivesUpAfterItsDeadlineAndTheListenerCanBeDestroyed) {
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<bool> entered{false};
  HttpRoute stuck = echo_route("POST", "/stuck", RouteAuth::kRoute);
  stuck.handle = [open, &entered](const HttpRequest&) {
    entered = true;
    open.wait_for(seconds(20));
    return HttpResponse{200, {}, "late"};
  };
  start(loopback(), {std::move(stuck)});
  auto client = std::async(std::launch::async, [&] { return send(port_, "POST", "/stuck", "x"); });
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  Status s = listener_->stop(milliseconds(100));
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(s.message(), "1 HTTP connection(s) still busy after 100 ms; left running");
  listener_.reset();
  gate.set_value();
  EXPECT_EQ(client.get().body, "late");
}

// Voluntary context switches of every thread of this process: each is a
// wake-up after a wait.
long long voluntary_switches() {
  long long total = 0;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) total += std::stoll(line.substr(24));
    }
  }
  return total;
}

TEST_F(HttpListenerTest, IdleListenerDoesNotWakeUp) {
  HttpOptions o = loopback();
  o.max_concurrent_requests = 8;  // 16 connection threads and the accept thread
  start(o, {echo_route("GET", "/in", RouteAuth::kRoute)});
  EXPECT_EQ(send(port_, "GET", "/in").status, 200);
  std::this_thread::sleep_for(milliseconds(300));  // the connection is closed, threads wait
  const long long before = voluntary_switches();
  std::this_thread::sleep_for(seconds(2));
  // This thread's own sleep is one; a polling loop would add several a second.
  EXPECT_LE(voluntary_switches() - before, 2);
}

TEST_F(HttpListenerTest, StartNamesTheAddressAndTheReasonWhenItIsTaken) {
  start(loopback(), {});
  HttpOptions same = loopback();
  same.port = port_;
  same.listen = "127.0.0.1:" + std::to_string(port_);
  HttpListener second(same);
  Status s = second.start();
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_EQ(s.message(), "http.listen " + same.listen +
                             ": cannot listen: Address already in use; another program (or "
                             "arsyncd) listens there: stop it or change http.listen");
  EXPECT_EQ(second.port(), 0);
}

TEST_F(HttpListenerTest, RoutesAreCheckedAndOnlyAddedBeforeStart) {
  HttpListener listener(loopback());
  EXPECT_EQ(listener.add_route(echo_route("post", "/x")).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(listener.add_route(echo_route("POST", "x")).code(), ErrorCode::kInvalidArgument);
  HttpRoute no_handler = echo_route("POST", "/x");
  no_handler.handle = nullptr;
  EXPECT_EQ(listener.add_route(no_handler).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(listener.add_route(echo_route("POST", "/x")).is_ok());
  Status twice = listener.add_route(echo_route("POST", "/x"));
  EXPECT_EQ(twice.code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(twice.message(), "route POST /x is already mounted");
  ASSERT_TRUE(listener.start().is_ok());
  EXPECT_EQ(listener.add_route(echo_route("POST", "/y")).message(),
            "routes must be added before the listener starts");
}

TEST_F(HttpListenerTest, ServesIpv6Loopback) {
  HttpOptions o = loopback();
  o.listen = "[::1]:0";
  o.host = "::1";
  HttpListener listener(o);
  ASSERT_TRUE(listener.add_route(echo_route("GET", "/in", RouteAuth::kRoute)).is_ok());
  Status s = listener.start();
  if (!s.is_ok()) GTEST_SKIP() << "no IPv6 loopback here: " << s.to_string();
  Poco::Net::HTTPClientSession session(Poco::Net::SocketAddress("::1", static_cast<Poco::UInt16>(listener.port())));
  Reply r = exchange(session, "GET", "/in");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.head.get("X-Remote").rfind("[::1]:", 0), 0u);
}

// Certificates made with the openssl command line: a CA, a client
// certificate it issued, a self-signed server certificate, and a client
// certificate no trusted CA issued.
class HttpListenerTlsTest : public HttpListenerTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("arsync-http-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    const std::string d = dir_.string();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 ";
    const std::vector<std::string> commands = {
        "openssl req -x509" + ec + "-subj /CN=arsync-test-ca -keyout " + d + "/ca.key -out " + d + "/ca.pem",
        "openssl req -x509" + ec + "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
            " -keyout " + d + "/server.key -out " + d + "/server.pem",
        "openssl req -new" + ec + "-subj /O=Example/CN=sap-prd -keyout " + d + "/client.key -out " + d + "/client.csr",
        "openssl x509 -req -in " + d + "/client.csr -CA " + d + "/ca.pem -CAkey " + d +
            "/ca.key -CAcreateserial -days 2 -out " + d + "/client.pem",
        "openssl req -x509" + ec + "-subj /CN=intruder -keyout " + d + "/other.key -out " + d + "/other.pem",
    };
    for (const std::string& c : commands) {
      ASSERT_EQ(std::system((c + " >/dev/null 2>&1").c_str()), 0) << c;
    }
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static HttpOptions tls_options(bool client_certificates) {
    HttpOptions o = loopback();
    o.tls.cert = (dir_ / "server.pem").string();
    o.tls.key = (dir_ / "server.key").string();
    if (client_certificates) o.tls.client_ca = (dir_ / "ca.pem").string();
    return o;
  }

  // A client trusting the server's certificate, presenting `name`.pem if given.
  Reply send_tls(const std::string& name = "") {
    Poco::Net::Context::Params p;
    p.caLocation = (dir_ / "server.pem").string();
    p.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    if (!name.empty()) {
      p.certificateFile = (dir_ / (name + ".pem")).string();
      p.privateKeyFile = (dir_ / (name + ".key")).string();
    }
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject =
        new Poco::Net::RejectCertificateHandler(false);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, context);
    Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_), context);
    session.setTimeout(Poco::Timespan(10, 0));
    return exchange(session, "POST", "/in", "over tls");
  }

  static fs::path dir_;
};
fs::path HttpListenerTlsTest::dir_;

TEST_F(HttpListenerTlsTest, ServesOverTls) {
  start(tls_options(false), {echo_route("POST", "/in")});
  Reply r = [&] {
    Poco::Net::Context::Params p;
    p.caLocation = (dir_ / "server.pem").string();
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
    Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_), context);
    return exchange(session, "POST", "/in", "over tls", {{"Authorization", std::string("Bearer ") + kToken}});
  }();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /in ? ci over tls");
  // Plain HTTP on the TLS port gets no answer.
  EXPECT_EQ(raw(port_, "GET /in HTTP/1.1\r\nHost: a\r\n\r\n", seconds(3)).find("HTTP/1.1 200"),
            std::string::npos);
}

TEST_F(HttpListenerTlsTest, ClientCertificateSubjectIsThePrincipal) {
  start(tls_options(true), {echo_route("POST", "/in")});
  Reply r = send_tls("client");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /in ? CN=sap-prd,O=Example over tls");
}

TEST_F(HttpListenerTlsTest, ClientWithoutACertificateIsRefused) {
  LogCapture capture;
  start(tls_options(true), {echo_route("POST", "/in")});
  EXPECT_THROW(send_tls(), Poco::Exception);
  ASSERT_TRUE(listener_->stop().is_ok());
  const std::string log = capture.text();
  EXPECT_NE(log.find("event=http_tls_handshake_failed remote=127.0.0.1:"), std::string::npos) << log;
  EXPECT_EQ(log.find("event=http_request"), std::string::npos) << log;
}

TEST_F(HttpListenerTlsTest, ClientCertificateFromAnotherCaIsRefused) {
  start(tls_options(true), {echo_route("POST", "/in")});
  EXPECT_THROW(send_tls("other"), Poco::Exception);
}

TEST_F(HttpListenerTlsTest, StartNamesAnUnreadableOrMismatchedFile) {
  HttpOptions missing = tls_options(false);
  missing.tls.cert = (dir_ / "nope.pem").string();
  Status s = HttpListener(missing).start();
  EXPECT_EQ(s.message(), "http.tls.cert " + missing.tls.cert + ": cannot be read (No such file or directory)");

  HttpOptions mismatched = tls_options(false);
  mismatched.tls.key = (dir_ / "other.key").string();
  s = HttpListener(mismatched).start();
  EXPECT_EQ(s.message().rfind("http.tls.key " + mismatched.tls.key +
                                  ": does not belong to the certificate in http.tls.cert " +
                                  mismatched.tls.cert, 0), 0u) << s.message();

  HttpOptions not_pem = tls_options(true);
  not_pem.tls.client_ca = (dir_ / "client.csr").string();
  s = HttpListener(not_pem).start();
  EXPECT_EQ(s.message().rfind("http.tls.client_ca " + not_pem.tls.client_ca + ": holds no PEM CA certificate", 0), 0u)
      << s.message();
}

}  // namespace
}  // namespace arsync::service
