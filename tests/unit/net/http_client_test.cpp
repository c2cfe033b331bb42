// HttpClient against real HTTP(S) servers on loopback: keep-alive, retries
// and their limits, Retry-After, gzip, size limits, timeouts, TLS
// verification, cancellation and the rate governor.
#include "arsync/net/http_client.h"

#include <gtest/gtest.h>

#include <Poco/DeflatingStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/TemporaryFile.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "../../support/test_cert.h"
#include "script_server.h"

namespace arsync::net {
namespace {

using testing::answer;
using testing::ScriptServer;
using namespace std::chrono_literals;

ClientOptions fast(const std::string& base) {
  ClientOptions o;
  o.base_url = base;
  o.backoff_base = 10ms;
  o.backoff_cap = 50ms;
  o.timeout = 2000ms;
  o.max_attempts = 4;
  return o;
}

// An error body quoted in a Status goes to the log, the store and JSON
// output: one line, UTF-8 throughout, never half a character.
TEST(HttpClient, ABodyExcerptIsOneLineOfUtf8) {
  EXPECT_EQ(body_excerpt("<h1>Bad\r\nGateway</h1>\x7F"), "<h1>Bad  Gateway</h1> ");
  EXPECT_EQ(body_excerpt("Caf\xE9 M\xC3\xBCller \xC3"), "Caf\\xE9 M\xC3\xBCller \\xC3");
  const std::string umlauts(400, 'a');
  std::string body = std::string(299, 'a') + "\xC3\xBC" + umlauts;
  EXPECT_EQ(body_excerpt(body), std::string(299, 'a')) << "the two bytes of \"\xC3\xBC\" do not fit";
  EXPECT_EQ(body_excerpt(std::string(1000, 'x')).size(), 300u);
}

TEST(HttpClient, GetsTheBodyAndReusesOneKeepAliveConnection) {
  ScriptServer server([](int n, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 200, "{\"n\":" + std::to_string(n) + "}");
  });
  HttpClient client(fast(server.base_url()));
  for (int i = 0; i < 5; ++i) {
    Result<ClientResponse> r = client.send({"GET", "/v3/company/1/query?query=select", {}, "", true});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r.value().body, "{\"n\":" + std::to_string(i) + "}");
    EXPECT_EQ(r.value().header("content-type").value_or(""), "application/json");
  }
  std::set<std::uint16_t> ports;
  for (const auto& s : server.seen()) ports.insert(s.client_port);
  EXPECT_EQ(ports.size(), 1u) << "five requests should share one connection";
  EXPECT_EQ(server.seen()[0].uri, "/v3/company/1/query?query=select");
  EXPECT_EQ(server.seen()[0].header("Accept-Encoding"), "gzip");
}

TEST(HttpClient, BaseUrlPathPrefixesEveryTarget) {
  ScriptServer server([](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 200, "ok", "text/plain");
  });
  HttpClient client(fast(server.base_url() + "/qbo/"));
  ASSERT_TRUE(client.send({"GET", "/v3/x", {}, "", true}).is_ok());
  EXPECT_EQ(server.seen().at(0).uri, "/qbo/v3/x");
}

TEST(HttpClient, A429IsRetriedAfterTheServersRetryAfter) {
  ScriptServer server([](int n, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    if (n == 0) {
      resp.set("Retry-After", "1");
      answer(resp, 429, "{\"fault\":\"throttled\"}");
    } else {
      answer(resp, 200, "done");
    }
  });
  HttpClient client(fast(server.base_url()));
  const auto began = std::chrono::steady_clock::now();
  Result<ClientResponse> r = client.send({"POST", "/x", {}, "body", /*idempotent=*/false});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_GE(std::chrono::steady_clock::now() - began, 1000ms);
  EXPECT_EQ(client.stats().throttled, 1u);
  EXPECT_EQ(client.stats().retries, 1u);
  EXPECT_EQ(server.seen().size(), 2u);
  EXPECT_EQ(server.seen()[1].body, "body");
}

TEST(HttpClient, A503IsRetriedForAnIdempotentRequestOnly) {
  ScriptServer server([](int n, const testing::SeenRequest& seen, Poco::Net::HTTPServerResponse& resp) {
    if (seen.method == "GET" && n >= 2) return answer(resp, 200, "ok");
    answer(resp, 503, "busy", "text/plain");
  });
  HttpClient client(fast(server.base_url()));
  Result<ClientResponse> post = client.send({"POST", "/create", {}, "{}", /*idempotent=*/false});
  ASSERT_FALSE(post.is_ok());
  EXPECT_EQ(post.status().code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(post.status().retryable());
  EXPECT_EQ(post.status().where().http_status, 503);
  EXPECT_EQ(server.seen().size(), 1u) << "a POST without an idempotency key is sent once";
  Result<ClientResponse> get = client.send({"GET", "/read", {}, "", true});
  ASSERT_TRUE(get.is_ok()) << get.status().to_string();
  EXPECT_EQ(server.seen().size(), 3u);
}

TEST(HttpClient, GivesUpAfterMaxAttemptsWithTheLastError) {
  ScriptServer server([](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 502, "bad gateway", "text/plain");
  });
  HttpClient client(fast(server.base_url()));
  Result<ClientResponse> r = client.send({"GET", "/read", {}, "", true});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(server.seen().size(), 4u);
  EXPECT_EQ(r.status().where().http_status, 502);
  EXPECT_NE(r.status().message().find("bad gateway"), std::string::npos) << r.status().message();
  EXPECT_EQ(client.stats().failed, 1u);
}

TEST(HttpClient, A400IsNotRetriedAndTheErrorReaderWritesTheStatus) {
  const std::string fault = R"({"Fault":{"Error":[{"Message":"bad","code":"2010"}]}})";
  ScriptServer server([&](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 400, fault);
  });
  ErrorReader reader = [](const ClientResponse& r) {
    return Status(ErrorCode::kInvalidArgument, "reader saw " + std::to_string(r.body.size()) + " bytes");
  };
  HttpClient client(fast(server.base_url()), nullptr, reader);
  Result<ClientResponse> r = client.send({"GET", "/read", {}, "", true});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "reader saw " + std::to_string(fault.size()) + " bytes");
  EXPECT_EQ(r.status().where().http_status, 400);
  EXPECT_FALSE(r.status().retryable());
  EXPECT_EQ(server.seen().size(), 1u);
}

TEST(HttpClient, AGzipBodyIsInflated) {
  const std::string text(100'000, 'x');
  ScriptServer server([&](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    std::ostringstream packed;
    {
      Poco::DeflatingOutputStream z(packed, Poco::DeflatingStreamBuf::STREAM_GZIP);
      z << text;
      z.close();
    }
    resp.set("Content-Encoding", "gzip");
    answer(resp, 200, packed.str());
  });
  HttpClient client(fast(server.base_url()));
  Result<ClientResponse> r = client.send({"GET", "/read", {}, "", true});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value().body, text);
}

TEST(HttpClient, ABodyBeyondTheLimitIsAnErrorNotExhaustion) {
  ScriptServer server([](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 200, std::string(200'000, 'y'));
  });
  ClientOptions o = fast(server.base_url());
  o.max_response_bytes = 100'000;
  HttpClient client(o);
  Result<ClientResponse> r = client.send({"GET", "/read", {}, "", true});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("larger than 100000 bytes"), std::string::npos) << r.status().message();
}

TEST(HttpClient, ATimeoutIsRetriedForAnIdempotentRequest) {
  ScriptServer server([](int n, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    if (n == 0) std::this_thread::sleep_for(700ms);
    answer(resp, 200, "late" + std::to_string(n));
  });
  ClientOptions o = fast(server.base_url());
  o.timeout = 300ms;
  HttpClient client(o);
  Result<ClientResponse> r = client.send({"GET", "/slow", {}, "", true});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value().body, "late1");
}

TEST(HttpClient, ATimeoutAfterSendingIsNotRetriedForAPost) {
  ScriptServer server([](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    std::this_thread::sleep_for(700ms);
    answer(resp, 200, "created");
  });
  ClientOptions o = fast(server.base_url());
  o.timeout = 300ms;
  HttpClient client(o);
  Result<ClientResponse> r = client.send({"POST", "/create", {}, "{}", false});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("timed out waiting for the response"), std::string::npos)
      << r.status().message();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(server.seen().size(), 1u);
}

TEST(HttpClient, ARefusedConnectionIsRetriedThenUnavailable) {
  std::uint16_t port;
  {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = s.address().port();
  }
  HttpClient client(fast("http://127.0.0.1:" + std::to_string(port)));
  Result<ClientResponse> r = client.send({"POST", "/create", {}, "{}", false});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("connection refused"), std::string::npos) << r.status().message();
  EXPECT_EQ(client.stats().requests, 4u) << "nothing was sent, so even a POST is retried";
}

TEST(HttpClient, CancelEndsABackoffWaitAtOnce) {
  ScriptServer server([](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    resp.set("Retry-After", "60");
    answer(resp, 429, "{}");
  });
  HttpClient client(fast(server.base_url()));
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    client.cancel();
  });
  const auto began = std::chrono::steady_clock::now();
  Result<ClientResponse> r = client.send({"GET", "/read", {}, "", true});
  stopper.join();
  ASSERT_FALSE(r.is_ok());
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
  EXPECT_NE(r.status().message().find("cancelled"), std::string::npos) << r.status().message();
}

TEST(HttpClient, ARetryAfterBeyondTheMaximumIsReturnedNotWaited) {
  ScriptServer server([](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    resp.set("Retry-After", "3600");
    answer(resp, 429, "{}");
  });
  HttpClient client(fast(server.base_url()));
  Result<ClientResponse> r = client.send({"GET", "/read", {}, "", true});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kRateLimited);
  EXPECT_TRUE(r.status().retryable());
  EXPECT_NE(r.status().message().find("asks to wait 3600 s"), std::string::npos) << r.status().message();
  EXPECT_EQ(server.seen().size(), 1u);
}

TEST(HttpClient, TheGovernorKeepsRequestsUnderItsRate) {
  ScriptServer server([](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 200, "ok");
  });
  auto governor = std::make_shared<RateGovernor>(RateLimits{5, 300ms, 2});
  HttpClient client(fast(server.base_url()), governor);
  std::vector<std::chrono::steady_clock::time_point> times;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(client.send({"GET", "/r", {}, "", true}).is_ok());
        std::lock_guard<std::mutex> lock(mu);
        times.push_back(std::chrono::steady_clock::now());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::sort(times.begin(), times.end());
  ASSERT_EQ(times.size(), 16u);
  // 16 requests at 5 per 300 ms need at least three full windows.
  EXPECT_GE(times.back() - times.front(), 800ms);
  EXPECT_EQ(governor->stats().acquired, 16u);
  EXPECT_GT(governor->stats().waited, 0u);
}

TEST(HttpClient, ABadBaseUrlIsRefusedByCheckOptions) {
  ClientOptions o;
  o.base_url = "ftp://example.com";
  EXPECT_EQ(HttpClient::check_options(o).message(), "base URL ftp://example.com: the scheme must be http or https");
  o.base_url = "https://example.com/x?y=1";
  EXPECT_FALSE(HttpClient::check_options(o).is_ok());
  o.base_url = "https://example.com";
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(HttpClient::check_options(o).message(), "CA file /nonexistent/ca.pem: cannot be read");
}

class HttpClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arsync-net-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    arsync::testing::make_self_signed_cert(dir_);
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params p;
    p.privateKeyFile = (dir_ / "key.pem").string();
    p.certificateFile = (dir_ / "cert.pem").string();
    p.verificationMode = Poco::Net::Context::VERIFY_NONE;
    server_ctx_ = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, p);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    Poco::Net::uninitializeSSL();
  }
  std::filesystem::path dir_;
  Poco::Net::Context::Ptr server_ctx_;
};

TEST_F(HttpClientTls, AnUntrustedCertificateIsRefusedAndNotRetried) {
  ScriptServer server([](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 200, "secret");
  }, server_ctx_);
  HttpClient client(fast(server.base_url(true)));
  Result<ClientResponse> r = client.send({"GET", "/read", {}, "", true});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("TLS certificate verification failed"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(client.stats().requests, 1u);
}

TEST_F(HttpClientTls, ACertificateTrustedThroughCaFileIsAccepted) {
  ScriptServer server([](int, const testing::SeenRequest&, Poco::Net::HTTPServerResponse& resp) {
    answer(resp, 200, "secret");
  }, server_ctx_);
  ClientOptions o = fast("https://localhost:" + std::to_string(server.port()));
  o.ca_file = (dir_ / "cert.pem").string();
  HttpClient client(o);
  Result<ClientResponse> r = client.send({"GET", "/read", {}, "", true});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value().body, "secret");
}

TEST(RetryAfter, SecondsAndHttpDates) {
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);
  EXPECT_EQ(parse_retry_after("120", now), 120'000ms);
  EXPECT_EQ(parse_retry_after(" 0 ", now), 0ms);
  // 1'700'000'060 is Tue, 14 Nov 2023 22:14:20 GMT.
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:14:20 GMT", now), 60'000ms);
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), 0ms) << "a past date means now";
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("", now));
}

TEST(UrlEncoding, QueryTextEncodesAndDecodesExactly) {
  EXPECT_EQ(url_encode("select * from Invoice where Id = '1'"),
            "select%20%2A%20from%20Invoice%20where%20Id%20%3D%20%271%27");
  EXPECT_EQ(url_encode("2026-11-01T10:00:00+01:00"), "2026-11-01T10%3A00%3A00%2B01%3A00");
  EXPECT_EQ(url_decode("a%20b+c%27").value(), "a b+c'");
  EXPECT_FALSE(url_decode("bad%2"));
  EXPECT_FALSE(url_decode("bad%zz"));
  EXPECT_EQ(form_encode({{"grant_type", "refresh_token"}, {"refresh_token", "a/b=c"}}),
            "grant_type=refresh_token&refresh_token=a%2Fb%3Dc");
}

}  // namespace
}  // namespace arsync::net
