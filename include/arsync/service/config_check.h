// Checks a config file as arsyncd does at start, and reports every error at
// once (`arsync config check FILE`, and arsyncd refusing a bad config): the
// file's own keys (parse_config), each system's connector type, settings
// (against the type's published config keys) and mapping files, and the
// reconcile and mail sections (their layers' parsers), the http section, and
// the secrets file (its mode, its keys, the HTTP users' password hashes).
//
// Each error names its key path (see ConfigErrors). A section parsed by
// another layer's parser that stops at its first error contributes at most
// one error per section (one per system for settings and mappings).
//
// Thread safety: pure function of the file and the registry.
#pragma once

#include "connector/registry.h"
#include "arsync/service/config.h"
#include "arsync/service/secrets.h"

namespace arsync::service {

// Reads `path` and adds each error found to `errors` (whose file should be
// `path`). Returns the config read (nullopt when the file is unreadable or
// not a JSON object), meaningful only when `errors` stayed empty. With
// `secrets`, the secrets file it read and checked is handed over there (so
// a starting daemon reads it once; nullopt when there is none).
std::optional<Config> check_config(const std::string& path, const Registry& registry,
                                   ConfigErrors& errors,
                                   std::optional<Secrets>* secrets = nullptr);

// The config's secrets file, read and checked (the HTTP users' hashes and
// tokens too); nullopt when the key was not written and no file is at the
// default path. Errors name the file and the key path, never a value.
std::optional<Result<Secrets>> read_secrets(const Config& config);

}  // namespace arsync::service
