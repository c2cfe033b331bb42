// Loading the secrets file. Every message here names the file and a key
// path, never a value: an error is logged and printed, a secret must not be.
#include "arsync/service/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <string_view>

#include <nlohmann/json.hpp>

namespace arsync::service {
namespace {

using nlohmann::json;

Status bad(const std::string& file, const std::string& message) {
  return Status(ErrorCode::kInvalidArgument, "secrets file " + file + ": " + message,
                Location::in_file(file));
}

// "0640": the permission bits as chmod takes them.
std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// The type of a value, never the value: "a string", "the wrong type (number)".
std::string type_of(const json& v) { return std::string(v.type_name()); }

Status wrong_type(const std::string& file, const std::string& path, const char* expected,
                  const json& v) {
  return bad(file, path + ": expected " + expected + ", got " + type_of(v));
}

Status check_keys(const std::string& file, const json& obj, const std::string& where,
                  const std::set<std::string>& known) {
  for (const auto& [key, value] : obj.items()) {
    if (known.count(key)) continue;
    std::string names;
    for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
    return bad(file, (where.empty() ? "" : where + ".") + key +
                         ": unknown key (known keys here: " + names + ")");
  }
  return Status::ok();
}

// A non-empty string at `path`.
Status read_secret(const std::string& file, const json& v, const std::string& path,
                   std::string& out) {
  if (!v.is_string()) return wrong_type(file, path, "a string", v);
  out = v.get<std::string>();
  if (out.empty()) return bad(file, path + ": is empty");
  return Status::ok();
}

// An object of non-empty strings at `path`, into `out`.
Status read_string_map(const std::string& file, const json& v, const std::string& path,
                       std::map<std::string, std::string>& out) {
  if (!v.is_object()) return wrong_type(file, path, "an object", v);
  for (const auto& [key, value] : v.items()) {
    if (key.empty()) return bad(file, path + ": has an empty key");
    ARSYNC_RETURN_IF_ERROR(read_secret(file, value, path + "." + key, out[key]));
  }
  return Status::ok();
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `text` as 64 hex digits (either case); where it is not, says how, by
// length or position, never by quoting it.
Status check_hex256(const std::string& file, const std::string& path, const std::string& text,
                    const char* what_to_do) {
  if (text.size() != 64) {
    return bad(file, path + ": must be 64 hex digits (256 bits), got " +
                         std::to_string(text.size()) + " characters; " + what_to_do);
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (hex_digit(text[i]) < 0) {
      return bad(file, path + ": must be 64 hex digits (256 bits); character " +
                           std::to_string(i + 1) + " is not a hex digit; " + what_to_do);
    }
  }
  return Status::ok();
}

constexpr char kMakeKey[] = "make one with: openssl rand -hex 32";

Status read_store_key(const std::string& file, const json& v,
                      std::optional<store::CredentialKey>& out) {
  std::string text;
  ARSYNC_RETURN_IF_ERROR(read_secret(file, v, "store_key", text));
  ARSYNC_RETURN_IF_ERROR(check_hex256(file, "store_key", text, kMakeKey));
  store::CredentialKey::Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<unsigned char>(hex_digit(text[2 * i]) * 16 + hex_digit(text[2 * i + 1]));
  }
  out.emplace(bytes);
  std::fill(bytes.begin(), bytes.end(), 0);
  std::fill(text.begin(), text.end(), '\0');
  return Status::ok();
}

Status read_http(const std::string& file, const json& v, Secrets& s) {
  if (!v.is_object()) return wrong_type(file, "http", "an object", v);
  ARSYNC_RETURN_IF_ERROR(check_keys(file, v, "http", {"tokens", "users"}));
  if (v.contains("users")) {
    ARSYNC_RETURN_IF_ERROR(read_string_map(file, v.at("users"), "http.users", s.http_users));
  }
  if (v.contains("tokens")) {
    ARSYNC_RETURN_IF_ERROR(read_string_map(file, v.at("tokens"), "http.tokens", s.http_tokens));
    for (auto& [name, hash] : s.http_tokens) {
      ARSYNC_RETURN_IF_ERROR(check_hex256(file, "http.tokens." + name, hash,
                                          "store the token's SHA-256, as printed by: "
                                          "printf %s TOKEN | sha256sum"));
      for (char& c : hash) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
  }
  return Status::ok();
}

Status read_systems(const std::string& file, const json& v, Secrets& s) {
  if (!v.is_object()) return wrong_type(file, "systems", "an object", v);
  for (const auto& [name, secrets] : v.items()) {
    if (name.empty()) return bad(file, "systems: has an empty system name");
    ARSYNC_RETURN_IF_ERROR(read_string_map(file, secrets, "systems." + name, s.systems[name]));
  }
  return Status::ok();
}

// Line and column (1-based) of byte offset `byte` in `text`.
std::string place(std::string_view text, std::size_t byte) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

Result<Secrets> parse_secrets(const std::string& file, std::string_view text) {
  json root;
  try {
    root = json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    // e.what() quotes the text it last read, which may be a secret. The
    // place given is the last character read (the end of the bad token).
    const std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
    return bad(file, "is not valid JSON (syntax error at " + place(text, at) + ")");
  } catch (const json::out_of_range&) {
    // A number beyond a double's range (1e999); nlohmann's text quotes it.
    return bad(file, "is not valid JSON (a number too large for a double)");
  }
  if (!root.is_object()) return bad(file, "must be a JSON object");
  ARSYNC_RETURN_IF_ERROR(
      check_keys(file, root, "", {"http", "smtp_password", "store_key", "systems"}));
  Secrets s;
  s.file = file;
  if (root.contains("store_key")) {
    ARSYNC_RETURN_IF_ERROR(read_store_key(file, root.at("store_key"), s.store_key));
  }
  if (root.contains("smtp_password")) {
    std::string password;
    ARSYNC_RETURN_IF_ERROR(read_secret(file, root.at("smtp_password"), "smtp_password", password));
    s.smtp_password = std::move(password);
  }
  if (root.contains("http")) ARSYNC_RETURN_IF_ERROR(read_http(file, root.at("http"), s));
  if (root.contains("systems")) ARSYNC_RETURN_IF_ERROR(read_systems(file, root.at("systems"), s));
  return s;
}

}  // namespace

Result<Secrets> load_secrets(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return Status(ErrorCode::kIoError,
                  "secrets file " + path + " cannot be read: " + std::strerror(errno),
                  Location::in_file(path));
  }
  if (S_ISLNK(st.st_mode)) {
    return bad(path, "is a symbolic link; name the file itself (a link could be pointed "
                     "at a file that others may read)");
  }
  if (!S_ISREG(st.st_mode)) return bad(path, "is not a regular file");
  auto too_open = [&](mode_t mode) {
    return bad(path, "has mode " + mode_text(mode) +
                         ", which gives users other than its owner and group access to it; run: "
                         "chmod o-rwx " + path + " (and chown root:GROUP " + path +
                         ", GROUP being the group arsyncd runs as, if it is not already)");
  };
  if ((st.st_mode & 0007) != 0) return too_open(st.st_mode);

  // O_NOFOLLOW and fstat: the file read is the one checked, even if the
  // path was swapped for a link in between.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return Status(ErrorCode::kIoError,
                  "secrets file " + path + " cannot be opened: " + std::strerror(errno),
                  Location::in_file(path));
  }
  struct stat opened {};
  if (::fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode) || (opened.st_mode & 0007) != 0) {
    const mode_t mode = opened.st_mode;
    ::close(fd);
    if (!S_ISREG(mode)) return bad(path, "is not a regular file");
    return too_open(mode);
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Status(ErrorCode::kIoError,
                    "secrets file " + path + " cannot be read: " + std::strerror(err),
                    Location::in_file(path));
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  Result<Secrets> secrets = parse_secrets(path, text);
  std::fill(text.begin(), text.end(), '\0');
  std::fill(std::begin(buf), std::end(buf), '\0');
  return secrets;
}

}  // namespace arsync::service
