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

// Adds "<path>: unknown key (known keys here: ...)" for each key of `obj`
// not in `known`.
void check_keys(const nlohmann::json& obj, const std::string& where,
                const std::set<std::string>& known, ConfigErrors& errors) {
  for (const auto& [key, value] : obj.items()) {
    if (!known.count(key)) {
      std::string names;
      for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
      errors.add(where + (where.empty() ? "" : ".") + key + ": unknown key (known keys here: " +
                 names + ")");
    }
  }
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
void wrong_type(ConfigErrors& errors, const std::string& path, const char* expected,
                const nlohmann::json& v) {
  errors.add(path + ": expected " + expected + ", got " + describe_value(v));
}

// Reads obj[key] (present) as a string into `out`; `path` names it in errors.
// False (and an error added) when it is not a string.
bool read_string(ConfigErrors& errors, const nlohmann::json& obj, const std::string& key,
                 const std::string& path, std::string& out) {
  const nlohmann::json& v = obj.at(key);
  if (!v.is_string()) {
    wrong_type(errors, path, "a string", v);
    return false;
  }
  out = v.get<std::string>();
  return true;
}

// Reads obj[key] (present) as a whole number in [min, max]. 500.5, "10" and
// 1e3 are refused: a number written with a fraction or as text is a mistake
// the admin should see, not one to round away. False (and an error added)
// when it is not such a number.
bool read_integer(ConfigErrors& errors, const nlohmann::json& obj, const std::string& key,
                  const std::string& path, long long min, long long max, long long& out) {
  const nlohmann::json& v = obj.at(key);
  if (!v.is_number_integer()) {
    wrong_type(errors, path, "an integer", v);
    return false;
  }
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
    errors.add(path + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
               ", got " + v.dump());
    return false;
  }
  out = v.get<long long>();
  return true;
}

void parse_store(const nlohmann::json& s, Config& c, ConfigErrors& errors) {
  if (!s.is_object()) return wrong_type(errors, "store", "an object", s);
  check_keys(s, "store", {"path", "synchronous", "commit_records"}, errors);
  if (s.contains("path")) read_string(errors, s, "path", "store.path", c.store_path);
  if (std::string sync; s.contains("synchronous") &&
                        read_string(errors, s, "synchronous", "store.synchronous", sync)) {
    if (sync != "full" && sync != "normal") {
      errors.add("store.synchronous must be \"full\" or \"normal\"");
    }
    c.synchronous_full = sync == "full";
  }
  if (long long n = 0; s.contains("commit_records") &&
                       read_integer(errors, s, "commit_records", "store.commit_records", 1,
                                    1000000, n)) {
    c.commit_records = static_cast<std::size_t>(n);
  }
}

void parse_systems(const nlohmann::json& root, Config& c, ConfigErrors& errors) {
  if (!root.contains("systems") || !root["systems"].is_object() || root["systems"].empty()) {
    return errors.add("systems: at least one system is required, as an object keyed by "
                      "system name (e.g. \"sap-ecc\": {\"type\": \"sap_idoc\", ...})");
  }
  for (const auto& [name, sys] : root["systems"].items()) {
    const std::string where = "systems." + name;
    if (name.empty() || name.find_first_of(" ,|\t\r\n") != std::string::npos) {
      errors.add(where + ": a system name may not contain spaces, ',' or '|'");
      continue;
    }
    if (!sys.is_object()) {
      wrong_type(errors, where, "an object", sys);
      continue;
    }
    check_keys(sys, where, {"type", "mappings", "settings", "interval_seconds"}, errors);
    SystemConfig sc;
    sc.name = name;
    if (long long secs = 0; sys.contains("interval_seconds") &&
                            read_integer(errors, sys, "interval_seconds",
                                         where + ".interval_seconds", 1, kMaxIntervalSeconds,
                                         secs)) {
      sc.interval = std::chrono::seconds(secs);
    }
    if (!sys.contains("type")) {
      errors.add(where + ".type is required (a connector type such as \"sap_idoc\")");
    } else {
      read_string(errors, sys, "type", where + ".type", sc.type);
    }
    if (sys.contains("mappings")) {
      read_string(errors, sys, "mappings", where + ".mappings", sc.mappings_dir);
      sc.mappings_dir = resolve_path(c.base_dir, sc.mappings_dir);
    } else {
      sc.mappings_dir = (fs::path(c.mappings_root) / sc.type).string();
    }
    sc.settings = nlohmann::json::object();
    if (sys.contains("settings")) {
      if (sys["settings"].is_object()) {
        sc.settings = sys["settings"];
      } else {
        wrong_type(errors, where + ".settings", "an object", sys["settings"]);
      }
    }
    c.systems.push_back(std::move(sc));
  }
}

}  // namespace

void ConfigErrors::add(const std::string& message) {
  Location at;
  at.file = file_;
  errors_.emplace_back(ErrorCode::kInvalidArgument, message, at);
}

void ConfigErrors::add(Status status) {
  if (status.is_ok()) return;
  if (status.where().file.empty()) status.where().file = file_;
  errors_.push_back(std::move(status));
}

std::vector<std::string> ConfigErrors::lines() const {
  std::vector<std::string> out;
  for (const Status& e : errors_) {
    Location where = e.where();
    if (where.file == file_) where.file.clear();
    out.push_back(e.message() + (where.empty() ? "" : " (at " + where.to_string() + ")"));
  }
  return out;
}

Status ConfigErrors::to_status() const {
  if (errors_.empty()) return Status::ok();
  if (errors_.size() == 1) return errors_.front();
  std::string message = std::to_string(errors_.size()) + " errors in the config:";
  for (const std::string& line : lines()) message += "\n  " + line;
  Location at;
  at.file = file_;
  return Status(ErrorCode::kInvalidArgument, message, at);
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute() || base_dir.empty()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

std::optional<Config> parse_config(std::string_view text, const std::string& base_dir,
                                   ConfigErrors& errors) {
  Config c;
  c.file = errors.file();
  c.base_dir = base_dir;
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::exception& e) {
    // A parse_error, or out_of_range for a number beyond a double's range
    // (1e999): parse throws nothing else.
    errors.add(std::string("config is not valid JSON: ") + e.what());
    return std::nullopt;
  }
  if (!root.is_object()) {
    errors.add("config must be a JSON object");
    return std::nullopt;
  }
  check_keys(root, "",
             {"store", "state_dir", "mappings_dir", "interval_seconds", "log_level", "systems",
              "reconcile", "mail", "quarantine_alert_share", "secrets_file", "http"},
             errors);
  try {
    if (root.contains("store")) parse_store(root["store"], c, errors);
    if (root.contains("state_dir")) read_string(errors, root, "state_dir", "state_dir", c.state_dir);
    if (root.contains("mappings_dir")) {
      read_string(errors, root, "mappings_dir", "mappings_dir", c.mappings_root);
    }
    if (long long secs = 0; root.contains("interval_seconds") &&
                            read_integer(errors, root, "interval_seconds", "interval_seconds", 1,
                                         kMaxIntervalSeconds, secs)) {
      c.interval = std::chrono::seconds(secs);
    }
    if (root.contains("log_level") &&
        read_string(errors, root, "log_level", "log_level", c.log_level) &&
        c.log_level != "debug" && c.log_level != "info" && c.log_level != "warning" &&
        c.log_level != "error") {
      errors.add("log_level must be one of debug, info, warning, error");
    }
    if (root.contains("quarantine_alert_share")) {
      const nlohmann::json& v = root["quarantine_alert_share"];
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
        errors.add("quarantine_alert_share must be a number from 0 to 1 (the share of a pull's "
                   "records that may be quarantined, e.g. 0.1), got " + v.dump());
      } else {
        c.quarantine_alert_share = v.get<double>();
      }
    }
    if (root.contains("secrets_file") &&
        read_string(errors, root, "secrets_file", "secrets_file", c.secrets_file)) {
      c.secrets_file_set = true;
    }
    c.secrets_file = resolve_path(base_dir, c.secrets_file);
    if (root.contains("http")) {
      Result<HttpOptions> http = parse_http_options(root["http"]);
      if (!http) {
        errors.add(http.status());
      } else {
        for (std::string* path : {&http->tls.cert, &http->tls.key, &http->tls.client_ca}) {
          *path = resolve_path(base_dir, *path);
        }
        c.http = std::move(http).value();
      }
    }
    c.store_path = resolve_path(base_dir, c.store_path);
    c.state_dir = resolve_path(base_dir, c.state_dir);
    c.mappings_root = resolve_path(base_dir, c.mappings_root);
    parse_systems(root, c, errors);
    if (root.contains("reconcile")) {
      c.reconcile = root["reconcile"];
      if (!c.reconcile.is_object()) wrong_type(errors, "reconcile", "an object", c.reconcile);
    }
    if (root.contains("mail")) {
      c.mail = root["mail"];
      if (!c.mail.is_object()) {
        wrong_type(errors, "mail", "an object", c.mail);
      } else if (c.mail.contains("transport") && c.mail["transport"].is_object()) {
        // The file transport's folder and the TLS and password files are
        // paths like the others; a value of the wrong type is left for
        // parse_mail_config to name.
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
    errors.add(std::string("config has a value of the wrong type: ") + e.what());
  }
  return c;
}

Result<Config> parse_config(std::string_view text, const std::string& base_dir,
                            const std::string& file_name) {
  ConfigErrors errors(file_name);
  std::optional<Config> c = parse_config(text, base_dir, errors);
  if (!errors.empty()) return errors.to_status();
  return std::move(c).value();
}

std::optional<Config> load_config(const std::string& path, ConfigErrors& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Location at;
    at.file = path;
    errors.add(Status(ErrorCode::kIoError,
                      "cannot read config file (does it exist and is it readable by this user?)",
                      at));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  fs::path abs = fs::absolute(path);
  return parse_config(text.str(), abs.parent_path().string(), errors);
}

Result<Config> load_config(const std::string& path) {
  ConfigErrors errors(path);
  std::optional<Config> c = load_config(path, errors);
  if (!errors.empty()) return errors.to_status();
  return std::move(c).value();
}

}  // namespace arsync::service
