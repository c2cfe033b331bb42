// A Store that delegates to a real one and injects one fault: the process
// dies, or a commit fails, on the Nth commit_batch. For crash/replay tests.
#pragma once

#include <unistd.h>

#include "delegating_store.h"

namespace arsync::testing {

enum class Fault {
  kDie,   // the process dies (_exit(42): no destructors, no clean close)
  kFail,  // commit_batch returns an I/O error and writes nothing
};

// Delegates to a real store, with a fault on the Nth commit_batch.
class FaultyStore final : public DelegatingStore {
 public:
  FaultyStore(store::Store& inner, int fault_on_commit, Fault fault)
      : DelegatingStore(inner), fault_on_(fault_on_commit), fault_(fault) {}

  Result<store::BatchOutcome> commit_batch(const store::DocumentBatch& b, Instant now) override {
    if (++commits_ == fault_on_) {
      if (fault_ == Fault::kDie) ::_exit(42);
      return Status(ErrorCode::kIoError, "injected: disk I/O error");
    }
    return inner_.commit_batch(b, now);
  }

 private:
  int fault_on_;
  Fault fault_;
  int commits_ = 0;
};

}  // namespace arsync::testing
