#include "arsync/alert/mime.h"

#include <gtest/gtest.h>

#include "python_email.h"
#include "temp_dir.h"

namespace arsync::alert {
namespace {

TEST(SanitizeHeaderText, ReplacesControlCharactersBySpaces) {
  EXPECT_EQ(sanitize_header_text(std::string("a\r\nBcc: x\0y\tz\x7f", 14)), "a  Bcc: x y z ");
}

TEST(SanitizeHeaderText, ReplacesUnicodeLineBreaksAndC1Controls) {
  // NEL (U+0085), LINE SEPARATOR (U+2028), PARAGRAPH SEPARATOR (U+2029).
  EXPECT_EQ(sanitize_header_text("a\xC2\x85" "b\xE2\x80\xA8" "c\xE2\x80\xA9" "d"), "a b c d");
}

TEST(SanitizeHeaderText, ReplacesInvalidUtf8ByReplacementCharacter) {
  EXPECT_EQ(sanitize_header_text("M\xFCller"), "M\xEF\xBF\xBDller");
  EXPECT_EQ(sanitize_header_text("\xC3"), "\xEF\xBF\xBD");  // truncated sequence
}

// The value of a field "Subject: <value>\r\n".
std::string subject_value(const std::string& field) {
  EXPECT_EQ(field.rfind("Subject: ", 0), 0u) << field;
  EXPECT_GE(field.size(), 11u);
  EXPECT_EQ(field.substr(field.size() - 2), "\r\n");
  return field.substr(9, field.size() - 11);
}

// Every line of `field` (CRLF not counted) within 78 characters.
void expect_lines_within_78(const std::string& field) {
  std::size_t pos = 0;
  while (pos < field.size()) {
    std::size_t end = field.find("\r\n", pos);
    if (end == std::string::npos) end = field.size();
    EXPECT_LE(end - pos, 78u) << "line at " << pos << " of " << field.size();
    pos = end + 2;
  }
}

TEST(UnstructuredHeaderField, LeavesShortPlainAsciiAlone) {
  EXPECT_EQ(unstructured_header_field("Subject", "[arsync] amount_differs: invoice 90001234"),
            "Subject: [arsync] amount_differs: invoice 90001234\r\n");
}

TEST(UnstructuredHeaderField, EncodesNonAsciiAndRoundTrips) {
  const std::string text = "[arsync] Müller GmbH – Zürich, 株式会社トヨタ自動車 and more text to need several words";
  const std::string field = unstructured_header_field("Subject", text);
  EXPECT_EQ(field.rfind("Subject: =?UTF-8?B?", 0), 0u);
  EXPECT_NE(field.find("\r\n "), std::string::npos);  // folded into several words
  expect_lines_within_78(field);
  EXPECT_EQ(decode_header_text(subject_value(field)), text);
}

TEST(UnstructuredHeaderField, EncodesTextThatLooksLikeAnEncodedWord) {
  // "=?UTF-8?B?DQpCY2M6IGV2aWxAeA==?=" decodes to "\r\nBcc: evil@x": it must
  // not reach a header verbatim, or a mail client would decode it.
  const std::string text = "=?UTF-8?B?DQpCY2M6IGV2aWxAeA==?=";
  const std::string field = unstructured_header_field("Subject", text);
  EXPECT_EQ(field.find(text), std::string::npos);
  EXPECT_EQ(decode_header_text(subject_value(field)), text);
}

TEST(UnstructuredHeaderField, DecodedValueNeverContainsLineBreaks) {
  const std::string field =
      unstructured_header_field("Subject", std::string("Kunde \xC3\xBC\r\nBcc: evil@x\n\0", 23));
  const std::string decoded = decode_header_text(subject_value(field));
  EXPECT_EQ(decoded.find_first_of(std::string("\r\n\0", 3)), std::string::npos) << decoded;
  EXPECT_EQ(decoded, "Kunde \xC3\xBC  Bcc: evil@x  ");
}

// tests/fuzz/crashes/mail_header_fuzz/long-subject-1200: 1,200 'A's left
// whole made a 1,209-octet line (RFC 5322 allows 998).
TEST(UnstructuredHeaderField, LongPlainAsciiRunIsEncodedWithinTheLineLimit) {
  const std::string text(1200, 'A');
  const std::string field = unstructured_header_field("Subject", text);
  expect_lines_within_78(field);
  EXPECT_EQ(decode_header_text(subject_value(field)), text);
}

// Spaces are never a fold point, so a run of them (a name padded with
// blanks, or tabs and line breaks that sanitising made spaces) stayed on
// one line: 300 of them made a 311-octet line.
TEST(UnstructuredHeaderField, RunOfSpacesNeverMakesALineLongerThan78) {
  testing::TempDir dir;
  const std::string text = "Kunde" + std::string(300, ' ') + "GmbH";
  const std::string field = unstructured_header_field("Subject", text);
  expect_lines_within_78(field);
  EXPECT_EQ(decode_header_text(subject_value(field)), text);
  const auto j = testing::python_parse_email(dir.path(), field + "\r\nbody\r\n");
  EXPECT_EQ(j["headers"]["Subject"], text);
}

// " " and a 77-character word folded before the word, leaving "Subject: "
// alone on the first line: a mail reader drops the value's first space
// then, and some show an empty Subject.
TEST(UnstructuredHeaderField, LeadingSpaceNeverLeavesTheFirstLineEmpty) {
  const std::string text = " " + std::string(77, 'N');
  const std::string field = unstructured_header_field("Subject", text);
  EXPECT_NE(field.rfind("Subject: \r\n", 0), 0u) << field;
  expect_lines_within_78(field);
  EXPECT_EQ(decode_header_text(subject_value(field)), text);
}

TEST(DecodeHeaderText, DecodesQEncoding) {
  EXPECT_EQ(decode_header_text("=?iso-8859-1?Q?caf=E9_au_lait?= ok"), "caf\xE9 au lait ok");
}

TEST(QuotedPrintable, RoundTripsAndKeepsLinesShort) {
  std::string text = "Summary: amount 1,250.00 USD vs 1,205.00 USD = 45.00 difference \n";
  text += ".leading dot\n" + std::string(200, 'x') + "\nÄÖÜ € 株式会社\n";
  const std::string qp = encode_quoted_printable(text);
  std::size_t pos = 0;
  while (pos < qp.size()) {
    const std::size_t end = qp.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - pos, 76u);
    EXPECT_NE(qp[pos], '.');
    pos = end + 2;
  }
  EXPECT_EQ(qp.find("=_"), std::string::npos);
  EXPECT_NE(qp.find("difference=20\r\n"), std::string::npos);  // trailing space encoded
  std::string expected = text;
  std::string crlf;
  for (char c : expected) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_EQ(decode_quoted_printable(qp), crlf);
}

TEST(FormatRfc5322Date, FormatsUtcWithWeekday) {
  auto t = parse_instant("2026-11-25T11:36:40Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc5322_date(*t), "Wed, 25 Nov 2026 11:36:40 +0000");
  auto t2 = parse_instant("2027-01-03T00:00:05Z");
  ASSERT_TRUE(t2);
  EXPECT_EQ(format_rfc5322_date(*t2), "Sun, 03 Jan 2027 00:00:05 +0000");
}

TEST(HeaderField, ShortValueIsOneLine) {
  EXPECT_EQ(header_field("MIME-Version", "1.0"), "MIME-Version: 1.0\r\n");
}

TEST(HeaderField, FoldsBeforeASpaceAt78) {
  std::string value;
  for (int i = 0; i < 30; ++i) value += "word" + std::to_string(i) + " ";
  value.pop_back();
  const std::string field = header_field("Subject", value);
  std::string unfolded;
  std::size_t pos = 0;
  while (pos < field.size()) {
    const std::size_t end = field.find("\r\n", pos);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - pos, 78u);
    EXPECT_GT(end - pos, 60u * (end + 2 < field.size()));  // full lines, except the last
    if (pos > 0) {
      EXPECT_EQ(field[pos], ' ');
    }
    unfolded += field.substr(pos, end - pos);
    pos = end + 2;
  }
  EXPECT_EQ(unfolded, "Subject: " + value);
}

TEST(HeaderField, DoubleSpacesNeverMakeAWhiteSpaceOnlyLine) {
  const std::string field = header_field("Subject", std::string(60, 'a') + "      " + std::string(70, 'b'));
  EXPECT_EQ(field, "Subject: " + std::string(60, 'a') + "     \r\n " + std::string(70, 'b') + "\r\n");
}

TEST(UnstructuredHeaderField, LongAsciiWordBecomesEncodedWordsThatPythonDecodes) {
  testing::TempDir dir;
  const std::string text = "[arsync] " + std::string(300, 'N') + " tail";
  const std::string field = unstructured_header_field("Subject", text);
  std::size_t pos = 0;
  while (pos < field.size()) {
    const std::size_t end = field.find("\r\n", pos);
    EXPECT_LE(end - pos, 78u);
    pos = end + 2;
  }
  const auto j = testing::python_parse_email(dir.path(), field + "\r\nbody\r\n");
  EXPECT_EQ(j["headers"]["Subject"], text);
}

TEST(QuotedPrintable, PythonsEmailDecodesItToTheText) {
  testing::TempDir dir;
  std::string text = "Summary: amount 1,250.00 USD vs 1,205.00 USD = 45.00 difference \n";
  text += ".leading dot\n" + std::string(200, 'x') + "\nÄÖÜ € 株式会社\ttab\n";
  const std::string mail = "Subject: qp\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                           "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
                           encode_quoted_printable(text);
  const auto j = testing::python_parse_email(dir.path(), mail);
  EXPECT_TRUE(j["defects"].empty()) << j["defects"].dump();
  ASSERT_EQ(j["parts"].size(), 1u);
  EXPECT_EQ(j["parts"][0]["text"], text);
}

TEST(UnstructuredHeaderField, PythonsEmailDecodesEncodedWordsToTheText) {
  testing::TempDir dir;
  const std::string text = "[arsync] Müller GmbH – Zürich, 株式会社トヨタ自動車 and more text to need several words";
  const auto j = testing::python_parse_email(
      dir.path(), unstructured_header_field("Subject", text) + "\r\nb\r\n");
  EXPECT_EQ(j["headers"]["Subject"], text);
}

}  // namespace
}  // namespace arsync::alert
