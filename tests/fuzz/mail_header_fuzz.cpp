// Fuzz target: email headers built from data (mime.h, message.h). Customer
// names, match keys and summaries come from source systems and reach the
// Subject; this target is the header-injection and line-length test.
//
// Input: up to five NUL-separated values: customer name, match key,
// customer key, summary, rule. The whole input is also encoded as one
// header text and decoded as a received header.
//
// Checked besides memory and undefined behaviour:
// - unstructured_header_field("Subject", input) yields CR and LF only as
//   folding (CRLF SP) and the final CRLF, no NUL, no line over 78 characters
//   (its own contract), and its value decodes back to exactly
//   sanitize_header_text() of the input;
// - a rendered email has CR and LF only as CRLF, no NUL, and exactly the
//   headers the renderer writes (data never starts a header line); its
//   Subject, decoded, has no CR, LF or NUL;
// - invariant "header_line_length": no line of the email is longer than
//   998 octets (RFC 5322 2.1.1), "Subject: " included.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/alert/message.h"
#include "arsync/alert/mime.h"
#include "invariants.h"

namespace {

using namespace arsync;

std::string escaped(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 400)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  if (s.size() > 400) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

// CR and LF only as CRLF, followed by white space when `folded`; no NUL.
void check_line_ends(std::string_view text, bool folded, const char* what) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    ARSYNC_FUZZ_CHECK(text[i] != '\0', std::string(what) + ": NUL at " + std::to_string(i));
    if (text[i] == '\n') {
      ARSYNC_FUZZ_CHECK(i > 0 && text[i - 1] == '\r',
                        std::string(what) + ": bare LF at " + std::to_string(i) + " in " +
                            escaped(text));
    }
    if (text[i] == '\r') {
      const bool crlf = i + 1 < text.size() && text[i + 1] == '\n';
      const bool fold = crlf && i + 2 < text.size() && (text[i + 2] == ' ' || text[i + 2] == '\t');
      ARSYNC_FUZZ_CHECK(folded ? fold : crlf, std::string(what) + ": CR at " +
                                                  std::to_string(i) + " in " + escaped(text));
    }
  }
}

void check_line_lengths(std::string_view text, std::size_t limit, const char* what) {
  if (fuzz::waived("header_line_length")) return;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find("\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    ARSYNC_FUZZ_CHECK(end - start <= limit,
                      std::string(what) + ": header_line_length: a line of " +
                          std::to_string(end - start) + " octets (limit " +
                          std::to_string(limit) + "): " +
                          escaped(text.substr(start, end - start)));
    start = end + 2;
  }
}

void check_subject_field(std::string_view text) {
  const std::string field = alert::unstructured_header_field("Subject", text);
  constexpr std::string_view kName = "Subject: ";
  ARSYNC_FUZZ_CHECK(field.size() >= kName.size() + 2 && field.starts_with(kName) &&
                        field.ends_with("\r\n"),
                    escaped(field));
  const std::string_view unterminated = std::string_view(field).substr(0, field.size() - 2);
  check_line_ends(unterminated, /*folded=*/true, "unstructured_header_field");
  check_line_lengths(unterminated, 78, "unstructured_header_field");
  const std::string decoded = alert::decode_header_text(unterminated.substr(kName.size()));
  const std::string clean = alert::sanitize_header_text(text);
  ARSYNC_FUZZ_CHECK(decoded == clean,
                    "decoded " + escaped(decoded) + "\nsanitised " + escaped(clean));
  ARSYNC_FUZZ_CHECK(alert::sanitize_header_text(clean) == clean, escaped(clean));
}

void check_mail(const std::vector<std::string_view>& parts) {
  auto part = [&parts](std::size_t i, std::string_view fallback) {
    return std::string(i < parts.size() ? parts[i] : fallback);
  };
  Discrepancy d;
  d.id = 42;
  d.finding.rule = part(4, "amount_differs");
  d.finding.match_key = part(1, "90001235");
  d.finding.customer_key = part(2, "100042");
  d.finding.summary = part(3, "amount differs");
  d.finding.systems = {"sap-ecc", "sap-s4"};
  d.finding.details = {{"sap-ecc", {{"customer_name", part(0, "")}, {"amount", part(3, "")}}},
                       {"sap-s4", {{"customer_name", part(0, "")}}}};
  d.first_detected = Instant(std::chrono::seconds(1795000000));
  alert::MailConfig config;
  config.from = "arsync@example.com";
  config.to = {"ar-team@example.com"};
  config.hostname = "arsync.example.com";
  const ManualClock clock(d.first_detected);

  Result<store::OutgoingMail> mail = alert::render_discrepancy_mail(d, config, clock);
  ARSYNC_FUZZ_CHECK(mail.is_ok(), mail.status().to_string());
  const std::string& message = mail->data;
  const std::size_t body = message.find("\r\n\r\n");
  ARSYNC_FUZZ_CHECK(body != std::string::npos, "no end of headers");
  const std::string_view headers = std::string_view(message).substr(0, body);
  check_line_ends(message, /*folded=*/false, "message");
  // No header but the renderer's own, each once: data cannot start a line.
  std::vector<std::string> names;
  for (std::size_t line = 0; line < headers.size();) {
    std::size_t eol = headers.find("\r\n", line);
    if (eol == std::string_view::npos) eol = headers.size();
    if (headers[line] != ' ' && headers[line] != '\t') {
      names.emplace_back(headers.substr(line, headers.substr(line, eol - line).find(':')));
    }
    line = eol + 2;
  }
  const std::vector<std::string> expected = {"From", "To", "Subject", "Date", "Message-ID",
                                             "MIME-Version", "Auto-Submitted", "Content-Type"};
  ARSYNC_FUZZ_CHECK(names == expected, escaped(headers));
  check_line_lengths(message, 998, "message");

  const std::size_t at = headers.find("\r\nSubject: ");
  ARSYNC_FUZZ_CHECK(at != std::string_view::npos, escaped(headers));
  std::size_t end = at + 2;
  while ((end = headers.find("\r\n", end)) != std::string_view::npos &&
         end + 2 < headers.size() && (headers[end + 2] == ' ' || headers[end + 2] == '\t')) {
    end += 2;
  }
  const std::string_view subject = headers.substr(at + 11, end == std::string_view::npos
                                                               ? std::string_view::npos
                                                               : end - at - 11);
  const std::string decoded = alert::decode_header_text(subject);
  ARSYNC_FUZZ_CHECK(decoded.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos,
                    "decoded Subject " + escaped(decoded));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    check_subject_field(input);
    (void)alert::decode_header_text(input);
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (parts.size() < 5) {
      const std::size_t nul = input.find('\0', start);
      parts.push_back(input.substr(start, nul == std::string_view::npos ? nul : nul - start));
      if (nul == std::string_view::npos) break;
      start = nul + 1;
    }
    check_mail(parts);
  } catch (const std::exception& e) {
    fuzz::invariant_failed("building an email does not throw", e.what());
  }
  return 0;
}
