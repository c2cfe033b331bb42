// Password hashes and the listener's authenticator (Basic, bearer, client
// certificate), without sockets.
#include "arsync/service/http_auth.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "arsync/model/sha256.h"

namespace arsync::service {
namespace {

// Few iterations keep the tests fast; the format carries the count.
constexpr int kFast = 1000;

std::string basic(const std::string& user_and_password) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0;
  unsigned value = 0;
  for (const unsigned char c : user_and_password) {
    value = (value << 8) | c;
    bits += 8;
    while (bits >= 6) out += kAlphabet[(value >> (bits -= 6)) & 63];
  }
  if (bits > 0) out += kAlphabet[(value << (6 - bits)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return "Basic " + out;
}

HttpCredentials sap_credentials() {
  HttpCredentials c;
  c.users["sap-prd"] = hash_password("s3cret:with colon", kFast).value();
  c.tokens["ci"] = sha256_hex("tok-123");
  return c;
}

TEST(PasswordHash, IsSelfDescribingAndVerifies) {
  Result<std::string> h = hash_password("correct horse", kFast);
  ASSERT_TRUE(h.is_ok()) << h.status().to_string();
  // pbkdf2-sha256$1000$<24 chars: 16 bytes>$<44 chars: 32 bytes>
  EXPECT_EQ(h->rfind("pbkdf2-sha256$1000$", 0), 0u) << *h;
  EXPECT_EQ(h->size(), std::string("pbkdf2-sha256$1000$").size() + 24 + 1 + 44);
  EXPECT_TRUE(check_password_hash(*h).is_ok());
  EXPECT_TRUE(verify_password("correct horse", *h));
  EXPECT_FALSE(verify_password("correct horsE", *h));
  EXPECT_FALSE(verify_password("", *h));
}

TEST(PasswordHash, SaltIsFreshEachTime) {
  EXPECT_NE(hash_password("same", kFast).value(), hash_password("same", kFast).value());
}

TEST(PasswordHash, DefaultIsSixHundredThousandIterations) {
  const std::string h = hash_password("x").value();
  EXPECT_EQ(h.rfind("pbkdf2-sha256$600000$", 0), 0u) << h;
  EXPECT_TRUE(verify_password("x", h));
}

TEST(PasswordHash, MatchesAnIndependentPbkdf2) {
  // Python: base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"password",
  //   b"0123456789abcdef", 1000)) with the salt base64 "MDEyMzQ1Njc4OWFiY2RlZg=="
  const std::string h =
      "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg==$"
      "hRRjgXWkW8ResfIvBP99J/T4vkgEmMRV/0tJTOjR59I=";
  ASSERT_TRUE(check_password_hash(h).is_ok()) << check_password_hash(h).to_string();
  EXPECT_TRUE(verify_password("password", h));
}

TEST(PasswordHash, MalformedHashesAreRefusedWithoutEchoingThem) {
  for (const char* bad : {"", "plain-password", "pbkdf2-sha1$1000$MDEyMzQ1Njc=$AAAA",
                          "pbkdf2-sha256$0$MDEyMzQ1Njc4OWFiY2RlZg==$hRRjgXWkW8ResfIvBP99J/T4vkgEmMRV/0tJTOjR59I=",
                          "pbkdf2-sha256$1000$!!!!$hRRjgXWkW8ResfIvBP99J/T4vkgEmMRV/0tJTOjR59I=",
                          "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg==$AAAA",
                          "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg==$x$y"}) {
    Status s = check_password_hash(bad);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << bad;
    if (std::string(bad).size() > 4) {
      EXPECT_EQ(s.message().find(bad), std::string::npos);
    }
    EXPECT_FALSE(verify_password("password", bad));
  }
}

TEST(HttpCredentialsCheck, NamesTheUserOrTokenThatIsWrong) {
  HttpCredentials c;
  c.users["sap-prd"] = "not-a-hash";
  Status s = check_credentials(c);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.message().rfind("HTTP user sap-prd: the password hash is not in the form", 0), 0u)
      << s.message();

  c = {};
  c.users["a:b"] = hash_password("x", kFast).value();
  EXPECT_EQ(check_credentials(c).message(),
            "HTTP user a:b: a name with ':' or control characters cannot be sent in HTTP Basic");

  c = {};
  c.tokens["ci"] = "tok-123";
  EXPECT_EQ(check_credentials(c).message(),
            "HTTP token ci: expected the SHA-256 of the token as 64 hex digits (sha256sum prints it)");
}

TEST(HttpAuthenticator, BasicWithTheRightPasswordNamesTheUser) {
  HttpAuthenticator auth;
  ASSERT_TRUE(auth.set_credentials(sap_credentials()).is_ok());
  const std::string header = basic("sap-prd:s3cret:with colon");
  std::optional<Principal> p = auth.authenticate(header, "");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "sap-prd");
  EXPECT_EQ(p->scheme, "basic");
  EXPECT_FALSE(auth.authenticate(basic("sap-prd:s3cret"), ""));
  EXPECT_FALSE(auth.authenticate(basic("nobody:s3cret:with colon"), ""));
  EXPECT_FALSE(auth.authenticate("Basic !!notbase64", ""));
  EXPECT_FALSE(auth.authenticate("Basic", ""));
  EXPECT_FALSE(auth.authenticate(std::nullopt, ""));
}

TEST(HttpAuthenticator, ARememberedSuccessSkipsPbkdf2AndFailuresAreNotRemembered) {
  HttpAuthenticator auth;
  ASSERT_TRUE(auth.set_credentials(sap_credentials()).is_ok());
  const std::string good = basic("sap-prd:s3cret:with colon");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(auth.authenticate(good, ""));
  EXPECT_EQ(auth.password_checks(), 1u);
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(auth.authenticate(basic("sap-prd:guess"), ""));
  EXPECT_EQ(auth.password_checks(), 4u);
}

TEST(HttpAuthenticator, ConcurrentChecksOfOneCredentialComputeOnce) {
  HttpAuthenticator auth;
  HttpCredentials c;
  c.users["sap-prd"] = hash_password("pw").value();  // the real cost: 600000 iterations
  ASSERT_TRUE(auth.set_credentials(c).is_ok());
  const std::string header = basic("sap-prd:pw");
  std::vector<std::thread> senders;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    senders.emplace_back([&] {
      if (auth.authenticate(header, "")) ++ok;
    });
  }
  for (std::thread& t : senders) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(auth.password_checks(), 1u);
}

TEST(HttpAuthenticator, NewCredentialsForgetTheOldPassword) {
  HttpAuthenticator auth;
  ASSERT_TRUE(auth.set_credentials(sap_credentials()).is_ok());
  const std::string old_password = basic("sap-prd:s3cret:with colon");
  ASSERT_TRUE(auth.authenticate(old_password, ""));
  HttpCredentials next;
  next.users["sap-prd"] = hash_password("rotated", kFast).value();
  ASSERT_TRUE(auth.set_credentials(next).is_ok());
  EXPECT_FALSE(auth.authenticate(old_password, ""));
  EXPECT_TRUE(auth.authenticate(basic("sap-prd:rotated"), ""));
}

TEST(HttpAuthenticator, BadCredentialsKeepTheOldOnes) {
  HttpAuthenticator auth;
  ASSERT_TRUE(auth.set_credentials(sap_credentials()).is_ok());
  HttpCredentials bad;
  bad.tokens["ci"] = "short";
  EXPECT_FALSE(auth.set_credentials(bad).is_ok());
  EXPECT_TRUE(auth.authenticate("Bearer tok-123", ""));
}

TEST(HttpAuthenticator, BearerTokenNamesTheToken) {
  HttpAuthenticator auth;
  HttpCredentials c = sap_credentials();
  c.tokens["ci"] = sha256_hex("tok-123");
  for (char& ch : c.tokens["ci"]) ch = static_cast<char>(std::toupper(ch));  // sha256sum -b | tr a-f A-F
  ASSERT_TRUE(auth.set_credentials(c).is_ok());
  std::optional<Principal> p = auth.authenticate("bearer  tok-123", "");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "ci");
  EXPECT_EQ(p->scheme, "bearer");
  EXPECT_FALSE(auth.authenticate("Bearer tok-124", ""));
  EXPECT_FALSE(auth.authenticate("Token tok-123", ""));
}

TEST(HttpAuthenticator, VerifiedCertificateAuthenticatesUnlessWrongCredentialsAreSent) {
  HttpAuthenticator auth;
  ASSERT_TRUE(auth.set_credentials(sap_credentials()).is_ok());
  std::optional<Principal> p = auth.authenticate(std::nullopt, "CN=sap-prd,O=Example");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "CN=sap-prd,O=Example");
  EXPECT_EQ(p->scheme, "certificate");
  EXPECT_FALSE(auth.authenticate("Bearer wrong", "CN=sap-prd,O=Example"));
  EXPECT_EQ(auth.authenticate("Bearer tok-123", "CN=sap-prd,O=Example")->name, "ci");
}

}  // namespace
}  // namespace arsync::service
