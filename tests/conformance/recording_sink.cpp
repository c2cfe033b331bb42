#include "recording_sink.h"

namespace arsync::conformance {

RecordKey key_of(const RawRecord& r) { return {r.entity, r.external_id, r.version}; }

Status RecordingSink::fail(const std::string& what) {
  failed_ = true;
  pending_.clear();  // not committed
  return Status(ErrorCode::kIoError, std::string(kRefusal) + " (" + what + ")", {},
                /*retryable=*/true);
}

Status RecordingSink::accept(RecordBatch batch) {
  if (failed_) ++calls_after_error_;
  ++accepts_;
  offered_.push_back(batch);
  if (accepts_ == fail_accept) return fail("accept " + std::to_string(accepts_));
  if (mode_ == Commit::kOnAccept) {
    committed_.push_back(std::move(batch));
  } else {
    pending_.push_back(std::move(batch));
  }
  return Status::ok();
}

Status RecordingSink::flush() {
  if (failed_) ++calls_after_error_;
  ++flushes_;
  if (fail_every_flush || flushes_ == fail_flush) return fail("flush " + std::to_string(flushes_));
  for (RecordBatch& b : pending_) committed_.push_back(std::move(b));
  pending_.clear();
  return Status::ok();
}

std::string RecordingSink::committed_cursor(const std::string& before) const {
  return committed_.empty() ? before : committed_.back().cursor;
}

std::vector<std::string> RecordingSink::committed_cursors(const std::string& before) const {
  std::vector<std::string> out{before};
  for (const RecordBatch& b : committed_) out.push_back(b.cursor);
  return out;
}

namespace {

// Pointers to every element of `member` of each batch, in order.
template <typename T>
std::vector<const T*> gather(const std::vector<RecordBatch>& batches,
                             std::vector<T> RecordBatch::*member) {
  std::vector<const T*> out;
  for (const RecordBatch& b : batches) {
    for (const T& item : b.*member) out.push_back(&item);
  }
  return out;
}

}  // namespace

std::vector<const RawRecord*> RecordingSink::records() const {
  return gather(committed_, &RecordBatch::records);
}

std::vector<const RejectedRecord*> RecordingSink::rejected() const {
  return gather(committed_, &RecordBatch::rejected);
}

std::vector<const DeletedRecord*> RecordingSink::deletions() const {
  return gather(committed_, &RecordBatch::deletions);
}

std::vector<RecordKey> RecordingSink::keys() const {
  std::vector<RecordKey> out;
  for (const RawRecord* r : records()) out.push_back(key_of(*r));
  return out;
}

}  // namespace arsync::conformance
