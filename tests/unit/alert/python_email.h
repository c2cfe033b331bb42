// Test support: reads an email with Python's email package
// (tests/unit/alert/parse_email.py under /usr/bin/python3), so that MIME,
// RFC 2047 and quoted-printable output is checked by a decoder that is not
// arsync's own.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace arsync::alert::testing {

// An email as Python's email package reads it (policy.default): headers
// decoded and unfolded, leaf parts decoded, the parser's defects.
inline nlohmann::json python_parse_email(const std::filesystem::path& dir, const std::string& data) {
  const auto file = dir / "to-parse.eml";
  {
    std::ofstream out(file, std::ios::binary);
    out << data;
  }
  const std::string cmd = "/usr/bin/python3 " + std::string(ARSYNC_SOURCE_DIR) +
                          "/tests/unit/alert/parse_email.py " + file.string();
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::string json;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) json.append(buf, n);
  if (::pclose(p) != 0) throw std::runtime_error("parse_email.py failed on " + file.string());
  return nlohmann::json::parse(json);
}

// The raw header lines of `data` (before the first empty line), each
// without its CRLF.
inline std::vector<std::string> raw_header_lines(const std::string& data) {
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < data.size();) {
    std::size_t end = data.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    lines.push_back(data.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

}  // namespace arsync::alert::testing
