// Watching the drop folder, so that a file that arrives is pulled at once
// instead of at the next interval.
//
// A FolderWatch holds an inotify watch on inbound_dir for IN_CLOSE_WRITE (a
// file written there and closed) and IN_MOVED_TO (a file renamed into it,
// the senders' convention), and a thread of its own that blocks in poll(2)
// on the inotify descriptor and on an eventfd that the destructor signals:
// no polling, and no wake-up while nothing happens. A wake is asked for
// (on_arrival called, from that thread) when an event names an entry the
// drop folder would claim: a name matching file_pattern that is not a
// temporary name (dot files, *.tmp, *.part) and a regular file with an
// acceptable name (see matches_claim_pattern and claim_refusal). Folders
// (the folder's own processing/, archive/ or quarantine/ when they live
// below inbound_dir) and events below them are not watched. The events of
// one read(2) ask for one wake at most. A queue overflow (IN_Q_OVERFLOW)
// asks for one, since files may have arrived unseen.
//
// inotify only makes the pull sooner: the interval pull still finds every
// file, so a watch that cannot be set up (the user's inotify limits, an
// inbound_dir that does not exist yet) is reported and the connector goes
// on without it.
//
// Thread safety: start() and the destructor from one thread; on_arrival is
// called from the watch's thread and must be safe to call from any thread
// (ConnectorContext::wake is).
#pragma once

#include <functional>
#include <memory>
#include <thread>

#include "arsync/model/status.h"
#include "drop_folder.h"

namespace arsync::connectors::sap_idoc {

class FolderWatch {
 public:
  // Watches paths.inbound and calls `on_arrival` for each arrival as above.
  // On failure returns kIoError (retryable: false) naming the folder, the
  // call that failed and, for EMFILE and ENOSPC, which limit was reached
  // (fs.inotify.max_user_instances, max_user_watches); nothing is then left
  // running.
  static Result<std::unique_ptr<FolderWatch>> start(DropFolderPaths paths,
                                                    std::function<void()> on_arrival);

  // Stops the thread (signals it and joins it: it returns at once, or after
  // an on_arrival call in progress) and closes the descriptors.
  ~FolderWatch();

  FolderWatch(const FolderWatch&) = delete;
  FolderWatch& operator=(const FolderWatch&) = delete;

 private:
  FolderWatch(DropFolderPaths paths, std::function<void()> on_arrival, int inotify_fd,
              int stop_fd);
  void run();
  // Whether the events in buf[0, n) ask for a wake.
  bool wanted(const char* buf, long n);

  DropFolderPaths paths_;
  std::function<void()> on_arrival_;
  int inotify_fd_;
  int stop_fd_;
  std::thread thread_;
};

}  // namespace arsync::connectors::sap_idoc
