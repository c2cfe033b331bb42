// The conformance suite's RecordSink: commits what a connector hands it into
// memory, the way the engine's sink commits to the store, and can be told
// to refuse a batch or fail a flush.
//
// Two ways of committing, both allowed by RecordSink's contract:
//   kOnAccept  accept() commits the batch before it returns (a synchronous
//              sink); flush() has nothing to wait for.
//   kOnFlush   accept() takes the batch as pending; flush() commits every
//              pending batch (an asynchronous sink). A failed flush (or a
//              failed accept) drops what was pending: not committed.
// Every batch accepted, committed or not, is also kept in offered(), so a
// test can compare what a connector sent twice.
//
// Thread safety: one thread (a connector's pull) at a time.
#pragma once

#include <string>
#include <vector>

#include "arsync/connector.h"
#include "conformance_fixture.h"

namespace arsync::conformance {

class RecordingSink : public RecordSink {
 public:
  enum class Commit { kOnAccept, kOnFlush };

  explicit RecordingSink(Commit mode = Commit::kOnAccept) : mode_(mode) {}

  // Which call fails, 1-based (0: none); with fail_every_flush, every flush.
  int fail_accept = 0;
  int fail_flush = 0;
  bool fail_every_flush = false;

  Status accept(RecordBatch batch) override;
  Status flush() override;

  // The batches committed, in order.
  const std::vector<RecordBatch>& committed() const { return committed_; }
  // Every batch accepted (committed or not, and the refused one), in order.
  const std::vector<RecordBatch>& offered() const { return offered_; }
  // The cursor of the last committed batch, or `before` when none is.
  std::string committed_cursor(const std::string& before) const;
  // The cursor before each committed batch and after the last one:
  // `before`, then each committed batch's cursor, in order.
  std::vector<std::string> committed_cursors(const std::string& before) const;

  // Committed records, rejections and deletions, in order.
  std::vector<const RawRecord*> records() const;
  std::vector<const RejectedRecord*> rejected() const;
  std::vector<const DeletedRecord*> deletions() const;
  std::vector<RecordKey> keys() const;

  int accepts() const { return accepts_; }
  int flushes() const { return flushes_; }
  // accept() or flush() calls after this sink returned an error: a
  // connector must stop at the first error.
  int calls_after_error() const { return calls_after_error_; }
  // The error message this sink returns, for checking that the connector
  // passes it on.
  static constexpr const char* kRefusal = "conformance sink refused the call";

 private:
  Status fail(const std::string& what);

  Commit mode_;
  int accepts_ = 0;
  int flushes_ = 0;
  bool failed_ = false;
  int calls_after_error_ = 0;
  std::vector<RecordBatch> pending_;
  std::vector<RecordBatch> committed_;
  std::vector<RecordBatch> offered_;
};

// The key of a record as the store sees it.
RecordKey key_of(const RawRecord& r);

}  // namespace arsync::conformance
