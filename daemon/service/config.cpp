#include "arsync/service/config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace arsync::service {
namespace {

namespace fs = std::filesystem;

Status bad(const std::string& file, const std::string& message) {
  Location at;
  at.file = file;
  return Status(ErrorCode::kInvalidArgument, message, at);
}

Status check_keys(const nlohmann::json& obj, const std::string& where,
                  const std::set<std::string>& known, const std::string& file) {
  for (const auto& [key, value] : obj.items()) {
    if (!known.count(key)) {
      std::string names;
      for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
      return bad(file, where + (where.empty() ? "" : ".") + key +
                           ": unknown key (known keys here: " + names + ")");
    }
  }
  return Status::ok();
}

}  // namespace

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute() || base_dir.empty()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

Result<Config> parse_config(std::string_view text, const std::string& base_dir,
                            const std::string& file_name) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    return bad(file_name, std::string("config is not valid JSON: ") + e.what());
  }
  if (!root.is_object()) return bad(file_name, "config must be a JSON object");
  ARSYNC_RETURN_IF_ERROR(check_keys(
      root, "",
      {"store", "state_dir", "mappings_dir", "interval_seconds", "log_level", "systems",
       "reconcile", "mail", "quarantine_alert_share"},
      file_name));

  Config c;
  c.file = file_name;
  c.base_dir = base_dir;
  try {
    if (root.contains("store")) {
      const auto& s = root["store"];
      if (!s.is_object()) return bad(file_name, "store must be an object");
      ARSYNC_RETURN_IF_ERROR(
          check_keys(s, "store", {"path", "synchronous", "commit_records"}, file_name));
      if (s.contains("path")) c.store_path = s["path"].get<std::string>();
      if (s.contains("synchronous")) {
        std::string sync = s["synchronous"].get<std::string>();
        if (sync != "full" && sync != "normal") {
          return bad(file_name, "store.synchronous must be \"full\" or \"normal\"");
        }
        c.synchronous_full = sync == "full";
      }
      if (s.contains("commit_records")) {
        const long long n = s["commit_records"].get<long long>();
        if (n < 1 || n > 1000000) {
          return bad(file_name, "store.commit_records must be between 1 and 1000000, got " +
                                    std::to_string(n));
        }
        c.commit_records = static_cast<std::size_t>(n);
      }
    }
    if (root.contains("state_dir")) c.state_dir = root["state_dir"].get<std::string>();
    if (root.contains("mappings_dir")) c.mappings_root = root["mappings_dir"].get<std::string>();
    if (root.contains("interval_seconds")) {
      long long secs = root["interval_seconds"].get<long long>();
      if (secs < 1) return bad(file_name, "interval_seconds must be at least 1");
      c.interval = std::chrono::seconds(secs);
    }
    if (root.contains("log_level")) {
      c.log_level = root["log_level"].get<std::string>();
      if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warning" &&
          c.log_level != "error") {
        return bad(file_name, "log_level must be one of debug, info, warning, error");
      }
    }
    if (root.contains("quarantine_alert_share")) {
      const nlohmann::json& v = root["quarantine_alert_share"];
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
        return bad(file_name, "quarantine_alert_share must be a number from 0 to 1 (the share "
                              "of a pull's records that may be quarantined, e.g. 0.1), got " +
                                  v.dump());
      }
      c.quarantine_alert_share = v.get<double>();
    }
    c.store_path = resolve_path(base_dir, c.store_path);
    c.state_dir = resolve_path(base_dir, c.state_dir);
    c.mappings_root = resolve_path(base_dir, c.mappings_root);

    if (!root.contains("systems") || !root["systems"].is_object() || root["systems"].empty()) {
      return bad(file_name, "systems: at least one system is required, as an object keyed by "
                            "system name (e.g. \"sap-ecc\": {\"type\": \"sap_idoc\", ...})");
    }
    for (const auto& [name, sys] : root["systems"].items()) {
      const std::string where = "systems." + name;
      if (name.empty() || name.find_first_of(" ,|\t\r\n") != std::string::npos) {
        return bad(file_name, where + ": a system name may not contain spaces, ',' or '|'");
      }
      if (!sys.is_object()) return bad(file_name, where + " must be an object");
      ARSYNC_RETURN_IF_ERROR(check_keys(sys, where, {"type", "mappings", "settings"}, file_name));
      if (!sys.contains("type") || !sys["type"].is_string()) {
        return bad(file_name, where + ".type is required (a connector type such as \"sap_idoc\")");
      }
      SystemConfig sc;
      sc.name = name;
      sc.type = sys["type"].get<std::string>();
      sc.mappings_dir = sys.contains("mappings")
                            ? resolve_path(base_dir, sys["mappings"].get<std::string>())
                            : (fs::path(c.mappings_root) / sc.type).string();
      sc.settings = sys.value("settings", nlohmann::json::object());
      c.systems.push_back(std::move(sc));
    }
    if (root.contains("reconcile")) c.reconcile = root["reconcile"];
    if (root.contains("mail")) {
      c.mail = root["mail"];
      // The file transport's folder is a path like the others.
      if (c.mail.is_object() && c.mail.contains("transport") && c.mail["transport"].is_object() &&
          c.mail["transport"].contains("dir") && c.mail["transport"]["dir"].is_string()) {
        c.mail["transport"]["dir"] =
            resolve_path(base_dir, c.mail["transport"]["dir"].get<std::string>());
      }
      for (const char* key : {"ca_file", "password_file"}) {
        if (c.mail.is_object() && c.mail.contains("transport") &&
            c.mail["transport"].is_object() && c.mail["transport"].contains(key) &&
            c.mail["transport"][key].is_string()) {
          c.mail["transport"][key] =
              resolve_path(base_dir, c.mail["transport"][key].get<std::string>());
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(file_name, std::string("config has a value of the wrong type: ") + e.what());
  }
  return c;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Location at;
    at.file = path;
    return Status(ErrorCode::kIoError,
                  "cannot read config file (does it exist and is it readable by this user?)", at);
  }
  std::ostringstream text;
  text << in.rdbuf();
  fs::path abs = fs::absolute(path);
  return parse_config(text.str(), abs.parent_path().string(), path);
}

}  // namespace arsync::service
