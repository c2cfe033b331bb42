#include <gtest/gtest.h>

#include "arsync/alert/message.h"
#include "arsync/alert/transport.h"
#include "mail_parse.h"
#include "python_email.h"
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
  testing::SmtpServer server(dir_.path() / "inbox");
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
  testing::SmtpServer server(dir_.path() / "inbox");
  store::OutgoingMail mail = rendered_mail();
  mail.data = "From: arsync@example.com\r\nTo: ar@example.com\r\nSubject: dots\r\n\r\n"
              "first\r\n.\r\n..two dots\r\n.one dot\r\nlast\r\n";
  ASSERT_TRUE(transport(smtp(server.port(), "none", "127.0.0.1"))->send(mail));
  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, mail.data);
}

TEST_F(SmtpTransportTest, StartTlsDeliveryVerifiesTheServerWithCaFile) {
  testing::SmtpServer server(dir_.path() / "inbox", starttls());
  TransportConfig t = smtp(server.port(), "starttls");
  t.ca_file = cert();
  const Status s = transport(t)->send(rendered_mail());
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(SmtpTransportTest, StartTlsWithUntrustedCertificateFailsClearly) {
  testing::SmtpServer server(dir_.path() / "inbox", starttls());
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
  testing::SmtpServer server(dir_.path() / "inbox", starttls());
  TransportConfig t = smtp(server.port(), "starttls");
  t.verify_peer = false;
  const Status s = transport(t)->send(rendered_mail());
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(SmtpTransportTest, StartTlsRequiredButNotOfferedIsRefused) {
  testing::SmtpServer server(dir_.path() / "inbox");
  const Status s = transport(smtp(server.port(), "starttls"))->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), "SMTP server localhost:" + std::to_string(server.port()) +
                             ": does not offer STARTTLS (mail.transport.security is starttls)");
  EXPECT_TRUE(server.received().empty());
}

TEST_F(SmtpTransportTest, ImplicitTlsDelivery) {
  testing::SmtpServer server(dir_.path() / "inbox", {"--tls", cert(), key()});
  TransportConfig t = smtp(server.port(), "tls");
  t.ca_file = cert();
  const Status s = transport(t)->send(rendered_mail());
  ASSERT_TRUE(s) << s.to_string();
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(SmtpTransportTest, AuthenticatesWhenUsernameIsSet) {
  auto options = starttls();
  options.insert(options.end(), {"--auth", "arsync", "pa ss:word"});
  testing::SmtpServer server(dir_.path() / "inbox", options);
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
  testing::SmtpServer server(dir_.path() / "inbox", options);
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
  testing::SmtpServer server(dir_.path() / "inbox", options);
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
  testing::ClosedPort closed;
  const int port = closed.port();
  const Status s = transport(smtp(port, "none", "127.0.0.1"))->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), "SMTP server 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST_F(SmtpTransportTest, RejectedRecipientIsPermanent) {
  testing::SmtpServer server(dir_.path() / "inbox", {"--reject-rcpt", "nobody"});
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
  testing::SmtpServer server(dir_.path() / "inbox", {"--tempfail-rcpt", "busy"});
  const Status s = transport(smtp(server.port(), "none", "127.0.0.1"))->send(rendered_mail({"busy@example.com"}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), "SMTP server 127.0.0.1:" + std::to_string(server.port()) +
                             ": temporary failure: RCPT TO:<busy@example.com> got 451 4.3.0 "
                             "<busy@example.com>: Temporary local problem");
}

TEST_F(SmtpTransportTest, LongCustomerNameReachesAiosmtpdInAFoldedSubject) {
  // 1,200 characters of plain ASCII in one word: once a 1,279-byte Subject
  // line that the server refused ("500 Line too long").
  Discrepancy d;
  d.id = 5;
  d.finding.rule = "amount_differs";
  d.finding.match_key = "90001234";
  d.finding.systems = {"sap-ecc", "sap-s4"};
  d.finding.customer_key = std::string(1200, 'A');
  MailConfig c;
  c.from = "arsync@example.com";
  c.to = {"ar@example.com"};
  c.hostname = "arsync.example.com";
  ManualClock clock(*parse_instant("2026-11-25T11:00:00Z"));
  const auto mail = *render_discrepancy_mail(d, c, clock);

  testing::SmtpServer server(dir_.path() / "inbox");
  const Status s = transport(smtp(server.port(), "none", "127.0.0.1"))->send(mail);
  ASSERT_TRUE(s) << s.to_string();
  const auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  std::size_t subject_lines = 0;
  bool in_subject = false;
  for (const auto& line : testing::raw_header_lines(got[0].data)) {
    if (line.rfind("Message-ID:", 0) != 0) {  // one word, never folded
      EXPECT_LE(line.size(), 78u) << line;
    }
    if (line.rfind("Subject:", 0) == 0) in_subject = true;
    else if (line[0] != ' ') in_subject = false;
    if (in_subject) ++subject_lines;
  }
  EXPECT_GT(subject_lines, 1u);
  const auto j = testing::python_parse_email(dir_.path(), got[0].data);
  EXPECT_EQ(j["headers"]["Subject"],
            "[arsync] amount_differs: invoice 90001234 (sap-ecc vs sap-s4) - " + std::string(99, 'A') + "\u2026");
}

// ---- failures against a scripted server ---------------------------------

class ScriptedSmtpTest : public SmtpTransportTest {
 protected:
  std::string server_name(const testing::ScriptedSmtpServer& s) const {
    return "SMTP server 127.0.0.1:" + std::to_string(s.port());
  }
  static Status ok() { return Status::ok(); }
};

TEST_F(ScriptedSmtpTest, SilentServerTimesOutAfterTimeoutSecondsAndBreaksTheSession) {
  testing::ScriptedSmtpServer server(dir_.path(), {"--hang", "GREETING"});
  TransportConfig t = smtp(server.port(), "none", "127.0.0.1");
  t.timeout_seconds = 1;
  auto session = transport(t)->open_session(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  const auto begin = std::chrono::steady_clock::now();
  const SendResult r = session->send(rendered_mail(), ok);
  const auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(r.status.retryable());
  EXPECT_FALSE(r.unconfirmed);
  EXPECT_EQ(r.status.message(), server_name(server) + ": timed out after 1 s waiting for the greeting");
  EXPECT_FALSE(session->usable());
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(ScriptedSmtpTest, TheSessionDeadlineCutsAWaitShort) {
  testing::ScriptedSmtpServer server(dir_.path(), {"--hang", "GREETING"});
  TransportConfig t = smtp(server.port(), "none", "127.0.0.1");
  t.timeout_seconds = 30;
  auto session = transport(t)->open_session(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  const auto begin = std::chrono::steady_clock::now();
  const SendResult r = session->send(rendered_mail(), ok);
  ASSERT_FALSE(r.status);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
  EXPECT_EQ(r.status.message(), server_name(server) + ": timed out after 1 s waiting for the greeting");
}

TEST_F(ScriptedSmtpTest, NoReplyToTheEndOfDataIsUnconfirmed) {
  testing::ScriptedSmtpServer server(dir_.path(), {"--hang", "END"});
  TransportConfig t = smtp(server.port(), "none", "127.0.0.1");
  // Every reply waits up to the timeout: 1 s let a loaded machine (the full
  // suite in parallel) time out at EHLO instead, before the hang under test.
  t.timeout_seconds = 3;
  auto session = transport(t)->open_session(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  const SendResult r = session->send(rendered_mail(), ok);
  ASSERT_FALSE(r.status);
  EXPECT_TRUE(r.unconfirmed);
  EXPECT_EQ(r.status.message(), server_name(server) + ": timed out after 3 s waiting for the reply to end of DATA");
  const auto log = server.log();
  EXPECT_NE(std::find(log.begin(), log.end(), "MESSAGE"), log.end());
}

TEST_F(ScriptedSmtpTest, RefusedStartTlsIsRetryableAndNamesTheReply) {
  testing::ScriptedSmtpServer server(dir_.path(), {"--ehlo-extra", "STARTTLS"});
  const Status s = transport(smtp(server.port(), "starttls", "127.0.0.1"))->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), server_name(server) + ": temporary failure: STARTTLS got 454 4.7.0 TLS not available");
  const auto log = server.log();
  EXPECT_EQ(std::find(log.begin(), log.end(), "MESSAGE"), log.end());
}

TEST_F(ScriptedSmtpTest, NoUsableAuthMechanismIsAnAuthErrorNamingWhatIsOffered) {
  // The scripted server cannot do TLS; "none" with a username is refused by
  // the config parser, not by the transport, so the transport is built here.
  testing::ScriptedSmtpServer server(dir_.path(), {"--ehlo-extra", "AUTH CRAM-MD5 GSSAPI"});
  TransportConfig t = smtp(server.port(), "none", "127.0.0.1");
  t.username = "arsync";
  t.password = "secret";
  const Status s = make_smtp_transport(t, "arsync-test.example.com")->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kAuthError);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), server_name(server) +
                             " offers neither AUTH PLAIN nor AUTH LOGIN (it offers 250 AUTH CRAM-MD5 GSSAPI; "
                             "mail.transport.username is set)");
  EXPECT_EQ(s.to_string().find("secret"), std::string::npos);
}

TEST_F(ScriptedSmtpTest, RejectedMailFromIsPermanent) {
  testing::ScriptedSmtpServer server(dir_.path(), {"--reply", "MAIL=553 5.7.1 Sender address rejected"});
  const Status s = transport(smtp(server.port(), "none", "127.0.0.1"))->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(s.retryable());
  EXPECT_EQ(s.message(), server_name(server) +
                             " refused MAIL FROM:<arsync@example.com> got 553 5.7.1 Sender address rejected");
}

TEST_F(ScriptedSmtpTest, RejectedDataCommandIsPermanentAndNothingIsSent) {
  testing::ScriptedSmtpServer server(dir_.path(), {"--reply", "DATA=554 5.5.1 No valid recipients"});
  bool marked = false;
  auto session = transport(smtp(server.port(), "none", "127.0.0.1"))
                     ->open_session(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  const SendResult r = session->send(rendered_mail(), [&] {
    marked = true;
    return Status::ok();
  });
  ASSERT_FALSE(r.status);
  EXPECT_TRUE(marked);  // called before DATA
  EXPECT_FALSE(r.status.retryable());
  EXPECT_FALSE(r.unconfirmed);
  EXPECT_EQ(r.status.message(), server_name(server) + " refused DATA got 554 5.5.1 No valid recipients");
  EXPECT_TRUE(session->usable());
  const auto log = server.log();
  EXPECT_EQ(std::find(log.begin(), log.end(), "MESSAGE"), log.end());
}

TEST_F(ScriptedSmtpTest, RejectedEndOfDataIsPermanentAndConfirmedNotDelivered) {
  testing::ScriptedSmtpServer server(dir_.path(), {"--reply", "END=554 5.6.0 Message content rejected"});
  auto session = transport(smtp(server.port(), "none", "127.0.0.1"))
                     ->open_session(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  const SendResult r = session->send(rendered_mail(), ok);
  ASSERT_FALSE(r.status);
  EXPECT_FALSE(r.status.retryable());
  EXPECT_FALSE(r.unconfirmed);
  EXPECT_EQ(r.status.message(), server_name(server) + " refused end of DATA got 554 5.6.0 Message content rejected");
  EXPECT_TRUE(session->usable());
}

TEST_F(ScriptedSmtpTest, TemporarilyRejectedEndOfDataIsRetryable) {
  testing::ScriptedSmtpServer server(dir_.path(), {"--reply", "END=451 4.3.0 Try again later"});
  const Status s = transport(smtp(server.port(), "none", "127.0.0.1"))->send(rendered_mail());
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.retryable());
  EXPECT_EQ(s.message(), server_name(server) + ": temporary failure: end of DATA got 451 4.3.0 Try again later");
}

TEST_F(ScriptedSmtpTest, OneSessionCarriesSeveralMessagesWithRsetAfterARefusal) {
  testing::ScriptedSmtpServer server(dir_.path(), {});
  auto session = transport(smtp(server.port(), "none", "127.0.0.1"))
                     ->open_session(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  EXPECT_TRUE(session->send(rendered_mail(), ok).status);
  // A refusal by the caller before the content (the store could not mark
  // it): the transaction is reset before the next message.
  const SendResult refused =
      session->send(rendered_mail(), [] { return Status(ErrorCode::kIoError, "disk full"); });
  EXPECT_EQ(refused.status.message(), "disk full");
  EXPECT_TRUE(session->send(rendered_mail(), ok).status);
  session.reset();  // QUIT
  const auto log = server.log();
  EXPECT_EQ(std::count(log.begin(), log.end(), "CONNECT"), 1);
  EXPECT_EQ(std::count(log.begin(), log.end(), "MESSAGE"), 2);
  std::vector<std::string> verbs;
  for (const auto& l : log) verbs.push_back(l.substr(0, l.find_first_of(" :")));
  EXPECT_EQ(verbs, (std::vector<std::string>{"CONNECT", "EHLO", "MAIL", "RCPT", "RCPT", "DATA", "MESSAGE",
                                             "MAIL", "RCPT", "RCPT", "RSET", "MAIL", "RCPT", "RCPT", "DATA",
                                             "MESSAGE", "QUIT"}));
}

}  // namespace
}  // namespace arsync::alert
