// The file-drop folder: claiming, archiving and quarantining IDoc files.
//
// Convention for senders: write a file under a name that does not match the
// pattern (a dot file or *.tmp / *.part), then rename it to its final name in
// inbound_dir; only complete files are ever claimed. arsync claims a file by
// an atomic rename (no replace) into processing/, so two daemons never read
// one file and a crash leaves it in processing/ to resume. After its IDocs are
// committed the file moves to archive/YYYY/MM/DD/<name>; a file that cannot be
// read moves to quarantine/<name> with a <name>.error text beside it.
// All folders must be on one file system (rename is not atomic across).
//
// Only regular files are claimed. A symbolic link, FIFO, folder, device or
// socket, and a file whose name is not valid UTF-8, holds control characters
// or is longer than kMaxNameBytes, is refused: left where it is, with a
// warning (once per name while it stays) naming it and the reason. The type
// is checked with lstat(2) on the claimed path after the rename, so a name
// swapped for a link between listing and claiming is refused too (and moved
// back to inbound_dir).
//
// Modes, whatever the umask: folders this class creates are 0750, archived
// and quarantined files 0640 (when this user owns them; a sender's file it
// cannot chmod keeps its mode inside the 0750 folder), .error files 0640.
//
// Thread safety: one DropFolder per connector instance, one thread at a time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/model/date.h"
#include "arsync/model/status.h"

namespace arsync::connectors::sap_idoc {

struct DropFolderPaths {
  std::string inbound;
  std::string processing;
  std::string archive;
  std::string quarantine;
  std::vector<std::string> patterns;  // fnmatch(3) globs, e.g. "*.xml"
  std::string system;                 // the connector instance, for log lines
};

// Names longer than this are refused: the folder's own suffixes (".1",
// ".error") must still fit in NAME_MAX (255).
inline constexpr std::size_t kMaxNameBytes = 240;

enum class ClaimOutcome {
  kClaimed,  // now in processing/
  kGone,     // another process took it first, or processing/ holds that name
  kRefused,  // not a regular file: left in (or moved back to) inbound_dir
};

struct Claim {
  ClaimOutcome outcome = ClaimOutcome::kGone;
  std::uint64_t bytes = 0;  // its size, when claimed
};

// True when `name` is one the folder claims by its name: it matches one of
// paths.patterns (any name when there are none) and is not a dot file,
// *.tmp or *.part. Whether the entry is then claimed depends on
// claim_refusal() too.
bool matches_claim_pattern(const DropFolderPaths& paths, const std::string& name);

// Why the entry `name` of `dir` is refused ("" if it is claimable): not a
// regular file (looked at without following a link), a name that is not
// valid UTF-8, holds control characters or is too long.
std::string claim_refusal(const std::string& dir, const std::string& name);

// fsync of a folder shared by concurrent callers: sync(dir) returns once an
// fsync of `dir` that began after the call has ended, and callers that
// arrive while one runs share the next one. 16 posts renaming files into
// the same day's folder cost about two folder fsyncs (disk cache flushes),
// not 16. Thread safety: any thread.
class FolderSyncs {
 public:
  // 0 or the errno of the fsync that covered this call.
  int sync(const std::string& dir);

  // fsyncs begun so far, over all folders.
  std::uint64_t fsyncs() const;

 private:
  struct Folder {
    std::condition_variable cv;
    std::uint64_t started = 0;   // fsyncs begun (one runs while started > finished)
    std::uint64_t finished = 0;  // the last one ended (generation)
    int last_error = 0;          // of the fsync `finished`
    int users = 0;               // calls inside sync() for it
  };
  mutable std::mutex mu_;
  std::uint64_t fsyncs_ = 0;
  std::map<std::string, Folder> folders_;  // one per folder synced (a day's, its parents)
};

class DropFolder {
 public:
  explicit DropFolder(DropFolderPaths paths) : paths_(std::move(paths)) {}

  const DropFolderPaths& paths() const { return paths_; }

  // Creates processing/, archive/ and quarantine/ (0750) if missing.
  // kIoError if not.
  Status prepare() const;

  // Names of regular files in processing/ (claimed before, not finished), in
  // name order; anything else there is refused (logged, left alone).
  Result<std::vector<std::string>> claimed();

  // Names of claimable files in inbound/ (matching a pattern; not dot files,
  // *.tmp or *.part; regular files with acceptable names), in name order.
  // Refused entries that match a pattern are logged once and left alone.
  Result<std::vector<std::string>> waiting();

  // Moves inbound/<name> into processing/ and checks, there, that it is a
  // regular file. kIoError when the rename fails for another reason than
  // the name being gone or taken.
  Result<Claim> claim(const std::string& name);

  std::string processing_path(const std::string& name) const;

  // A path under archive/YYYY/MM/DD/ for `name` on `day` that does not exist
  // yet (".1", ".2", ... appended on a clash).
  std::string archive_path(const std::string& name, Date day) const;

  // archive/YYYY/MM/DD for `day`: where archive_path() puts that day's files.
  std::string archive_folder(Date day) const;

  // Writes `bytes` as the file `path` under archive/ (an HTTP post's body),
  // durably: written to a temporary file beside it, fsync'd, renamed into
  // place without replacing anything, and its folder fsync'd (with those
  // above it up to archive/ when it was made now), so that once this returns
  // OK the file survives a crash with every byte. A crash before leaves at most a temporary dot
  // file, never a part of `path`. If `path` exists already with as many
  // bytes, it is kept and OK returned: callers name such files by the
  // SHA-256 of their bytes, so a resent body finds its file. kAlreadyExists
  // if it exists with another size, kIoError if it cannot be written.
  // Thread safety: unlike the rest of DropFolder, any thread, concurrently.
  Status write_archive(const std::string& path, std::string_view bytes) const;

  // Moves processing/<name> to `archive_path`, creating folders. kIoError if not.
  Status archive(const std::string& name, const std::string& archive_path) const;

  // Writes "<quarantined name>.error" with `why`, then moves processing/<name>
  // into quarantine/ (renamed on a clash). Returns the quarantined path.
  // Written in that order so that a crash between the two leaves the file in
  // processing/, and its replay picks the same path and rewrites the same
  // .error (the store keeps one quarantine row for it).
  Result<std::string> quarantine(const std::string& name, const std::string& why) const;

  // The quarantine path `name` would get now.
  std::string quarantine_path(const std::string& name) const;

 private:
  // Logs the refusal of `path` unless it was logged while it stayed.
  void refuse(const std::string& path, const std::string& reason, std::set<std::string>& now);
  // Remembers `now` as the refused entries of `dir`.
  void renew_refusals(const std::string& dir, const std::set<std::string>& now);

  DropFolderPaths paths_;
  std::set<std::string> refused_;  // paths whose refusal was logged
  // write_archive's folder fsyncs, shared by concurrent posts (copies of
  // this DropFolder share them too).
  std::shared_ptr<FolderSyncs> folder_syncs_ = std::make_shared<FolderSyncs>();
};

}  // namespace arsync::connectors::sap_idoc
