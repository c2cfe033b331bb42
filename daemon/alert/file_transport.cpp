#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "arsync/alert/transport.h"

namespace arsync::alert {
namespace {

// A file name from a Message-ID: "<a.b@host>" -> "a.b@host.eml"; anything
// but letters, digits and ".-_@+" becomes '_' so the name stays in `dir`.
std::string file_name_for(const std::string& message_id) {
  std::string name;
  for (char c : message_id) {
    if (c == '<' || c == '>') continue;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == '@' || c == '+';
    name += ok ? c : '_';
  }
  if (!name.empty() && name.front() == '.') name.front() = '_';
  return name + ".eml";
}

Status io_error(const std::string& what, const std::string& path, int err) {
  Location where;
  where.file = path;
  return Status(ErrorCode::kIoError, what + ": " + std::strerror(err), where,
                /*retryable=*/true);
}

class FileTransport final : public Transport {
 public:
  explicit FileTransport(std::string dir) : dir_(std::move(dir)) {}

  Status send(const store::OutgoingMail& mail) override {
    if (mail.message_id.empty()) {
      return Status(ErrorCode::kInvalidArgument, "mail " + std::to_string(mail.id) + " has no Message-ID");
    }
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return io_error("cannot create mail folder", dir_, ec.value());

    const std::filesystem::path final_path = std::filesystem::path(dir_) / file_name_for(mail.message_id);
    if (std::filesystem::exists(final_path, ec)) return Status::ok();  // delivered before a restart
    const std::filesystem::path tmp_path =
        std::filesystem::path(dir_) / (".tmp-" + std::to_string(::getpid()) + "-" + file_name_for(mail.message_id));

    const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return io_error("cannot create mail file", tmp_path.string(), errno);
    std::size_t done = 0;
    while (done < mail.data.size()) {
      const ssize_t n = ::write(fd, mail.data.data() + done, mail.data.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        ::unlink(tmp_path.c_str());
        return io_error("cannot write mail file", tmp_path.string(), err);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      const int err = errno;
      ::unlink(tmp_path.c_str());
      return io_error("cannot sync mail file", tmp_path.string(), err);
    }
    if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp_path.c_str());
      return io_error("cannot rename mail file into place", final_path.string(), err);
    }
    // The rename is durable only once the folder itself is synced.
    if (const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return Status::ok();
  }

 private:
  std::string dir_;
};

}  // namespace

std::unique_ptr<Transport> make_file_transport(const std::string& dir) {
  return std::make_unique<FileTransport>(dir);
}

}  // namespace arsync::alert
