// The arsyncd / arsync configuration file (JSON, comments allowed).
//
// Every key is documented in README.md ("Configuration"). Relative paths are
// resolved against the directory of the config file, so a config and its
// data can move together (the demo relies on this).
//
// Thread safety: plain values.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/model/status.h"

namespace arsync::service {

struct SystemConfig {
  std::string name;          // instance name, "sap-ecc"
  std::string type;          // connector type, "sap_idoc"
  std::string mappings_dir;  // folder of this system's mapping files
  nlohmann::json settings;   // connector settings (validated by the engine)
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

  std::vector<SystemConfig> systems;
  nlohmann::json reconcile = nlohmann::json::object();  // see reconcile::parse_reconcile_config
  nlohmann::json mail = nlohmann::json::object();       // see alert::parse_mail_config
};

// Reads and parses a config file. Errors: kIoError if unreadable,
// kInvalidArgument naming the key (and line for JSON syntax errors).
Result<Config> load_config(const std::string& path);

// Parses config text; `base_dir` resolves relative paths.
Result<Config> parse_config(std::string_view text, const std::string& base_dir,
                            const std::string& file_name);

// Resolves `path` against `base_dir` unless it is absolute or empty.
std::string resolve_path(const std::string& base_dir, const std::string& path);

}  // namespace arsync::service
