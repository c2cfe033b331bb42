// Record paths: how a mapping file addresses a value inside a raw record.
//
// A path is dot-separated steps over a Record's objects, each step a member name
// with an optional filter in brackets:
//   NAME              the member; if it is an array, its first element
//   NAME[N]           element N of the array (0-based)
//   NAME[FIELD=VALUE] the first element whose FIELD is the text VALUE
//   NAME[*]           every element (only where several values are wanted)
// A member that is a single object, not an array, counts as an array of one,
// so `EDI_DC40.DOCNUM` and `EDI_DC40[0].DOCNUM` mean the same. A path that
// starts with `$.` is resolved from the record's root even inside an
// "each" block. Examples: `E1EDK02[QUALF=009].BELNR`,
// `E1EDP01[*].E1EDP26[QUALF=003].BETRG`,
// `Line[*].LinkedTxn[TxnType=Invoice].TxnId`.
//
// Paths are parsed once (when a mapping compiles); resolving one allocates
// nothing unless every match is asked for. Paths that start with the same
// step (E1EDK02[QUALF=009].BELNR, E1EDK02[QUALF=009].DATUM) can share that
// step's lookup within one record through a PathMemo.
//
// Thread safety: a parsed Path is immutable once its memo slot is set (when
// its mapping compiles) and may be used from any thread; a PathMemo belongs
// to the one thread mapping its record.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "arsync/model/field_selection.h"
#include "arsync/model/status.h"
#include "arsync/record.h"

namespace arsync::mapping {

class Path;

// What first steps resolved to under one record's root. Each distinct first
// step of a mapping has a slot (numbered when it compiles, see
// Path::set_memo_slot); a PathMemo lives for one record.
class PathMemo {
 public:
  PathMemo(RecordValue root, std::size_t slots);

 private:
  friend class Path;
  RecordValue root_;
  std::vector<RecordValue> found_;
  std::vector<bool> known_;  // found_[i] looked up
};

class Path {
 public:
  // Parses `text`. On a syntax error returns kMappingError whose message
  // names the path, the position and what a step may look like; the caller
  // adds the Location.
  static Result<Path> parse(std::string_view text);

  const std::string& text() const { return text_; }
  // True when a step is `[*]`: the path may select several values.
  bool fans_out() const { return fans_out_; }
  // True when the path starts with `$.` (resolve from the record root).
  bool absolute() const { return absolute_; }

  // The first value the path selects under `node` (document order), or
  // an absent value when it selects nothing. The handle is into `node`'s
  // Record. A member named more than once counts by its first occurrence. With a
  // `memo` for the record `node` is the root of, the first step is looked up
  // once per record for all paths that share it.
  RecordValue first(RecordValue node, PathMemo* memo = nullptr) const;
  // Appends every value the path selects under `node`, in document order.
  void all(RecordValue node, std::vector<RecordValue>& out) const;

  // Adds to `base` (the selection of the node the path starts from) the
  // members the path walks through and the fields its filters test; returns
  // the selection of what the path ends at, for the caller to select whole
  // or to select below.
  FieldSelection& select(FieldSelection& base) const;

  // The first step as written ("E1EDK02[QUALF=009]"), "" when it is `[*]`
  // (several values: nothing one slot could hold).
  const std::string& first_step() const { return first_step_; }
  // The PathMemo slot of the first step (distinct steps, distinct slots).
  void set_memo_slot(std::size_t slot) { memo_slot_ = slot; }

  static constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);
  // Steps a path may have: resolving recurses once per step, so the limit
  // bounds the mapping's stack as kMaxJsonDepth bounds a record's.
  static constexpr std::size_t kMaxSteps = 512;

  struct Step {
    enum class Filter { kNone, kIndex, kAll, kMatch };
    std::string name;
    Filter filter = Filter::kNone;
    std::size_t index = 0;
    std::string field;  // kMatch
    std::string value;  // kMatch
  };
  // The steps as parsed, for checking their names against a schema.
  const std::vector<Step>& steps() const { return steps_; }

 private:

  // Visits matches depth-first; `visit` returns true to stop.
  template <typename Visit>
  bool walk(RecordValue node, std::size_t step, Visit& visit) const;
  // The one element a step other than `[*]` selects under `node`, or absent.
  static RecordValue step_element(RecordValue node, const Step& step);

  std::string text_;
  std::string first_step_;
  std::size_t memo_slot_ = kNoSlot;
  std::vector<Step> steps_;
  bool fans_out_ = false;
  bool absolute_ = false;
};

}  // namespace arsync::mapping
