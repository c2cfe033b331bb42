// CredentialVault: AES-256-GCM over the credential store's blobs.
#include "arsync/store/credential_vault.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <utility>

#include "arsync/store/store.h"

namespace arsync::store {
namespace {

constexpr int kNonceSize = 12;  // 96 bits: GCM's own size, no extra hashing of the IV
constexpr int kTagSize = 16;

// The associated data binds a ciphertext to the row it was written for.
// The system's length comes first so that ("ab", "c") and ("a", "bc")
// differ; the version word lets a later format refuse this one.
std::string associated_data(const std::string& system, const std::string& name) {
  return "arsync credential v1\n" + std::to_string(system.size()) + ":" + system + name;
}

std::string credential_name(const std::string& system, const std::string& name) {
  return "credential '" + name + "' of system '" + system + "'";
}

struct CipherContext {
  CipherContext() : ctx(EVP_CIPHER_CTX_new()) {}
  ~CipherContext() { EVP_CIPHER_CTX_free(ctx); }
  CipherContext(const CipherContext&) = delete;
  CipherContext& operator=(const CipherContext&) = delete;
  EVP_CIPHER_CTX* ctx;
};

const unsigned char* bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// nullopt when OpenSSL fails (out of memory); the caller names the credential.
std::optional<std::string> encrypt(const CredentialKey& key, const std::string& nonce,
                                   const std::string& aad, const std::string& plain) {
  CipherContext c;
  std::string out(plain.size() + kTagSize, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  int total = 0;
  if (c.ctx == nullptr ||
      EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(c.ctx, nullptr, nullptr, key.bytes().data(), bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(c.ctx, nullptr, &n, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(c.ctx, o, &n, bytes(plain), static_cast<int>(plain.size())) != 1) {
    return std::nullopt;
  }
  total = n;
  if (EVP_EncryptFinal_ex(c.ctx, o + total, &n) != 1) return std::nullopt;
  total += n;
  if (EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, kTagSize, o + total) != 1) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(total) + kTagSize);
  return out;
}

// nullopt when the tag does not verify (wrong key, altered row) or the blob
// is malformed.
std::optional<std::string> decrypt(const CredentialKey& key, const EncryptedCredential& blob,
                                   const std::string& aad) {
  if (blob.nonce.size() != kNonceSize || blob.ciphertext.size() < kTagSize) return std::nullopt;
  const std::size_t length = blob.ciphertext.size() - kTagSize;
  std::string tag = blob.ciphertext.substr(length);
  CipherContext c;
  std::string out(length, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  int n = 0;
  if (c.ctx == nullptr ||
      EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(c.ctx, nullptr, nullptr, key.bytes().data(), bytes(blob.nonce)) != 1 ||
      EVP_DecryptUpdate(c.ctx, nullptr, &n, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(c.ctx, o, &n, bytes(blob.ciphertext), static_cast<int>(length)) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  int total = n;
  if (EVP_DecryptFinal_ex(c.ctx, o + total, &n) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  total += n;
  out.resize(static_cast<std::size_t>(total));
  return out;
}

class SystemCredentials final : public CredentialHandle {
 public:
  SystemCredentials(CredentialVault& vault, std::string system)
      : vault_(vault), system_(std::move(system)) {}

  Result<std::optional<std::string>> get(const std::string& name) override {
    return vault_.get(system_, name);
  }
  Status put(const std::string& name, const std::string& value) override {
    return vault_.put(system_, name, value);
  }

 private:
  CredentialVault& vault_;
  const std::string system_;
};

}  // namespace

CredentialKey::~CredentialKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

Result<std::unique_ptr<CredentialVault>> CredentialVault::open(const std::string& path,
                                                               const CredentialKey& key,
                                                               const Clock& clock,
                                                               int busy_timeout_ms) {
  SqliteOptions options;
  options.path = path;
  options.synchronous_full = true;  // put's contract, whatever the daemon's store uses
  options.busy_timeout_ms = busy_timeout_ms;
  Result<std::unique_ptr<Store>> store = open_sqlite_store(options);
  if (!store) return store.status().with_context("credential store");
  return std::make_unique<CredentialVault>(std::move(store).value(), key, clock);
}

CredentialVault::CredentialVault(std::unique_ptr<CredentialStore> store, const CredentialKey& key,
                                 const Clock& clock)
    : store_(std::move(store)), key_(key), clock_(clock) {}

CredentialVault::~CredentialVault() = default;

Result<std::optional<std::string>> CredentialVault::get(const std::string& system,
                                                        const std::string& name) {
  Result<std::optional<EncryptedCredential>> blob = [&] {
    std::lock_guard lock(mu_);
    return store_->get_credential(system, name);
  }();
  if (!blob) return blob.status().with_context(credential_name(system, name));
  if (!blob->has_value()) return std::optional<std::string>();
  std::optional<std::string> plain = decrypt(key_, **blob, associated_data(system, name));
  if (!plain) {
    return Status(ErrorCode::kAuthError,
                  credential_name(system, name) +
                      " does not decrypt: the secrets file's store_key is not the key it was "
                      "written with, or the stored row was altered; restore the old store_key, "
                      "or authorize the connector again so that it puts a new value");
  }
  return plain;
}

Status CredentialVault::put(const std::string& system, const std::string& name,
                            const std::string& value) {
  EncryptedCredential blob;
  blob.nonce.assign(kNonceSize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(blob.nonce.data()), kNonceSize) != 1) {
    return Status(ErrorCode::kInternal,
                  credential_name(system, name) + ": no random nonce (OpenSSL RAND_bytes failed)");
  }
  std::optional<std::string> sealed =
      encrypt(key_, blob.nonce, associated_data(system, name), value);
  if (!sealed) {
    return Status(ErrorCode::kInternal,
                  credential_name(system, name) + ": AES-256-GCM encryption failed (OpenSSL)");
  }
  blob.ciphertext = std::move(*sealed);
  blob.updated_at = clock_.now();
  std::lock_guard lock(mu_);
  return store_->put_credential(system, name, blob).with_context(credential_name(system, name));
}

std::unique_ptr<CredentialHandle> CredentialVault::handle(std::string system) {
  return std::make_unique<SystemCredentials>(*this, std::move(system));
}

}  // namespace arsync::store
