#include "arsync/service/control_api.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "arsync/log/log.h"
#include "arsync/model/sha256.h"
#include "arsync/service/store_commands.h"

namespace arsync::service {
namespace fs = std::filesystem;

struct ControlApi::State {
  State(std::string dir, ControlTarget t) : state_dir(std::move(dir)), target(std::move(t)) {}
  std::string state_dir;
  ControlTarget target;
  std::string token;  // hex; written to control.token, never logged
};

namespace {

std::string in_state_dir(const std::string& state_dir, const char* name) {
  return (fs::path(state_dir) / name).string();
}

// Writes `text` to `path` by a temporary file renamed over it, mode 0640
// whatever the umask.
Status write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Status(ErrorCode::kIoError, "cannot create " + tmp + ": " + std::strerror(errno));
  }
  const bool written = ::fchmod(fd, 0640) == 0 &&
                       ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int err = errno;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = written ? errno : err;
    ::unlink(tmp.c_str());
    return Status(ErrorCode::kIoError, "cannot write " + path + ": " + std::strerror(e));
  }
  return Status::ok();
}

HttpResponse json_response(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = body.dump() + "\n";
  return r;
}

HttpResponse refused(int status, const std::string& message) {
  return json_response(status, {{"error", message}});
}

nlohmann::json answer(const CommandOutput& out) {
  return {{"exit_code", out.exit_code}, {"output", out.output}, {"error", out.error}};
}

CommandOutput sync_now(const nlohmann::json& arguments, const ControlTarget& target) {
  CommandOutput out;
  const auto system = arguments.find("system");
  if (system == arguments.end() || !system->is_string() || system->get_ref<const std::string&>().empty()) {
    out.exit_code = 2;
    out.error = "sync now: argument system must name a system";
    return out;
  }
  const std::string name = system->get<std::string>();
  Status s = target.wake(name);
  if (!s) {
    out.exit_code = 1;
    out.error = s.code() == ErrorCode::kNotFound
                    ? "arsyncd has no system named '" + name +
                          "' (see `systems` in its config; a changed config is read on SIGHUP)"
                    : s.to_string();
    return out;
  }
  out.output = "asked arsyncd to pull " + name + " now\n";
  return out;
}

HttpResponse handle(const std::string& state_dir, const ControlTarget& target,
                    const HttpRequest& request) {
  if (request.principal != kControlTokenName) {
    return refused(403, std::string("this route takes only the token in ") +
                            in_state_dir(state_dir, kControlTokenFileName));
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("command") || !body["command"].is_string()) {
    return refused(400, "expected a JSON object {\"command\": NAME, \"arguments\": {...}}");
  }
  const std::string command = body["command"].get<std::string>();
  const nlohmann::json arguments = body.value("arguments", nlohmann::json::object());
  if (!arguments.is_object()) return refused(400, "arguments must be a JSON object");
  if (command != "sync now" && !is_store_command(command)) {
    return refused(400, "no command '" + command + "'");
  }
  log::info("", "control_command", {{"command", command}});
  if (command == "sync now") return json_response(200, answer(sync_now(arguments, target)));

  // On the writer thread: the store keeps one writer.
  CommandOutput out;
  const StoreCommand c{command, arguments};
  Status ran = target.writer
                   .run([&](store::Store& s) {
                     out = run_store_command(c, s, target.clock);
                     return Status::ok();
                   })
                   .get();
  if (!ran) return refused(ran.code() == ErrorCode::kUnavailable ? 503 : 500, ran.to_string());
  return json_response(200, answer(out));
}

}  // namespace

Result<std::unique_ptr<ControlApi>> ControlApi::create(std::string state_dir, ControlTarget target) {
  auto state = std::make_shared<State>(std::move(state_dir), std::move(target));
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return Status(ErrorCode::kInternal, "control token: the random source failed");
  }
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char b : bytes) {
    state->token += kHex[b >> 4];
    state->token += kHex[b & 15];
  }
  return std::unique_ptr<ControlApi>(new ControlApi(std::move(state)));
}

ControlApi::~ControlApi() {
  if (!published_) return;
  // control.json first: a CLI that finds it then finds the token too.
  ::unlink(in_state_dir(state_->state_dir, kControlFileName).c_str());
  ::unlink(in_state_dir(state_->state_dir, kControlTokenFileName).c_str());
}

Result<HttpCredentials> ControlApi::credentials(HttpCredentials from_secrets) const {
  if (from_secrets.users.count(kControlTokenName) || from_secrets.tokens.count(kControlTokenName)) {
    return Status(ErrorCode::kInvalidArgument,
                  std::string("secrets http: the name \"") + kControlTokenName +
                      "\" is arsyncd's own (the CLI's control token); give that user or token "
                      "another name");
  }
  from_secrets.tokens[kControlTokenName] = sha256_hex(state_->token);
  return from_secrets;
}

HttpRoute ControlApi::route() const {
  HttpRoute r;
  r.method = "POST";
  r.path = kControlPath;
  r.auth = RouteAuth::kListener;
  r.max_body_bytes = 1024 * 1024;
  std::shared_ptr<State> state = state_;
  r.handle = [state](const HttpRequest& request) { return handle(state->state_dir, state->target, request); };
  return r;
}

Status ControlApi::publish(const HttpOptions& http, int port) {
  const std::string token_file = in_state_dir(state_->state_dir, kControlTokenFileName);
  ARSYNC_RETURN_IF_ERROR(write_atomically(token_file, state_->token + "\n"));
  published_ = true;
  // A wildcard address is reached on loopback.
  std::string host = http.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  const nlohmann::json endpoint = {{"pid", ::getpid()},   {"host", host},
                                   {"port", port},        {"tls", http.tls.enabled()},
                                   {"token_file", kControlTokenFileName}};
  return write_atomically(in_state_dir(state_->state_dir, kControlFileName), endpoint.dump(2) + "\n");
}

Result<ControlEndpoint> read_control_endpoint(const std::string& state_dir) {
  const std::string path = in_state_dir(state_dir, kControlFileName);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Status(ErrorCode::kNotFound, "no " + path);
    return Status(ErrorCode::kIoError, "cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  ControlEndpoint e;
  if (!j.is_object() || !j.value("host", nlohmann::json()).is_string() ||
      !j.value("port", nlohmann::json()).is_number_integer() ||
      !j.value("token_file", nlohmann::json()).is_string()) {
    return Status(ErrorCode::kInvalidArgument,
                  path + ": not arsyncd's control file (expected host, port and token_file)");
  }
  e.pid = j.value("pid", nlohmann::json()).is_number_integer() ? j["pid"].get<pid_t>() : 0;
  e.host = j["host"].get<std::string>();
  e.port = j["port"].get<int>();
  e.tls = j.value("tls", nlohmann::json()).is_boolean() && j["tls"].get<bool>();
  const fs::path token = j["token_file"].get<std::string>();
  e.token_file = (token.is_absolute() ? token : fs::path(state_dir) / token).string();
  return e;
}

Result<std::string> read_control_token(const ControlEndpoint& endpoint) {
  std::ifstream in(endpoint.token_file, std::ios::binary);
  if (!in) {
    return Status(ErrorCode::kIoError,
                  "cannot read " + endpoint.token_file + ": " + std::strerror(errno));
  }
  std::string token;
  std::getline(in, token);
  if (token.empty()) {
    return Status(ErrorCode::kInvalidArgument, endpoint.token_file + " holds no token");
  }
  return token;
}

}  // namespace arsync::service
