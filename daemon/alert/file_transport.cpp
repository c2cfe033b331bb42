#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "arsync/alert/transport.h"
#include "arsync/log/log.h"

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

// "<dir>/.tmp-<pid>-<name>": the pid of the process that wrote it, or 0.
pid_t temp_file_pid(const std::string& name) {
  if (name.rfind(".tmp-", 0) != 0 || name.size() < 4 || name.compare(name.size() - 4, 4, ".eml") != 0) return 0;
  long long pid = 0;
  std::size_t i = 5;
  for (; i < name.size() && name[i] >= '0' && name[i] <= '9' && pid < (1LL << 31); ++i) pid = pid * 10 + (name[i] - '0');
  if (i == 5 || i >= name.size() || name[i] != '-') return 0;
  return static_cast<pid_t>(pid);
}

// Removes the temporaries of writers that no longer run: a kill -9 between
// open and rename leaves one, and its message is still pending (or, if the
// rename happened, already in place). A live pid's file may be in progress
// (another transport of this process after a reload, or a second daemon):
// it stays. Returns how many were removed.
std::size_t remove_stale_temporaries(const std::string& dir) {
  std::error_code ec;
  std::size_t removed = 0;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const pid_t pid = temp_file_pid(name);
    if (pid <= 0) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to signal)
    if (::unlink(it->path().c_str()) == 0) ++removed;
  }
  return removed;
}



class FileTransport;

// Files need no connection; the round's deadline is checked by the caller
// between messages.
class FileSession final : public Session {
 public:
  explicit FileSession(FileTransport& transport) : transport_(transport) {}
  SendResult send(const store::OutgoingMail& mail,
                  const std::function<Status()>& before_content) override;
  bool usable() const override { return true; }

 private:
  FileTransport& transport_;
};

class FileTransport final : public Transport {
 public:
  explicit FileTransport(std::string dir) : dir_(std::move(dir)) {
    if (const std::size_t n = remove_stale_temporaries(dir_); n > 0) {
      log::info("", "mail_temporaries_removed",
                {{"dir", dir_}, {"files", std::to_string(n)},
                 {"reason", "left by arsync processes that no longer run"}});
    }
  }

  std::unique_ptr<Session> open_session(Deadline deadline) override;
  bool resend_is_harmless() const override { return true; }

  Status write(const store::OutgoingMail& mail) {
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

SendResult FileSession::send(const store::OutgoingMail& mail,
                             const std::function<Status()>& before_content) {
  if (Status s = before_content(); !s) return {s, false};
  return {transport_.write(mail), false};
}

std::unique_ptr<Session> FileTransport::open_session(Deadline) {
  return std::make_unique<FileSession>(*this);
}

}  // namespace

std::unique_ptr<Transport> make_file_transport(const std::string& dir) {
  return std::make_unique<FileTransport>(dir);
}

}  // namespace arsync::alert
