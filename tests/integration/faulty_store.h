// A Store that delegates to a real one and injects one fault on a chosen
// commit_batch: the process is killed in the middle of the commit or right
// after it, or the commit fails. For crash/replay tests.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>

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

// Delegates to a real store, with a fault on the first commit for which
// `when(n, batch)` holds for one of its batches, n counting the commits that
// held a batch of that batch's system, from 1. The engine's StoreWriter
// commits groups of batches (commit_batches) and, after a failed group,
// each batch again on its own (not counted again): a kFail commit's batches
// fail every later commit that holds one of them, so the retry fails too.
class FaultyStore final : public DelegatingStore {
 public:
  using Trigger = std::function<bool(int, const store::DocumentBatch&)>;

  FaultyStore(store::Store& inner, Trigger when, Fault fault)
      : DelegatingStore(inner), when_(std::move(when)), fault_(fault) {}
  // The `fault_on_commit`th commit that holds a batch of `system`.
  FaultyStore(store::Store& inner, int fault_on_commit, Fault fault,
              std::string system = "sap-ecc")
      : FaultyStore(inner, [fault_on_commit, system](int n, const store::DocumentBatch& b) {
          return b.system == system && n == fault_on_commit;
        }, fault) {}

  Result<store::BatchOutcome> commit_batch(const store::DocumentBatch& b, Instant now) override {
    Result<std::vector<store::BatchOutcome>> one = commit_batches(std::span(&b, 1), now);
    if (!one) return one.status();
    return one->front();
  }

  Result<std::vector<store::BatchOutcome>> commit_batches(std::span<const store::DocumentBatch> bs,
                                                          Instant now) override {
    bool fire = false;
    bool retry = true;  // every batch was seen before
    std::set<std::string> systems;
    for (const store::DocumentBatch& b : bs) {
      const std::string key = identity(b);
      if (failing_.count(key)) return Status(ErrorCode::kIoError, "injected: disk I/O error");
      if (seen_.insert(key).second) retry = false;
      systems.insert(b.system);
    }
    if (!retry) {
      for (const std::string& system : systems) ++counts_[system];
      for (const store::DocumentBatch& b : bs) {
        if (!fired_ && when_(counts_[b.system], b)) fire = true;
      }
    }
    if (fire && fault_ == Fault::kFail) {
      for (const store::DocumentBatch& b : bs) failing_.insert(identity(b));
    }
    if (!fire) return inner_.commit_batches(bs, now);
    fired_ = true;
    switch (fault_) {
      case Fault::kKillMidCommit:
        // Frame 1 and 2 (header + page each) are written, the 5th write
        // kills: a transaction of at least 3 frames is cut off.
        KillingVfs::arm(5);
        break;
      case Fault::kKillAfterCommit: {
        [[maybe_unused]] auto done = inner_.commit_batches(bs, now);
        ::kill(::getpid(), SIGKILL);
        for (;;) ::pause();
      }
      case Fault::kFail:
        return Status(ErrorCode::kIoError, "injected: disk I/O error");
    }
    return inner_.commit_batches(bs, now);
  }

 private:
  // What tells a batch from the others of a test run when it is committed
  // again (the writer retries a failed group's batches one by one).
  static std::string identity(const store::DocumentBatch& b) {
    std::string key = b.system + '\n' + b.cursor.value_or("") + '\n' +
                      std::to_string(b.documents.size()) + '\n' +
                      std::to_string(b.quarantined.size());
    if (!b.documents.empty()) key += '\n' + b.documents.front().external_id;
    return key;
  }

  Trigger when_;
  Fault fault_;
  std::map<std::string, int> counts_;
  std::set<std::string> seen_;     // batches committed before, by identity()
  std::set<std::string> failing_;  // the kFail commit's batches, once chosen
  bool fired_ = false;
};

}  // namespace arsync::testing
