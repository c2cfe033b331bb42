#include "arsync/alert/mail_config.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace arsync::alert {
namespace {

nlohmann::json valid_smtp() {
  return nlohmann::json::parse(R"({
    "from": "arsync@example.com",
    "to": ["ar-team@example.com", "controller@example.com"],
    "mode": "per_cycle",
    "subject_prefix": "[AR]",
    "hostname": "arsync.example.com",
    "transport": {"type": "smtp", "host": "mail.example.com", "security": "tls",
                  "username": "arsync", "password": "s3cret", "ca_file": "/etc/ca.pem",
                  "timeout_seconds": 10, "helo_name": "arsync.example.com"},
    "retry": {"first_retry_seconds": 60, "max_interval_seconds": 600,
              "give_up_after_seconds": 86400}
  })");
}

std::string error_of(const nlohmann::json& j) {
  auto r = parse_mail_config(j);
  if (r) return "OK";
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  return r.status().message();
}

TEST(MailConfig, ParsesEveryKey) {
  auto r = parse_mail_config(valid_smtp());
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->from, "arsync@example.com");
  EXPECT_EQ(r->to, (std::vector<std::string>{"ar-team@example.com", "controller@example.com"}));
  EXPECT_EQ(r->mode, "per_cycle");
  EXPECT_EQ(r->subject_prefix, "[AR]");
  EXPECT_EQ(r->hostname, "arsync.example.com");
  EXPECT_EQ(r->transport.type, "smtp");
  EXPECT_EQ(r->transport.host, "mail.example.com");
  EXPECT_EQ(r->transport.security, "tls");
  EXPECT_EQ(r->transport.effective_port(), 465);
  EXPECT_EQ(r->transport.username, "arsync");
  EXPECT_EQ(r->transport.password, "s3cret");
  EXPECT_TRUE(r->transport.verify_peer);
  EXPECT_EQ(r->transport.ca_file, "/etc/ca.pem");
  EXPECT_EQ(r->transport.timeout_seconds, 10);
  EXPECT_EQ(r->retry.first_retry, std::chrono::seconds(60));
  EXPECT_EQ(r->retry.max_interval, std::chrono::seconds(600));
  EXPECT_EQ(r->retry.give_up_after, std::chrono::seconds(86400));
}

TEST(MailConfig, DefaultsForAMinimalFileConfig) {
  auto r = parse_mail_config(nlohmann::json::parse(
      R"({"from": "a@example.com", "to": "b@example.com", "transport": {"type": "file", "dir": "/tmp/m"}})"));
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->to, std::vector<std::string>{"b@example.com"});
  EXPECT_EQ(r->mode, "per_discrepancy");
  EXPECT_EQ(r->subject_prefix, "[arsync]");
  EXPECT_FALSE(r->hostname.empty());
  EXPECT_EQ(r->transport.dir, "/tmp/m");
  EXPECT_EQ(r->retry.first_retry, std::chrono::seconds(300));
  EXPECT_EQ(r->retry.max_interval, std::chrono::seconds(3600));
  EXPECT_EQ(r->retry.give_up_after, std::chrono::seconds(432000));
}

TEST(MailConfig, DefaultPortFollowsSecurity) {
  TransportConfig t;
  t.security = "none";
  EXPECT_EQ(t.effective_port(), 25);
  t.security = "starttls";
  EXPECT_EQ(t.effective_port(), 587);
  t.security = "tls";
  EXPECT_EQ(t.effective_port(), 465);
  t.port = 2525;
  EXPECT_EQ(t.effective_port(), 2525);
}

TEST(MailConfig, UnknownSecurityNamesTheKeyAndChoices) {
  auto j = valid_smtp();
  j["transport"]["security"] = "ssl";
  auto r = parse_mail_config(j);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "mail.transport.security must be one of none, starttls, tls");
  EXPECT_EQ(r.status().where().field, "mail.transport.security");
}

TEST(MailConfig, UnknownModeIsRefused) {
  auto j = valid_smtp();
  j["mode"] = "digest";
  EXPECT_EQ(error_of(j), "mail.mode must be one of per_discrepancy, per_cycle");
}

TEST(MailConfig, MisspeltKeyIsRefused) {
  auto j = valid_smtp();
  j["transport"]["verify_per"] = false;
  EXPECT_EQ(error_of(j),
            "mail.transport.verify_per is not a known key (known: ca_file, dir, helo_name, host, "
            "password, password_file, port, security, timeout_seconds, type, username, verify_peer)");
}

TEST(MailConfig, MissingFromIsRefused) {
  auto j = valid_smtp();
  j.erase("from");
  EXPECT_EQ(error_of(j), "mail.from is required");
}

TEST(MailConfig, RecipientWithDisplayNameIsRefused) {
  auto j = valid_smtp();
  j["to"] = {"ok@example.com", "AR Team <ar@example.com>"};
  EXPECT_EQ(error_of(j),
            "mail.to[1]: \"AR Team <ar@example.com>\" is not a valid email address: it contains a "
            "space, a control character or non-ASCII text");
}

TEST(MailConfig, FromWithHeaderInjectionIsRefused) {
  auto j = valid_smtp();
  j["from"] = "a@example.com\r\nBcc: evil@x.org";
  EXPECT_EQ(error_of(j),
            "mail.from: \"a@example.com\\r\\nBcc: evil@x.org\" is not a valid email address: it "
            "contains a space, a control character or non-ASCII text");
}

TEST(MailConfig, EmptyRecipientListIsRefused) {
  auto j = valid_smtp();
  j["to"] = nlohmann::json::array();
  EXPECT_EQ(error_of(j), "mail.to must name at least one address");
}

TEST(MailConfig, SmtpWithoutHostIsRefused) {
  auto j = valid_smtp();
  j["transport"].erase("host");
  EXPECT_EQ(error_of(j), "mail.transport.host is required when mail.transport.type is smtp");
}

TEST(MailConfig, FileWithoutDirIsRefused) {
  auto j = valid_smtp();
  j["transport"] = {{"type", "file"}};
  EXPECT_EQ(error_of(j), "mail.transport.dir is required when mail.transport.type is file");
}

TEST(MailConfig, UnknownTransportTypeIsRefused) {
  auto j = valid_smtp();
  j["transport"]["type"] = "sendmail";
  EXPECT_EQ(error_of(j), "mail.transport.type must be one of file, smtp");
}

TEST(MailConfig, PortOutOfRangeIsRefused) {
  auto j = valid_smtp();
  j["transport"]["port"] = 70000;
  EXPECT_EQ(error_of(j), "mail.transport.port must be a whole number from 1 to 65535");
}

TEST(MailConfig, AuthWithoutTlsIsRefused) {
  auto j = valid_smtp();
  j["transport"]["security"] = "none";
  EXPECT_EQ(error_of(j),
            "mail.transport.username requires mail.transport.security starttls or tls (AUTH would "
            "send the password in clear text)");
}

TEST(MailConfig, VerifyPeerMustBeBoolean) {
  auto j = valid_smtp();
  j["transport"]["verify_peer"] = "no";
  EXPECT_EQ(error_of(j), "mail.transport.verify_peer must be true or false");
}

TEST(MailConfig, FirstRetryAboveMaxIntervalIsRefused) {
  auto j = valid_smtp();
  j["retry"]["first_retry_seconds"] = 7200;
  EXPECT_EQ(error_of(j), "mail.retry.first_retry_seconds must not exceed mail.retry.max_interval_seconds");
}

TEST(MailConfig, SubjectPrefixWithNewlineIsRefused) {
  auto j = valid_smtp();
  j["subject_prefix"] = "[AR]\nBcc: x@y.org";
  EXPECT_EQ(error_of(j), "mail.subject_prefix must not contain control characters");
}

TEST(RetryPolicy, BackoffDoublesFromFirstRetryAndIsCapped) {
  RetryPolicy p;
  EXPECT_EQ(p.backoff(1), std::chrono::seconds(300));
  EXPECT_EQ(p.backoff(2), std::chrono::seconds(600));
  EXPECT_EQ(p.backoff(3), std::chrono::seconds(1200));
  EXPECT_EQ(p.backoff(4), std::chrono::seconds(2400));
  EXPECT_EQ(p.backoff(5), std::chrono::seconds(3600));
  EXPECT_EQ(p.backoff(500), std::chrono::seconds(3600));
}

TEST(ValidateAddress, AcceptsPlainAddresses) {
  EXPECT_TRUE(validate_address("ar.team+alerts@mail.example.co.uk"));
  EXPECT_TRUE(validate_address("o'brien@example.com"));
}

TEST(ValidateAddress, RefusesInjectionAndOddForms) {
  for (const char* bad : {"", "no-at-sign", "a@b@", "a@example.com>", "<a@example.com>",
                          "a b@example.com", "\"quoted\"@example.com", "a@example.com, b@example.com",
                          "a@-example.com", "a..b@example.com", "a@exa mple.com", "jörg@example.com"}) {
    EXPECT_FALSE(validate_address(bad)) << bad;
  }
  EXPECT_FALSE(validate_address(std::string("a@example.com\0x", 15)));
  EXPECT_EQ(validate_address("a\n@example.com").message(),
            "\"a\\n@example.com\" is not a valid email address: it contains a space, a control "
            "character or non-ASCII text");
}

// Files the config names, in a temp folder removed after each test.
class MailConfigFiles : public ::testing::Test {
 protected:
  // A file holding `content`, with the given mode.
  std::string file(const std::string& name, const std::string& content, mode_t mode) {
    auto path = (dir_.path() / name).string();
    std::ofstream(path) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::string password_file(const std::string& content, mode_t mode) {
    return file("smtp.password." + std::to_string(++n_), content, mode);
  }
  testing::TempDir dir_;
  int n_ = 0;
};

TEST_F(MailConfigFiles, PasswordIsReadFromAnOwnerOnlyFile) {
  auto j = valid_smtp();
  j["transport"].erase("password");
  j["transport"]["password_file"] = password_file("from-file\n", 0600);
  auto r = parse_mail_config(j);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->transport.password, "from-file");
}

TEST_F(MailConfigFiles, PasswordFileReadableByOthersIsRefused) {
  auto j = valid_smtp();
  j["transport"].erase("password");
  std::string path = password_file("x\n", 0644);
  j["transport"]["password_file"] = path;
  EXPECT_EQ(error_of(j), "mail.transport.password_file names " + path +
                             ", which group or others may read; run: chmod 600 " + path);
}

TEST_F(MailConfigFiles, PasswordAndPasswordFileTogetherAreRefused) {
  auto j = valid_smtp();
  j["transport"]["password_file"] = password_file("x\n", 0600);
  EXPECT_EQ(error_of(j),
            "mail.transport.password_file and mail.transport.password are both set; keep one");
}

TEST_F(MailConfigFiles, MissingPasswordFileIsNamed) {
  auto j = valid_smtp();
  j["transport"].erase("password");
  j["transport"]["password_file"] = "/nonexistent/arsync.password";
  EXPECT_EQ(error_of(j),
            "mail.transport.password_file names /nonexistent/arsync.password, which cannot be "
            "read (No such file or directory)");
}

TEST_F(MailConfigFiles, PasswordFilesAreLeftInTheTestsOwnFolder) {
  const std::string path = password_file("x\n", 0600);
  EXPECT_EQ(std::filesystem::path(path).parent_path(), dir_.path());
}

TEST_F(MailConfigFiles, InlinePasswordInAConfigOthersCanReadIsRefused) {
  const std::string config = file("arsync.json", "{}", 0644);
  auto r = parse_mail_config(valid_smtp(), config);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.status().where().field, "mail.transport.password");
  EXPECT_EQ(r.status().message(),
            "mail.transport.password is written in " + config +
                ", which group or others may read; put the password in a file named by "
                "mail.transport.password_file (chmod 600) or run: chmod 600 " + config);
}

TEST_F(MailConfigFiles, InlinePasswordInAnOwnerOnlyConfigIsAccepted) {
  const std::string config = file("arsync.json", "{}", 0600);
  auto r = parse_mail_config(valid_smtp(), config);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->transport.password, "s3cret");
}

TEST_F(MailConfigFiles, PasswordFileNeedsNoPrivateConfig) {
  const std::string config = file("arsync.json", "{}", 0644);
  auto j = valid_smtp();
  j["transport"].erase("password");
  j["transport"]["password_file"] = password_file("from-file\n", 0600);
  auto r = parse_mail_config(j, config);
  ASSERT_TRUE(r) << r.status().to_string();
}

TEST(MailConfig, DeliveryDeadlineAndResendUncertain) {
  auto j = valid_smtp();
  auto defaults = parse_mail_config(j);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->delivery_deadline, std::chrono::seconds(120));
  EXPECT_FALSE(defaults->resend_uncertain);
  j["delivery_deadline_seconds"] = 15;
  j["resend_uncertain"] = true;
  auto r = parse_mail_config(j);
  ASSERT_TRUE(r) << r.status().to_string();
  EXPECT_EQ(r->delivery_deadline, std::chrono::seconds(15));
  EXPECT_TRUE(r->resend_uncertain);
  j["delivery_deadline_seconds"] = 0;
  EXPECT_EQ(error_of(j), "mail.delivery_deadline_seconds must be a whole number from 1 to 3600");
  j["delivery_deadline_seconds"] = 15;
  j["resend_uncertain"] = "no";
  EXPECT_EQ(error_of(j), "mail.resend_uncertain must be true or false");
}

}  // namespace
}  // namespace arsync::alert
