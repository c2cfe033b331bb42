// FieldSelection: which parts of a JSON record are read, as a tree of
// object member names. A mapping computes what it reads; a connector that
// builds records from another format (IDoc segments) builds only that.
//
// Thread safety: immutable once built; may be read from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "arsync/record.h"

namespace arsync {

// The parts of a record that a sink reads, as a tree of JSON object member
// names. Arrays are transparent: a member's selection applies to each of its
// elements. A connector that builds its JSON from another format (IDoc
// segments) may build only what is selected; one that receives JSON whole
// may ignore the selection.
class FieldSelection {
 public:
  FieldSelection() = default;
  FieldSelection(FieldSelection&&) = default;
  FieldSelection& operator=(FieldSelection&&) = default;

  // Everything below this point is read.
  bool everything() const { return everything_; }
  void select_everything() { everything_ = true; }

  // The selection of member `name`: null when it is not read, `this` itself
  // when everything is.
  const FieldSelection* member(std::string_view name) const;
  // Adds member `name` (if new) and returns its selection, which stays at
  // the same address while members are added anywhere.
  FieldSelection& add(std::string_view name);
  // Adds everything `other` selects.
  void merge(const FieldSelection& other);

  // "{E1EDK01: {BELNR, CURCY}, EDI_DC40}" (a bare name: the whole member),
  // "*" for everything: for tests and diagnostics.
  std::string to_string() const;

 private:
  struct Member {
    std::string name;
    std::uint64_t head;  // the name's first 8 bytes, zero padded: most compares end here
    std::unique_ptr<FieldSelection> selection;  // boxed: keeps its address
  };
  bool everything_ = false;
  std::vector<Member> members_;  // sorted by name
};

// `record` cut down to `selection`: object members it does not select are
// removed, arrays keep every element (each cut the same way). What a
// connector honouring a selection builds; the reference for tests.
Record cut_to_selection(const Record& record, const FieldSelection& selection);

}  // namespace arsync
