#include "arsync/service/config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace arsync::service {
namespace {

namespace fs = std::filesystem;

// A week: a longer pause between cycles is more likely a typo than a plan.
constexpr long long kMaxIntervalSeconds = 7 * 24 * 3600;

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


// How a value reads in an error: `the string "10"`, `the number 500.5`,
// `an object`. Long strings are cut: the point is the type, not the text.
std::string describe_value(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::string: {
      std::string text = v.get<std::string>();
      if (text.size() > 40) text = text.substr(0, 40) + "...";
      return "the string " +
             nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "the number " + v.dump();
    case nlohmann::json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    default: return std::string("a ") + v.type_name();
  }
}

// "<path>: expected <expected>, got <what the value is>".
Status wrong_type(const std::string& file, const std::string& path, const char* expected,
                  const nlohmann::json& v) {
  return bad(file, path + ": expected " + expected + ", got " + describe_value(v));
}

// Reads obj[key] (present) as a string into `out`; `path` names it in errors.
Status read_string(const std::string& file, const nlohmann::json& obj, const std::string& key,
                   const std::string& path, std::string& out) {
  const nlohmann::json& v = obj.at(key);
  if (!v.is_string()) return wrong_type(file, path, "a string", v);
  out = v.get<std::string>();
  return Status::ok();
}

// Reads obj[key] (present) as a whole number in [min, max]. 500.5, "10" and
// 1e3 are refused: a number written with a fraction or as text is a mistake
// the admin should see, not one to round away.
Status read_integer(const std::string& file, const nlohmann::json& obj, const std::string& key,
                    const std::string& path, long long min, long long max, long long& out) {
  const nlohmann::json& v = obj.at(key);
  if (!v.is_number_integer()) return wrong_type(file, path, "an integer", v);
  bool in_range = false;
  if (v.is_number_unsigned()) {
    const auto n = v.get<unsigned long long>();
    in_range = max >= 0 && n <= static_cast<unsigned long long>(max) &&
               static_cast<long long>(n) >= min;
  } else {
    const auto n = v.get<long long>();
    in_range = n >= min && n <= max;
  }
  if (!in_range) {
    return bad(file, path + " must be between " + std::to_string(min) + " and " +
                         std::to_string(max) + ", got " + v.dump());
  }
  out = v.get<long long>();
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
  const std::string& f = file_name;
  try {
    if (root.contains("store")) {
      const auto& s = root["store"];
      if (!s.is_object()) return wrong_type(f, "store", "an object", s);
      ARSYNC_RETURN_IF_ERROR(check_keys(s, "store", {"path", "synchronous", "commit_records"}, f));
      if (s.contains("path")) ARSYNC_RETURN_IF_ERROR(read_string(f, s, "path", "store.path", c.store_path));
      if (s.contains("synchronous")) {
        std::string sync;
        ARSYNC_RETURN_IF_ERROR(read_string(f, s, "synchronous", "store.synchronous", sync));
        if (sync != "full" && sync != "normal") {
          return bad(f, "store.synchronous must be \"full\" or \"normal\"");
        }
        c.synchronous_full = sync == "full";
      }
      if (s.contains("commit_records")) {
        long long n = 0;
        ARSYNC_RETURN_IF_ERROR(
            read_integer(f, s, "commit_records", "store.commit_records", 1, 1000000, n));
        c.commit_records = static_cast<std::size_t>(n);
      }
    }
    if (root.contains("state_dir")) {
      ARSYNC_RETURN_IF_ERROR(read_string(f, root, "state_dir", "state_dir", c.state_dir));
    }
    if (root.contains("mappings_dir")) {
      ARSYNC_RETURN_IF_ERROR(read_string(f, root, "mappings_dir", "mappings_dir", c.mappings_root));
    }
    if (root.contains("interval_seconds")) {
      long long secs = 0;
      ARSYNC_RETURN_IF_ERROR(read_integer(f, root, "interval_seconds", "interval_seconds", 1,
                                          kMaxIntervalSeconds, secs));
      c.interval = std::chrono::seconds(secs);
    }
    if (root.contains("log_level")) {
      ARSYNC_RETURN_IF_ERROR(read_string(f, root, "log_level", "log_level", c.log_level));
      if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warning" &&
          c.log_level != "error") {
        return bad(f, "log_level must be one of debug, info, warning, error");
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
      return bad(f, "systems: at least one system is required, as an object keyed by "
                    "system name (e.g. \"sap-ecc\": {\"type\": \"sap_idoc\", ...})");
    }
    for (const auto& [name, sys] : root["systems"].items()) {
      const std::string where = "systems." + name;
      if (name.empty() || name.find_first_of(" ,|\t\r\n") != std::string::npos) {
        return bad(f, where + ": a system name may not contain spaces, ',' or '|'");
      }
      if (!sys.is_object()) return wrong_type(f, where, "an object", sys);
      ARSYNC_RETURN_IF_ERROR(check_keys(sys, where, {"type", "mappings", "settings"}, f));
      if (!sys.contains("type")) {
        return bad(f, where + ".type is required (a connector type such as \"sap_idoc\")");
      }
      SystemConfig sc;
      sc.name = name;
      ARSYNC_RETURN_IF_ERROR(read_string(f, sys, "type", where + ".type", sc.type));
      if (sys.contains("mappings")) {
        ARSYNC_RETURN_IF_ERROR(read_string(f, sys, "mappings", where + ".mappings", sc.mappings_dir));
        sc.mappings_dir = resolve_path(base_dir, sc.mappings_dir);
      } else {
        sc.mappings_dir = (fs::path(c.mappings_root) / sc.type).string();
      }
      sc.settings = nlohmann::json::object();
      if (sys.contains("settings")) {
        sc.settings = sys["settings"];
        if (!sc.settings.is_object()) {
          return wrong_type(f, where + ".settings", "an object", sc.settings);
        }
      }
      c.systems.push_back(std::move(sc));
    }
    if (root.contains("reconcile")) {
      c.reconcile = root["reconcile"];
      if (!c.reconcile.is_object()) return wrong_type(f, "reconcile", "an object", c.reconcile);
    }
    if (root.contains("mail")) {
      c.mail = root["mail"];
      if (!c.mail.is_object()) return wrong_type(f, "mail", "an object", c.mail);
      // The file transport's folder and the TLS and password files are paths
      // like the others; a value of the wrong type is left for
      // parse_mail_config to name.
      if (c.mail.contains("transport") && c.mail["transport"].is_object()) {
        nlohmann::json& transport = c.mail["transport"];
        for (const char* key : {"dir", "ca_file", "password_file"}) {
          if (transport.contains(key) && transport[key].is_string()) {
            transport[key] = resolve_path(base_dir, transport[key].get<std::string>());
          }
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    // Every key above is type-checked before it is read; this is a last
    // guard so that a missed check is an error message, not a crash.
    return bad(f, std::string("config has a value of the wrong type: ") + e.what());
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
