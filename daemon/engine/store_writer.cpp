// StoreWriter: the queue, the group commit and the one-by-one retry.
//
// A job's future is completed under mu_. For a chain this is what makes the
// rule exact: a submission to a chain either sees the chain already failed
// (and fails at once) or was queued before the failure was known, in which
// case the writer finds it in the queue after the failed batch and fails it
// there. Completing a promise under a mutex is cheap (it wakes the waiter,
// which takes no lock of ours).
#include "arsync/engine/store_writer.h"

#include <pthread.h>

#include <exception>
#include <span>
#include <stdexcept>
#include <utility>

namespace arsync::engine {
namespace {

Status stopping_error() {
  return Status(ErrorCode::kUnavailable, "store writer is stopping", {}, /*retryable=*/true);
}

Status chain_error(const Status& cause) {
  return cause.with_context("not committed, an earlier batch of its pull failed");
}

template <typename T>
std::future<T> ready(T value) {
  std::promise<T> p;
  p.set_value(std::move(value));
  return p.get_future();
}

}  // namespace

StoreWriter::Chain::Chain() : state_(std::make_shared<State>()) {}

StoreWriter::StoreWriter(std::unique_ptr<store::Store> store, const Clock& clock,
                         StoreWriterOptions options)
    : StoreWriter(*store, clock, options) {
  owned_ = std::move(store);
}

StoreWriter::StoreWriter(store::Store& store, const Clock& clock, StoreWriterOptions options)
    : store_(&store), clock_(clock), options_(options) {
  if (options_.max_group_batches == 0) throw std::invalid_argument("max_group_batches is 0");
  if (options_.queue_capacity == 0) throw std::invalid_argument("queue_capacity is 0");
  thread_ = std::thread([this] {
    // Named so that top -H, perf and gdb tell it from the pulling threads.
    pthread_setname_np(pthread_self(), "arsync-writer");
    loop();
  });
}

StoreWriter::~StoreWriter() { stop(); }

std::future<Result<store::BatchOutcome>> StoreWriter::submit(store::DocumentBatch batch) {
  return enqueue_batch(std::move(batch), nullptr, {});
}

std::future<Result<store::BatchOutcome>> StoreWriter::submit(store::DocumentBatch batch,
                                                             Chain& chain, Prepare prepare) {
  return enqueue_batch(std::move(batch), chain.state_, std::move(prepare));
}

bool StoreWriter::wait_for_room(std::unique_lock<std::mutex>& lock) {
  room_cv_.wait(lock, [&] { return stopping_ || queue_.size() < options_.queue_capacity; });
  return !stopping_;
}

std::future<Result<store::BatchOutcome>> StoreWriter::enqueue_batch(
    store::DocumentBatch batch, std::shared_ptr<Chain::State> chain, Prepare prepare) {
  std::unique_lock lock(mu_);
  if (!wait_for_room(lock)) return ready<Result<store::BatchOutcome>>(stopping_error());
  if (chain && chain->failed) return ready<Result<store::BatchOutcome>>(chain_error(chain->error));
  BatchJob job{std::move(batch), std::move(chain), std::move(prepare), {}};
  auto future = job.done.get_future();
  queue_.emplace_back(std::move(job));
  lock.unlock();
  work_cv_.notify_one();
  return future;
}

std::future<Status> StoreWriter::run(std::function<Status(store::Store&)> work) {
  std::unique_lock lock(mu_);
  if (!wait_for_room(lock)) return ready(stopping_error());
  TaskJob job{std::move(work), {}};
  auto future = job.done.get_future();
  queue_.emplace_back(std::move(job));
  lock.unlock();
  work_cv_.notify_one();
  return future;
}

void StoreWriter::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  room_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

StoreWriterStats StoreWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void StoreWriter::loop() {
  std::vector<BatchJob> group;
  for (;;) {
    std::unique_lock lock(mu_);
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything submitted is done
    if (auto* task = std::get_if<TaskJob>(&queue_.front())) {
      TaskJob job = std::move(*task);
      queue_.pop_front();
      lock.unlock();
      room_cv_.notify_all();
      run_task(job);
      continue;
    }
    group.clear();
    while (!queue_.empty() && group.size() < options_.max_group_batches) {
      auto* batch = std::get_if<BatchJob>(&queue_.front());
      if (batch == nullptr) break;  // a task ends the group
      // A chain that failed while this batch waited: its cursor would skip
      // the failed batch.
      if (batch->chain && batch->chain->failed) {
        BatchJob skipped = std::move(*batch);
        queue_.pop_front();
        ++stats_.failed_batches;
        skipped.done.set_value(chain_error(skipped.chain->error));
        continue;
      }
      group.push_back(std::move(*batch));
      queue_.pop_front();
    }
    lock.unlock();
    room_cv_.notify_all();
    if (!group.empty()) commit_group(group);
  }
}

void StoreWriter::commit_group(std::vector<BatchJob>& group) {
  std::vector<store::DocumentBatch> batches;
  batches.reserve(group.size());
  for (BatchJob& job : group) {
    if (job.prepare) job.prepare(job.batch);
    batches.push_back(std::move(job.batch));
  }

  Result<std::vector<store::BatchOutcome>> outcomes = store_->commit_batches(batches, clock_.now());
  if (outcomes) {
    std::lock_guard lock(mu_);
    ++stats_.transactions;
    for (std::size_t i = 0; i < group.size(); ++i) complete(group[i], (*outcomes)[i]);
    return;
  }
  if (group.size() == 1) {
    std::lock_guard lock(mu_);
    complete(group.front(), outcomes.status());
    return;
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.failed_groups;
  }
  // Nothing of the group was written: each batch on its own, in order, so
  // only the bad one fails (and the rest of its chain after it).
  for (std::size_t i = 0; i < group.size(); ++i) {
    {
      std::lock_guard lock(mu_);
      if (group[i].chain && group[i].chain->failed) {
        complete(group[i], chain_error(group[i].chain->error));
        continue;
      }
    }
    Result<std::vector<store::BatchOutcome>> one =
        store_->commit_batches(std::span(&batches[i], 1), clock_.now());
    std::lock_guard lock(mu_);
    if (one) {
      ++stats_.transactions;
      complete(group[i], one->front());
    } else {
      complete(group[i], one.status());
    }
  }
}

void StoreWriter::complete(BatchJob& job, Result<store::BatchOutcome> result) {
  if (result) {
    ++stats_.batches;
  } else {
    ++stats_.failed_batches;
    if (job.chain && !job.chain->failed) {
      job.chain->failed = true;
      job.chain->error = result.status();
    }
  }
  job.done.set_value(std::move(result));
}

void StoreWriter::run_task(TaskJob& task) {
  Status status;
  try {
    status = task.work(*store_);
  } catch (const std::exception& e) {
    status = Status(ErrorCode::kInternal, std::string("store writer task threw: ") + e.what());
  } catch (...) {
    status = Status(ErrorCode::kInternal, "store writer task threw");
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.tasks;
  }
  task.done.set_value(std::move(status));
}

}  // namespace arsync::engine
