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
// Thread safety: one DropFolder per connector instance, one thread at a time.
#pragma once

#include <optional>
#include <string>
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
};

class DropFolder {
 public:
  explicit DropFolder(DropFolderPaths paths) : paths_(std::move(paths)) {}

  const DropFolderPaths& paths() const { return paths_; }

  // Creates processing/, archive/ and quarantine/ if missing. kIoError if not.
  Status prepare() const;

  // Names of files in processing/ (claimed before, not finished), in name order.
  Result<std::vector<std::string>> claimed() const;

  // Names of claimable files in inbound/ (matching a pattern; not dot files,
  // *.tmp or *.part; regular files only), in name order.
  Result<std::vector<std::string>> waiting() const;

  // Moves inbound/<name> into processing/. Returns false if another process
  // took it first or processing/ already holds that name; kIoError otherwise.
  Result<bool> claim(const std::string& name) const;

  std::string processing_path(const std::string& name) const;

  // A path under archive/YYYY/MM/DD/ for `name` on `day` that does not exist
  // yet (".1", ".2", ... appended on a clash).
  std::string archive_path(const std::string& name, Date day) const;

  // Moves processing/<name> to `archive_path`, creating folders. kIoError if not.
  Status archive(const std::string& name, const std::string& archive_path) const;

  // Moves processing/<name> into quarantine/ (renamed on a clash) and writes
  // "<quarantined name>.error" with `why`. Returns the quarantined path.
  Result<std::string> quarantine(const std::string& name, const std::string& why) const;

  // The quarantine path `name` would get now.
  std::string quarantine_path(const std::string& name) const;

 private:
  DropFolderPaths paths_;
};

}  // namespace arsync::connectors::sap_idoc
