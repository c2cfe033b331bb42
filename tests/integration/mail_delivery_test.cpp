// Mail delivery as the daemon runs it: a failing or hung SMTP server is loud
// (warnings, the --once summary and exit status) and never holds up pulls.
#include <chrono>

#include "../unit/alert/smtp_server.h"
#include "demo_env.h"
#include "run_command.h"

namespace arsync::testing {
namespace {

using alert::testing::ClosedPort;
using alert::testing::ScriptedSmtpServer;

// Points the demo's mail at SMTP on 127.0.0.1:port.
void use_smtp(const DemoEnv& env, int port, nlohmann::json extra = nlohmann::json::object()) {
  const fs::path config = env.root() / "arsync.json";
  nlohmann::json j = nlohmann::json::parse(read_file(config));
  j["mail"]["transport"] = {{"type", "smtp"}, {"host", "127.0.0.1"}, {"security", "none"},
                            {"timeout_seconds", 30}};
  if (port) j["mail"]["transport"]["port"] = port;
  for (const auto& [k, v] : extra.items()) j["mail"][k] = v;
  write_file(config, j.dump(2));
}

std::size_t documents(store::Store& st) {
  auto stats = st.stats();
  EXPECT_TRUE(stats) << stats.status().to_string();
  std::size_t n = 0;
  for (const auto& [system, count] : stats->documents_by_system) n += static_cast<std::size_t>(count);
  return n;
}

TEST(MailDelivery, OnceWithUnreachableSmtpServerWarnsSaysSoAndExitsNonZero) {
  DemoEnv env;
  env.drop_all_demo_files();
  ClosedPort closed;
  use_smtp(env, closed.port());
  const CmdResult r = run(std::string(ARSYNC_BINARY_DIR) + "/daemon/main/arsyncd --once --config " +
                          (env.root() / "arsync.json").string());
  EXPECT_EQ(r.status, 1) << r.out;
  const std::string refused =
      "unavailable: SMTP server 127.0.0.1:" + std::to_string(closed.port()) + ": connection refused";
  EXPECT_NE(r.out.find("level=warning event=mail_attempt_failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error=\"" + refused + "\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  via SMTP 127.0.0.1:" + std::to_string(closed.port()) + "\n"), std::string::npos);
  EXPECT_NE(r.out.find("  NOT SENT: 6 emails could not be delivered this cycle: " + refused + "\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("    5 not tried: the round stopped at the failed connection; they go in the next round\n"),
            std::string::npos)
      << r.out;
}

TEST(MailDelivery, SummaryShowsTheDefaultPortWhenNoneIsSet) {
  DemoEnv env;
  use_smtp(env, 0, {{"delivery_deadline_seconds", 1}});
  // Nothing is due (no IDocs), so nothing connects to port 25.
  const CmdResult r = run(std::string(ARSYNC_BINARY_DIR) + "/daemon/main/arsyncd --once --config " +
                          (env.root() / "arsync.json").string());
  EXPECT_NE(r.out.find("  via SMTP 127.0.0.1:25\n"), std::string::npos) << r.out;
}

TEST(MailDelivery, HungSmtpServerCostsOneDeadlinePerCycleAndIngestionGoesOn) {
  DemoEnv env;
  ScriptedSmtpServer server(env.root(), {"--hang", "GREETING"});
  use_smtp(env, server.port(), {{"delivery_deadline_seconds", 2}});
  SystemClock clock;
  auto st = env.open_store();
  auto engine = env.make_engine(*st, clock);  // waits for one round per cycle, as --once does

  // sap-s4 alone has discrepancies of its own (a duplicate, an unknown invoice).
  for (const auto& f : files_in(fs::path(ARSYNC_SOURCE_DIR) / "packaging/demo/inbound/sap-s4")) {
    env.drop_demo_file("sap-s4", f.filename().string());
  }
  auto begin = std::chrono::steady_clock::now();
  engine::CycleReport first = engine->run_cycle();
  auto took = std::chrono::steady_clock::now() - begin;
  // One deadline (2 s), not one 30 s timeout per mail.
  EXPECT_LT(took, std::chrono::seconds(15));
  EXPECT_GT(documents(*st), 0u);
  EXPECT_GT(first.emails_queued, 0u);
  EXPECT_EQ(first.delivery.sent, 0u);
  EXPECT_EQ(first.delivery.undelivered(), first.emails_queued);
  EXPECT_FALSE(first.ok());

  const std::size_t after_first = documents(*st);
  env.drop_demo_file("sap-ecc", "ECC_INVOIC_20261124_221500.xml");
  begin = std::chrono::steady_clock::now();
  engine::CycleReport second = engine->run_cycle();
  took = std::chrono::steady_clock::now() - begin;
  EXPECT_LT(took, std::chrono::seconds(15));
  EXPECT_GT(documents(*st), after_first);  // ingestion went on
  ASSERT_EQ(second.systems.size(), 2u);
  EXPECT_TRUE(second.systems[0].status) << second.systems[0].status.to_string();
  const auto log = server.log();
  EXPECT_EQ(std::count(log.begin(), log.end(), "CONNECT"), 2);  // one connection per cycle
}

TEST(MailDelivery, DaemonLoopCycleDoesNotWaitForAHungServer) {
  DemoEnv env;
  env.drop_all_demo_files();
  ScriptedSmtpServer server(env.root(), {"--hang", "GREETING"});
  use_smtp(env, server.port(), {{"delivery_deadline_seconds", 60}});
  SystemClock clock;
  auto st = env.open_store();
  auto config = service::load_config((env.root() / "arsync.json").string());
  ASSERT_TRUE(config) << config.status().to_string();
  auto options = service::make_engine_options(*config, env.registry());
  ASSERT_TRUE(options) << options.status().to_string();
  options->wait_for_mail = false;  // as arsyncd's loop
  auto engine = engine::SyncEngine::create(std::move(options).value(), env.registry(), *st, clock);
  ASSERT_TRUE(engine) << engine.status().to_string();
  const auto begin = std::chrono::steady_clock::now();
  engine::CycleReport report = (*engine)->run_cycle();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(20));
  EXPECT_GT(documents(*st), 0u);
  EXPECT_GT(report.emails_queued, 0u);
  // The engine (and its delivery thread) stops promptly though the server hangs.
  const auto stop = std::chrono::steady_clock::now();
  engine->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - stop, std::chrono::seconds(10));
}

}  // namespace
}  // namespace arsync::testing
