#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "arsync/alert/message.h"
#include "arsync/alert/transport.h"
#include "mail_parse.h"
#include "temp_dir.h"

namespace arsync::alert {
namespace {

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

store::OutgoingMail rendered_mail() {
  Discrepancy d;
  d.id = 3;
  d.finding.rule = "missing_in_system";
  d.finding.match_key = "4711";
  d.finding.systems = {"qbo-us", "sap-ecc"};
  d.finding.customer_key = "Globex";
  d.finding.summary = "invoice 4711 is in sap-ecc but not in qbo-us";
  MailConfig c;
  c.from = "arsync@example.com";
  c.to = {"ar@example.com"};
  c.hostname = "arsync.example.com";
  ManualClock clock(*parse_instant("2026-11-25T11:00:00Z"));
  return *render_discrepancy_mail(d, c, clock);
}

TEST(FileTransport, WritesOneParsableEmlPerMessage) {
  testing::TempDir dir;
  auto transport = make_file_transport((dir.path() / "outbox").string());
  const auto a = rendered_mail();
  const auto b = rendered_mail();
  ASSERT_TRUE(transport->send(a));
  ASSERT_TRUE(transport->send(b));

  const auto files = files_in(dir.path() / "outbox");
  ASSERT_EQ(files.size(), 2u);
  for (const auto& mail : {a, b}) {
    const std::string name = mail.message_id.substr(1, mail.message_id.size() - 2) + ".eml";
    const auto path = dir.path() / "outbox" / name;
    ASSERT_TRUE(std::filesystem::exists(path)) << name;
    const std::string content = read_file(path);
    EXPECT_EQ(content, mail.data);
    testing::ParsedMail parsed;
    testing::parse_mail(content, parsed);
    EXPECT_EQ(parsed.message.get("Message-ID"), mail.message_id);
    EXPECT_EQ(parsed.parts.size(), 2u);
  }
}

TEST(FileTransport, SendingTheSameMessageAgainWritesNothingNew) {
  testing::TempDir dir;
  auto transport = make_file_transport(dir.str());
  const auto mail = rendered_mail();
  ASSERT_TRUE(transport->send(mail));
  const auto first = files_in(dir.path());
  ASSERT_EQ(first.size(), 1u);
  const auto mtime = std::filesystem::last_write_time(first[0]);

  // A restart re-sends a mail whose "sent" mark was lost.
  auto restarted = make_file_transport(dir.str());
  store::OutgoingMail again = mail;
  again.data = "changed";
  ASSERT_TRUE(restarted->send(again));
  const auto after = files_in(dir.path());
  ASSERT_EQ(after, first);  // no temp file left, no second file
  EXPECT_EQ(read_file(after[0]), mail.data);
  EXPECT_EQ(std::filesystem::last_write_time(after[0]), mtime);
}

TEST(FileTransport, MessageIdCannotEscapeTheFolder) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "mail");
  auto transport = make_file_transport((dir.path() / "mail").string());
  store::OutgoingMail mail = rendered_mail();
  mail.message_id = "<../../etc/x/y@host>";
  ASSERT_TRUE(transport->send(mail));
  const auto files = files_in(dir.path() / "mail");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename().string(), "_._.._etc_x_y@host.eml");
  EXPECT_EQ(files_in(dir.path()).size(), 1u);  // only "mail"
}

TEST(FileTransport, UnwritableFolderIsARetryableIoError) {
  testing::TempDir dir;
  const auto blocker = dir.path() / "not-a-folder";
  std::ofstream(blocker) << "x";
  auto transport = make_file_transport((blocker / "mail").string());
  const Status s = transport->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), "cannot create mail folder: Not a directory");
  EXPECT_EQ(s.where().file, (blocker / "mail").string());
}

TEST(MakeTransport, FileNeedsADir) {
  TransportConfig t;
  t.type = "file";
  auto r = make_transport(t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "mail.transport.dir is required when mail.transport.type is file");
}

TEST(MakeTransport, UnknownTypeIsRefused) {
  TransportConfig t;
  t.type = "pigeon";
  auto r = make_transport(t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "mail.transport.type must be one of file, smtp");
}

TEST(FileTransport, StartRemovesTemporariesOfDeadProcessesOnly) {
  testing::TempDir dir;
  // A pid that no longer runs: a child that exited and was reaped.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  // A pid that runs: a child that waits to be killed.
  const pid_t live = ::fork();
  if (live == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_GT(live, 0);
  const auto stale = dir.path() / (".tmp-" + std::to_string(dead) + "-20261125T110000.ab@arsync.example.com.eml");
  const auto busy = dir.path() / (".tmp-" + std::to_string(live) + "-20261125T110001.cd@arsync.example.com.eml");
  const auto delivered = dir.path() / "20261125T110002.ef@arsync.example.com.eml";
  for (const auto& p : {stale, busy, delivered}) std::ofstream(p) << "Subject: half\r\n";

  auto t = make_file_transport(dir.str());
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(busy));
  EXPECT_TRUE(std::filesystem::exists(delivered));
  ::kill(live, SIGKILL);
  ::waitpid(live, nullptr, 0);
}

TEST(FileTransport, SaysARepeatedSendIsHarmless) {
  testing::TempDir dir;
  EXPECT_TRUE(make_file_transport(dir.str())->resend_is_harmless());
}

}  // namespace
}  // namespace arsync::alert
