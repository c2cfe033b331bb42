// The arsyncd / arsync configuration file (JSON, comments allowed).
//
// Every key is documented in README.md ("Configuration"). Relative paths are
// resolved against the directory of the config file, so a config and its
// data can move together (the demo relies on this).
//
// Thread safety: plain values.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/model/status.h"
#include "arsync/service/http_config.h"

namespace arsync::service {

struct SystemConfig {
  std::string name;          // instance name, "sap-ecc"
  std::string type;          // connector type, "sap_idoc"
  std::string mappings_dir;  // folder of this system's mapping files
  nlohmann::json settings;   // connector settings (validated by the engine)
  // systems.<name>.interval_seconds; none: the top-level interval.
  std::optional<std::chrono::seconds> interval;
};

struct Config {
  std::string file;      // the config file it came from ("" if parsed from text)
  std::string base_dir;  // relative paths are resolved against this

  std::string store_path = "/var/lib/arsync/arsync.db";
  bool synchronous_full = true;
  std::size_t commit_records = 500;  // records a pull gathers per store transaction
  std::string state_dir = "/var/lib/arsync";
  std::string mappings_root = "/usr/share/arsync/mappings";
  std::chrono::seconds interval{300};
  std::string log_level = "info";
  double quarantine_alert_share = 0.10;  // a pull quarantining more is degraded
  // The secrets file (service/secrets.h). A missing file is an error only
  // when the key was written; at the default path it means "no secrets".
  std::string secrets_file = "/etc/arsync/secrets.json";
  bool secrets_file_set = false;
  // The HTTP listener's section; the listener runs only when it is present
  // (`"http": {}` for the defaults). TLS paths are resolved.
  std::optional<HttpOptions> http;

  std::vector<SystemConfig> systems;
  nlohmann::json reconcile = nlohmann::json::object();  // see reconcile::parse_reconcile_config
  nlohmann::json mail = nlohmann::json::object();       // see alert::parse_mail_config
};

// Every error found in one config file, so that `arsync config check` and
// arsyncd's start report them all at once instead of one per attempt.
//
// Each message starts with the key path it is about, the way an admin finds
// it in the file: "systems.sap-ecc.settings.drop_dir: unknown key ...",
// "interval_seconds must be between 1 and 604800, got 0".
//
// To parse a section of your own (a new top-level key such as "http" or
// "secrets_file"), write a function that takes the section's JSON value and
// a ConfigErrors&, adds one message per thing wrong (with the key path) and
// carries on with the next key instead of returning at the first; call it
// from parse_config (config.cpp) and list the key in its known keys. An error
// from another layer's parser (a Status) is added as it is.
//
// Thread safety: plain value.
class ConfigErrors {
 public:
  explicit ConfigErrors(std::string file = "") : file_(std::move(file)) {}

  // One error: "KEY.PATH: what is wrong, and what to write instead".
  void add(const std::string& message);
  // An error from another layer's parser; its location gets the config file
  // when it has none.
  void add(Status status);

  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  const std::vector<Status>& errors() const { return errors_; }
  const std::string& file() const { return file_; }

  // One line per error: its message, and where it is when that is more than
  // the config file itself ("... (at file /etc/arsync/smtp.pw)").
  std::vector<std::string> lines() const;

  // OK when empty; the error itself when there is one; else kInvalidArgument
  // at the config file, "N errors in the config:" and one indented line each.
  Status to_status() const;

 private:
  std::string file_;
  std::vector<Status> errors_;
};

// Reads and parses a config file. Errors: kIoError if unreadable,
// kInvalidArgument naming every wrong key (and the line for a JSON syntax
// error), all of them at once (see ConfigErrors::to_status).
Result<Config> load_config(const std::string& path);

// As load_config, adding every error to `errors` (see parse_config below).
std::optional<Config> load_config(const std::string& path, ConfigErrors& errors);

// Parses config text; `base_dir` resolves relative paths.
Result<Config> parse_config(std::string_view text, const std::string& base_dir,
                            const std::string& file_name);

// As parse_config, but adds each error to `errors` (whose file names the
// config) and goes on with the next key. Returns nullopt when the text is not
// a JSON object (nothing more to check); else what could be read, which is
// meaningful only when `errors` stayed empty.
std::optional<Config> parse_config(std::string_view text, const std::string& base_dir,
                                   ConfigErrors& errors);

// Resolves `path` against `base_dir` unless it is absolute or empty.
std::string resolve_path(const std::string& base_dir, const std::string& path);

}  // namespace arsync::service
