// Test support: runs tests/unit/alert/smtp_test_server.py (aiosmtpd) on
// 127.0.0.1 as a child process and reads what it received.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace arsync::alert::testing {

// A port nobody listens on (just released by the kernel).
inline int free_port() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = s.address().port();
  s.close();
  return port;
}

// A self-signed certificate for "localhost" (and 127.0.0.1), made with the
// openssl CLI; cert.pem and key.pem in `dir`.
inline void make_self_signed_cert(const std::filesystem::path& dir) {
  std::vector<std::string> args = {"req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                   "-subj", "/CN=localhost",
                                   "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                   "-days", "1",
                                   "-keyout", (dir / "key.pem").string(),
                                   "-out", (dir / "cert.pem").string()};
  Poco::Pipe out;
  Poco::ProcessHandle ph = Poco::Process::launch("/usr/bin/openssl", args, nullptr, &out, &out);
  Poco::PipeInputStream in(out);
  std::string ignored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (ph.wait() != 0) throw std::runtime_error("openssl req failed: " + ignored);
}

struct ReceivedMail {
  std::string data;
  std::string mail_from;
  std::vector<std::string> rcpt_tos;
};

class SmtpServer {
 public:
  // `options`: extra arguments of smtp_test_server.py ("--starttls", cert, key, ...).
  SmtpServer(const std::filesystem::path& dir, int port, const std::vector<std::string>& options = {})
      : dir_(dir) {
    std::filesystem::create_directories(dir_);
    std::vector<std::string> args = {std::string(ARSYNC_SOURCE_DIR) + "/tests/unit/alert/smtp_test_server.py",
                                     "--dir", dir_.string(), "--port", std::to_string(port)};
    args.insert(args.end(), options.begin(), options.end());
    handle_ = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch("/usr/bin/python3", args, &in_, &out_, nullptr));
    Poco::PipeInputStream out(out_);
    std::string line;
    if (!std::getline(out, line) || line.rfind("READY ", 0) != 0) {
      stop();
      throw std::runtime_error("smtp_test_server.py did not start: " + line);
    }
    port_ = std::stoi(line.substr(6));
  }
  ~SmtpServer() { stop(); }
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return port_; }

  // Messages received so far, in arrival order.
  std::vector<ReceivedMail> received() const {
    std::vector<ReceivedMail> out;
    for (int n = 1;; ++n) {
      const auto eml = dir_ / (std::to_string(n) + ".eml");
      const auto env = dir_ / (std::to_string(n) + ".json");
      if (!std::filesystem::exists(eml) || !std::filesystem::exists(env)) break;
      ReceivedMail m;
      std::ifstream e(eml, std::ios::binary);
      std::ostringstream s;
      s << e.rdbuf();
      m.data = s.str();
      std::ifstream j(env);
      const auto envelope = nlohmann::json::parse(j);
      m.mail_from = envelope.at("mail_from").get<std::string>();
      m.rcpt_tos = envelope.at("rcpt_tos").get<std::vector<std::string>>();
      out.push_back(std::move(m));
    }
    return out;
  }

  // Kills the server: what it has received is already on disk (each
  // message is renamed into place before the server answers 250).
  void stop() {
    if (!handle_) return;
    if (Poco::Process::isRunning(*handle_)) Poco::Process::kill(*handle_);
    handle_->wait();
    handle_.reset();
  }

 private:
  std::filesystem::path dir_;
  Poco::Pipe in_;
  Poco::Pipe out_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  int port_ = 0;
};

}  // namespace arsync::alert::testing
