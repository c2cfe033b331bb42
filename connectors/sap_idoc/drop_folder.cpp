#include "drop_folder.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE (glibc)

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace arsync::connectors::sap_idoc {



namespace fs = std::filesystem;

namespace {

Status io_error(const std::string& what, const std::string& path, const std::error_code& ec) {
  return Status(ErrorCode::kIoError, what + ": " + ec.message(), Location::in_file(path),
                /*retryable=*/true);
}

Result<std::vector<std::string>> list_files(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return io_error("cannot list folder", dir, ec);
  for (const fs::directory_entry& entry : it) {
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec)) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// rename(2) that refuses to replace an existing target.
int rename_no_replace(const std::string& from, const std::string& to) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // File system without RENAME_NOREPLACE: check, then rename.
  std::error_code ec;
  if (fs::exists(to, ec)) {
    errno = EEXIST;
    return -1;
  }
  return ::rename(from.c_str(), to.c_str());
}

std::string two(unsigned v) { return (v < 10 ? "0" : "") + std::to_string(v); }

}  // namespace

Status DropFolder::prepare() const {
  for (const std::string& dir : {paths_.processing, paths_.archive, paths_.quarantine}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return io_error("cannot create folder", dir, ec);
  }
  return Status::ok();
}

Result<std::vector<std::string>> DropFolder::claimed() const { return list_files(paths_.processing); }

Result<std::vector<std::string>> DropFolder::waiting() const {
  Result<std::vector<std::string>> all = list_files(paths_.inbound);
  if (!all.is_ok()) return all;
  std::vector<std::string> out;
  for (const std::string& name : *all) {
    if (name.empty() || name[0] == '.' || ends_with(name, ".tmp") || ends_with(name, ".part")) {
      continue;
    }
    bool match = paths_.patterns.empty();
    for (const std::string& p : paths_.patterns) {
      match = match || fnmatch(p.c_str(), name.c_str(), 0) == 0;
    }
    if (match) out.push_back(name);
  }
  return out;
}

Result<bool> DropFolder::claim(const std::string& name) const {
  std::string from = paths_.inbound + "/" + name;
  std::string to = processing_path(name);
  if (rename_no_replace(from, to) == 0) return true;
  int err = errno;
  if (err == ENOENT || err == EEXIST) return false;
  std::string hint = err == EXDEV ? " (inbound_dir and work_dir must be on one file system)" : "";
  return Status(ErrorCode::kIoError,
                "cannot claim " + from + " into " + paths_.processing + ": " + std::strerror(err) + hint,
                Location::in_file(from), /*retryable=*/err != EXDEV);
}

std::string DropFolder::processing_path(const std::string& name) const {
  return paths_.processing + "/" + name;
}

std::string DropFolder::archive_path(const std::string& name, Date day) const {
  std::string dir = paths_.archive + "/" + std::to_string(static_cast<int>(day.year())) + "/" +
                    two(static_cast<unsigned>(day.month())) + "/" +
                    two(static_cast<unsigned>(day.day()));
  std::string path = dir + "/" + name;
  std::error_code ec;
  for (int n = 1; fs::exists(path, ec); ++n) path = dir + "/" + name + "." + std::to_string(n);
  return path;
}

Status DropFolder::archive(const std::string& name, const std::string& archive_path) const {
  std::error_code ec;
  fs::create_directories(fs::path(archive_path).parent_path(), ec);
  if (ec) return io_error("cannot create archive folder", archive_path, ec);
  if (rename_no_replace(processing_path(name), archive_path) != 0) {
    return Status(ErrorCode::kIoError,
                  "cannot move " + processing_path(name) + " to the archive: " + std::strerror(errno),
                  Location::in_file(archive_path), /*retryable=*/true);
  }
  return Status::ok();
}

std::string DropFolder::quarantine_path(const std::string& name) const {
  std::string path = paths_.quarantine + "/" + name;
  std::error_code ec;
  for (int n = 1; fs::exists(path, ec); ++n) {
    path = paths_.quarantine + "/" + name + "." + std::to_string(n);
  }
  return path;
}

Result<std::string> DropFolder::quarantine(const std::string& name, const std::string& why) const {
  std::string path = quarantine_path(name);
  if (rename_no_replace(processing_path(name), path) != 0) {
    return Status(ErrorCode::kIoError,
                  "cannot move " + processing_path(name) + " to quarantine: " + std::strerror(errno),
                  Location::in_file(path), /*retryable=*/true);
  }
  std::ofstream out(path + ".error", std::ios::binary | std::ios::trunc);
  out << why << '\n';
  out.close();
  if (!out) {
    return Status(ErrorCode::kIoError, "cannot write " + path + ".error", Location::in_file(path),
                  /*retryable=*/true);
  }
  return path;
}

}  // namespace arsync::connectors::sap_idoc
