// StoreWriter: the one thread that writes to the store for the daemon's
// life. Producers on any threads (connector pulls, HTTP posts, webhooks)
// submit batches; the writer commits whatever is waiting in one group
// transaction (Store::commit_batches), each batch with its own cursor, and
// completes each submission's future only after the transaction that holds
// it has committed. Grouping is what makes many small producers cheap: with
// synchronous=FULL every transaction costs an fsync, and a group shares one.
//
// Order: submissions are taken first in, first out, so batches (of one
// system or of any) commit in the order they were submitted. A group holds
// at most max_group_batches consecutive batches; a task (run()) is never
// part of a group, it runs on its own between them.
//
// Failure: if a group's transaction fails, nothing of it was written, and
// its batches are committed again one by one, so a bad batch fails only its
// own submitter. Batches that build on each other (a pull: each batch's
// cursor says that the batches before it are stored) are submitted in one
// Chain: once a batch of a chain fails, its later batches fail without being
// written, so no cursor skips a failed batch.
//
// Other write work runs on the writer thread through run(), so the store
// has one writer in the whole process: the reconciler's findings and dirty
// keys, the mail outbox's marks, credential puts (CredentialHandle::put
// returns when run()'s future does), audit entries, pull outcomes and the
// CLI's writes forwarded by the daemon. Reads use their own connections.
//
// Memory: at most queue_capacity submissions wait; submit() and run() block
// while the queue is full.
//
// Thread safety: submit(), run(), stop() and stats() may be called from any
// thread. The store passed in is used by the writer thread only.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

#include "arsync/model/clock.h"
#include "arsync/store/store.h"

namespace arsync::engine {

struct StoreWriterOptions {
  std::size_t max_group_batches = 64;  // batches in one group transaction
  std::size_t queue_capacity = 256;    // submissions waiting before submit() blocks
};

struct StoreWriterStats {
  std::uint64_t transactions = 0;    // committed (groups, and batches retried alone)
  std::uint64_t batches = 0;         // committed
  std::uint64_t failed_batches = 0;  // whose future got an error
  std::uint64_t failed_groups = 0;   // group transactions that failed and were retried
  std::uint64_t tasks = 0;           // run() work done, whatever it returned
};

class StoreWriter {
 public:
  // Batches that build on each other (one pull). A copy refers to the same
  // chain. Use a chain with one writer only.
  class Chain {
   public:
    Chain();

   private:
    friend class StoreWriter;
    struct State {
      bool failed = false;  // guarded by the writer's mutex
      Status error;
    };
    std::shared_ptr<State> state_;
  };

  // Work done on the writer thread just before a batch is committed (the
  // sink hashes raw bytes there while the writer keeps up). Must not throw.
  using Prepare = std::function<void(store::DocumentBatch&)>;

  // Starts the writer thread. `clock` gives each transaction's time and
  // must outlive the writer.
  StoreWriter(std::unique_ptr<store::Store> store, const Clock& clock,
              StoreWriterOptions options = {});
  // As above over a store the caller keeps (and must not use, except
  // through run(), until stop() has returned).
  StoreWriter(store::Store& store, const Clock& clock, StoreWriterOptions options = {});
  ~StoreWriter();  // stop()
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Queues `batch` (blocking while the queue is full). The future holds the
  // batch's outcome once it is committed (durable, and visible to other
  // connections), or why it was not: the store's error (nothing of the batch
  // written), or kUnavailable "store writer is stopping" when submitted after
  // stop() began.
  std::future<Result<store::BatchOutcome>> submit(store::DocumentBatch batch);
  // As submit(batch), as the next batch of `chain`: if an earlier batch of
  // the chain failed, this one is not written and its future holds that
  // error with the context "not committed, an earlier batch of its pull
  // failed".
  std::future<Result<store::BatchOutcome>> submit(store::DocumentBatch batch, Chain& chain,
                                                  Prepare prepare = {});

  // Runs `work` on the writer thread, in its turn among the submissions; the
  // future holds what it returned (kInternal if it threw), or kUnavailable
  // when submitted after stop() began. `work` may use the store as it likes
  // (each Store method is its own transaction) but must not wait for this
  // writer's futures.
  std::future<Status> run(std::function<Status(store::Store&)> work);

  // Commits and runs everything submitted so far, then ends the thread;
  // later submissions fail with kUnavailable. Idempotent.
  void stop();

  StoreWriterStats stats() const;

 private:
  struct BatchJob {
    store::DocumentBatch batch;
    std::shared_ptr<Chain::State> chain;  // null: independent
    Prepare prepare;                      // may be empty
    std::promise<Result<store::BatchOutcome>> done;
  };
  struct TaskJob {
    std::function<Status(store::Store&)> work;
    std::promise<Status> done;
  };
  using Job = std::variant<BatchJob, TaskJob>;

  std::future<Result<store::BatchOutcome>> enqueue_batch(store::DocumentBatch batch,
                                                         std::shared_ptr<Chain::State> chain,
                                                         Prepare prepare);
  // Waits for room; false once stopping.
  bool wait_for_room(std::unique_lock<std::mutex>& lock);
  void loop();
  void commit_group(std::vector<BatchJob>& group);
  void run_task(TaskJob& task);
  // Completes `job` with `result` (an error marks its chain failed); under mu_
  // so that a chain's failure is seen by every later submission to it.
  void complete(BatchJob& job, Result<store::BatchOutcome> result);

  std::unique_ptr<store::Store> owned_;  // null when the caller keeps the store
  store::Store* store_;
  const Clock& clock_;
  const StoreWriterOptions options_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // a job was queued, or stopping
  std::condition_variable room_cv_;   // the queue has room, or stopping
  std::deque<Job> queue_;
  bool stopping_ = false;
  StoreWriterStats stats_;
  std::thread thread_;
};

}  // namespace arsync::engine
