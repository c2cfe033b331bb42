#include "arsync/model/sha256.h"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace arsync {
namespace {

// The algorithm fetched once and a context reused per thread: OpenSSL 3
// looks the algorithm up again on every EVP_Digest(EVP_sha256()) call,
// which costs more than hashing an IDoc of a few KiB.
class Hasher {
 public:
  Hasher() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) throw std::runtime_error("OpenSSL has no SHA-256");
  }
  ~Hasher() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  unsigned int digest(std::string_view bytes, unsigned char* out) {
    unsigned int size = 0;
    if (EVP_DigestInit_ex(ctx_, md_, nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, out, &size) != 1) {
      throw std::runtime_error("SHA-256 failed");
    }
    return size;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

}  // namespace

std::string sha256_hex(std::string_view bytes, std::size_t digest_bytes) {
  thread_local Hasher hasher;
  unsigned char digest[EVP_MAX_MD_SIZE];
  const unsigned int size = hasher.digest(bytes, digest);
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t n = std::min<std::size_t>(digest_bytes, size);
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0x0f];
  }
  return out;
}

}  // namespace arsync
