#include "folder_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <system_error>

#include "arsync/log/log.h"
#include "utf8.h"

namespace arsync::connectors::sap_idoc {

namespace {

// Big enough for many events per read(2); aligned as the kernel writes them.
constexpr std::size_t kEventBufferBytes = 64 * 1024;

Status setup_error(const std::string& call, const std::string& dir, int err) {
  std::string hint;
  if (err == EMFILE) {
    hint = " (this process's open-file limit or the user's inotify instance limit, "
           "fs.inotify.max_user_instances, is reached)";
  } else if (err == ENOSPC) {
    hint = " (the user's inotify watch limit, fs.inotify.max_user_watches, is reached)";
  } else if (err == ENOENT || err == ENOTDIR) {
    hint = " (inbound_dir does not exist or is not a folder)";
  }
  return Status(ErrorCode::kIoError,
                "cannot watch " + printable(dir) + " for new files: " + call + ": " +
                    std::strerror(err) + hint,
                Location::in_file(printable(dir)));
}

}  // namespace

Result<std::unique_ptr<FolderWatch>> FolderWatch::start(DropFolderPaths paths,
                                                        std::function<void()> on_arrival) {
  const int in_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (in_fd < 0) return setup_error("inotify_init1", paths.inbound, errno);
  // IN_ONLYDIR: a path that is not a folder is refused instead of watched.
  // IN_EXCL_UNLINK: files claimed (renamed away) while still open by their
  // writer report nothing more.
  if (::inotify_add_watch(in_fd, paths.inbound.c_str(),
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR | IN_EXCL_UNLINK) < 0) {
    const int err = errno;
    ::close(in_fd);
    return setup_error("inotify_add_watch", paths.inbound, err);
  }
  const int stop_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    const int err = errno;
    ::close(in_fd);
    return setup_error("eventfd", paths.inbound, err);
  }
  const std::string dir = paths.inbound;
  try {
    return std::unique_ptr<FolderWatch>(
        new FolderWatch(std::move(paths), std::move(on_arrival), in_fd, stop_fd));
  } catch (const std::system_error& e) {  // the thread could not be started
    ::close(in_fd);
    ::close(stop_fd);
    return setup_error("starting its thread", dir, e.code().value());
  }
}

FolderWatch::FolderWatch(DropFolderPaths paths, std::function<void()> on_arrival, int inotify_fd,
                         int stop_fd)
    : paths_(std::move(paths)), on_arrival_(std::move(on_arrival)), inotify_fd_(inotify_fd),
      stop_fd_(stop_fd), thread_([this] { run(); }) {}

FolderWatch::~FolderWatch() {
  const std::uint64_t one = 1;
  // An eventfd write of 1 cannot block or fail short (the counter is far
  // from its maximum); the thread sees POLLIN on stop_fd_ and returns.
  while (::write(stop_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(inotify_fd_);
  ::close(stop_fd_);
}

void FolderWatch::run() {
  alignas(struct inotify_event) char buf[kEventBufferBytes];
  bool watching = true;
  for (;;) {
    struct pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    const int n = ::poll(fds, watching ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::warn(paths_.system, "folder_watch_stopped",
                {{"folder", printable(paths_.inbound)},
                 {"reason", std::string("poll: ") + std::strerror(errno) +
                                "; new files are found by the interval pull"}});
      return;
    }
    if (fds[0].revents != 0) return;
    if (!watching || fds[1].revents == 0) continue;
    const ssize_t got = ::read(inotify_fd_, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      log::warn(paths_.system, "folder_watch_stopped",
                {{"folder", printable(paths_.inbound)},
                 {"reason", std::string("read: ") + std::strerror(errno) +
                                "; new files are found by the interval pull"}});
      watching = false;
      continue;
    }
    bool gone = false;
    for (ssize_t at = 0; at < got;) {
      const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + at);
      gone = gone || (ev->mask & IN_IGNORED) != 0;
      at += static_cast<ssize_t>(sizeof(struct inotify_event) + ev->len);
    }
    if (wanted(buf, got)) on_arrival_();
    if (gone) {
      // The folder was removed or unmounted: its watch is gone.
      log::warn(paths_.system, "folder_watch_stopped",
                {{"folder", printable(paths_.inbound)},
                 {"reason", "the folder was removed or unmounted; new files are found by the "
                            "interval pull"}});
      watching = false;
    }
  }
}

bool FolderWatch::wanted(const char* buf, long n) {
  for (long at = 0; at < n;) {
    const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + at);
    at += static_cast<long>(sizeof(struct inotify_event) + ev->len);
    if ((ev->mask & IN_Q_OVERFLOW) != 0) return true;
    if ((ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) == 0 || (ev->mask & IN_ISDIR) != 0) continue;
    if (ev->len == 0) continue;
    const std::string name(ev->name);  // NUL-padded by the kernel
    // A file already claimed by a pull in progress is gone: that pull has it.
    if (matches_claim_pattern(paths_, name) && claim_refusal(paths_.inbound, name).empty() &&
        ::access((paths_.inbound + "/" + name).c_str(), F_OK) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace arsync::connectors::sap_idoc
