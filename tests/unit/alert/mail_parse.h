// Test support: splits a rendered email the way a mail client would, with
// Poco::Net::MailMessage for the MIME structure and by hand for the raw
// header lines (to prove no injected header line exists).
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/PartHandler.h>
#include <Poco/StreamCopier.h>

namespace arsync::alert::testing {

struct ParsedPart {
  std::string content_type;
  std::string transfer_encoding;
  std::string body;  // decoded by Poco
};

class CollectParts : public Poco::Net::PartHandler {
 public:
  void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override {
    ParsedPart p;
    p.content_type = header.get("Content-Type", "");
    p.transfer_encoding = header.get("Content-Transfer-Encoding", "");
    Poco::StreamCopier::copyToString(stream, p.body);
    parts.push_back(std::move(p));
  }
  std::vector<ParsedPart> parts;
};

struct ParsedMail {
  std::vector<std::string> header_lines;  // raw, as sent (folded lines separate)
  Poco::Net::MailMessage message;
  std::vector<ParsedPart> parts;
};

// Header lines of `data`: everything before the first empty line.
inline std::vector<std::string> header_lines(const std::string& data) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t end = data.find("\r\n", pos);
    if (end == std::string::npos) end = data.size();
    if (end == pos) break;
    lines.push_back(data.substr(pos, end - pos));
    pos = end + 2;
  }
  return lines;
}

inline void parse_mail(const std::string& data, ParsedMail& out) {
  out.header_lines = header_lines(data);
  std::istringstream in(data);
  CollectParts handler;
  out.message.read(in, handler);
  out.parts = std::move(handler.parts);
}

}  // namespace arsync::alert::testing
