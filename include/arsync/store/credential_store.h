// CredentialStore: the store's role for connectors' credentials at rest:
// encrypted blobs kept under (system, name). The store never sees a
// plaintext: CredentialVault (credential_vault.h) encrypts before put and
// decrypts after get.
//
// Durability: put_credential returns OK only after its transaction is
// committed; it survives a power loss when the store was opened with
// synchronous=FULL (CredentialVault always opens it so). The thread rule is
// in store.h.
#pragma once

#include <optional>
#include <string>

#include "arsync/model/clock.h"
#include "arsync/model/status.h"

namespace arsync::store {

// One stored credential as the cipher wrote it.
struct EncryptedCredential {
  std::string nonce;       // the AES-GCM nonce of this write (12 bytes)
  std::string ciphertext;  // the encrypted value followed by its 16-byte tag
  Instant updated_at{};
};

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;

  // The blob under (system, name); nullopt when none. Errors: kIoError.
  virtual Result<std::optional<EncryptedCredential>> get_credential(const std::string& system,
                                                                    const std::string& name) = 0;
  // Replaces the blob under (system, name) in one transaction (updated_at
  // from `value`). Errors: kIoError; nothing was changed.
  virtual Status put_credential(const std::string& system, const std::string& name,
                                const EncryptedCredential& value) = 0;
};

}  // namespace arsync::store
