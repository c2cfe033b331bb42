// A Store that delegates to a real one and injects one fault on a chosen
// commit_batch: the process is killed in the middle of the commit or right
// after it, or the commit fails. For crash/replay tests.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <functional>

#include "delegating_store.h"
#include "killing_vfs.h"

namespace arsync::testing {

enum class Fault {
  // SIGKILL in the middle of the commit's SQLite transaction: after some of
  // its WAL frames are written, before its commit frame (KillingVfs must be
  // installed before the store is opened).
  kKillMidCommit,
  // SIGKILL right after the commit returned: the batch is durable, but the
  // connector never learns it (it is still waiting in flush, so a file
  // whose last batch this was is not yet archived).
  kKillAfterCommit,
  kFail,  // commit_batch returns an I/O error and writes nothing
};

// Delegates to a real store, with a fault on the first commit_batch for
// which `when(n, batch)` holds (n counts commit_batch calls from 1).
class FaultyStore final : public DelegatingStore {
 public:
  using Trigger = std::function<bool(int, const store::DocumentBatch&)>;

  FaultyStore(store::Store& inner, Trigger when, Fault fault)
      : DelegatingStore(inner), when_(std::move(when)), fault_(fault) {}
  FaultyStore(store::Store& inner, int fault_on_commit, Fault fault)
      : FaultyStore(inner, [fault_on_commit](int n, const store::DocumentBatch&) {
          return n == fault_on_commit;
        }, fault) {}

  Result<store::BatchOutcome> commit_batch(const store::DocumentBatch& b, Instant now) override {
    if (fired_ || !when_(++commits_, b)) return inner_.commit_batch(b, now);
    fired_ = true;
    switch (fault_) {
      case Fault::kKillMidCommit:
        // Frame 1 and 2 (header + page each) are written, the 5th write
        // kills: a transaction of at least 3 frames is cut off.
        KillingVfs::arm(5);
        break;
      case Fault::kKillAfterCommit: {
        [[maybe_unused]] auto done = inner_.commit_batch(b, now);
        ::kill(::getpid(), SIGKILL);
        for (;;) ::pause();
      }
      case Fault::kFail:
        return Status(ErrorCode::kIoError, "injected: disk I/O error");
    }
    return inner_.commit_batch(b, now);
  }

 private:
  Trigger when_;
  Fault fault_;
  int commits_ = 0;
  bool fired_ = false;
};

}  // namespace arsync::testing
