// arsync::Record: one source record as a JSON-shaped tree of arsync's own.
//
// A connector hands the engine each record as a Record: objects, arrays and
// scalar leaves (string, number, boolean, null). Every scalar keeps its TEXT:
// a number is the digits the sender wrote ("1190.10", "1e2"), never a double,
// so an amount reaches Money::parse exactly as sent. Object members keep
// their order, and duplicate keys are kept (find() returns the first).
//
// The tree lives in one node vector and one string arena (keys and texts),
// so a record costs two allocations however many fields it has, and its
// layout is this header's, not a JSON library's: plugins and the daemon may
// be built against different library versions. Nodes are laid out
// depth-first: a container's first child is the node after it, and each node
// knows where its subtree ends, so walking siblings skips whole subtrees.
//
// Records are built with a RecordBuilder and then only read. A RecordValue
// is a cheap handle (record pointer + node index), valid while its Record
// lives at the same address: after a Record is moved, take handles again
// from the new one.
//
// Thread safety: a finished Record is immutable and may be read from any
// number of threads; a RecordBuilder is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace arsync {

enum class RecordType : std::uint8_t { kNull, kBoolean, kNumber, kString, kArray, kObject };

class Record;

// A value inside a Record, or "absent" (default-constructed, or what a
// lookup that finds nothing returns; false in a boolean context).
class RecordValue {
 public:
  RecordValue() = default;

  explicit operator bool() const { return record_ != nullptr; }
  // kNull for an absent value.
  RecordType type() const;
  bool is_object() const { return type() == RecordType::kObject; }
  bool is_array() const { return type() == RecordType::kArray; }
  bool is_string() const { return *this && type() == RecordType::kString; }
  bool is_number() const { return *this && type() == RecordType::kNumber; }
  bool is_boolean() const { return *this && type() == RecordType::kBoolean; }
  // True for a null leaf, false for an absent value.
  bool is_null() const { return *this && type() == RecordType::kNull; }
  // String, number or boolean.
  bool is_text() const { return is_string() || is_number() || is_boolean(); }

  // A scalar's text: a string's characters (escapes resolved), a number's
  // digits as sent, "true"/"false", "null". "" for a container or absent.
  // The view points into the Record.
  std::string_view text() const;
  // The member name when this value is an object's member, else "".
  std::string_view key() const;

  // Children of an object or array; 0 for anything else.
  std::size_t size() const;
  bool empty() const { return size() == 0; }
  // The first member named `key` of an object; absent when there is none
  // or this is not an object.
  RecordValue find(std::string_view key) const;
  // The child at `index` of an object or array (walks `index` siblings);
  // absent past the end.
  RecordValue at(std::size_t index) const;

  // Children in order (members of an object, elements of an array).
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = RecordValue;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = RecordValue;
    Iterator() = default;
    RecordValue operator*() const { return RecordValue(record_, index_); }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& o) const { return index_ == o.index_; }

   private:
    friend class RecordValue;
    Iterator(const Record* record, std::uint32_t index) : record_(record), index_(index) {}
    const Record* record_ = nullptr;
    std::uint32_t index_ = 0;
  };
  Iterator begin() const;
  Iterator end() const;

  // This value (without its key) as compact JSON, as Record::to_json_text
  // writes it; "null" when absent.
  std::string to_json_text() const;

  // Same record, same node.
  bool operator==(const RecordValue& o) const {
    return record_ == o.record_ && (record_ == nullptr || index_ == o.index_);
  }

 private:
  friend class Record;
  RecordValue(const Record* record, std::uint32_t index) : record_(record), index_(index) {}
  const Record* record_ = nullptr;
  std::uint32_t index_ = 0;
};

class Record {
 public:
  // An empty record: root() is absent, to_json_text() is "null".
  Record() = default;

  // The top value; absent for an empty record.
  RecordValue root() const {
    return nodes_.empty() ? RecordValue() : RecordValue(this, 0);
  }
  bool empty() const { return nodes_.empty(); }
  // Number of values (nodes) in the tree.
  std::size_t node_count() const { return nodes_.size(); }
  // Bytes of keys and scalar text.
  std::size_t text_bytes() const { return arena_.size(); }
  // Heap bytes held (for batch sizing).
  std::size_t memory_bytes() const {
    return nodes_.capacity() * sizeof(Node) + arena_.capacity();
  }

  // The record as compact JSON text, members in order, duplicates kept.
  // Numbers are written as their text, so parsing the output gives the same
  // Record back. Bytes of a string that are not UTF-8 are written as
  // U+FFFD so the output is always valid JSON. Does not recurse.
  std::string to_json_text() const;

 private:
  friend class RecordValue;
  friend class RecordBuilder;
  // Nodes [first, its end) as JSON.
  std::string json_text(std::uint32_t first) const;
  struct Node {
    std::uint32_t key_at = 0, key_size = 0;    // in arena_ (object members)
    std::uint32_t text_at = 0, text_size = 0;  // in arena_ (scalars)
    std::uint32_t end = 0;                     // one past the subtree's last node
    std::uint32_t size = 0;                    // children (containers)
    RecordType type = RecordType::kNull;
  };
  std::vector<Node> nodes_;
  std::string arena_;
};

// Builds one Record, value by value, depth-first:
//   RecordBuilder b;
//   b.begin_object().key("Amount").number("12.50").key("Lines").begin_array()
//    .string("x").end().end();
//   Record r = b.finish();
// Inside an object each value is preceded by key(); inside an array it is
// not. Misuse (a value without its key in an object, key() outside an
// object, end() with nothing open, finish() before the top value is closed,
// number() with text that is not a JSON number) is a programming error and
// throws std::logic_error. A record is limited to 4 GiB of text and 2^32
// nodes (std::length_error past them).
class RecordBuilder {
 public:
  RecordBuilder() = default;
  // Capacity hints for the record being built.
  void reserve(std::size_t nodes, std::size_t text_bytes);

  RecordBuilder& begin_object();
  RecordBuilder& begin_array();
  RecordBuilder& key(std::string_view name);
  RecordBuilder& string(std::string_view text);
  // `text` must be a JSON number ("-12.50", "1E-2", "0"); kept as written.
  RecordBuilder& number(std::string_view text);
  RecordBuilder& boolean(bool value);
  RecordBuilder& null();
  // Closes the innermost open object or array.
  RecordBuilder& end();

  // Containers open now (0 at the top level).
  std::size_t depth() const { return open_.size(); }
  // Members of the innermost open container so far (0 when none is open).
  std::size_t open_size() const;

  // The finished record; the builder is then empty and may build another.
  Record finish();
  // Drops what was built so far (a record abandoned half-way, on an error).
  void clear();

 private:
  void add(RecordType type, std::string_view text);
  std::uint32_t append(std::string_view text);

  Record record_;
  std::vector<std::uint32_t> open_;  // indexes of open containers
  bool have_key_ = false;
  std::uint32_t key_at_ = 0, key_size_ = 0;
  bool complete_ = false;  // the top value is closed
};

}  // namespace arsync
