// CredentialVault: connectors' credentials (OAuth tokens and their expiry)
// encrypted at rest, and the CredentialHandle each connector is given.
//
// A value is encrypted with AES-256-GCM (OpenSSL EVP) under the secrets
// file's store_key, with a fresh random 96-bit nonce per write and the
// (system, name) it is kept under as associated data: a ciphertext copied
// to another row, or altered, does not decrypt. Only the nonce and the
// ciphertext with its tag reach the store (CredentialStore); no plaintext
// is ever written, logged or put into an error message.
//
// Durability: put returns OK only after the value is committed with
// synchronous=FULL, so a crash (or a power loss) after it returns keeps it.
// open() gives the vault a connection of its own to the store's file, with
// synchronous=FULL whatever the daemon's store uses. That is safe beside the
// daemon's writer connection: SQLite lets one connection at a time hold the
// write lock, across connections and processes; a put is a single
// statement, so it starts with no read snapshot and, while the writer is
// inside a batch transaction, its busy handler waits (up to the busy
// timeout) for the lock instead of failing; the writer likewise waits the
// few milliseconds of a put (the store's write transactions all begin
// IMMEDIATE, so none is refused for a snapshot that a put made stale). With WAL, a FULL commit fsyncs the WAL file, so
// it is durable even after the writer's unsynced NORMAL commits.
//
// Thread safety: a vault and its handles may be used from several threads
// at once (calls on one vault are serialized).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "arsync/credentials.h"
#include "arsync/model/clock.h"
#include "arsync/model/status.h"
#include "arsync/store/credential_store.h"

namespace arsync::store {

// The credential store's 256-bit key. Never printed; wiped when destroyed.
class CredentialKey {
 public:
  static constexpr std::size_t kSize = 32;
  using Bytes = std::array<unsigned char, kSize>;

  CredentialKey() = default;  // all zero: for a Secrets without store_key
  explicit CredentialKey(const Bytes& bytes) : bytes_(bytes) {}
  CredentialKey(const CredentialKey&) = default;
  CredentialKey& operator=(const CredentialKey&) = default;
  ~CredentialKey();

  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_{};
};

class CredentialVault {
 public:
  // Opens the vault's own connection to the SQLite store at `path` (created
  // and migrated like open_sqlite_store), with synchronous=FULL.
  // `clock` stamps updated_at and must outlive the vault.
  // Errors: kIoError from open_sqlite_store, naming the path.
  static Result<std::unique_ptr<CredentialVault>> open(const std::string& path,
                                                       const CredentialKey& key,
                                                       const Clock& clock,
                                                       int busy_timeout_ms = 5000);

  // Over a store of any kind; `store`'s put_credential must commit durably.
  CredentialVault(std::unique_ptr<CredentialStore> store, const CredentialKey& key,
                  const Clock& clock);
  ~CredentialVault();
  CredentialVault(const CredentialVault&) = delete;
  CredentialVault& operator=(const CredentialVault&) = delete;

  // The value last put under (system, name); nullopt when none.
  // Errors: kIoError when the store cannot be read; kAuthError naming the
  // system and name when the stored value does not decrypt (the store_key
  // changed, or the row was altered).
  Result<std::optional<std::string>> get(const std::string& system, const std::string& name);

  // Encrypts `value` and stores it under (system, name), replacing the
  // previous one; returns OK only after the commit. Errors: kIoError (or
  // kInternal when no random nonce can be drawn); nothing was changed.
  Status put(const std::string& system, const std::string& name, const std::string& value);

  // The handle for `system`'s connector: get/put under that system. It
  // refers to this vault, which must outlive it.
  std::unique_ptr<CredentialHandle> handle(std::string system);

 private:
  std::mutex mu_;  // guards store_ (one thread at a time, as store.h asks)
  std::unique_ptr<CredentialStore> store_;
  const CredentialKey key_;
  const Clock& clock_;
};

}  // namespace arsync::store
