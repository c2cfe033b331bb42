// Certificates for tests of TLS clients and servers, made with the openssl
// command line at test time (nothing secret is kept in the tree).
#pragma once

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>

#include <filesystem>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace arsync::testing {

// A self-signed certificate for "localhost" (and 127.0.0.1): cert.pem and
// key.pem in `dir`. Throws when openssl fails.
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

}  // namespace arsync::testing
