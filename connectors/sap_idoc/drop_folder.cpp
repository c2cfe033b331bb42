#include "drop_folder.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc)
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>  // mkostemp
#include <cstring>
#include <filesystem>

#include "arsync/log/log.h"
#include "utf8.h"

namespace arsync::connectors::sap_idoc {

namespace fs = std::filesystem;

namespace {

constexpr mode_t kFolderMode = 0750;
constexpr mode_t kFileMode = 0640;

Status io_error(const std::string& what, const std::string& path, int err) {
  return Status(ErrorCode::kIoError, what + ": " + std::strerror(err),
                Location::in_file(printable(path)), /*retryable=*/true);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Every entry of `dir` by name, in name order.
Result<std::vector<std::string>> list_names(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return io_error("cannot list folder " + dir, dir, ec.value());
  for (const fs::directory_entry& entry : it) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool exists_no_follow(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// rename(2) that refuses to replace an existing target.
int rename_no_replace(const std::string& from, const std::string& to) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // File system without RENAME_NOREPLACE: check, then rename.
  if (exists_no_follow(to)) {
    errno = EEXIST;
    return -1;
  }
  return ::rename(from.c_str(), to.c_str());
}

// mkdir -p, each folder it creates 0750 whatever the umask. 0 or an errno.
int make_folders(const std::string& path) {
  std::string prefix;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    prefix = path.substr(0, pos);
    if (prefix.empty() || exists_no_follow(prefix)) continue;
    if (::mkdir(prefix.c_str(), kFolderMode) != 0) {
      if (errno == EEXIST) continue;
      return errno;
    }
    if (::chmod(prefix.c_str(), kFolderMode) != 0) return errno;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return errno;
  return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

// What an entry is, when it is not a regular file ("" when it is).
std::string not_regular(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return "";  // gone: nothing to refuse
  if (S_ISREG(st.st_mode)) return "";
  if (S_ISLNK(st.st_mode)) {
    return "a symbolic link (only regular files are claimed: a link could expose any file "
           "this user can read)";
  }
  if (S_ISFIFO(st.st_mode)) return "a FIFO (named pipe), not a regular file";
  if (S_ISDIR(st.st_mode)) return "a folder, not a regular file";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "a device, not a regular file";
  if (S_ISSOCK(st.st_mode)) return "a socket, not a regular file";
  return "not a regular file";
}

// Sets a file this process put in place to 0640; a failure is logged (the
// file then keeps its mode inside a 0750 folder).
void set_file_mode(const std::string& system, const std::string& path) {
  if (::chmod(path.c_str(), kFileMode) == 0) return;
  const int err = errno;
  log::debug(system, "file_mode_kept",
             {{"file", printable(path)}, {"reason", std::strerror(err)}});
}

std::string two(unsigned v) { return (v < 10 ? "0" : "") + std::to_string(v); }

}  // namespace

Status DropFolder::prepare() const {
  for (const std::string& dir : {paths_.processing, paths_.archive, paths_.quarantine}) {
    if (int err = make_folders(dir); err != 0) return io_error("cannot create folder " + dir, dir, err);
  }
  return Status::ok();
}

bool matches_claim_pattern(const DropFolderPaths& paths, const std::string& name) {
  if (name.empty() || name[0] == '.' || ends_with(name, ".tmp") || ends_with(name, ".part")) {
    return false;
  }
  bool match = paths.patterns.empty();
  for (const std::string& p : paths.patterns) {
    match = match || fnmatch(p.c_str(), name.c_str(), 0) == 0;
  }
  return match;
}

std::string claim_refusal(const std::string& dir, const std::string& name) {
  std::string why = not_regular(dir + "/" + name);
  if (!why.empty()) return why;
  if (first_invalid_utf8(name) != std::string::npos) return "its name is not valid UTF-8";
  if (printable(name) != name) return "its name contains control characters";
  if (name.size() > kMaxNameBytes) {
    return "its name is longer than " + std::to_string(kMaxNameBytes) + " bytes";
  }
  return "";
}

void DropFolder::refuse(const std::string& path, const std::string& reason,
                        std::set<std::string>& now) {
  now.insert(path);
  if (refused_.count(path) != 0) return;
  log::warn(paths_.system, "file_refused",
            {{"file", printable(path)}, {"reason", reason + "; it is left where it is"}});
}

void DropFolder::renew_refusals(const std::string& dir, const std::set<std::string>& now) {
  // A refused entry that has gone is forgotten, so that its name is warned
  // about again if it comes back; the other folder's refusals stay.
  const std::string prefix = dir + "/";
  for (auto it = refused_.begin(); it != refused_.end();) {
    it = it->starts_with(prefix) && now.count(*it) == 0 ? refused_.erase(it) : std::next(it);
  }
  refused_.insert(now.begin(), now.end());
}

Result<std::vector<std::string>> DropFolder::claimed() {
  Result<std::vector<std::string>> all = list_names(paths_.processing);
  if (!all.is_ok()) return all;
  std::vector<std::string> out;
  std::set<std::string> refused_now;
  for (const std::string& name : *all) {
    std::string why = not_regular(processing_path(name));
    if (why.empty()) {
      out.push_back(name);
    } else {
      refuse(processing_path(name), why, refused_now);
    }
  }
  renew_refusals(paths_.processing, refused_now);
  return out;
}

Result<std::vector<std::string>> DropFolder::waiting() {
  Result<std::vector<std::string>> all = list_names(paths_.inbound);
  if (!all.is_ok()) return all;
  std::vector<std::string> out;
  std::set<std::string> refused_now;
  for (const std::string& name : *all) {
    if (!matches_claim_pattern(paths_, name)) continue;
    std::string why = claim_refusal(paths_.inbound, name);
    if (why.empty()) {
      out.push_back(name);
    } else {
      refuse(paths_.inbound + "/" + name, why, refused_now);
    }
  }
  renew_refusals(paths_.inbound, refused_now);
  return out;
}

Result<Claim> DropFolder::claim(const std::string& name) {
  const std::string from = paths_.inbound + "/" + name;
  const std::string to = processing_path(name);
  if (rename_no_replace(from, to) != 0) {
    const int err = errno;
    if (err == ENOENT || err == EEXIST) return Claim{};
    std::string hint = err == EXDEV ? " (inbound_dir and work_dir must be on one file system)" : "";
    return Status(ErrorCode::kIoError,
                  "cannot claim " + printable(from) + " into " + paths_.processing + ": " +
                      std::strerror(err) + hint,
                  Location::in_file(printable(from)), /*retryable=*/err != EXDEV);
  }
  // The name listed may have been replaced since: what counts is what was
  // renamed, looked at without following a link.
  struct stat st;
  if (::lstat(to.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    return Claim{ClaimOutcome::kClaimed, static_cast<std::uint64_t>(st.st_size)};
  }
  std::string why = not_regular(to);
  std::set<std::string> now;
  if (rename_no_replace(to, from) == 0) {
    refuse(from, why, now);
  } else {
    refuse(to, why + " (it could not be moved back to inbound_dir: " + std::strerror(errno) + ")",
           now);
  }
  refused_.insert(now.begin(), now.end());
  return Claim{ClaimOutcome::kRefused, 0};
}

std::string DropFolder::processing_path(const std::string& name) const {
  return paths_.processing + "/" + name;
}

std::string DropFolder::archive_folder(Date day) const {
  return paths_.archive + "/" + std::to_string(static_cast<int>(day.year())) + "/" +
         two(static_cast<unsigned>(day.month())) + "/" + two(static_cast<unsigned>(day.day()));
}

std::string DropFolder::archive_path(const std::string& name, Date day) const {
  const std::string dir = archive_folder(day);
  std::string path = dir + "/" + name;
  for (int n = 1; exists_no_follow(path); ++n) path = dir + "/" + name + "." + std::to_string(n);
  return path;
}

Status DropFolder::archive(const std::string& name, const std::string& archive_path) const {
  const std::string dir = fs::path(archive_path).parent_path().string();
  if (int err = make_folders(dir); err != 0) {
    return io_error("cannot create archive folder " + dir, archive_path, err);
  }
  if (rename_no_replace(processing_path(name), archive_path) != 0) {
    return io_error("cannot move " + processing_path(name) + " to the archive", archive_path, errno);
  }
  set_file_mode(paths_.system, archive_path);
  return Status::ok();
}

std::string DropFolder::quarantine_path(const std::string& name) const {
  std::string path = paths_.quarantine + "/" + name;
  for (int n = 1; exists_no_follow(path); ++n) {
    path = paths_.quarantine + "/" + name + "." + std::to_string(n);
  }
  return path;
}

Result<std::string> DropFolder::quarantine(const std::string& name, const std::string& why) const {
  const std::string path = quarantine_path(name);
  const std::string error_path = path + ".error";
  // O_NOFOLLOW: a link planted at the .error name is not written through.
  const int fd = ::open(error_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                        kFileMode);
  if (fd < 0) return io_error("cannot write " + error_path, error_path, errno);
  const std::string text = why + "\n";
  bool written = ::fchmod(fd, kFileMode) == 0;
  for (std::size_t done = 0; written && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    written = n > 0;
    if (written) done += static_cast<std::size_t>(n);
  }
  const int write_err = errno;
  if (::close(fd) != 0 && written) return io_error("cannot write " + error_path, error_path, errno);
  if (!written) return io_error("cannot write " + error_path, error_path, write_err);
  if (rename_no_replace(processing_path(name), path) != 0) {
    return io_error("cannot move " + processing_path(name) + " to quarantine", path, errno);
  }
  set_file_mode(paths_.system, path);
  return path;
}

namespace {

// Writes all of `bytes` to `fd`; false with errno set if not.
bool write_fully(int fd, std::string_view bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// 0 or an errno.
int fsync_folder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

// An existing `path` is kept when it has `size` bytes (see write_archive).
Status keep_existing(const std::string& path, std::size_t size) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return io_error("cannot read " + path, path, errno);
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) == size) return Status::ok();
  return Status(ErrorCode::kAlreadyExists,
                "archive file " + printable(path) + " exists with " + std::to_string(st.st_size) +
                    " bytes, not the " + std::to_string(size) + " to be archived under its name",
                Location::in_file(printable(path)));
}

}  // namespace

int FolderSyncs::sync(const std::string& dir) {
  std::unique_lock lock(mu_);
  if (folders_.size() > 64) {
    // Yesterday's folders are done with; keep those still in use.
    std::erase_if(folders_, [](const auto& f) { return f.second.users == 0; });
  }
  Folder& f = folders_[dir];
  ++f.users;
  // One already running may have begun before this call's rename: wait for
  // the one after it.
  const std::uint64_t needed = f.started + 1;
  while (f.finished < needed) {
    if (f.started > f.finished) {  // one is running
      f.cv.wait(lock);
      continue;
    }
    const std::uint64_t generation = ++f.started;
    ++fsyncs_;
    lock.unlock();
    const int err = fsync_folder(dir);
    lock.lock();
    f.finished = generation;
    f.last_error = err;
    f.cv.notify_all();
  }
  --f.users;
  // A later fsync than the one needed also began after this call.
  return f.last_error;
}

std::uint64_t FolderSyncs::fsyncs() const {
  std::lock_guard lock(mu_);
  return fsyncs_;
}

Status DropFolder::write_archive(const std::string& path, std::string_view bytes) const {
  const fs::path target(path);
  const std::string dir = target.parent_path().string();
  const bool new_folder = !exists_no_follow(dir);
  if (int err = make_folders(dir); err != 0) {
    return io_error("cannot create archive folder " + dir, path, err);
  }
  if (exists_no_follow(path)) {
    ARSYNC_RETURN_IF_ERROR(keep_existing(path, bytes.size()));
  } else {
    std::string temp = dir + "/." + target.filename().string() + ".XXXXXX";
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return io_error("cannot create a file in " + dir, path, errno);
    bool ok = ::fchmod(fd, kFileMode) == 0 && write_fully(fd, bytes) && ::fsync(fd) == 0;
    int err = errno;
    if (::close(fd) != 0 && ok) {
      ok = false;
      err = errno;
    }
    if (ok && rename_no_replace(temp, path) != 0) {
      err = errno;
      ::unlink(temp.c_str());
      if (err != EEXIST) return io_error("cannot move " + temp + " to " + path, path, err);
      // A concurrent post of the same body came first.
      ARSYNC_RETURN_IF_ERROR(keep_existing(path, bytes.size()));
    } else if (!ok) {
      ::unlink(temp.c_str());
      return io_error("cannot write " + path, path, err);
    }
  }
  // The new name, and any folder made for it, must be on disk before the
  // store refers to the file: fsync its folder (also when the file was
  // there: a concurrent post of the same body may not have done it yet)
  // and, when this call made that folder, each one above it up to archive/.
  // Not always all of them: each fsync costs a disk cache flush, even with
  // nothing to write. The gap: a post that finds the day's folder just made
  // by a concurrent one does not wait for that one's fsync of the month
  // folder, so a power loss in those milliseconds of a day's first posts
  // could lose the day's folder entry.
  for (fs::path folder = dir;; folder = folder.parent_path()) {
    if (int err = folder_syncs_->sync(folder.string()); err != 0) {
      return io_error("cannot fsync folder " + folder.string(), path, err);
    }
    if (!new_folder || folder == fs::path(paths_.archive) || !folder.has_relative_path() ||
        folder.string().size() <= paths_.archive.size()) {
      break;
    }
  }
  return Status::ok();
}

}  // namespace arsync::connectors::sap_idoc
