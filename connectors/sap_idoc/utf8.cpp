// UTF-8 validation, and escaping of text that is not (or not printable).
#include "utf8.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace arsync::connectors::sap_idoc {

bool is_ascii(std::string_view text) {
  std::uint64_t high = 0;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    high |= word;
  }
  for (; i < text.size(); ++i) high |= static_cast<unsigned char>(text[i]);
  return (high & 0x8080808080808080ULL) == 0;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t bad = first_invalid_utf8(text);
    const std::string_view good = text.substr(0, bad);
    for (char c : good) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        out += buf;
      } else {
        out += c;
      }
    }
    if (bad == std::string_view::npos) break;
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[bad]));
    out += buf;
    text.remove_prefix(bad + 1);
  }
  return out;
}

}  // namespace arsync::connectors::sap_idoc
