#include "arsync/alert/message.h"

#include <algorithm>
#include <random>
#include <mutex>

#include "arsync/alert/mime.h"

namespace arsync::alert {
namespace {

// Random hex digits for Message-IDs and MIME boundaries.
std::string random_hex(std::size_t bytes) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::lock_guard lock(mu);
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned>(rng() & 0xff);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

bool is_plain_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.';
  });
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// What source text may put in an email: the store keeps every value whole,
// an email shows at most this many characters of one (a 10 MB customer name
// must not make a 10 MB email, nor a Subject line no server accepts).
constexpr std::size_t kSubjectPartChars = 100;  // each source value in a subject
constexpr std::size_t kSubjectChars = 250;      // the whole subject
constexpr std::size_t kValueChars = 300;        // a fact or a table cell
constexpr std::size_t kDetailsChars = 2000;     // details shown as JSON text

// `s` sanitised (as sanitize_header_text) and cut to at most `max_chars`
// characters, the last of them "…" when anything was cut. Reads no more of
// `s` than it can show.
std::string shorten(std::string_view s, std::size_t max_chars) {
  const std::size_t window = max_chars * 4 + 4;  // enough bytes for max_chars + 1 characters
  const std::string clean = sanitize_header_text(s.substr(0, window));
  std::size_t chars = 0;
  std::size_t cut = std::string::npos;  // where character max_chars-1 ends
  for (std::size_t i = 0; i < clean.size(); ++i) {
    if ((static_cast<unsigned char>(clean[i]) & 0xc0) == 0x80) continue;
    if (chars == max_chars - 1) cut = i;
    if (++chars > max_chars) return clean.substr(0, cut) + "\u2026";
  }
  if (s.size() > window) return clean.substr(0, cut) + "\u2026";
  return clean;
}

// Body text: one line per value, so control characters (a CR in a customer
// name) become spaces here too; the result is valid UTF-8 of bounded length.
std::string body_text(std::string_view s) { return shorten(s, kValueChars); }

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string json_value_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

std::string pad(std::string s, std::size_t width) {
  const std::size_t w = display_width(s);
  if (w < width) s.append(width - w, ' ');
  return s;
}

// The per-system values of a finding: systems as columns, the union of the
// fields as rows. Empty when details has no such shape.
struct ValueTable {
  std::vector<std::string> systems;
  std::vector<std::string> fields;
  std::vector<std::vector<std::string>> cells;  // [field][system]
};

ValueTable value_table(const Finding& f) {
  ValueTable t;
  if (!f.details.is_object()) return t;
  for (const auto& s : f.systems) {
    auto it = f.details.find(s);
    if (it != f.details.end() && it->is_object()) t.systems.push_back(s);
  }
  for (const auto& [name, value] : f.details.items()) {
    if (value.is_object() && std::find(t.systems.begin(), t.systems.end(), name) == t.systems.end()) {
      t.systems.push_back(name);
    }
  }
  for (const auto& s : t.systems) {
    for (const auto& [field, v] : f.details.at(s).items()) {
      if (std::find(t.fields.begin(), t.fields.end(), field) == t.fields.end()) t.fields.push_back(field);
    }
  }
  std::sort(t.fields.begin(), t.fields.end());
  for (const auto& field : t.fields) {
    std::vector<std::string> row;
    for (const auto& s : t.systems) {
      const auto& obj = f.details.at(s);
      auto it = obj.find(field);
      row.push_back(it == obj.end() ? "(missing)" : body_text(json_value_text(*it)));
    }
    t.cells.push_back(std::move(row));
  }
  return t;
}

std::string systems_label(const Finding& f) {
  return f.systems.empty() ? std::string() : " (" + shorten(join(f.systems, " vs "), kSubjectPartChars) + ")";
}

// "Müller Maschinenbau GmbH (100042)": the customer as the AR team knows it,
// the name taken from the first system's values that carry one.
std::string customer_label(const Finding& f, std::size_t max_chars) {
  std::string name;
  if (f.details.is_object()) {
    for (const auto& [system, values] : f.details.items()) {
      if (values.is_object() && values.contains("customer_name") &&
          values["customer_name"].is_string()) {
        name = values["customer_name"].get<std::string>();
        if (!name.empty()) break;
      }
    }
  }
  const std::string key = shorten(f.customer_key, max_chars);
  if (name.empty()) return key;
  return f.customer_key.empty() ? shorten(name, max_chars) : shorten(name, max_chars) + " (" + key + ")";
}

std::vector<std::pair<std::string, std::string>> facts(const Discrepancy& d) {
  const Finding& f = d.finding;
  return {
      {"Discrepancy", "#" + std::to_string(d.id)},
      {"Rule", f.rule},
      {"Kind", std::string(to_string(f.kind))},
      {"Match key", f.match_key},
      {"Systems", join(f.systems, ", ")},
      {"Customer", customer_label(f, kValueChars)},
      {"Severity", std::string(to_string(f.severity))},
      {"First detected", format_instant(d.first_detected)},
      {"Summary", f.summary},
  };
}

void append_text(std::string& out, const Discrepancy& d) {
  for (const auto& [label, value] : facts(d)) {
    out += pad(label + ":", 16) + body_text(value) + "\n";
  }
  const ValueTable t = value_table(d.finding);
  if (t.systems.empty()) {
    if (!d.finding.details.is_null() && !d.finding.details.empty()) {
      out += pad("Details:", 16) + shorten(json_value_text(d.finding.details), kDetailsChars) + "\n";
    }
    return;
  }
  std::vector<std::size_t> widths(t.systems.size() + 1, 0);
  widths[0] = display_width("Field");
  for (const auto& f : t.fields) widths[0] = std::max(widths[0], display_width(body_text(f)));
  for (std::size_t c = 0; c < t.systems.size(); ++c) {
    widths[c + 1] = display_width(body_text(t.systems[c]));
    for (const auto& row : t.cells) widths[c + 1] = std::max(widths[c + 1], display_width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cols) {
    std::string l;
    for (std::size_t c = 0; c < cols.size(); ++c) {
      l += (c == 0 ? "  " : " | ") + (c + 1 == cols.size() ? cols[c] : pad(cols[c], widths[c]));
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  out += "\n";
  std::vector<std::string> head{"Field"};
  for (const auto& s : t.systems) head.push_back(body_text(s));
  line(head);
  std::vector<std::string> rule;
  for (std::size_t w : widths) rule.push_back(std::string(w, '-'));
  line(rule);
  for (std::size_t r = 0; r < t.fields.size(); ++r) {
    std::vector<std::string> cols{body_text(t.fields[r])};
    cols.insert(cols.end(), t.cells[r].begin(), t.cells[r].end());
    line(cols);
  }
}

void append_html(std::string& out, const Discrepancy& d) {
  const Finding& f = d.finding;
  out += "<h2>" + html_escape(body_text(f.rule)) + ": " +
         html_escape(std::string(to_string(f.kind))) + " " + html_escape(body_text(f.match_key)) +
         "</h2>\n<table class=\"facts\">\n";
  for (const auto& [label, value] : facts(d)) {
    out += "<tr><th align=\"left\">" + html_escape(label) + "</th><td>" +
           html_escape(body_text(value)) + "</td></tr>\n";
  }
  out += "</table>\n";
  const ValueTable t = value_table(f);
  if (t.systems.empty()) {
    if (!f.details.is_null() && !f.details.empty()) {
      out += "<p>Details: <code>" + html_escape(shorten(json_value_text(f.details), kDetailsChars)) +
             "</code></p>\n";
    }
    return;
  }
  out += "<table class=\"values\" border=\"1\" cellpadding=\"4\" cellspacing=\"0\">\n<tr><th>Field</th>";
  for (const auto& s : t.systems) out += "<th>" + html_escape(body_text(s)) + "</th>";
  out += "</tr>\n";
  for (std::size_t r = 0; r < t.fields.size(); ++r) {
    out += "<tr><th align=\"left\">" + html_escape(body_text(t.fields[r])) + "</th>";
    for (const auto& cell : t.cells[r]) out += "<td>" + html_escape(cell) + "</td>";
    out += "</tr>\n";
  }
  out += "</table>\n";
}

Result<store::OutgoingMail> assemble(const MailConfig& config, const Clock& clock,
                                     const std::string& subject, const std::string& text,
                                     const std::string& html) {
  if (Status s = validate_address(config.from); !s) return s.with_context("mail from");
  if (config.to.empty()) {
    return Status(ErrorCode::kInvalidArgument, "mail has no recipients (mail.to is empty)");
  }
  for (const auto& to : config.to) {
    if (Status s = validate_address(to); !s) return s.with_context("mail to");
  }
  const Instant now = clock.now();
  store::OutgoingMail mail;
  mail.message_id = make_message_id(now, config.hostname);
  mail.sender = config.from;
  mail.recipients = config.to;
  mail.subject = sanitize_header_text(subject);
  mail.state = "pending";
  mail.created_at = now;
  mail.next_attempt_at = now;

  // Quoted-printable never contains "=_", so this boundary cannot occur in
  // the body parts.
  const std::string boundary = "=_arsync_" + random_hex(12);
  std::string& m = mail.data;
  // Every header folded at 78 characters (RFC 5322 2.2.3).
  m += header_field("From", config.from);
  m += header_field("To", join(config.to, ", "));
  m += unstructured_header_field("Subject", subject);
  m += header_field("Date", format_rfc5322_date(now));
  m += header_field("Message-ID", mail.message_id);
  m += header_field("MIME-Version", "1.0");
  m += header_field("Auto-Submitted", "auto-generated");  // RFC 3834: no auto-replies
  m += header_field("Content-Type", "multipart/alternative; boundary=\"" + boundary + "\"");
  m += "\r\n";
  m += "This is a multipart message in MIME format.\r\n";
  m += "\r\n--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  m += encode_quoted_printable(text);
  m += "\r\n--" + boundary + "\r\n";
  m += "Content-Type: text/html; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  m += encode_quoted_printable(html);
  m += "\r\n--" + boundary + "--\r\n";
  return mail;
}

std::string html_page(const std::string& title, const std::string& content) {
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
         "</title></head>\n<body>\n" + content + "</body></html>\n";
}

}  // namespace

std::string make_message_id(Instant now, std::string_view hostname) {
  const std::string host = is_plain_hostname(hostname) ? std::string(hostname) : "localhost";
  const std::string date = format_instant(now);  // 2026-11-25T11:36:40Z
  std::string stamp;
  for (char c : date) {
    if (c != '-' && c != ':' && c != 'Z') stamp += c;
  }
  return "<" + stamp + "." + random_hex(16) + "@" + host + ">";
}

Result<store::OutgoingMail> render_discrepancy_mail(const Discrepancy& d, const MailConfig& config,
                                                    const Clock& clock) {
  const Finding& f = d.finding;
  std::string subject = config.subject_prefix + " " + shorten(f.rule, kSubjectPartChars) + ": " +
                        std::string(to_string(f.kind)) + " " + shorten(f.match_key, kSubjectPartChars) +
                        systems_label(f);
  if (const std::string customer = customer_label(f, kSubjectPartChars); !customer.empty()) {
    subject += " - " + customer;
  }
  subject = shorten(subject, kSubjectChars);

  std::string text = "arsync found a new discrepancy.\n\n";
  append_text(text, d);
  std::string html = "<p>arsync found a new discrepancy.</p>\n";
  append_html(html, d);
  return assemble(config, clock, subject, text, html_page(sanitize_header_text(subject), html));
}

Result<store::OutgoingMail> render_cycle_mail(const std::vector<Discrepancy>& ds,
                                              const MailConfig& config, const Clock& clock) {
  if (ds.empty()) {
    return Status(ErrorCode::kInvalidArgument, "render_cycle_mail needs at least one discrepancy");
  }
  const std::string count = std::to_string(ds.size()) +
                            (ds.size() == 1 ? " new discrepancy" : " new discrepancies");
  const std::string subject = config.subject_prefix + " " + count;
  std::string text = "arsync found " + count + ".\n";
  std::string html = "<p>arsync found " + html_escape(count) + ".</p>\n";
  for (const auto& d : ds) {
    text += "\n";
    append_text(text, d);
    append_html(html, d);
  }
  return assemble(config, clock, subject, text, html_page(sanitize_header_text(subject), html));
}

}  // namespace arsync::alert
