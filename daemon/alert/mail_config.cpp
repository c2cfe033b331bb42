#include "arsync/alert/mail_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include <Poco/Exception.h>
#include <Poco/Net/DNS.h>

namespace arsync::alert {
namespace {

Status config_error(const std::string& key, const std::string& what) {
  Location where;
  where.field = key;
  // what starting with ':' continues the key ("mail.from: ...").
  const std::string sep = (!what.empty() && what.front() == ':') ? "" : " ";
  return Status(ErrorCode::kInvalidArgument, key + sep + what, where);
}

// Refuses keys outside `known`: a misspelt key would otherwise be ignored.
Status check_keys(const nlohmann::json& obj, const std::string& path,
                  const std::set<std::string>& known) {
  for (const auto& [key, value] : obj.items()) {
    if (!known.contains(key)) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return config_error(path + "." + key, "is not a known key (known: " + list + ")");
    }
  }
  return Status::ok();
}

Status get_string(const nlohmann::json& obj, const std::string& path, const char* key,
                  std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  if (!it->is_string()) return config_error(path + "." + key, "must be a string");
  out = it->get<std::string>();
  return Status::ok();
}

Status get_bool(const nlohmann::json& obj, const std::string& path, const char* key, bool& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  if (!it->is_boolean()) return config_error(path + "." + key, "must be true or false");
  out = it->get<bool>();
  return Status::ok();
}

// A positive whole number no larger than `max`.
Status get_positive(const nlohmann::json& obj, const std::string& path, const char* key,
                    long long max, long long& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  if (!it->is_number_integer() || it->get<long long>() < 1 || it->get<long long>() > max) {
    return config_error(path + "." + key,
                        "must be a whole number from 1 to " + std::to_string(max));
  }
  out = it->get<long long>();
  return Status::ok();
}

Status check_one_of(const std::string& key, const std::string& value,
                    std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (value == a) return Status::ok();
  }
  std::string list;
  for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
  return config_error(key, "must be one of " + list);
}

bool is_domain_name(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-') return false;
    if (c == '-' && label == 0) return false;
    if (++label > 63) return false;
  }
  return s.back() != '-';
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// Shows control characters escaped so an error message stays one line.
std::string printable(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u == '\r') out += "\\r";
    else if (u == '\n') out += "\\n";
    else if (u < 0x20 || u == 0x7f) { out += "\\x"; out += kHex[u >> 4]; out += kHex[u & 15]; }
    else out += c;
  }
  return out;
}

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

std::string machine_hostname() {
  try {
    std::string name = Poco::Net::DNS::hostName();
    if (is_domain_name(name)) return name;
  } catch (const Poco::Exception&) {
    // No usable name: fall through to the default.
  }
  return "localhost";
}

// Reads a secret kept apart from the config: the file's first line. The file
// must be readable by its owner only, as the service user's secrets are.
Status read_secret_file(const std::string& key, const std::string& file, std::string& out) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return config_error(key, "names " + file + ", which cannot be read (" + std::strerror(errno) + ")");
  }
  if ((st.st_mode & 077) != 0) {
    return config_error(key, "names " + file +
                                 ", which group or others may read; run: chmod 600 " + file);
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return config_error(key, "names " + file + ", which cannot be read");
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return config_error(key, "names " + file + ", whose first line is empty");
  out = line;
  return Status::ok();
}

// A password written into the config is only as secret as the config file.
Status check_inline_password(const std::string& config_file) {
  if (config_file.empty()) return Status::ok();
  struct stat st {};
  if (::stat(config_file.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return Status::ok();
  return config_error("mail.transport.password",
                      "is written in " + config_file +
                          ", which group or others may read; put the password in a file named by "
                          "mail.transport.password_file (chmod 600) or run: chmod 600 " + config_file);
}

Status parse_transport(const nlohmann::json& t, TransportConfig& out, const std::string& config_file) {
  const std::string path = "mail.transport";
  if (!t.is_object()) return config_error(path, "must be an object");
  ARSYNC_RETURN_IF_ERROR(check_keys(
      t, path,
      {"type", "dir", "host", "port", "security", "username", "password", "password_file",
       "verify_peer", "ca_file", "timeout_seconds", "helo_name"}));
  ARSYNC_RETURN_IF_ERROR(get_string(t, path, "type", out.type));
  ARSYNC_RETURN_IF_ERROR(check_one_of(path + ".type", out.type, {"file", "smtp"}));
  ARSYNC_RETURN_IF_ERROR(get_string(t, path, "dir", out.dir));
  ARSYNC_RETURN_IF_ERROR(get_string(t, path, "host", out.host));
  ARSYNC_RETURN_IF_ERROR(get_string(t, path, "security", out.security));
  ARSYNC_RETURN_IF_ERROR(get_string(t, path, "username", out.username));
  ARSYNC_RETURN_IF_ERROR(get_string(t, path, "password", out.password));
  if (!out.password.empty()) ARSYNC_RETURN_IF_ERROR(check_inline_password(config_file));
  std::string password_file;
  ARSYNC_RETURN_IF_ERROR(get_string(t, path, "password_file", password_file));
  if (!password_file.empty()) {
    if (!out.password.empty()) {
      return config_error(path + ".password_file", "and mail.transport.password are both set; keep one");
    }
    ARSYNC_RETURN_IF_ERROR(read_secret_file(path + ".password_file", password_file, out.password));
  }
  ARSYNC_RETURN_IF_ERROR(get_bool(t, path, "verify_peer", out.verify_peer));
  ARSYNC_RETURN_IF_ERROR(get_string(t, path, "ca_file", out.ca_file));
  ARSYNC_RETURN_IF_ERROR(get_string(t, path, "helo_name", out.helo_name));
  long long port = 0;
  ARSYNC_RETURN_IF_ERROR(get_positive(t, path, "port", 65535, port));
  out.port = static_cast<int>(port);
  long long timeout = out.timeout_seconds;
  ARSYNC_RETURN_IF_ERROR(get_positive(t, path, "timeout_seconds", 3600, timeout));
  out.timeout_seconds = static_cast<int>(timeout);

  if (out.type == "file") {
    if (out.dir.empty()) return config_error(path + ".dir", "is required when mail.transport.type is file");
    return Status::ok();
  }
  ARSYNC_RETURN_IF_ERROR(check_one_of(path + ".security", out.security, {"none", "starttls", "tls"}));
  if (out.host.empty()) return config_error(path + ".host", "is required when mail.transport.type is smtp");
  if (has_control(out.host) || out.host.find(' ') != std::string::npos) {
    return config_error(path + ".host", "must be a host name or address");
  }
  if (!out.helo_name.empty() && !is_domain_name(out.helo_name)) {
    return config_error(path + ".helo_name", "must be a domain name");
  }
  if (!out.username.empty()) {
    if (has_control(out.username) || has_control(out.password)) {
      return config_error(path + ".username", "and password must not contain control characters");
    }
    if (out.security == "none") {
      return config_error(path + ".username",
                          "requires mail.transport.security starttls or tls (AUTH would send "
                          "the password in clear text)");
    }
  }
  return Status::ok();
}

Status parse_retry(const nlohmann::json& r, RetryPolicy& out) {
  const std::string path = "mail.retry";
  if (!r.is_object()) return config_error(path, "must be an object");
  ARSYNC_RETURN_IF_ERROR(check_keys(
      r, path, {"first_retry_seconds", "max_interval_seconds", "give_up_after_seconds"}));
  constexpr long long kYear = 366LL * 86400;
  long long first = out.first_retry.count();
  long long max = out.max_interval.count();
  long long give_up = out.give_up_after.count();
  ARSYNC_RETURN_IF_ERROR(get_positive(r, path, "first_retry_seconds", kYear, first));
  ARSYNC_RETURN_IF_ERROR(get_positive(r, path, "max_interval_seconds", kYear, max));
  ARSYNC_RETURN_IF_ERROR(get_positive(r, path, "give_up_after_seconds", kYear, give_up));
  if (first > max) {
    return config_error(path + ".first_retry_seconds",
                        "must not exceed mail.retry.max_interval_seconds");
  }
  out.first_retry = std::chrono::seconds(first);
  out.max_interval = std::chrono::seconds(max);
  out.give_up_after = std::chrono::seconds(give_up);
  return Status::ok();
}

}  // namespace

int TransportConfig::effective_port() const {
  if (port != 0) return port;
  if (security == "tls") return 465;
  if (security == "starttls") return 587;
  return 25;
}

std::chrono::seconds RetryPolicy::backoff(int failed_attempts) const {
  std::chrono::seconds delay = first_retry;
  for (int i = 1; i < failed_attempts && delay < max_interval; ++i) delay *= 2;
  return std::min(delay, max_interval);
}

Status validate_address(std::string_view address) {
  auto bad = [&](const std::string& why) {
    return Status(ErrorCode::kInvalidArgument,
                  "\"" + printable(address) + "\" is not a valid email address: " + why);
  };
  if (address.empty()) return bad("it is empty");
  if (address.size() > 254) return bad("it is longer than 254 characters");
  for (char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return bad("it contains a space, a control character or non-ASCII text");
  }
  const auto at = address.rfind('@');
  if (at == std::string_view::npos) return bad("it has no @");
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  if (local.empty() || local.size() > 64) return bad("the part before @ must have 1 to 64 characters");
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return bad("misplaced dot before @");
  }
  for (char c : local) {
    if (c != '.' && !is_atext(c)) {
      return bad("only letters, digits and !#$%&'*+-/=?^_`{|}~. are allowed before @ "
                 "(write the bare address, without a name or <>)");
    }
  }
  if (!is_domain_name(domain)) return bad("the part after @ is not a domain name");
  return Status::ok();
}

Result<MailConfig> parse_mail_config(const nlohmann::json& mail, const std::string& config_file) {
  MailConfig out;
  if (!mail.is_object()) return config_error("mail", "must be an object");
  ARSYNC_RETURN_IF_ERROR(check_keys(mail, "mail",
                                    {"from", "to", "mode", "subject_prefix", "hostname", "transport",
                                     "retry", "delivery_deadline_seconds", "resend_uncertain"}));
  long long deadline = out.delivery_deadline.count();
  ARSYNC_RETURN_IF_ERROR(get_positive(mail, "mail", "delivery_deadline_seconds", 3600, deadline));
  out.delivery_deadline = std::chrono::seconds(deadline);
  ARSYNC_RETURN_IF_ERROR(get_bool(mail, "mail", "resend_uncertain", out.resend_uncertain));

  ARSYNC_RETURN_IF_ERROR(get_string(mail, "mail", "from", out.from));
  if (out.from.empty()) return config_error("mail.from", "is required");
  if (Status s = validate_address(out.from); !s) return config_error("mail.from", ": " + s.message());

  auto to = mail.find("to");
  if (to == mail.end()) return config_error("mail.to", "is required");
  if (to->is_string()) {
    out.to.push_back(to->get<std::string>());
  } else if (to->is_array()) {
    for (const auto& item : *to) {
      if (!item.is_string()) return config_error("mail.to", "must be a list of addresses");
      out.to.push_back(item.get<std::string>());
    }
  } else {
    return config_error("mail.to", "must be an address or a list of addresses");
  }
  if (out.to.empty()) return config_error("mail.to", "must name at least one address");
  for (std::size_t i = 0; i < out.to.size(); ++i) {
    if (Status s = validate_address(out.to[i]); !s) {
      return config_error("mail.to[" + std::to_string(i) + "]", ": " + s.message());
    }
  }

  ARSYNC_RETURN_IF_ERROR(get_string(mail, "mail", "mode", out.mode));
  ARSYNC_RETURN_IF_ERROR(check_one_of("mail.mode", out.mode, {"per_discrepancy", "per_cycle"}));
  ARSYNC_RETURN_IF_ERROR(get_string(mail, "mail", "subject_prefix", out.subject_prefix));
  if (has_control(out.subject_prefix)) {
    return config_error("mail.subject_prefix", "must not contain control characters");
  }
  ARSYNC_RETURN_IF_ERROR(get_string(mail, "mail", "hostname", out.hostname));
  if (out.hostname.empty()) {
    out.hostname = machine_hostname();
  } else if (!is_domain_name(out.hostname)) {
    return config_error("mail.hostname", "must be a domain name");
  }

  if (auto t = mail.find("transport"); t != mail.end()) {
    ARSYNC_RETURN_IF_ERROR(parse_transport(*t, out.transport, config_file));
  } else {
    return config_error("mail.transport", "is required");
  }
  if (auto r = mail.find("retry"); r != mail.end()) {
    ARSYNC_RETURN_IF_ERROR(parse_retry(*r, out.retry));
  }
  return out;
}

}  // namespace arsync::alert
