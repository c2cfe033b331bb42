// The real arsyncd as a service (not --once): its subsystems started from
// the config, a SIGHUP that brings a good config in and keeps the running
// one when the new one is bad, a SIGTERM in the middle of a file that
// leaves no partial batch (the next start resumes it), a secrets file that
// others may read refused at start, and the listener started from the
// config's http section.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <regex>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <nlohmann/json.hpp>

#include <random>
#include <sstream>

#include "arsync/model/sha256.h"

#include "daemon_process.h"
#include "demo_env.h"
#include "idoc_stream.h"
#include "run_command.h"

namespace arsync::testing {
namespace {

using std::chrono::seconds;

const std::string kArsyncd = std::string(ARSYNC_BINARY_DIR) + "/daemon/main/arsyncd";

// Waits until `log` holds `needle` at or after `from`; returns where it
// was found (npos on timeout).
std::size_t wait_for_log(const fs::path& log, const std::string& needle, std::size_t from = 0,
                         seconds timeout = seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string text = read_file(log);
    if (const std::size_t at = text.find(needle, from); at != std::string::npos) return at;
    if (std::chrono::steady_clock::now() >= deadline) return std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The store, read-only beside the daemon.
SQLite::Database open_store_readonly(const DemoEnv& env) {
  return SQLite::Database((env.root() / "var" / "arsync.db").string(), SQLite::OPEN_READONLY);
}

// What `count_sql` (a SELECT COUNT) gives on the store now.
std::int64_t count_in(const DemoEnv& env, const char* count_sql) {
  return open_store_readonly(env).execAndGet(count_sql).getInt64();
}

// How many documents the store holds.
std::int64_t documents_in(const DemoEnv& env) {
  return count_in(env, "SELECT COUNT(*) FROM documents");
}

// The documents big_xml_file makes (their numbers start 0095).
std::int64_t documents_with_prefix(const DemoEnv& env) {
  return count_in(env, "SELECT COUNT(*) FROM documents WHERE external_id LIKE '0095%'");
}

std::string with_key(const std::string& config, const std::string& key_and_value) {
  // The config is one JSON object: add a top-level key after its '{'.
  return "{" + key_and_value + "," + config.substr(config.find('{') + 1);
}

struct Started {
  std::unique_ptr<DaemonProcess> process;
  fs::path log;
};

Started start_daemon(const DemoEnv& env, const std::string& log_name = "daemon.log") {
  Started s;
  s.log = env.root() / log_name;
  s.process = std::make_unique<DaemonProcess>(
      kArsyncd, std::vector<std::string>{"--config", (env.root() / "arsync.json").string()},
      s.log.string());
  return s;
}

// SIGTERM, and the wait status once it exited (within 30 s, else killed).
int terminate(DaemonProcess& d) {
  ::kill(d.pid(), SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (!d.exited() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return d.kill_now();
}

// Drops the demo's sap-s4 files (written under a dot name and renamed in,
// as senders must) and waits up to 20 s for the store to hold `expected`
// documents; returns how many it holds.
std::int64_t drop_s4_files_and_wait(const DemoEnv& env, std::int64_t expected) {
  const fs::path s4 = env.root() / "inbound" / "sap-s4";
  for (const fs::path& f : files_in(fs::path(ARSYNC_SOURCE_DIR) / "packaging/demo/inbound/sap-s4")) {
    fs::copy_file(f, s4 / ("." + f.filename().string()));
    fs::rename(s4 / ("." + f.filename().string()), s4 / f.filename());
  }
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (documents_in(env) < expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return documents_in(env);
}

// A daemon on the demo config with a 1-second interval that has pulled and
// reconciled sap-ecc's first file (6 documents).
class DaemonReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env.write_config(with_key(env.config_text(), R"("interval_seconds": 1)"));
    env.drop_demo_file("sap-ecc", "ECC_INVOIC_20261124_221500.xml");
    d = start_daemon(env);
    ASSERT_NE(wait_for_log(d.log, "event=reconcile_done"), std::string::npos) << read_file(d.log);
    ASSERT_EQ(documents_in(env), before);
  }
  DemoEnv env;
  Started d;
  const std::int64_t before = 6;
};

TEST_F(DaemonReloadTest, ABadConfigOnSighupIsLoggedAndTheRunningOneKept) {

  env.write_config(with_key(env.config_text(), R"("interval_secs": 1)"));  // a misspelt key
  const std::size_t mark = read_file(d.log).size();
  ::kill(d.process->pid(), SIGHUP);
  const std::size_t failed = wait_for_log(d.log, "event=reload_failed", mark);
  ASSERT_NE(failed, std::string::npos) << read_file(d.log);
  const std::string line = read_file(d.log).substr(failed, 400);
  EXPECT_NE(line.find("interval_secs: unknown key"), std::string::npos) << line;
  EXPECT_NE(line.find("keeping the previous configuration"), std::string::npos) << line;

  // Still running on the old config: its 1-second interval pulls the next
  // file.
  EXPECT_EQ(drop_s4_files_and_wait(env, before + 8), before + 8) << read_file(d.log);
  const int status = terminate(*d.process);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << read_file(d.log);
}

TEST(DaemonReload, AGoodConfigOnSighupIsTakenIntoUse) {
  DemoEnv env;
  Started d = start_daemon(env);
  ASSERT_NE(wait_for_log(d.log, "event=reconcile_done"), std::string::npos) << read_file(d.log);
  EXPECT_EQ(read_file(d.log).find("level=debug"), std::string::npos);

  env.write_config(with_key(env.config_text(), R"("log_level": "debug")"));
  const std::size_t mark = read_file(d.log).size();
  ::kill(d.process->pid(), SIGHUP);
  ASSERT_NE(wait_for_log(d.log, "event=reloaded", mark), std::string::npos) << read_file(d.log);
  // The new subsystems pulled at once, logging at the new level.
  EXPECT_NE(wait_for_log(d.log, "level=debug system=sap-ecc event=pull_started", mark),
            std::string::npos)
      << read_file(d.log);
  const int status = terminate(*d.process);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << read_file(d.log);
}

TEST_F(DaemonReloadTest, AConfigThatPassesItsCheckButCannotStartBringsThePreviousOneBack) {

  // A valid config whose listener cannot bind: the port is the test's. Its
  // check passes; its start fails after the running subsystems stopped.
  Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string port = std::to_string(taken.address().port());
  const std::string good = read_file(env.root() / "arsync.json");
  env.write_config(with_key(good, R"("http": {"listen": "127.0.0.1:)" + port + R"("})"));
  const std::size_t mark = read_file(d.log).size();
  ::kill(d.process->pid(), SIGHUP);
  const std::size_t failed = wait_for_log(d.log, "event=reload_failed", mark);
  ASSERT_NE(failed, std::string::npos) << read_file(d.log);
  const std::string line = read_file(d.log).substr(failed, 400);
  EXPECT_NE(line.find("starting the previous configuration again"), std::string::npos) << line;
  EXPECT_NE(line.find(port), std::string::npos) << line;  // the error names the address
  // The previous subsystems run again: its 1-second interval pulls the
  // next files, and no listener was left behind.
  EXPECT_EQ(drop_s4_files_and_wait(env, before + 8), before + 8) << read_file(d.log);
  EXPECT_EQ(read_file(d.log).find("event=restart_failed"), std::string::npos) << read_file(d.log);
  EXPECT_EQ(read_file(d.log).find("event=http_listening", mark), std::string::npos);
  const int status = terminate(*d.process);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << read_file(d.log);
}

// One IDoc-XML file of `count` invoices for sap-ecc, numbered from `first`.
std::string big_xml_file(int count, int first = 0) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<INVOIC02>\n";
  for (int i = first; i < first + count; ++i) {
    stream_detail::Invoice v;
    v.docnum = stream_detail::pad(7000000 + i, 16);
    v.belnr = stream_detail::pad(95000000 + i, 10);
    v.reference = v.belnr;
    v.customer = "100042";
    v.customer_name = "Muster GmbH";
    v.currency = "EUR";
    v.gross = 11900 + i;
    v.date = "20271101";  // in the future: no missing-in-system alert (grace) for each
    out += stream_detail::xml_idoc(v, false);
  }
  return out + "</INVOIC02>\n";
}

TEST(DaemonStop, SigtermInTheMiddleOfAFileLeavesNoPartialBatchAndTheNextStartResumes) {
  DemoEnv env(/*batch_size=*/50);
  const int count = 10000;
  write_file(env.root() / "inbound" / "sap-ecc" / "BIG_INVOIC.xml", big_xml_file(count));
  Started d = start_daemon(env);
  // A few batches in, and far from the end.
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (documents_in(env) > 0) break;
    } catch (const SQLite::Exception&) {  // not created yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int status = terminate(*d.process);
  const std::string log = read_file(d.log);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(log.find("event=stopped"), std::string::npos);

  // What is stored is exactly what the stored cursor says: whole batches.
  std::int64_t stored = 0;
  std::int64_t cursor_idocs = 0;
  {
    SQLite::Database db = open_store_readonly(env);
    stored = db.execAndGet("SELECT COUNT(*) FROM documents WHERE system = 'sap-ecc'").getInt64();
    SQLite::Statement q(db, "SELECT value FROM cursors WHERE system = 'sap-ecc'");
    ASSERT_TRUE(q.executeStep()) << "no cursor stored";
    cursor_idocs = nlohmann::json::parse(q.getColumn(0).getString()).value("idocs", -1);
  }
  EXPECT_EQ(stored, cursor_idocs);
  EXPECT_EQ(stored % 50, 0);
  EXPECT_GT(stored, 0);
  EXPECT_LT(stored, count) << "the stop came too late to test anything";

  // The next start resumes the file after the stored batches.
  CmdResult again = run_split(kArsyncd + " --once --config " + (env.root() / "arsync.json").string(),
                              env.root() / "again.txt");
  EXPECT_EQ(again.status, 0) << again.out << read_file(env.root() / "again.txt").substr(0, 2000);
  EXPECT_EQ(count_in(env, "SELECT COUNT(*) FROM documents WHERE system = 'sap-ecc'"), count);
  EXPECT_EQ(count_in(env, "SELECT COUNT(DISTINCT external_id) FROM documents"), count);
}

TEST(DaemonSecrets, ASecretsFileOthersMayReadIsRefusedAtStartNamingIt) {
  DemoEnv env;
  const fs::path secrets = env.root() / "secrets.json";
  write_file(secrets, R"({"smtp_password": "not-this-one"})");
  ::chmod(secrets.c_str(), 0644);
  env.write_config(with_key(env.config_text(), "\"secrets_file\": \"" + secrets.string() + "\""));
  CmdResult r = run_split(kArsyncd + " --once --config " + (env.root() / "arsync.json").string(),
                          env.root() / "stderr.txt");
  const std::string err = read_file(env.root() / "stderr.txt");
  EXPECT_EQ(r.status, 1) << err;
  EXPECT_NE(err.find(secrets.string()), std::string::npos) << err;
  EXPECT_NE(err.find("chmod"), std::string::npos) << err;
  EXPECT_EQ(err.find("not-this-one"), std::string::npos) << err;

  ::chmod(secrets.c_str(), 0640);
  r = run_split(kArsyncd + " --once --config " + (env.root() / "arsync.json").string(),
                env.root() / "stderr.txt");
  EXPECT_EQ(r.status, 0) << read_file(env.root() / "stderr.txt");
  EXPECT_EQ(read_file(env.root() / "stderr.txt").find("not-this-one"), std::string::npos);
}

TEST(DaemonHttp, TheListenerRunsWhenTheConfigHasAnHttpSection) {
  DemoEnv env;
  env.write_config(with_key(env.config_text(), R"("http": {"listen": "127.0.0.1:0"})"));
  Started d = start_daemon(env);
  const std::size_t at = wait_for_log(d.log, "event=http_listening");
  ASSERT_NE(at, std::string::npos) << read_file(d.log);
  std::smatch port;
  const std::string line = read_file(d.log).substr(at, 200);
  ASSERT_TRUE(std::regex_search(line, port, std::regex(" port=([0-9]+)"))) << line;
  EXPECT_GT(std::stoi(port[1]), 0);
  const int status = terminate(*d.process);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << read_file(d.log);
}

// ---- SAP IDoc over HTTP, end to end ----------------------------------------

const char kToken[] = "test-token-4f1c9e";

struct Answer {
  int status = -1;  // -1: no answer (connection reset, closed)
  std::string body;
  std::string error;
};

Answer post(int port, const std::string& path, const std::string& body,
            const std::string& token = kToken, const std::string& extra_header = "") {
  Answer a;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/xml");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    if (!token.empty()) request.set("Authorization", "Bearer " + token);
    if (!extra_header.empty()) request.set("X-Padding", extra_header);
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::ostringstream text;
    Poco::StreamCopier::copyStream(in, text);
    a.status = static_cast<int>(response.getStatus());
    a.body = text.str();
  } catch (const std::exception& e) {
    a.error = e.what();
  }
  return a;
}

// The demo config with a listener on any free port, small limits, and a
// secrets file holding kToken's hash.
void configure_http(DemoEnv& env) {
  const fs::path secrets = env.root() / "secrets.json";
  write_file(secrets, R"({"http": {"tokens": {"sap-po": ")" + sha256_hex(kToken) + R"("}}})");
  ::chmod(secrets.c_str(), 0600);
  env.write_config(with_key(
      env.config_text(),
      R"("http": {"listen": "127.0.0.1:0", "max_body_bytes": 200000, "max_header_bytes": 4096},
         "secrets_file": ")" + secrets.string() + R"(")"));
}

int port_of(const fs::path& log, std::size_t from = 0) {
  const std::size_t at = wait_for_log(log, "event=http_listening", from);
  if (at == std::string::npos) return 0;
  std::smatch m;
  const std::string line = read_file(log).substr(at, 200);
  return std::regex_search(line, m, std::regex(" port=([0-9]+)")) ? std::stoi(m[1]) : 0;
}

TEST(DaemonHttp, AnIdocPostIsAnswered200OnceCommittedAndARepostStoresNothingTwice) {
  DemoEnv env;
  configure_http(env);
  Started d = start_daemon(env);
  const int port = port_of(d.log);
  ASSERT_GT(port, 0) << read_file(d.log);
  const std::string body = big_xml_file(3);

  Answer first = post(port, "/sap/idoc/sap-ecc", body);
  ASSERT_EQ(first.status, 200) << first.body << first.error << read_file(d.log);
  // Committed before the answer: a second connection sees all three now.
  EXPECT_EQ(documents_with_prefix(env), 3);
  EXPECT_NE(first.body.find("3 stored"), std::string::npos) << first.body;

  Answer again = post(port, "/sap/idoc/sap-ecc", body);  // SAP resends
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(documents_with_prefix(env), 3);

  // The raw bytes are kept: each document's reference points at its IDoc in
  // an archive file holding the post.
  {
    SQLite::Database db = open_store_readonly(env);
    SQLite::Statement q(db, "SELECT raw_file, raw_offset, raw_length FROM documents "
                            "WHERE external_id LIKE '0095%' ORDER BY external_id LIMIT 1");
    ASSERT_TRUE(q.executeStep());
    const std::string archived = read_file(q.getColumn(0).getString());
    EXPECT_EQ(archived, body);
    const std::string idoc = archived.substr(static_cast<std::size_t>(q.getColumn(1).getInt64()),
                                             static_cast<std::size_t>(q.getColumn(2).getInt64()));
    EXPECT_TRUE(idoc.starts_with("<IDOC")) << idoc.substr(0, 80);
  }
  const int status = terminate(*d.process);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(DaemonHttp, MalformedUnauthenticatedAndOversizedPostsAreRefusedWithTheirStatus) {
  DemoEnv env;
  configure_http(env);
  Started d = start_daemon(env);
  const int port = port_of(d.log);
  ASSERT_GT(port, 0) << read_file(d.log);
  std::string malformed = big_xml_file(2);
  malformed.replace(malformed.rfind("</ZTERM>"), 8, "</ZTERMX>");

  const Answer bad = post(port, "/sap/idoc/sap-ecc", malformed);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("line"), std::string::npos) << bad.body;
  const Answer anonymous = post(port, "/sap/idoc/sap-ecc", big_xml_file(1), "");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  const Answer wrong = post(port, "/sap/idoc/sap-ecc", big_xml_file(1), "not-the-token");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  const Answer huge = post(port, "/sap/idoc/sap-ecc", big_xml_file(400));
  EXPECT_EQ(huge.status, 413) << huge.body << huge.error;
  const Answer big_head = post(port, "/sap/idoc/sap-ecc", big_xml_file(1), kToken,
                               std::string(8000, 'x'));
  EXPECT_EQ(big_head.status, 431) << big_head.body << big_head.error;
  const Answer nowhere = post(port, "/sap/idoc/no-such-system", big_xml_file(1));
  EXPECT_EQ(nowhere.status, 404) << nowhere.body;
  EXPECT_EQ(documents_with_prefix(env), 0);
  // One log line per request, without the token.
  const std::string log = read_file(d.log);
  EXPECT_NE(log.find("event=http_request method=POST path=/sap/idoc/sap-ecc status=401"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find(kToken), std::string::npos);
  (void)terminate(*d.process);
}

// SIGKILL at random moments after a post was sent: whatever the sender
// saw, a 200 means stored, and after a restart the re-post is answered 200
// and the IDocs are stored once.
TEST(DaemonHttp, KillDuringAPostLeavesTheSenderWithAnErrorOrAnAnswerAndTheRepostStoresOnce) {
  DemoEnv env;
  configure_http(env);
  std::mt19937 random(std::random_device{}());
  int killed_before_answer = 0;
  for (int round = 0; round < 8; ++round) {
    const std::string body = big_xml_file(20, 1000 * round);
    const std::int64_t expected = 20 * (round + 1);
    {
      Started d = start_daemon(env, "kill-" + std::to_string(round) + ".log");
      const int port = port_of(d.log);
      ASSERT_GT(port, 0) << read_file(d.log);
      Answer answer;
      std::thread sender([&] { answer = post(port, "/sap/idoc/sap-ecc", body); });
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 6000));
      (void)d.process->kill_now();
      sender.join();
      if (answer.status == 200) {
        EXPECT_EQ(documents_with_prefix(env), expected) << "answered 200 but not stored";
      } else {
        ++killed_before_answer;
        EXPECT_EQ(answer.status, -1) << answer.body;
      }
    }
    Started d = start_daemon(env, "again-" + std::to_string(round) + ".log");
    const int port = port_of(d.log);
    ASSERT_GT(port, 0) << read_file(d.log);
    const Answer again = post(port, "/sap/idoc/sap-ecc", body);
    ASSERT_EQ(again.status, 200) << again.body << again.error;
    EXPECT_EQ(documents_with_prefix(env), expected);
    (void)terminate(*d.process);
  }
  EXPECT_GT(killed_before_answer, 0) << "no kill landed before an answer: the test tested nothing";
}

TEST(DaemonWake, AFileDroppedIntoAnIdleDaemonsFolderIsPulledWithinASecond) {
  DemoEnv env;
  // An hour between pulls: only the folder's wake can explain a pull.
  env.write_config(with_key(env.config_text(), R"("interval_seconds": 3600)"));
  Started d = start_daemon(env);
  ASSERT_NE(wait_for_log(d.log, "event=reconcile_done"), std::string::npos) << read_file(d.log);
  const fs::path ecc = env.root() / "inbound" / "sap-ecc";
  fs::copy_file(fs::path(ARSYNC_SOURCE_DIR) / "packaging/demo/inbound/sap-ecc/ECC_INVOIC_20261124_221500.xml",
                ecc / ".ECC.xml");
  const auto dropped = std::chrono::steady_clock::now();
  fs::rename(ecc / ".ECC.xml", ecc / "ECC_INVOIC_20261124_221500.xml");
  while (documents_in(env) < 6 && std::chrono::steady_clock::now() - dropped < seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - dropped).count();
  EXPECT_EQ(documents_in(env), 6);
  EXPECT_LT(took, 1.0) << read_file(d.log);
  (void)terminate(*d.process);
}

}  // namespace
}  // namespace arsync::testing
