#include "arsync/alert/transport.h"

namespace arsync::alert {

Status Transport::send(const store::OutgoingMail& mail) {
  std::unique_ptr<Session> session =
      open_session(std::chrono::steady_clock::now() + std::chrono::hours(24));
  return session->send(mail, [] { return Status::ok(); }).status;
}

Result<std::unique_ptr<Transport>> make_transport(const TransportConfig& config,
                                                  const std::string& default_helo) {
  if (config.type == "file") {
    if (config.dir.empty()) {
      return Status(ErrorCode::kInvalidArgument, "mail.transport.dir is required when mail.transport.type is file");
    }
    return make_file_transport(config.dir);
  }
  if (config.type == "smtp") {
    if (config.host.empty()) {
      return Status(ErrorCode::kInvalidArgument, "mail.transport.host is required when mail.transport.type is smtp");
    }
    if (config.security != "none" && config.security != "starttls" && config.security != "tls") {
      return Status(ErrorCode::kInvalidArgument, "mail.transport.security must be one of none, starttls, tls");
    }
    return make_smtp_transport(config, default_helo);
  }
  return Status(ErrorCode::kInvalidArgument, "mail.transport.type must be one of file, smtp");
}

}  // namespace arsync::alert
