// The secrets file (config key secrets_file, default
// /etc/arsync/secrets.json): what arsync must know but never show. JSON,
// comments allowed like the config:
//   {
//     "store_key": "<64 hex digits>",       // the credential store's AES-256 key
//     "smtp_password": "...",               // mail.transport's AUTH password
//     "http": {
//       "users":  {"sap-po": "<password hash>"},   // HTTP Basic users
//       "tokens": {"cli": "<SHA-256 hex of the token>"}  // bearer tokens
//     },
//     "systems": {"qbo-us": {"client_secret": "..."}}  // each system's API secrets
//   }
// Every key is optional; an unknown key is an error naming its path.
//
// No value read from the file is ever printed: Secrets has no operator<< or
// to_string, and no error message quotes a value (not even a JSON syntax
// error's surrounding text). Messages name the file, the key path, and
// what is wrong with the value's shape.
//
// Thread safety: plain values.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "arsync/model/status.h"
#include "arsync/store/credential_vault.h"

namespace arsync::service {

struct Secrets {
  std::string file;  // the file they came from

  std::optional<store::CredentialKey> store_key;
  std::optional<std::string> smtp_password;
  // HTTP Basic: user name -> password hash. The hash's format belongs to the
  // HTTP listener, which checks it; here it is an opaque string.
  std::map<std::string, std::string> http_users;
  // Bearer tokens: token name -> SHA-256 of the token, 64 lowercase hex digits.
  std::map<std::string, std::string> http_tokens;
  // systems.<name>: that system's API secrets by key ("client_secret").
  std::map<std::string, std::map<std::string, std::string>> systems;
};

// Reads the secrets file at `path`. Refused (kInvalidArgument naming the
// file) when it is not a regular file (a symbolic link is refused, not
// followed), or when users other than its owner and its group may read it
// (mode & 0007), with its mode and the chmod/chown to run.
// Errors: kIoError when it cannot be opened or read; kInvalidArgument for
// malformed JSON (line and column), wrong types, a store_key that is not 64
// hex digits, or an unknown key (its path).
Result<Secrets> load_secrets(const std::string& path);

}  // namespace arsync::service
