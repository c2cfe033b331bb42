#include "arsync/service/http_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

#include "arsync/log/log.h"
#include "arsync/model/sha256.h"
#include "arsync/service/http_wire.h"

namespace arsync::service {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kKeyBytes = 32;
constexpr long long kMaxIterations = 100000000;
// Enough distinct users and tokens for any site; when full the cache starts
// over rather than growing with whatever credentials are sent.
constexpr std::size_t kMaxCachedCredentials = 1024;

std::string base64(const unsigned char* bytes, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes,
                                  static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// Standard base64 with padding; nullopt if `text` is not exactly that.
std::optional<std::string> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool digit = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                       (c >= '0' && c <= '9') || c == '+' || c == '/';
    const bool pad = c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text.back() == '=');
    if (!digit && !pad) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
  if (len < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(len);
  if (text.back() == '=') --size;
  if (text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

struct ParsedHash {
  int iterations = 0;
  std::string salt;
  std::string key;
};

Result<ParsedHash> parse_hash(std::string_view encoded) {
  const auto bad = [](const std::string& what) {
    return Status(ErrorCode::kInvalidArgument,
                  "the password hash is not in the form pbkdf2-sha256$<iterations>$<salt "
                  "base64>$<hash base64>: " + what);
  };
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = encoded.find('$', start);
    parts.push_back(encoded.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (parts.size() != 4) return bad("it has " + std::to_string(parts.size()) + " parts, not 4");
  if (parts[0] != kScheme) return bad("the scheme is not pbkdf2-sha256");
  long long iterations = 0;
  const auto [end, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(),
                                         iterations);
  if (ec != std::errc() || end != parts[1].data() + parts[1].size() || iterations < 1 ||
      iterations > kMaxIterations) {
    return bad("the iteration count is not a whole number from 1 to 100000000");
  }
  ParsedHash out;
  out.iterations = static_cast<int>(iterations);
  std::optional<std::string> salt = unbase64(parts[2]);
  if (!salt || salt->size() < 8) return bad("the salt is not base64 of at least 8 bytes");
  std::optional<std::string> key = unbase64(parts[3]);
  if (!key || key->size() != kKeyBytes) return bad("the hash is not base64 of 32 bytes");
  out.salt = std::move(*salt);
  out.key = std::move(*key);
  return out;
}

std::string pbkdf2(std::string_view password, std::string_view salt, int iterations) {
  std::string key(kKeyBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(key.size()),
                        reinterpret_cast<unsigned char*>(key.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return key;
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

// `header` starts with `scheme` (case-insensitive) and a space: the rest, trimmed.
std::optional<std::string_view> credentials_after(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || lower(header.substr(0, scheme.size())) != scheme ||
      header[scheme.size()] != ' ') {
    return std::nullopt;
  }
  const std::string_view rest = trim(header.substr(scheme.size() + 1));
  if (rest.empty()) return std::nullopt;
  return rest;
}

// What an unknown user is checked against, so that a wrong user name costs
// what a wrong password costs and the two cannot be told apart by timing:
// a hash of no password, with the most iterations any user's hash has.
std::string decoy_hash(const HttpCredentials& credentials) {
  int iterations = kDefaultPasswordIterations;
  bool any = false;
  for (const auto& [user, hash] : credentials.users) {
    Result<ParsedHash> parsed = parse_hash(hash);
    if (!parsed.is_ok()) continue;
    iterations = any ? std::max(iterations, parsed->iterations) : parsed->iterations;
    any = true;
  }
  return std::string(kScheme) + "$" + std::to_string(iterations) +
         "$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
}

}  // namespace

Result<std::string> hash_password(std::string_view password, int iterations) {
  if (iterations < 1 || iterations > kMaxIterations) {
    return Status(ErrorCode::kInvalidArgument,
                  "the iteration count must be a whole number from 1 to 100000000");
  }
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) {
    return Status(ErrorCode::kInternal, "the system's random source failed; no hash was made");
  }
  const std::string salt_text(reinterpret_cast<const char*>(salt), sizeof salt);
  const std::string key = pbkdf2(password, salt_text, iterations);
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" +
         base64(salt, sizeof salt) + "$" +
         base64(reinterpret_cast<const unsigned char*>(key.data()), key.size());
}

Status check_password_hash(std::string_view encoded) { return parse_hash(encoded).status(); }

bool verify_password(std::string_view password, std::string_view encoded) {
  Result<ParsedHash> parsed = parse_hash(encoded);
  if (!parsed.is_ok()) return false;
  return equal_in_constant_time(pbkdf2(password, parsed->salt, parsed->iterations), parsed->key);
}

Status check_credentials(const HttpCredentials& credentials) {
  const auto bad = [](const std::string& what) { return Status(ErrorCode::kInvalidArgument, what); };
  for (const auto& [user, hash] : credentials.users) {
    if (user.empty()) return bad("an HTTP user has an empty name");
    for (const char c : user) {
      if (c == ':' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return bad("HTTP user " + log::format_value(user) +
                   ": a name with ':' or control characters cannot be sent in HTTP Basic");
      }
    }
    Status s = check_password_hash(hash);
    if (!s.is_ok()) return bad("HTTP user " + log::format_value(user) + ": " + s.message());
  }
  for (const auto& [name, hash] : credentials.tokens) {
    if (name.empty()) return bad("an HTTP token has an empty name");
    if (!is_hex64(hash)) {
      return bad("HTTP token " + log::format_value(name) +
                 ": expected the SHA-256 of the token as 64 hex digits (sha256sum prints it)");
    }
  }
  return Status::ok();
}

HttpAuthenticator::HttpAuthenticator()
    : cache_key_secret_(32, '\0'),
      credentials_(std::make_shared<HttpCredentials>()),
      decoy_(decoy_hash(HttpCredentials{})) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(cache_key_secret_.data()),
                 static_cast<int>(cache_key_secret_.size())) != 1) {
    throw std::runtime_error("the system's random source failed");
  }
}

Status HttpAuthenticator::set_credentials(HttpCredentials credentials) {
  ARSYNC_RETURN_IF_ERROR(check_credentials(credentials));
  for (auto& [name, hash] : credentials.tokens) hash = lower(hash);
  std::string decoy = decoy_hash(credentials);
  auto next = std::make_shared<const HttpCredentials>(std::move(credentials));
  std::lock_guard<std::mutex> lock(mutex_);
  credentials_ = std::move(next);
  decoy_ = std::move(decoy);
  verified_.clear();
  return Status::ok();
}

std::optional<Principal> HttpAuthenticator::authenticate(
    std::optional<std::string_view> authorization, std::string_view certificate_subject) {
  if (authorization) {
    if (auto basic_credentials = credentials_after(*authorization, "basic")) {
      return basic(*basic_credentials);
    }
    if (auto token = credentials_after(*authorization, "bearer")) return bearer(*token);
    return std::nullopt;
  }
  if (!certificate_subject.empty()) return Principal{std::string(certificate_subject), "certificate"};
  return std::nullopt;
}

std::optional<Principal> HttpAuthenticator::basic(std::string_view encoded) {
  std::optional<std::string> decoded = unbase64(encoded);
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string user = decoded->substr(0, colon);
  const std::string_view password = std::string_view(*decoded).substr(colon + 1);

  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), cache_key_secret_.data(), static_cast<int>(cache_key_secret_.size()),
       reinterpret_cast<const unsigned char*>(decoded->data()), decoded->size(), mac, &mac_size);
  const std::string key(reinterpret_cast<const char*>(mac), mac_size);

  std::shared_ptr<const HttpCredentials> credentials;
  std::string decoy;
  std::promise<bool> promise;
  std::shared_future<bool> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    credentials = credentials_;
    decoy = decoy_;
    if (const auto hit = verified_.find(key); hit != verified_.end()) {
      return Principal{hit->second, "basic"};
    }
    if (const auto running = in_progress_.find(key); running != in_progress_.end()) {
      pending = running->second;
    } else {
      in_progress_.emplace(key, promise.get_future().share());
    }
  }
  if (pending.valid()) {
    // Another request is checking the same credentials: its answer is ours.
    return pending.get() ? std::optional<Principal>(Principal{user, "basic"}) : std::nullopt;
  }

  const auto found = credentials->users.find(user);
  password_checks_.fetch_add(1);
  bool ok = false;
  try {
    ok = verify_password(password, found == credentials->users.end() ? decoy : found->second) &&
         found != credentials->users.end();
  } catch (...) {
    ok = false;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_progress_.erase(key);
    // Only for the credentials it was checked against: a reload meanwhile
    // may have changed this user's password.
    if (ok && credentials == credentials_) {
      if (verified_.size() >= kMaxCachedCredentials) verified_.clear();
      verified_.emplace(key, user);
    }
  }
  promise.set_value(ok);
  if (!ok) return std::nullopt;
  return Principal{user, "basic"};
}

std::optional<Principal> HttpAuthenticator::bearer(std::string_view token) {
  std::shared_ptr<const HttpCredentials> credentials;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    credentials = credentials_;
  }
  const std::string presented = sha256_hex(token);
  // Every entry is compared, so the time taken does not tell which one matched.
  const std::string* match = nullptr;
  for (const auto& [name, hash] : credentials->tokens) {
    if (equal_in_constant_time(presented, hash)) match = &name;
  }
  if (match == nullptr) return std::nullopt;
  return Principal{*match, "bearer"};
}

}  // namespace arsync::service
