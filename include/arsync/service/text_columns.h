// Plain-text columns for what arsync prints to people (the cycle summary,
// the CLI's listings).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

namespace arsync::service {

// Left-aligns `s` in a column of `width`, always leaving one space after it.
inline std::string pad_column(std::string s, std::size_t width) {
  s.append(s.size() < width ? width - s.size() : 1, ' ');
  return s;
}

inline std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace arsync::service
