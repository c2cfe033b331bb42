// The CLI and the running daemon, as an admin meets them: a writing command
// goes through arsyncd's control route when it runs (and the store keeps
// one writer), `arsync sync now` wakes a pull, tokens are checked, the CLI
// writes the store itself when no arsyncd runs, and a second arsyncd on the
// same state_dir refuses to start. Real binaries, real HTTP on loopback.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "arsync/model/sha256.h"
#include "daemon_process.h"
#include "demo_env.h"
#include "run_command.h"

namespace arsync::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kBin = std::string(ARSYNC_BINARY_DIR) + "/daemon/main/";

// A top-level key added to the demo config.
std::string with_key(const std::string& config, const std::string& key_and_value) {
  return "{" + key_and_value + "," + config.substr(config.find('{') + 1);
}

// Polls `done` every 20 ms until it holds or `timeout` passed.
bool eventually(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

std::int64_t count(const DemoEnv& env, const std::string& sql) {
  SQLite::Database db((env.root() / "var" / "arsync.db").string(), SQLite::OPEN_READONLY);
  return db.execAndGet(sql).getInt64();
}

std::string discrepancy_status(const DemoEnv& env, int id) {
  SQLite::Database db((env.root() / "var" / "arsync.db").string(), SQLite::OPEN_READONLY);
  return db.execAndGet("SELECT status FROM discrepancies WHERE id = " + std::to_string(id))
      .getString();
}

CmdResult arsync(const DemoEnv& env, const std::string& args) {
  return run(kBin + "arsync --config " + (env.root() / "arsync.json").string() + " " + args);
}

// The demo synced once (6 open discrepancies), then arsyncd running on it:
// with a listener on a free port unless `http` is false, each system's
// interval an hour (only a wake makes it pull again).
class RunningDaemon {
 public:
  explicit RunningDaemon(DemoEnv& env, bool http = true, const std::string& extra_key = "")
      : env_(env) {
    std::string config = with_key(env.config_text(), R"("interval_seconds": 3600)");
    if (!extra_key.empty()) config = with_key(config, extra_key);
    if (http) config = with_key(config, R"("http": {"listen": "127.0.0.1:0"})");
    env.write_config(config);
    env.drop_all_demo_files();
    CmdResult once = run(kBin + "arsyncd --once --config " + (env.root() / "arsync.json").string());
    EXPECT_EQ(once.status, 0) << once.out;
    log_ = env.root() / "daemon.log";
    process_ = std::make_unique<DaemonProcess>(
        kBin + "arsyncd", std::vector<std::string>{"--config", (env.root() / "arsync.json").string()},
        log_.string());
    // Ready once both systems made their first pull and, with a listener,
    // the control file is written.
    const bool ready = eventually(
        [&] {
          const std::string text = read_file(log_);
          return text.find("system=sap-ecc event=pull_done") != std::string::npos &&
                 text.find("system=sap-s4 event=pull_done") != std::string::npos &&
                 (!http || fs::exists(env.root() / "var" / "control.json"));
        },
        seconds(30));
    EXPECT_TRUE(ready) << read_file(log_);
  }
  ~RunningDaemon() {
    if (!process_->running()) return;
    ::kill(process_->pid(), SIGTERM);
    eventually([&] { return process_->exited(); }, seconds(30));
  }

  std::string log() const { return read_file(log_); }
  DaemonProcess& process() { return *process_; }
  int port() const {
    return nlohmann::json::parse(read_file(env_.root() / "var" / "control.json"))["port"].get<int>();
  }

 private:
  DemoEnv& env_;
  fs::path log_;
  std::unique_ptr<DaemonProcess> process_;
};

TEST(ControlChannel, AckGoesThroughTheRunningDaemonAndIsStored) {
  DemoEnv env;
  RunningDaemon d(env);
  ASSERT_EQ(discrepancy_status(env, 2), "open");
  CmdResult ack = arsync(env, "discrepancies ack 2 --note 'asked the customer' --by jane");
  EXPECT_EQ(ack.status, 0) << ack.out;
  EXPECT_EQ(ack.out, "discrepancy #2 acknowledged by jane\n");
  EXPECT_EQ(discrepancy_status(env, 2), "acknowledged");
  // The daemon did it: its control route answered, and it logged the command.
  const std::string log = d.log();
  EXPECT_NE(log.find("event=http_request method=POST path=/v1/commands status=200"),
            std::string::npos) << log;
  EXPECT_NE(log.find("event=control_command command=\"discrepancies ack\""), std::string::npos)
      << log;
  EXPECT_EQ(log.find("asked the customer"), std::string::npos) << "a note reached the log";
}

TEST(ControlChannel, AFailedCommandKeepsItsMessageAndExitStatusThroughTheDaemon) {
  DemoEnv env;
  RunningDaemon d(env);
  ASSERT_EQ(arsync(env, "discrepancies resolve 4 --note 'rate fixed' --by jane").status, 0);
  CmdResult again = arsync(env, "discrepancies resolve 4 --note again");
  EXPECT_EQ(again.status, 1) << again.out;
  EXPECT_NE(again.out.find("arsync: conflict: discrepancy 4 is already resolved by jane at "),
            std::string::npos) << again.out;
  CmdResult missing = arsync(env, "discrepancies ack 999 --note x");
  EXPECT_EQ(missing.status, 1) << missing.out;
  EXPECT_NE(missing.out.find("999"), std::string::npos) << missing.out;
  CmdResult recheck = arsync(env, "recheck");
  EXPECT_EQ(recheck.status, 0) << recheck.out;
  EXPECT_EQ(recheck.out, "every match group will be re-checked on the next cycle\n");
  EXPECT_NE(d.log().find("event=control_command command=recheck"), std::string::npos) << d.log();
}

TEST(ControlChannel, StateFilesAre0640) {
  DemoEnv env;
  RunningDaemon d(env);
  for (const char* name : {"arsyncd.lock", "control.token", "control.json"}) {
    struct stat st {};
    ASSERT_EQ(::stat((env.root() / "var" / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0640u) << name;
  }
  const std::string token = read_file(env.root() / "var" / "control.token");
  EXPECT_EQ(token.size(), 65u) << "64 hex digits and a newline";
  EXPECT_EQ(d.log().find(token.substr(0, 64)), std::string::npos) << "the token reached the log";
  // Removed when arsyncd stops: no stale channel.
  ::kill(d.process().pid(), SIGTERM);
  ASSERT_TRUE(eventually([&] { return d.process().exited(); }, seconds(30)));
  EXPECT_FALSE(fs::exists(env.root() / "var" / "control.json"));
  EXPECT_FALSE(fs::exists(env.root() / "var" / "control.token"));
  EXPECT_TRUE(fs::exists(env.root() / "var" / "arsyncd.lock"));
}

// Hard-linked into the drop folder: a link makes no IN_CLOSE_WRITE or
// IN_MOVED_TO, so the folder watch does not wake the pull; only the
// interval (an hour) or `sync now` can.
void link_demo_file_unseen(const DemoEnv& env, const std::string& system, const std::string& name) {
  const fs::path staged = env.root() / "staged" / name;
  fs::create_directories(staged.parent_path());
  fs::copy_file(fs::path(ARSYNC_SOURCE_DIR) / "packaging/demo/inbound" / system / name, staged);
  fs::create_hard_link(staged, env.root() / "inbound" / system / ("again-" + name));
}

TEST(ControlChannel, SyncNowMakesTheDaemonPullWithinASecond) {
  DemoEnv env;
  RunningDaemon d(env);
  // A demo file again under another name: its IDocs are stored already, so
  // the pull that claims it reads records and changes none.
  const auto demo = files_in(fs::path(ARSYNC_SOURCE_DIR) / "packaging/demo/inbound/sap-ecc", ".xml");
  ASSERT_FALSE(demo.empty());
  const std::string name = demo.front().filename().string();
  link_demo_file_unseen(env, "sap-ecc", name);
  const fs::path linked = env.root() / "inbound" / "sap-ecc" / ("again-" + name);
  std::this_thread::sleep_for(milliseconds(1500));
  ASSERT_TRUE(fs::exists(linked)) << "pulled without a wake: the test proves nothing\n" << d.log();
  const std::size_t log_before = d.log().size();

  const auto asked = std::chrono::steady_clock::now();
  CmdResult now = arsync(env, "sync now sap-ecc");
  EXPECT_EQ(now.status, 0) << now.out;
  EXPECT_EQ(now.out, "asked arsyncd to pull sap-ecc now\n");
  EXPECT_TRUE(eventually([&] { return !fs::exists(linked); }, milliseconds(1000)))
      << "the file was not claimed within a second\n" << d.log();
  ASSERT_TRUE(eventually(
      [&] {
        return d.log().find("system=sap-ecc event=pull_done records=", log_before) !=
               std::string::npos;
      },
      milliseconds(1000)))
      << d.log();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, seconds(2));
  const std::string after = d.log().substr(log_before);
  EXPECT_EQ(after.find("system=sap-ecc event=pull_done records=0 "), std::string::npos) << after;
  EXPECT_EQ(after.find("system=sap-s4 event=pull_done"), std::string::npos)
      << "only the system asked for pulls\n" << after;
}

TEST(ControlChannel, SyncNowOfAnUnknownSystemSaysSoAndExits1) {
  DemoEnv env;
  RunningDaemon d(env);
  CmdResult r = arsync(env, "sync now sap-nowhere");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("arsync: arsyncd has no system named 'sap-nowhere'"), std::string::npos)
      << r.out;
}

TEST(ControlChannel, AWrongTokenIsRefusedWith401AndTheCliSaysSo) {
  DemoEnv env;
  RunningDaemon d(env);
  write_file(env.root() / "var" / "control.token", std::string(64, 'a') + "\n");
  CmdResult r = arsync(env, "discrepancies ack 2 --note x");
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_NE(r.out.find("refused the control token in " + (env.root() / "var" / "control.token").string() +
                       " (HTTP 401)"),
            std::string::npos) << r.out;
  EXPECT_EQ(discrepancy_status(env, 2), "open");
}

struct Answer {
  int status = 0;
  std::string body;
};

// POST /v1/commands on 127.0.0.1:`port`, with `authorization` when not empty.
Answer post_command(int port, const std::string& body, const std::string& authorization) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/v1/commands",
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  if (!authorization.empty()) request.set("Authorization", authorization);
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Answer a;
  a.status = response.getStatus();
  a.body.assign(std::istreambuf_iterator<char>(in), {});
  return a;
}

std::string control_token(const DemoEnv& env) {
  const std::string t = read_file(env.root() / "var" / "control.token");
  return t.substr(0, t.find('\n'));
}

TEST(ControlChannel, ARequestWithoutTheTokenIs401) {
  DemoEnv env;
  RunningDaemon d(env);
  EXPECT_EQ(post_command(d.port(), R"({"command": "recheck", "arguments": {}})", "").status, 401);
  EXPECT_EQ(count(env, "SELECT COUNT(*) FROM dirty_keys"), 0);
}

TEST(ControlChannel, TheDaemonChecksWhatItIsSentAgain) {
  DemoEnv env;
  RunningDaemon d(env);
  const std::string bearer = "Bearer " + control_token(env);
  Answer not_json = post_command(d.port(), "recheck", bearer);
  EXPECT_EQ(not_json.status, 400) << not_json.body;
  Answer unknown = post_command(d.port(), R"({"command": "drop tables"})", bearer);
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_NE(unknown.body.find("no command 'drop tables'"), std::string::npos) << unknown.body;
  Answer bad_id = post_command(
      d.port(), R"({"command": "discrepancies ack", "arguments": {"id": "2", "note": "x", "by": "j"}})",
      bearer);
  ASSERT_EQ(bad_id.status, 200) << bad_id.body;
  const nlohmann::json j = nlohmann::json::parse(bad_id.body);
  EXPECT_EQ(j["exit_code"], 2);
  EXPECT_EQ(j["error"], "discrepancies ack: argument id must be a positive whole number");
  EXPECT_EQ(discrepancy_status(env, 2), "open");
}

// The secrets file's tokens stay valid beside the control token, but only
// the control token may use the control route.
TEST(ControlChannel, ASecretsTokenStaysValidButMayNotControl) {
  DemoEnv env;
  const fs::path secrets = env.root() / "secrets.json";
  write_file(secrets, R"({"http": {"tokens": {"ci": ")" + sha256_hex("ci-token") + R"("}}})");
  fs::permissions(secrets, fs::perms::owner_read | fs::perms::owner_write);
  RunningDaemon d(env, true, R"("secrets_file": ")" + secrets.string() + R"(")");
  Answer ci = post_command(d.port(), R"({"command": "recheck"})", "Bearer ci-token");
  EXPECT_EQ(ci.status, 403) << ci.body;
  EXPECT_NE(ci.body.find("this route takes only the token in "), std::string::npos) << ci.body;
  EXPECT_EQ(post_command(d.port(), R"({"command": "recheck"})", "Bearer not-a-token").status, 401);
  EXPECT_EQ(count(env, "SELECT COUNT(*) FROM dirty_keys"), 0);
}

TEST(ControlChannel, AfterAReloadTheCliReachesTheNewListener) {
  DemoEnv env;
  RunningDaemon d(env);
  const std::string old_token = control_token(env);
  const std::size_t log_before = d.log().size();
  ::kill(d.process().pid(), SIGHUP);
  ASSERT_TRUE(eventually([&] { return d.log().find("event=reloaded", log_before) != std::string::npos; },
                         seconds(30)))
      << d.log();
  EXPECT_NE(control_token(env), old_token);
  CmdResult ack = arsync(env, "discrepancies ack 2 --note x --by jane");
  EXPECT_EQ(ack.status, 0) << ack.out;
  EXPECT_EQ(discrepancy_status(env, 2), "acknowledged");
}

TEST(ControlChannel, ADaemonWithoutAListenerMakesTheCliRefuseToWrite) {
  DemoEnv env;
  RunningDaemon d(env, /*http=*/false);
  CmdResult r = arsync(env, "discrepancies ack 2 --note x");
  EXPECT_EQ(r.status, 3) << r.out;
  EXPECT_NE(r.out.find("arsync: arsyncd is running without an http listener; add \"http\": {} to "
                       "the config or stop arsyncd (pid " + std::to_string(d.process().pid()) + ")"),
            std::string::npos) << r.out;
  EXPECT_EQ(discrepancy_status(env, 2), "open");
  // Reading goes on beside it.
  EXPECT_EQ(arsync(env, "discrepancies show 2").status, 0);
}

TEST(ControlChannel, WithoutADaemonTheCliWritesTheStoreItself) {
  DemoEnv env;
  env.drop_all_demo_files();
  ASSERT_EQ(run(kBin + "arsyncd --once --config " + (env.root() / "arsync.json").string()).status, 0);
  ASSERT_TRUE(fs::exists(env.root() / "var" / "arsyncd.lock"));
  CmdResult ack = arsync(env, "discrepancies ack 2 --note x --by jane");
  EXPECT_EQ(ack.status, 0) << ack.out;
  EXPECT_EQ(ack.out, "discrepancy #2 acknowledged by jane\n");
  EXPECT_EQ(discrepancy_status(env, 2), "acknowledged");
  CmdResult now = arsync(env, "sync now sap-ecc");
  EXPECT_EQ(now.status, 3) << now.out;
  EXPECT_NE(now.out.find("arsync: arsyncd is not running, so nothing pulls now; start it, or run "
                         "`arsyncd --once` to pull every system once"),
            std::string::npos) << now.out;
}

TEST(ControlChannel, ASecondArsyncdOnTheSameStateDirRefusesToStart) {
  DemoEnv env;
  RunningDaemon d(env);
  CmdResult second = run(kBin + "arsyncd --once --config " + (env.root() / "arsync.json").string());
  EXPECT_EQ(second.status, 1) << second.out;
  const std::string dir = (env.root() / "var").string();
  EXPECT_NE(second.out.find("another arsyncd (pid " + std::to_string(d.process().pid()) +
                            ") runs on state_dir " + dir + ": it holds " + dir +
                            "/arsyncd.lock; stop it, or give this one another state_dir"),
            std::string::npos) << second.out;
  EXPECT_TRUE(d.process().running());
}

}  // namespace
}  // namespace arsync::testing
