#include "arsync/alert/mime.h"

#include "arsync/model/utf8.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdint>

namespace arsync::alert {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHex[] = "0123456789ABCDEF";

std::string base64(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                            (static_cast<unsigned char>(in[i + 1]) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Decodes base64, ignoring anything outside the alphabet; stops at '='.
std::string unbase64(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const char* p = std::char_traits<char>::find(kB64, 64, c);
    if (p == nullptr) continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_plain_ascii(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return s.find("=?") == std::string_view::npos;
}

}  // namespace

std::string sanitize_header_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_sequence(text, i, cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
      ++i;
      continue;
    }
    const bool control = cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
                         cp == 0x2028 || cp == 0x2029;
    if (control) {
      out += ' ';
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

namespace {

constexpr std::size_t kLineLimit = 78;

// Encoded-words of `clean` (valid UTF-8), folded with CRLF SP.
std::string encoded_words(const std::string& clean);

// Characters in the longest line of `text`, its CRLFs not counted.
std::size_t longest_line(std::string_view text) {
  std::size_t longest = 0;
  for (std::size_t pos = 0; pos <= text.size();) {
    std::size_t end = text.find("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    longest = std::max(longest, end - pos);
    pos = end + 2;
  }
  return longest;
}

}  // namespace

std::string header_field(std::string_view name, std::string_view value) {
  std::string out(name);
  out += ':';
  std::size_t line = out.size();
  std::size_t pos = 0;
  bool after_word = false;
  // Each piece is " <word>": folding before it puts CRLF in front of its space.
  while (pos <= value.size()) {
    std::size_t end = value.find(' ', pos);
    if (end == std::string_view::npos) end = value.size();
    const std::string_view word = value.substr(pos, end - pos);
    // An empty word (two spaces in a row) is never a fold point: a folded
    // line must not be white space only.
    // The first word stays after the name, also after leading spaces: a
    // header value must not start on a line of its own (readers keep the
    // white space of such a fold).
    if (!word.empty() && after_word && line + 1 + word.size() > kLineLimit) {
      out += "\r\n";
      line = 0;
    }
    out += ' ';
    out += word;
    line += 1 + word.size();
    after_word = after_word || !word.empty();
    pos = end + 1;
  }
  out += "\r\n";
  return out;
}

std::string unstructured_header_field(std::string_view name, std::string_view text) {
  const std::string clean = sanitize_header_text(text);
  if (is_plain_ascii(clean)) {
    // header_field folds only before a word: a word too long for a line, or
    // a run of spaces (never a fold point), would leave a longer line.
    std::string field = header_field(name, clean);
    if (longest_line(field) <= kLineLimit) return field;
  }
  return std::string(name) + ": " + encoded_words(clean) + "\r\n";
}

namespace {

std::string encoded_words(const std::string& clean) {
  // 36 bytes -> 48 base64 characters -> a 60-character encoded-word, so a
  // line stays under 76 characters even after "Subject: ".
  constexpr std::size_t kBytesPerWord = 36;
  std::string out;
  std::size_t i = 0;
  while (i < clean.size()) {
    std::size_t end = i;
    while (end < clean.size()) {
      char32_t cp = 0;
      const std::size_t n = utf8_sequence(clean, end, cp);  // valid: sanitised
      if (end + n - i > kBytesPerWord) break;
      end += n;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(std::string_view(clean).substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

}  // namespace

std::string decode_header_text(std::string_view value) {
  std::string unfolded;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' && i + 2 < value.size() && value[i + 1] == '\n' &&
        (value[i + 2] == ' ' || value[i + 2] == '\t')) {
      ++i;
      continue;
    }
    if (value[i] == '\n' && i + 1 < value.size() && (value[i + 1] == ' ' || value[i + 1] == '\t')) {
      continue;
    }
    unfolded += value[i];
  }

  std::string out;
  std::string pending_space;  // white space after an encoded-word
  bool after_word = false;
  std::size_t i = 0;
  while (i < unfolded.size()) {
    if (unfolded.compare(i, 2, "=?") == 0) {
      // =?charset?E?text?=
      const std::size_t q1 = unfolded.find('?', i + 2);
      const std::size_t q2 = q1 == std::string::npos ? q1 : unfolded.find('?', q1 + 1);
      const std::size_t end = q2 == std::string::npos ? q2 : unfolded.find("?=", q2 + 1);
      if (end != std::string::npos && q2 == q1 + 2) {
        const char enc = unfolded[q1 + 1];
        const std::string_view payload =
            std::string_view(unfolded).substr(q2 + 1, end - q2 - 1);
        std::string decoded;
        bool ok = true;
        if (enc == 'B' || enc == 'b') {
          decoded = unbase64(payload);
        } else if (enc == 'Q' || enc == 'q') {
          for (std::size_t k = 0; k < payload.size(); ++k) {
            if (payload[k] == '_') {
              decoded += ' ';
            } else if (payload[k] == '=' && k + 2 < payload.size() &&
                       hex_value(payload[k + 1]) >= 0 && hex_value(payload[k + 2]) >= 0) {
              decoded += static_cast<char>(hex_value(payload[k + 1]) * 16 + hex_value(payload[k + 2]));
              k += 2;
            } else {
              decoded += payload[k];
            }
          }
        } else {
          ok = false;
        }
        if (ok) {
          // White space between two encoded-words is not part of the text.
          if (!after_word) out += pending_space;
          pending_space.clear();
          out += decoded;
          after_word = true;
          i = end + 2;
          continue;
        }
      }
    }
    const char c = unfolded[i];
    if (after_word && (c == ' ' || c == '\t')) {
      pending_space += c;
    } else {
      if (after_word) out += pending_space;
      pending_space.clear();
      after_word = false;
      out += c;
    }
    ++i;
  }
  out += pending_space;
  return out;
}

std::string encode_quoted_printable(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    const bool has_newline = nl != std::string_view::npos;
    if (!has_newline) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    std::size_t used = 0;
    for (std::size_t k = 0; k < line.size(); ++k) {
      const auto u = static_cast<unsigned char>(line[k]);
      const bool last = k + 1 == line.size();
      bool literal = (u >= 33 && u <= 126 && u != '=') || ((u == ' ' || u == '\t') && !last);
      std::size_t width = literal ? 1 : 3;
      if (used + width > 75) {
        out += "=\r\n";
        used = 0;
      }
      if (literal && u == '.' && used == 0) {
        literal = false;
        width = 3;
      }
      if (literal) {
        out += static_cast<char>(u);
      } else {
        out += '=';
        out += kHex[u >> 4];
        out += kHex[u & 15];
      }
      used += width;
    }
    if (!has_newline) break;
    out += "\r\n";
    pos = nl + 1;
    if (pos == text.size()) break;
  }
  return out;
}

std::string decode_quoted_printable(std::string_view encoded) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c != '=') {
      out += c;
      continue;
    }
    if (encoded.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;
    } else if (i + 1 < encoded.size() && encoded[i + 1] == '\n') {
      i += 1;
    } else if (i + 2 < encoded.size() && hex_value(encoded[i + 1]) >= 0 &&
               hex_value(encoded[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(encoded[i + 1]) * 16 + hex_value(encoded[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_rfc5322_date(Instant t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(days);
  const std::chrono::hh_mm_ss hms(t - days);
  const std::chrono::weekday wd(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d +0000",
                kDays[wd.c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace arsync::alert
