// How a command that changes state reaches the store: through the running
// arsyncd (its control route, service/control_api.h), or, when none runs,
// on the store opened here, holding arsyncd.lock shared so that no arsyncd
// starts meanwhile (service/instance_lock.h). Both run the same code
// (service/store_commands.h).
#include <iostream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>

#include "cli.h"
#include "arsync/model/clock.h"
#include "arsync/service/config.h"
#include "arsync/service/control_api.h"
#include "arsync/service/instance_lock.h"

namespace arsync::cli {
namespace {

const char kNoListener[] =
    "arsyncd is running without an http listener; add \"http\": {} to the config or stop arsyncd";

int print(const service::CommandOutput& out) {
  std::cout << out.output << std::flush;
  if (!out.error.empty()) return fail(out.error, out.exit_code);
  return out.exit_code;
}

// " (pid N)" when known.
std::string pid_text(pid_t pid) { return pid ? " (pid " + std::to_string(pid) + ")" : ""; }

// POSTs {"command", "arguments"} to the arsyncd that `probe` found running.
int forward(const std::string& state_dir, const service::DaemonProbe& probe,
            const std::string& command, const nlohmann::json& arguments) {
  Result<service::ControlEndpoint> endpoint = service::read_control_endpoint(state_dir);
  // A control file of an earlier arsyncd (killed) is not this one's.
  if ((!endpoint && endpoint.status().code() == ErrorCode::kNotFound) ||
      (endpoint && endpoint->pid && probe.pid && endpoint->pid != probe.pid)) {
    return fail(std::string(kNoListener) + pid_text(probe.pid), kExitNoDaemon);
  }
  if (!endpoint) return fail(endpoint.status().to_string(), kExitNoDaemon);
  if (endpoint->tls) {
    return fail("arsyncd" + pid_text(probe.pid) +
                    " runs with a TLS listener, which the CLI does not reach yet; stop arsyncd "
                    "to run this command, or run it on the plain-HTTP loopback listener",
                kExitNoDaemon);
  }
  Result<std::string> token = service::read_control_token(*endpoint);
  if (!token) {
    return fail(token.status().message() +
                    " (run arsync as arsyncd's user or a member of its group)",
                kExitNoDaemon);
  }
  const std::string where = endpoint->host + ":" + std::to_string(endpoint->port);
  const std::string body = nlohmann::json{{"command", command}, {"arguments", arguments}}.dump();
  int status = 0;
  std::string answer;
  try {
    Poco::Net::HTTPClientSession session(endpoint->host, static_cast<Poco::UInt16>(endpoint->port));
    session.setTimeout(Poco::Timespan(120, 0));  // the writer may be busy with a big batch
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, service::kControlPath,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    request.set("Authorization", "Bearer " + *token);
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Poco::StreamCopier::copyToString(in, answer);
    status = response.getStatus();
  } catch (const Poco::Exception& e) {
    return fail("arsyncd" + pid_text(probe.pid) + " runs but its control route at " + where +
                    " did not answer: " + e.displayText() + " (is it reloading? try again)",
                kExitNoDaemon);
  }
  const nlohmann::json j = nlohmann::json::parse(answer, nullptr, false);
  if (status == 401 || status == 403) {
    return fail("arsyncd at " + where + " refused the control token in " + endpoint->token_file +
                    " (HTTP " + std::to_string(status) + "); it makes a new one at each start: "
                    "try again, or check that the file is arsyncd's",
                kExitNoDaemon);
  }
  if (status != 200 || !j.is_object() || !j.value("exit_code", nlohmann::json()).is_number_integer()) {
    const std::string reason = j.is_object() && j.value("error", nlohmann::json()).is_string()
                                   ? j["error"].get<std::string>()
                                   : answer;
    return fail("arsyncd at " + where + " answered HTTP " + std::to_string(status) + ": " + reason,
                kExitNoDaemon);
  }
  const auto text = [&j](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  service::CommandOutput out;
  out.exit_code = j["exit_code"].get<int>();
  out.output = text("output");
  out.error = text("error");
  return print(out);
}

}  // namespace

int run_writing_command(const Context& ctx, const service::StoreCommand& command) {
  service::DaemonProbe probe;  // holds the lock shared while this writes
  if (ctx.db_path.empty()) {
    Result<service::Config> config = service::load_config(ctx.config_path);
    if (!config) {
      return fail(config.status()
                      .with_context("cannot find the store (give --db PATH or --config FILE)")
                      .to_string());
    }
    Result<service::DaemonProbe> p = service::probe_daemon(config->state_dir);
    if (!p) return fail(p.status().to_string());
    if (p->running) return forward(config->state_dir, *p, command.name, command.arguments);
    probe = std::move(p).value();
  }
  Result<std::unique_ptr<store::Store>> st = open_store(ctx);
  if (!st) return fail(st.status().to_string());
  SystemClock clock;
  return print(service::run_store_command(command, **st, clock));
}

int run_daemon_command(const Context& ctx, const std::string& command,
                       const nlohmann::json& arguments, const std::string& not_running) {
  Result<service::Config> config = service::load_config(ctx.config_path);
  if (!config) return fail(config.status().to_string());
  Result<service::DaemonProbe> probe = service::probe_daemon(config->state_dir);
  if (!probe) return fail(probe.status().to_string());
  if (!probe->running) return fail(not_running, kExitNoDaemon);
  return forward(config->state_dir, *probe, command, arguments);
}

}  // namespace arsync::cli
