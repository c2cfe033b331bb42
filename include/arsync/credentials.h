// A connector's own durable credentials: OAuth access and refresh tokens and
// their expiry, kept by the host under (system, name), encrypted at rest.
//
// Part of the plugin side of the connector interface: a connector is given
// a CredentialHandle for its system in its context. A rotated refresh token
// must be put (and put must have returned OK) before the connector uses it,
// so a crash never leaves the only valid token in memory.
//
// Thread safety: a handle may be used from several threads at once.
#pragma once

#include <optional>
#include <string>

#include "arsync/model/status.h"

namespace arsync {

class CredentialHandle {
 public:
  virtual ~CredentialHandle() = default;

  // The value last put under `name` for this system; nullopt when none.
  // Errors: kIoError when the store cannot be read; kAuthError when the
  // stored value cannot be decrypted (the secrets file's key changed).
  virtual Result<std::optional<std::string>> get(const std::string& name) = 0;

  // Stores `value` under `name`, replacing the previous one. Returns OK only
  // after the value is durably committed: a crash after it returns keeps it.
  // Errors: kIoError; nothing was changed.
  virtual Status put(const std::string& name, const std::string& value) = 0;
};

}  // namespace arsync
