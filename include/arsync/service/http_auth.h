// Who may call the listener's routes: HTTP users (Basic, against a password
// hash), bearer tokens (against the token's SHA-256) and, with TLS client
// certificates, the certificate's subject.
//
// Password hashes are PBKDF2-HMAC-SHA256 in one self-describing string:
//   pbkdf2-sha256$<iterations>$<salt, base64>$<derived key, base64>
// (standard base64 with padding, a 16-byte random salt, a 32-byte key), so
// the iteration count can rise later without invalidating stored hashes. The
// same string can be made without arsync (README, "HTTP listener").
//
// Secrets never leave this file: nothing here logs, and errors name users and
// tokens, never what they hold.
//
// Thread safety: the free functions are pure (hash_password reads the
// system's random source). HttpAuthenticator may be used from any number of
// threads; set_credentials may run while requests are being checked.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "arsync/model/status.h"

namespace arsync::service {

// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
inline constexpr int kDefaultPasswordIterations = 600000;

// A fresh hash of `password` in the format above. Error: kInternal if the
// random source fails, kInvalidArgument if iterations is outside 1..10^8.
Result<std::string> hash_password(std::string_view password,
                                  int iterations = kDefaultPasswordIterations);

// OK if `encoded` is a hash in the format above; otherwise kInvalidArgument
// saying which part is wrong (never echoing the string).
Status check_password_hash(std::string_view encoded);

// True if `password` matches `encoded` (compared in constant time); false
// when it does not or `encoded` is malformed.
bool verify_password(std::string_view password, std::string_view encoded);

// What the secrets file grants, filled by its loader.
struct HttpCredentials {
  std::map<std::string, std::string> users;   // user name -> password hash
  std::map<std::string, std::string> tokens;  // token name -> SHA-256 hex of the token
};

// OK if every user name is usable in Basic (not empty, no ':' or control
// characters), every hash passes check_password_hash and every token hash is
// 64 hex digits. Error: kInvalidArgument naming the user or token.
Status check_credentials(const HttpCredentials& credentials);

struct Principal {
  std::string name;    // user, token name or certificate subject
  std::string scheme;  // "basic", "bearer" or "certificate"
};

class HttpAuthenticator {
 public:
  HttpAuthenticator();
  HttpAuthenticator(const HttpAuthenticator&) = delete;
  HttpAuthenticator& operator=(const HttpAuthenticator&) = delete;

  // Replaces the credentials and forgets cached verifications (a changed
  // password must not keep working). On error the old ones stay.
  Status set_credentials(HttpCredentials credentials);

  // The principal a request proves, or nullopt (answer 401).
  // `authorization`: the Authorization header, if sent: "Basic ..." or
  // "Bearer ...", checked whenever present (wrong credentials are refused
  // even over a verified certificate). Without it, `certificate_subject`
  // (non-empty only when the TLS layer verified a client certificate)
  // authenticates the request.
  //
  // A Basic check runs PBKDF2 once per distinct credential: a success is
  // remembered in memory under an HMAC of the credentials with a key made at
  // start (never the password itself), and concurrent checks of the same
  // credentials wait for one computation. Failures are not remembered, and an
  // unknown user costs as much as a wrong password.
  std::optional<Principal> authenticate(std::optional<std::string_view> authorization,
                                        std::string_view certificate_subject);

  // PBKDF2 computations so far (for tests and metrics).
  std::uint64_t password_checks() const { return password_checks_.load(); }

 private:
  std::optional<Principal> basic(std::string_view encoded);
  std::optional<Principal> bearer(std::string_view token);

  std::string cache_key_secret_;  // 32 random bytes

  std::mutex mutex_;
  std::shared_ptr<const HttpCredentials> credentials_;
  std::string decoy_;  // checked for unknown users (see decoy_hash)
  std::unordered_map<std::string, std::string> verified_;  // HMAC -> user
  std::unordered_map<std::string, std::shared_future<bool>> in_progress_;
  std::atomic<std::uint64_t> password_checks_{0};
};

}  // namespace arsync::service
