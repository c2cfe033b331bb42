// The control channel: how `arsync` hands a command that changes state to
// the running arsyncd, so that the store keeps one writer.
//
// Design.
// - Whether arsyncd runs: its lock on state_dir/arsyncd.lock
//   (instance_lock.h). Not running: the CLI opens the store itself, as
//   before, holding that lock shared meanwhile.
// - The channel is the daemon's HTTP listener, on http.listen (loopback by
//   default): one route, POST /v1/commands, whose body names the command
//   and its arguments:
//     {"command": "discrepancies ack", "arguments": {"id": 7, "note": "...", "by": "alice"}}
//     {"command": "sync now", "arguments": {"system": "sap-ecc"}}
//   and whose 200 answer is what the CLI prints and its exit status:
//     {"exit_code": 0, "output": "discrepancy #7 acknowledged by alice\n", "error": ""}
//   Other answers: 400 (not such a body, an unknown command), 401 (no or a
//   wrong token: the listener's), 403 (a principal other than the control
//   token, such as SAP's Basic user: the route changes state and is for the
//   CLI only), 503 (arsyncd is stopping).
// - Authentication: a bearer token that arsyncd makes at each start of the
//   listener (32 random bytes, hex) and registers with the listener under
//   the token name "arsyncd-control", beside the secrets file's users and
//   tokens (which stay valid; a user or token of that name there is refused).
//   Only the token's SHA-256 stays in memory.
// - Files in state_dir, written atomically (temporary file, rename), 0640,
//   so that arsyncd's user and group (the admins') may read them, and
//   removed when the listener stops:
//     control.token  the token, one line
//     control.json   {"pid": N, "host": "127.0.0.1", "port": 8089, "tls": false,
//                     "token_file": "control.token"}
//   control.json gives the bound port (http.listen may say port 0) and the
//   host to dial (a wildcard address becomes loopback). It is written after
//   the listener accepts connections.
// - The daemon runs a store command (store_commands.h, the same code the CLI
//   runs locally) on the engine's StoreWriter, and `sync now` as a wake of
//   the system's scheduled pull.
// - arsyncd without an "http" section has no listener and so no channel:
//   the CLI then refuses to write (exit 3) and says to add "http": {} or to
//   stop arsyncd, rather than open a second writer.
//
// Thread safety: create, credentials and publish from the thread that
// owns the listener; the route's handler runs on listener threads.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "arsync/engine/store_writer.h"
#include "arsync/http_route.h"
#include "arsync/model/clock.h"
#include "arsync/model/status.h"
#include "arsync/service/http_auth.h"
#include "arsync/service/http_config.h"

namespace arsync::service {

inline constexpr char kControlFileName[] = "control.json";
inline constexpr char kControlTokenFileName[] = "control.token";
inline constexpr char kControlTokenName[] = "arsyncd-control";
inline constexpr char kControlPath[] = "/v1/commands";

// What the control route acts on; all must outlive the ControlApi's route.
struct ControlTarget {
  engine::StoreWriter& writer;
  std::function<Status(const std::string& system)> wake;  // Scheduler::wake
  const Clock& clock;
};

class ControlApi {
 public:
  // Makes a fresh token. Error: kInternal when the random source fails.
  static Result<std::unique_ptr<ControlApi>> create(std::string state_dir, ControlTarget target);
  ~ControlApi();  // removes the files publish() wrote
  ControlApi(const ControlApi&) = delete;
  ControlApi& operator=(const ControlApi&) = delete;

  // `from_secrets` plus the control token, for HttpListener::set_credentials.
  // Error: kInvalidArgument when the secrets file has a user or token named
  // "arsyncd-control".
  Result<HttpCredentials> credentials(HttpCredentials from_secrets) const;

  // POST /v1/commands, as described above.
  HttpRoute route() const;

  // Writes control.token, then control.json naming `port` (the listener's
  // bound one). Errors: kIoError naming the file.
  Status publish(const HttpOptions& http, int port);

 private:
  struct State;
  explicit ControlApi(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
  bool published_ = false;
};

// ---- the CLI's side

struct ControlEndpoint {
  pid_t pid = 0;
  std::string host;
  int port = 0;
  bool tls = false;
  std::string token_file;  // absolute
};

// Reads state_dir/control.json. Errors: kNotFound when there is none (no
// listener runs); kIoError when it cannot be read; kInvalidArgument naming
// the file when it is malformed.
Result<ControlEndpoint> read_control_endpoint(const std::string& state_dir);

// The token in endpoint.token_file. Errors: kIoError naming the file (a user
// outside arsyncd's group: "Permission denied"); kInvalidArgument when empty.
Result<std::string> read_control_token(const ControlEndpoint& endpoint);

}  // namespace arsync::service
