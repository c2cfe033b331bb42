// Test support: runs tests/unit/alert/smtp_test_server.py (aiosmtpd) and
// smtp_script_server.py on 127.0.0.1 as child processes, each bound to port
// 0 (the port it got is read back), and reads what they received.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

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

#include "../../support/test_cert.h"

namespace arsync::alert::testing {

using arsync::testing::make_self_signed_cert;

// A port on 127.0.0.1 that refuses connections for the object's life: bound
// (so nobody else gets it) but not listening.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot bind a port on 127.0.0.1");
    }
    port_ = ntohs(a.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Runs a python3 script of this folder with `args`; reads "READY <port>".
class ScriptProcess {
 public:
  ScriptProcess(const std::string& script, const std::vector<std::string>& args) {
    std::vector<std::string> all = {std::string(ARSYNC_SOURCE_DIR) + "/tests/unit/alert/" + script};
    all.insert(all.end(), args.begin(), args.end());
    handle_ = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch("/usr/bin/python3", all, &in_, &out_, nullptr));
    Poco::PipeInputStream out(out_);
    std::string line;
    if (!std::getline(out, line) || line.rfind("READY ", 0) != 0) {
      stop();
      throw std::runtime_error(script + " did not start: " + line);
    }
    port_ = std::stoi(line.substr(6));
  }
  ~ScriptProcess() { stop(); }
  ScriptProcess(const ScriptProcess&) = delete;
  ScriptProcess& operator=(const ScriptProcess&) = delete;
  int port() const { return port_; }
  void stop() {
    if (!handle_) return;
    if (Poco::Process::isRunning(*handle_)) Poco::Process::kill(*handle_);
    handle_->wait();
    handle_.reset();
  }

 private:
  Poco::Pipe in_;
  Poco::Pipe out_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
  int port_ = 0;
};

// smtp_script_server.py: answers as scripted (--reply VERB=TEXT, --hang
// VERB, --ehlo-extra LINE) and logs what it was sent.
class ScriptedSmtpServer {
 public:
  ScriptedSmtpServer(const std::filesystem::path& dir, std::vector<std::string> options)
      : log_(dir / ("script-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".log")),
        process_("smtp_script_server.py", with_log(options, log_)) {}
  int port() const { return process_.port(); }
  // What the server saw: "CONNECT", each command line, "MESSAGE".
  std::vector<std::string> log() const {
    std::vector<std::string> lines;
    std::ifstream in(log_);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

 private:
  static std::vector<std::string> with_log(std::vector<std::string> options, const std::filesystem::path& log) {
    options.insert(options.begin(), {"--log", log.string()});
    return options;
  }
  std::filesystem::path log_;
  ScriptProcess process_;
};


struct ReceivedMail {
  std::string data;
  std::string mail_from;
  std::vector<std::string> rcpt_tos;
};

class SmtpServer {
 public:
  // `options`: extra arguments of smtp_test_server.py ("--starttls", cert, key, ...).
  // The server binds port 0 and reports the port the kernel gave it.
  SmtpServer(const std::filesystem::path& dir, const std::vector<std::string>& options = {})
      : dir_(dir), process_("smtp_test_server.py", with_dir(dir, options)) {}
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return process_.port(); }

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
  void stop() { process_.stop(); }

 private:
  static std::vector<std::string> with_dir(const std::filesystem::path& dir, std::vector<std::string> options) {
    std::filesystem::create_directories(dir);
    options.insert(options.begin(), {"--dir", dir.string()});
    return options;
  }
  std::filesystem::path dir_;
  ScriptProcess process_;
};

}  // namespace arsync::alert::testing
