// parse_http_options: defaults, every key, and errors that name the key path.
#include "arsync/service/http_config.h"

#include <gtest/gtest.h>

namespace arsync::service {
namespace {

Result<HttpOptions> parse(const char* text) {
  return parse_http_options(nlohmann::json::parse(text));
}

std::string error_of(const char* text) {
  Result<HttpOptions> r = parse(text);
  EXPECT_FALSE(r.is_ok()) << text;
  return r.is_ok() ? "" : r.status().message();
}

TEST(HttpConfig, AbsentObjectGivesLoopbackDefaults) {
  Result<HttpOptions> o = parse_http_options(nlohmann::json());
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->listen, "127.0.0.1:8089");
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 8089);
  EXPECT_FALSE(o->tls.enabled());
  EXPECT_EQ(o->max_body_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(o->max_header_bytes, 16u * 1024);
  EXPECT_EQ(o->max_concurrent_requests, 16);
  EXPECT_EQ(o->read_timeout, std::chrono::seconds(60));
}

TEST(HttpConfig, ReadsEveryKey) {
  Result<HttpOptions> o = parse(R"({
    "listen": "[::1]:0",
    "tls": {"cert": "/etc/arsync/cert.pem", "key": "/etc/arsync/key.pem",
            "client_ca": "/etc/arsync/sap-ca.pem"},
    "max_body_bytes": 1048576, "max_header_bytes": 8192,
    "max_concurrent_requests": 4, "read_timeout_seconds": 5})");
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->host, "::1");
  EXPECT_EQ(o->port, 0);
  EXPECT_TRUE(o->tls.enabled());
  EXPECT_EQ(o->tls.cert, "/etc/arsync/cert.pem");
  EXPECT_EQ(o->tls.key, "/etc/arsync/key.pem");
  EXPECT_EQ(o->tls.client_ca, "/etc/arsync/sap-ca.pem");
  EXPECT_EQ(o->max_body_bytes, 1048576u);
  EXPECT_EQ(o->max_header_bytes, 8192u);
  EXPECT_EQ(o->max_concurrent_requests, 4);
  EXPECT_EQ(o->read_timeout, std::chrono::seconds(5));
}

TEST(HttpConfig, ListenTakesHostNamesAndAllInterfaces) {
  Result<HttpOptions> o = parse(R"({"listen": "0.0.0.0:8443"})");
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ(o->host, "0.0.0.0");
  EXPECT_EQ(o->port, 8443);
  o = parse(R"({"listen": "localhost:65535"})");
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ(o->host, "localhost");
  EXPECT_EQ(o->port, 65535);
}

TEST(HttpConfig, MalformedListenIsRefusedWithItsKey) {
  EXPECT_EQ(error_of(R"({"listen": "8089"})"),
            "http.listen: expected host:port or [v6]:port (e.g. 127.0.0.1:8089, [::1]:8089, "
            "0.0.0.0:8089), got \"8089\"");
  for (const char* bad : {R"({"listen": "::1:8089"})", R"({"listen": "[::1]8089"})",
                          R"({"listen": "127.0.0.1:65536"})", R"({"listen": "127.0.0.1:"})",
                          R"({"listen": ":8089"})", R"({"listen": "127.0.0.1:80a"})",
                          R"({"listen": "[127.0.0.1]:80"})", R"({"listen": "a b:80"})"}) {
    EXPECT_EQ(error_of(bad).rfind("http.listen: expected host:port", 0), 0u) << bad;
  }
  EXPECT_EQ(error_of(R"({"listen": 8089})"), "http.listen: expected a string, got 8089");
}

TEST(HttpConfig, TlsNeedsCertAndKeyTogether) {
  EXPECT_EQ(error_of(R"({"tls": {"cert": "/c.pem"}})"),
            "http.tls.key: is missing: TLS needs both http.tls.cert and http.tls.key");
  EXPECT_EQ(error_of(R"({"tls": {"key": "/k.pem"}})"),
            "http.tls.cert: is missing: TLS needs both http.tls.cert and http.tls.key");
  EXPECT_EQ(error_of(R"({"tls": {"client_ca": "/ca.pem"}})"),
            "http.tls.client_ca: needs TLS: set http.tls.cert and http.tls.key as well");
  EXPECT_EQ(error_of(R"({"tls": {"cert": "", "key": "/k.pem"}})"),
            "http.tls.cert: must not be empty (leave the key out instead)");
  EXPECT_EQ(error_of(R"({"tls": "on"})"), "http.tls: expected an object, got \"on\"");
}

TEST(HttpConfig, LimitsAreWholeNumbersInRange) {
  EXPECT_EQ(error_of(R"({"max_body_bytes": 0})"),
            "http.max_body_bytes: expected a whole number from 1 to 1073741824, got 0");
  EXPECT_EQ(error_of(R"({"max_body_bytes": "1M"})"),
            "http.max_body_bytes: expected a whole number from 1 to 1073741824, got \"1M\"");
  EXPECT_EQ(error_of(R"({"max_header_bytes": 512})"),
            "http.max_header_bytes: expected a whole number from 1024 to 1048576, got 512");
  EXPECT_EQ(error_of(R"({"max_concurrent_requests": 2.5})"),
            "http.max_concurrent_requests: expected a whole number from 1 to 256, got 2.5");
  EXPECT_EQ(error_of(R"({"read_timeout_seconds": -1})"),
            "http.read_timeout_seconds: expected a whole number from 1 to 3600, got -1");
  EXPECT_EQ(error_of(R"({"read_timeout_seconds": 18446744073709551615})"),
            "http.read_timeout_seconds: expected a whole number from 1 to 3600, got "
            "18446744073709551615");
}

TEST(HttpConfig, UnknownKeysAreNamed) {
  EXPECT_EQ(error_of(R"({"listne": "127.0.0.1:1"})"),
            "http.listne: unknown key (known keys here: listen, max_body_bytes, "
            "max_concurrent_requests, max_header_bytes, read_timeout_seconds, tls)");
  EXPECT_EQ(error_of(R"({"tls": {"ca": "x"}})"),
            "http.tls.ca: unknown key (known keys here: cert, client_ca, key)");
  EXPECT_EQ(error_of(R"([1])"), "http: expected an object, got [1]");
}

}  // namespace
}  // namespace arsync::service
