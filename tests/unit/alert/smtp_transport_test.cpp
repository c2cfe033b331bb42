#include <gtest/gtest.h>

#include "arsync/alert/message.h"
#include "arsync/alert/transport.h"
#include "mail_parse.h"
#include "smtp_server.h"
#include "temp_dir.h"

namespace arsync::alert {
namespace {

store::OutgoingMail rendered_mail(const std::vector<std::string>& to = {"ar@example.com", "cfo@example.com"}) {
  Discrepancy d;
  d.id = 5;
  d.finding.rule = "amount_differs";
  d.finding.match_key = "90001234";
  d.finding.systems = {"sap-ecc", "sap-s4"};
  d.finding.customer_key = "Müller GmbH";
  d.finding.summary = "amount 1,250.00 USD in sap-ecc vs 1,205.00 USD in sap-s4";
  d.finding.details = {{"sap-ecc", {{"amount", "1250.00"}}}, {"sap-s4", {{"amount", "1205.00"}}}};
  MailConfig c;
  c.from = "arsync@example.com";
  c.to = to;
  c.hostname = "arsync.example.com";
  ManualClock clock(*parse_instant("2026-11-25T11:00:00Z"));
  return *render_discrepancy_mail(d, c, clock);
}

class SmtpTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::make_self_signed_cert(dir_.path()); }

  std::string cert() const { return (dir_.path() / "cert.pem").string(); }
  std::string key() const { return (dir_.path() / "key.pem").string(); }
  std::vector<std::string> starttls() const { return {"--starttls", cert(), key()}; }

  TransportConfig smtp(int port, const std::string& security, const std::string& host = "localhost") {
    TransportConfig t;
    t.type = "smtp";
    t.host = host;
    t.port = port;
    t.security = security;
    t.timeout_seconds = 10;
    return t;
  }

  std::unique_ptr<Transport> transport(const TransportConfig& t) {
    auto r = make_transport(t, "arsync-test.example.com");
    EXPECT_TRUE(r) << r.status().to_string();
    return std::move(r).value();
  }

  testing::TempDir dir_;
};

TEST_F(SmtpTransportTest, PlainDeliveryArrivesWithHeadersBodyAndEnvelope) {
  testing::SmtpServer server(dir_.path() / "inbox", 0);
  const auto mail = rendered_mail();
  const Status s = transport(smtp(server.port(), "none", "127.0.0.1"))->send(mail);
  ASSERT_TRUE(s) << s.to_string();

  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].mail_from, "arsync@example.com");
  EXPECT_EQ(got[0].rcpt_tos, (std::vector<std::string>{"ar@example.com", "cfo@example.com"}));
  EXPECT_EQ(got[0].data, mail.data);
  testing::ParsedMail parsed;
  testing::parse_mail(got[0].data, parsed);
  EXPECT_EQ(parsed.message.get("Message-ID"), mail.message_id);
  EXPECT_EQ(parsed.message.get("From"), "arsync@example.com");
  EXPECT_EQ(parsed.message.get("Date"), "Wed, 25 Nov 2026 11:00:00 +0000");
  ASSERT_EQ(parsed.parts.size(), 2u);
  EXPECT_NE(parsed.parts[0].body.find("Customer:       Müller GmbH"), std::string::npos);
}

TEST_F(SmtpTransportTest, LinesStartingWithADotSurviveDotStuffing) {
  testing::SmtpServer server(dir_.path() / "inbox", 0);
  store::OutgoingMail mail = rendered_mail();
  mail.data = "From: arsync@example.com\r\nTo: ar@example.com\r\nSubject: dots\r\n\r\n"
              "first\r\n.\r\n..two dots\r\n.one dot\r\nlast\r\n";
  ASSERT_TRUE(transport(smtp(server.port(), "none", "127.0.0.1"))->send(mail));
  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, mail.data);
}

TEST_F(SmtpTransportTest, StartTlsDeliveryVerifiesTheServerWithCaFile) {
  testing::SmtpServer server(dir_.path() / "inbox", 0, starttls());
  TransportConfig t = smtp(server.port(), "starttls");
  t.ca_file = cert();
  const Status s = transport(t)->send(rendered_mail());
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(SmtpTransportTest, StartTlsWithUntrustedCertificateFailsClearly) {
  testing::SmtpServer server(dir_.path() / "inbox", 0, starttls());
  const Status s = transport(smtp(server.port(), "starttls"))->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(s.retryable());
  const std::string prefix = "SMTP server localhost:" + std::to_string(server.port()) + ": TLS certificate verification failed (if the server uses a private CA, set "
                             "mail.transport.ca_file to it): ";
  EXPECT_EQ(s.message().rfind(prefix, 0), 0u) << s.message();
  EXPECT_NE(s.message().find("certificate verify failed"), std::string::npos) << s.message();
  EXPECT_TRUE(server.received().empty());
}

TEST_F(SmtpTransportTest, StartTlsWithoutVerificationWhenConfigured) {
  testing::SmtpServer server(dir_.path() / "inbox", 0, starttls());
  TransportConfig t = smtp(server.port(), "starttls");
  t.verify_peer = false;
  const Status s = transport(t)->send(rendered_mail());
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(SmtpTransportTest, StartTlsRequiredButNotOfferedIsRefused) {
  testing::SmtpServer server(dir_.path() / "inbox", 0);
  const Status s = transport(smtp(server.port(), "starttls"))->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), "SMTP server localhost:" + std::to_string(server.port()) +
                             ": does not offer STARTTLS (mail.transport.security is starttls)");
  EXPECT_TRUE(server.received().empty());
}

TEST_F(SmtpTransportTest, ImplicitTlsDelivery) {
  testing::SmtpServer server(dir_.path() / "inbox", 0, {"--tls", cert(), key()});
  TransportConfig t = smtp(server.port(), "tls");
  t.ca_file = cert();
  const Status s = transport(t)->send(rendered_mail());
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(SmtpTransportTest, AuthenticatesWhenUsernameIsSet) {
  auto options = starttls();
  options.insert(options.end(), {"--auth", "arsync", "pa ss:word"});
  testing::SmtpServer server(dir_.path() / "inbox", 0, options);
  TransportConfig t = smtp(server.port(), "starttls");
  t.ca_file = cert();
  t.username = "arsync";
  t.password = "pa ss:word";
  const Status s = transport(t)->send(rendered_mail());
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(SmtpTransportTest, UsesAuthLoginWhenPlainIsNotOffered) {
  auto options = starttls();
  options.insert(options.end(), {"--auth", "arsync", "s3cret", "--auth-exclude", "PLAIN"});
  testing::SmtpServer server(dir_.path() / "inbox", 0, options);
  TransportConfig t = smtp(server.port(), "starttls");
  t.ca_file = cert();
  t.username = "arsync";
  t.password = "s3cret";
  const Status s = transport(t)->send(rendered_mail());
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(SmtpTransportTest, WrongPasswordIsRetryableAndNotShown) {
  auto options = starttls();
  options.insert(options.end(), {"--auth", "arsync", "right"});
  testing::SmtpServer server(dir_.path() / "inbox", 0, options);
  TransportConfig t = smtp(server.port(), "starttls");
  t.ca_file = cert();
  t.username = "arsync";
  t.password = "wrong-secret";
  const Status s = transport(t)->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kAuthError);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), "SMTP server localhost:" + std::to_string(server.port()) +
                             " refused AUTH PLAIN got 535 5.7.8 Authentication credentials invalid "
                             "(check mail.transport.username and password)");
  EXPECT_EQ(s.to_string().find("wrong-secret"), std::string::npos);
  EXPECT_TRUE(server.received().empty());
}

TEST_F(SmtpTransportTest, ConnectionRefusedIsRetryable) {
  const int port = testing::free_port();
  const Status s = transport(smtp(port, "none", "127.0.0.1"))->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), "SMTP server 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST_F(SmtpTransportTest, RejectedRecipientIsPermanent) {
  testing::SmtpServer server(dir_.path() / "inbox", 0, {"--reject-rcpt", "nobody"});
  const Status s = transport(smtp(server.port(), "none", "127.0.0.1"))
                       ->send(rendered_mail({"ar@example.com", "nobody@example.com"}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(s.retryable());
  EXPECT_EQ(s.message(), "SMTP server 127.0.0.1:" + std::to_string(server.port()) +
                             " refused RCPT TO:<nobody@example.com> got 550 5.1.1 "
                             "<nobody@example.com>: Recipient address rejected");
  EXPECT_TRUE(server.received().empty());
}

TEST_F(SmtpTransportTest, TemporaryRecipientFailureIsRetryable) {
  testing::SmtpServer server(dir_.path() / "inbox", 0, {"--tempfail-rcpt", "busy"});
  const Status s = transport(smtp(server.port(), "none", "127.0.0.1"))->send(rendered_mail({"busy@example.com"}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), "SMTP server 127.0.0.1:" + std::to_string(server.port()) +
                             ": temporary failure: RCPT TO:<busy@example.com> got 451 4.3.0 "
                             "<busy@example.com>: Temporary local problem");
}

}  // namespace
}  // namespace arsync::alert
