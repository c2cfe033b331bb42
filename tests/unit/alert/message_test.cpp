#include "arsync/alert/message.h"

#include <gtest/gtest.h>

#include <regex>

#include "arsync/alert/mime.h"
#include "mail_parse.h"
#include "python_email.h"
#include "temp_dir.h"

namespace arsync::alert {
namespace {

using testing::parse_mail;
using testing::ParsedMail;

Instant at(const char* text) { return *parse_instant(text); }

Discrepancy amount_differs() {
  Discrepancy d;
  d.id = 17;
  d.finding.rule = "amount_differs";
  d.finding.kind = DocumentKind::kInvoice;
  d.finding.match_key = "90001234";
  d.finding.systems = {"sap-ecc", "sap-s4"};
  d.finding.severity = Severity::kWarning;
  d.finding.customer_key = "ACME Corp";
  d.finding.summary = "amount 1,250.00 USD in sap-ecc vs 1,205.00 USD in sap-s4";
  d.finding.details = nlohmann::json::parse(R"({
    "sap-ecc": {"amount": "1250.00", "currency": "USD", "document_number": "0090001234"},
    "sap-s4": {"amount": "1205.00", "currency": "USD", "due_date": "2026-12-01"}
  })");
  d.first_detected = at("2026-11-25T10:00:00Z");
  d.last_detected = d.first_detected;
  return d;
}

MailConfig config() {
  MailConfig c;
  c.from = "arsync@example.com";
  c.to = {"ar-team@example.com", "controller@example.com"};
  c.hostname = "arsync.example.com";
  return c;
}

// The value of header `name` as sent (folded lines joined), or "".
std::string raw_header(const std::vector<std::string>& lines, const std::string& name) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind(name + ": ", 0) != 0) continue;
    std::string value = lines[i].substr(name.size() + 2);
    for (std::size_t k = i + 1; k < lines.size() && (lines[k][0] == ' ' || lines[k][0] == '\t'); ++k) {
      value += "\r\n" + lines[k];
    }
    return value;
  }
  return "";
}

class MessageTest : public ::testing::Test {
 protected:
  ManualClock clock_{at("2026-11-25T11:00:00Z")};
};

TEST_F(MessageTest, SubjectNamesRuleKindKeySystemsAndCustomer) {
  auto mail = render_discrepancy_mail(amount_differs(), config(), clock_);
  ASSERT_TRUE(mail) << mail.status().to_string();
  EXPECT_EQ(mail->subject, "[arsync] amount_differs: invoice 90001234 (sap-ecc vs sap-s4) - ACME Corp");
  ParsedMail parsed;
  parse_mail(mail->data, parsed);
  // Folded at 78 characters: unfolded it is the subject.
  std::string unfolded = raw_header(parsed.header_lines, "Subject");
  for (std::size_t p; (p = unfolded.find("\r\n")) != std::string::npos;) unfolded.erase(p, 2);
  EXPECT_EQ(unfolded, mail->subject);
  for (const auto& line : parsed.header_lines) {
    if (line.rfind("Message-ID:", 0) != 0) {  // one word, never folded
      EXPECT_LE(line.size(), 78u) << line;
    }
  }
}

TEST_F(MessageTest, HeadersCarryEnvelopeDateAndMessageId) {
  auto mail = render_discrepancy_mail(amount_differs(), config(), clock_);
  ASSERT_TRUE(mail);
  ParsedMail parsed;
  parse_mail(mail->data, parsed);
  const auto& h = parsed.header_lines;
  EXPECT_EQ(raw_header(h, "From"), "arsync@example.com");
  EXPECT_EQ(raw_header(h, "To"), "ar-team@example.com, controller@example.com");
  EXPECT_EQ(raw_header(h, "Date"), "Wed, 25 Nov 2026 11:00:00 +0000");
  EXPECT_EQ(raw_header(h, "MIME-Version"), "1.0");
  EXPECT_EQ(raw_header(h, "Message-ID"), mail->message_id);
  EXPECT_TRUE(std::regex_match(mail->message_id,
                               std::regex(R"(<20261125T110000\.[0-9a-f]{32}@arsync\.example\.com>)")))
      << mail->message_id;
  EXPECT_EQ(mail->sender, "arsync@example.com");
  EXPECT_EQ(mail->recipients, config().to);
  EXPECT_EQ(mail->created_at, clock_.now());
}

TEST_F(MessageTest, MessageIdsAreUnique) {
  auto a = render_discrepancy_mail(amount_differs(), config(), clock_);
  auto b = render_discrepancy_mail(amount_differs(), config(), clock_);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->message_id, b->message_id);
}

TEST_F(MessageTest, IsMultipartAlternativeWithPlainAndHtmlParts) {
  auto mail = render_discrepancy_mail(amount_differs(), config(), clock_);
  ASSERT_TRUE(mail);
  ParsedMail parsed;
  parse_mail(mail->data, parsed);
  EXPECT_EQ(parsed.message.getContentType().rfind("multipart/alternative; boundary=", 0), 0u);
  ASSERT_EQ(parsed.parts.size(), 2u);
  EXPECT_EQ(parsed.parts[0].content_type, "text/plain; charset=UTF-8");
  EXPECT_EQ(parsed.parts[0].transfer_encoding, "quoted-printable");
  EXPECT_EQ(parsed.parts[1].content_type, "text/html; charset=UTF-8");
  EXPECT_EQ(parsed.parts[1].transfer_encoding, "quoted-printable");
  EXPECT_NE(parsed.parts[0].body.find("90001234"), std::string::npos);
  EXPECT_NE(parsed.parts[1].body.find("<td>1205.00</td>"), std::string::npos);
}

TEST_F(MessageTest, PlainTextShowsFactsAndValuesPerSystem) {
  auto mail = render_discrepancy_mail(amount_differs(), config(), clock_);
  ASSERT_TRUE(mail);
  ParsedMail parsed;
  parse_mail(mail->data, parsed);
  ASSERT_EQ(parsed.parts.size(), 2u);
  const std::string& text = parsed.parts[0].body;
  for (const char* line : {
           "Discrepancy:    #17\r\n",
           "Rule:           amount_differs\r\n",
           "Kind:           invoice\r\n",
           "Match key:      90001234\r\n",
           "Customer:       ACME Corp\r\n",
           "Severity:       warning\r\n",
           "First detected: 2026-11-25T10:00:00Z\r\n",
           "Summary:        amount 1,250.00 USD in sap-ecc vs 1,205.00 USD in sap-s4\r\n",
           "  Field           | sap-ecc    | sap-s4\r\n",
           "  amount          | 1250.00    | 1205.00\r\n",
           "  document_number | 0090001234 | (missing)\r\n",
           "  due_date        | (missing)  | 2026-12-01\r\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing line: " << line << "\nin:\n" << text;
  }
}

TEST_F(MessageTest, HtmlEscapesEveryValue) {
  Discrepancy d = amount_differs();
  d.finding.customer_key = "<script>alert('x')</script> & Co";
  d.finding.details["sap-ecc"]["reference"] = "PO <42> \"A&B\"";
  auto mail = render_discrepancy_mail(d, config(), clock_);
  ASSERT_TRUE(mail);
  ParsedMail parsed;
  parse_mail(mail->data, parsed);
  ASSERT_EQ(parsed.parts.size(), 2u);
  const std::string& html = parsed.parts[1].body;
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co"), std::string::npos);
  EXPECT_NE(html.find("<td>PO &lt;42&gt; &quot;A&amp;B&quot;</td>"), std::string::npos);
}

TEST_F(MessageTest, CustomerWithCrLfNeverYieldsAHeaderLine) {
  Discrepancy d = amount_differs();
  d.finding.customer_key = "ACME\r\nBcc: evil@x";
  d.finding.match_key = std::string("9000\nX-Injected: 1\0", 19);
  auto mail = render_discrepancy_mail(d, config(), clock_);
  ASSERT_TRUE(mail);
  ParsedMail parsed;
  parse_mail(mail->data, parsed);
  for (const auto& line : parsed.header_lines) {
    EXPECT_NE(line.rfind("Bcc:", 0), 0u) << line;
    EXPECT_NE(line.rfind("X-Injected:", 0), 0u) << line;
    EXPECT_EQ(line.find_first_of(std::string("\r\n\0", 3)), std::string::npos) << line;
  }
  EXPECT_FALSE(parsed.message.has("Bcc"));
  EXPECT_FALSE(parsed.message.has("X-Injected"));
  const std::string subject = decode_header_text(raw_header(parsed.header_lines, "Subject"));
  EXPECT_EQ(subject.find_first_of(std::string("\r\n\0", 3)), std::string::npos);
  EXPECT_EQ(subject, "[arsync] amount_differs: invoice 9000 X-Injected: 1  (sap-ecc vs sap-s4) - ACME  Bcc: evil@x");
}

TEST_F(MessageTest, NonAsciiCustomerIsEncodedWordThatRoundTrips) {
  Discrepancy d = amount_differs();
  d.finding.customer_key = "Müller GmbH & Co. KG / 株式会社\r\nBcc: evil@x";
  auto mail = render_discrepancy_mail(d, config(), clock_);
  ASSERT_TRUE(mail);
  ParsedMail parsed;
  parse_mail(mail->data, parsed);
  const std::string raw = raw_header(parsed.header_lines, "Subject");
  EXPECT_EQ(raw.rfind("=?UTF-8?B?", 0), 0u) << raw;
  for (const auto& line : parsed.header_lines) {
    for (char c : line) EXPECT_LT(static_cast<unsigned char>(c), 0x80) << line;
    EXPECT_NE(line.rfind("Bcc:", 0), 0u) << line;
  }
  const std::string decoded = decode_header_text(raw);
  EXPECT_EQ(decoded,
            "[arsync] amount_differs: invoice 90001234 (sap-ecc vs sap-s4) - Müller GmbH & Co. KG / "
            "株式会社  Bcc: evil@x");
  EXPECT_EQ(decoded.find_first_of("\r\n"), std::string::npos);
}

TEST_F(MessageTest, SubjectNamesTheCustomerFromTheSystemsValues) {
  Discrepancy d = amount_differs();
  d.finding.customer_key = "100042";
  d.finding.details["sap-s4"]["customer_name"] = "Müller Maschinenbau GmbH\r\nBcc: evil@x";
  auto mail = render_discrepancy_mail(d, config(), clock_);
  ASSERT_TRUE(mail);
  ParsedMail parsed;
  parse_mail(mail->data, parsed);
  for (const auto& line : parsed.header_lines) EXPECT_NE(line.rfind("Bcc:", 0), 0u) << line;
  EXPECT_EQ(decode_header_text(raw_header(parsed.header_lines, "Subject")),
            "[arsync] amount_differs: invoice 90001234 (sap-ecc vs sap-s4) - Müller Maschinenbau "
            "GmbH  Bcc: evil@x (100042)");
  EXPECT_NE(mail->data.find("Customer:"), std::string::npos);
}

TEST_F(MessageTest, BoundaryOccursOnlyAsDelimiter) {
  Discrepancy d = amount_differs();
  d.finding.summary = "--=_arsync_ looks like a boundary";
  auto mail = render_discrepancy_mail(d, config(), clock_);
  ASSERT_TRUE(mail);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(mail->data, m, std::regex("boundary=\"([^\"]+)\"")));
  const std::string delimiter = "--" + m[1].str();
  std::size_t count = 0;
  for (std::size_t pos = mail->data.find(delimiter); pos != std::string::npos;
       pos = mail->data.find(delimiter, pos + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 3u);  // two part delimiters and the closing one
  EXPECT_NE(mail->data.find("\r\n" + delimiter + "--\r\n"), std::string::npos);
}

TEST_F(MessageTest, EveryLineEndsInCrlfAndIsShort) {
  Discrepancy d = amount_differs();
  d.finding.summary = std::string(3000, 'x');
  auto mail = render_discrepancy_mail(d, config(), clock_);
  ASSERT_TRUE(mail);
  const std::string& data = mail->data;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\n') {
      ASSERT_TRUE(i > 0 && data[i - 1] == '\r') << "bare LF at " << i;
    }
    if (data[i] == '\r') {
      ASSERT_TRUE(i + 1 < data.size() && data[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t end = data.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - pos, 998u);
    pos = end + 2;
  }
}

TEST_F(MessageTest, CycleMailListsEveryDiscrepancy) {
  std::vector<Discrepancy> ds;
  for (const char* key : {"90001234", "90001235", "90001236"}) {
    Discrepancy d = amount_differs();
    d.finding.match_key = key;
    ds.push_back(d);
  }
  auto mail = render_cycle_mail(ds, config(), clock_);
  ASSERT_TRUE(mail) << mail.status().to_string();
  EXPECT_EQ(mail->subject, "[arsync] 3 new discrepancies");
  ParsedMail parsed;
  parse_mail(mail->data, parsed);
  ASSERT_EQ(parsed.parts.size(), 2u);
  for (const char* key : {"90001234", "90001235", "90001236"}) {
    EXPECT_NE(parsed.parts[0].body.find(std::string("Match key:      ") + key), std::string::npos) << key;
    EXPECT_NE(parsed.parts[1].body.find(std::string("invoice ") + key + "</h2>"), std::string::npos) << key;
  }
}

TEST_F(MessageTest, CycleMailOfOneSaysDiscrepancy) {
  auto mail = render_cycle_mail({amount_differs()}, config(), clock_);
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->subject, "[arsync] 1 new discrepancy");
}

TEST_F(MessageTest, InvalidRecipientIsRefused) {
  MailConfig c = config();
  c.to = {"ok@example.com", "x@example.com\r\nBcc: evil@x"};
  auto mail = render_discrepancy_mail(amount_differs(), c, clock_);
  ASSERT_FALSE(mail);
  EXPECT_EQ(mail.status().message(),
            "mail to: \"x@example.com\\r\\nBcc: evil@x\" is not a valid email address: it contains "
            "a space, a control character or non-ASCII text");
}

// ---- folding, caps, and what a mail client (Python's email) reads -------

class MessageInPythonTest : public MessageTest {
 protected:
  nlohmann::json python(const std::string& data) { return testing::python_parse_email(dir_.path(), data); }
  testing::TempDir dir_;
};

TEST_F(MessageInPythonTest, PartsDecodeToTheTextAndHtmlWithoutDefects) {
  Discrepancy d = amount_differs();
  d.finding.customer_key = "Müller GmbH & Co. KG / 株式会社";
  d.finding.summary = "Summary with = sign, trailing space \n.leading dot " + std::string(200, 'x');
  auto mail = render_discrepancy_mail(d, config(), clock_);
  ASSERT_TRUE(mail);
  const auto j = python(mail->data);
  EXPECT_TRUE(j["defects"].empty()) << j["defects"].dump();
  EXPECT_EQ(j["headers"]["Subject"], mail->subject);
  EXPECT_EQ(j["headers"]["Message-ID"], mail->message_id);
  ASSERT_EQ(j["parts"].size(), 2u);
  EXPECT_EQ(j["parts"][0]["content_type"], "text/plain");
  EXPECT_EQ(j["parts"][0]["charset"], "utf-8");
  EXPECT_EQ(j["parts"][0]["cte"], "quoted-printable");
  EXPECT_EQ(j["parts"][1]["content_type"], "text/html");
  const std::string text = j["parts"][0]["text"];
  EXPECT_NE(text.find("Customer:       Müller GmbH & Co. KG / 株式会社\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Summary:        Summary with = sign, trailing space  .leading dot " + std::string(200, 'x')),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  amount          | 1250.00    | 1205.00\n"), std::string::npos) << text;
  const std::string html = j["parts"][1]["text"];
  EXPECT_NE(html.find("<td>Müller GmbH &amp; Co. KG / 株式会社</td>"), std::string::npos) << html;
}

TEST_F(MessageInPythonTest, LongPlainAsciiCustomerNameGivesAFoldedSubjectCutWithAnEllipsis) {
  Discrepancy d = amount_differs();
  d.finding.customer_key = "";
  std::string name;
  while (name.size() < 1200) name += "Acme Industrial Holdings ";
  name.resize(1200);
  d.finding.details["sap-s4"]["customer_name"] = name;
  auto mail = render_discrepancy_mail(d, config(), clock_);
  ASSERT_TRUE(mail);
  const auto lines = testing::raw_header_lines(mail->data);
  bool folded = false;
  for (const auto& line : lines) {
    if (line.rfind("Message-ID:", 0) != 0) {  // one word, never folded
      EXPECT_LE(line.size(), 78u) << line;
    }
    if (line[0] == ' ') folded = true;
  }
  EXPECT_TRUE(folded);
  const std::string expected = "[arsync] amount_differs: invoice 90001234 (sap-ecc vs sap-s4) - " +
                               name.substr(0, 99) + "\u2026";
  EXPECT_EQ(mail->subject, expected);
  const auto j = python(mail->data);
  EXPECT_EQ(j["headers"]["Subject"], expected);
  const std::string text = j["parts"][0]["text"];
  // The table cell is cut too; the store keeps the whole name.
  EXPECT_NE(text.find("| " + name.substr(0, 299) + "\u2026\n"), std::string::npos);
  EXPECT_EQ(text.find(name), std::string::npos);
}

TEST_F(MessageInPythonTest, WordTooLongForALineIsEncodedAndStillFolded) {
  Discrepancy d = amount_differs();
  d.finding.customer_key = std::string(90, 'Z');
  auto mail = render_discrepancy_mail(d, config(), clock_);
  ASSERT_TRUE(mail);
  for (const auto& line : testing::raw_header_lines(mail->data)) {
    if (line.rfind("Message-ID:", 0) != 0) {  // one word, never folded
      EXPECT_LE(line.size(), 78u) << line;
    }
  }
  EXPECT_EQ(python(mail->data)["headers"]["Subject"], mail->subject);
  EXPECT_EQ(mail->subject, "[arsync] amount_differs: invoice 90001234 (sap-ecc vs sap-s4) - " + std::string(90, 'Z'));
}

// Against the 12.7 s an unbounded render of this took, not a benchmark:
// ASan and UBSan (the sanitize preset, -O1) make it about three times slower.
#if defined(__SANITIZE_ADDRESS__)
constexpr auto kHugeRenderBudget = std::chrono::seconds(5);
#else
constexpr auto kHugeRenderBudget = std::chrono::seconds(1);
#endif

TEST_F(MessageTest, TenMegabyteCustomerNameGivesABoundedEmail) {
  Discrepancy d = amount_differs();
  const std::string huge(10 * 1024 * 1024, 'M');
  d.finding.customer_key = huge;
  d.finding.details["sap-ecc"]["customer_name"] = huge;
  d.finding.summary = huge;
  const auto begin = std::chrono::steady_clock::now();
  auto mail = render_discrepancy_mail(d, config(), clock_);
  const auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_TRUE(mail);
  EXPECT_LT(mail->data.size(), 32u * 1024) << mail->data.size();
  EXPECT_LE(mail->subject.size(), 250u * 3);
  EXPECT_LT(took, kHugeRenderBudget);
  EXPECT_EQ(d.finding.customer_key.size(), huge.size());  // the finding itself is untouched
}

TEST_F(MessageTest, ManyRecipientsAreFoldedBetweenAddresses) {
  MailConfig c = config();
  c.to.clear();
  for (int i = 0; i < 12; ++i) c.to.push_back("ar-team-member-" + std::to_string(i) + "@example.com");
  auto mail = render_discrepancy_mail(amount_differs(), c, clock_);
  ASSERT_TRUE(mail);
  ParsedMail parsed;
  parse_mail(mail->data, parsed);
  for (const auto& line : parsed.header_lines) {
    if (line.rfind("Message-ID:", 0) != 0) {  // one word, never folded
      EXPECT_LE(line.size(), 78u) << line;
    }
  }
  std::string to = raw_header(parsed.header_lines, "To");
  for (std::size_t p; (p = to.find("\r\n")) != std::string::npos;) to.erase(p, 2);
  EXPECT_EQ(to, "ar-team-member-0@example.com, ar-team-member-1@example.com, ar-team-member-2@example.com, "
                "ar-team-member-3@example.com, ar-team-member-4@example.com, ar-team-member-5@example.com, "
                "ar-team-member-6@example.com, ar-team-member-7@example.com, ar-team-member-8@example.com, "
                "ar-team-member-9@example.com, ar-team-member-10@example.com, ar-team-member-11@example.com");
}

}  // namespace
}  // namespace arsync::alert
