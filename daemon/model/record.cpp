#include "arsync/record.h"

#include <limits>
#include <stdexcept>

#include "arsync/model/utf8.h"

namespace arsync {
namespace {

[[noreturn]] void misuse(const char* what) {
  throw std::logic_error(std::string("RecordBuilder: ") + what);
}

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view t) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

void append_quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

}  // namespace

// --- RecordValue ------------------------------------------------------------

RecordType RecordValue::type() const {
  return record_ ? record_->nodes_[index_].type : RecordType::kNull;
}

std::string_view RecordValue::text() const {
  if (!record_) return {};
  const Record::Node& n = record_->nodes_[index_];
  return std::string_view(record_->arena_).substr(n.text_at, n.text_size);
}

std::string_view RecordValue::key() const {
  if (!record_) return {};
  const Record::Node& n = record_->nodes_[index_];
  return std::string_view(record_->arena_).substr(n.key_at, n.key_size);
}

std::size_t RecordValue::size() const {
  if (!record_) return 0;
  const Record::Node& n = record_->nodes_[index_];
  return n.type == RecordType::kObject || n.type == RecordType::kArray ? n.size : 0;
}

RecordValue RecordValue::find(std::string_view key) const {
  if (!is_object()) return {};
  const std::vector<Record::Node>& nodes = record_->nodes_;
  const char* arena = record_->arena_.data();
  const std::uint32_t stop = nodes[index_].end;
  for (std::uint32_t i = index_ + 1; i < stop; i = nodes[i].end) {
    const Record::Node& n = nodes[i];
    if (n.key_size == key.size() && std::string_view(arena + n.key_at, n.key_size) == key) {
      return RecordValue(record_, i);
    }
  }
  return {};
}

RecordValue RecordValue::at(std::size_t index) const {
  if (index >= size()) return {};
  auto it = begin();
  for (std::size_t k = 0; k < index; ++k) ++it;
  return *it;
}

RecordValue::Iterator& RecordValue::Iterator::operator++() {
  index_ = record_->nodes_[index_].end;
  return *this;
}

RecordValue::Iterator RecordValue::begin() const {
  if (size() == 0) return end();
  return Iterator(record_, index_ + 1);
}

RecordValue::Iterator RecordValue::end() const {
  if (!record_) return Iterator();
  const RecordType t = type();
  if (t != RecordType::kObject && t != RecordType::kArray) return Iterator(record_, index_ + 1);
  return Iterator(record_, record_->nodes_[index_].end);
}

// --- Record -----------------------------------------------------------------

std::string RecordValue::to_json_text() const {
  return record_ ? record_->json_text(index_) : "null";
}

std::string Record::to_json_text() const {
  return nodes_.empty() ? "null" : json_text(0);
}

std::string Record::json_text(std::uint32_t first) const {
  std::string out;
  out.reserve(arena_.size() + nodes_.size() * 4);
  const std::string_view arena(arena_);
  // Open containers: their end index, and whether a child was written.
  struct Open {
    std::uint32_t end;
    bool object;
    bool any;
  };
  std::vector<Open> open;
  for (std::uint32_t i = first; i < nodes_[first].end; ++i) {
    while (!open.empty() && open.back().end <= i) {
      out += open.back().object ? '}' : ']';
      open.pop_back();
    }
    const Node& n = nodes_[i];
    if (!open.empty()) {
      if (open.back().any) out += ',';
      open.back().any = true;
      if (open.back().object) {
        append_quoted(out, arena.substr(n.key_at, n.key_size));
        out += ':';
      }
    }
    switch (n.type) {
      case RecordType::kObject:
      case RecordType::kArray:
        out += n.type == RecordType::kObject ? '{' : '[';
        open.push_back(Open{n.end, n.type == RecordType::kObject, false});
        break;
      case RecordType::kString:
        append_quoted(out, arena.substr(n.text_at, n.text_size));
        break;
      case RecordType::kNumber:
      case RecordType::kBoolean:
      case RecordType::kNull:
        out.append(arena.substr(n.text_at, n.text_size));
        break;
    }
  }
  while (!open.empty()) {
    out += open.back().object ? '}' : ']';
    open.pop_back();
  }
  return out;
}

// --- RecordBuilder ----------------------------------------------------------

void RecordBuilder::reserve(std::size_t nodes, std::size_t text_bytes) {
  record_.nodes_.reserve(nodes);
  record_.arena_.reserve(text_bytes);
}

std::uint32_t RecordBuilder::append(std::string_view text) {
  const std::size_t at = record_.arena_.size();
  if (text.size() > std::numeric_limits<std::uint32_t>::max() - at) {
    throw std::length_error("Record: more than 4 GiB of text");
  }
  record_.arena_.append(text);
  return static_cast<std::uint32_t>(at);
}

void RecordBuilder::add(RecordType type, std::string_view text) {
  if (complete_) misuse("a value after the top value was closed");
  std::vector<Record::Node>& nodes = record_.nodes_;
  if (nodes.size() >= std::numeric_limits<std::uint32_t>::max() - 1) {
    throw std::length_error("Record: more than 2^32 values");
  }
  Record::Node n;
  n.type = type;
  if (!open_.empty()) {
    Record::Node& parent = nodes[open_.back()];
    if (parent.type == RecordType::kObject) {
      if (!have_key_) misuse("a value in an object without key()");
      n.key_at = key_at_;
      n.key_size = key_size_;
      have_key_ = false;
    }
    ++parent.size;
  }
  if (type != RecordType::kObject && type != RecordType::kArray) {
    n.text_size = static_cast<std::uint32_t>(text.size());
    n.text_at = append(text);
  }
  const auto index = static_cast<std::uint32_t>(nodes.size());
  n.end = index + 1;
  nodes.push_back(n);
  if (type == RecordType::kObject || type == RecordType::kArray) {
    open_.push_back(index);
  } else if (open_.empty()) {
    complete_ = true;
  }
}

RecordBuilder& RecordBuilder::begin_object() {
  add(RecordType::kObject, {});
  return *this;
}

RecordBuilder& RecordBuilder::begin_array() {
  add(RecordType::kArray, {});
  return *this;
}

RecordBuilder& RecordBuilder::key(std::string_view name) {
  if (open_.empty() || record_.nodes_[open_.back()].type != RecordType::kObject) {
    misuse("key() outside an object");
  }
  if (have_key_) misuse("key() twice without a value");
  key_size_ = static_cast<std::uint32_t>(name.size());
  key_at_ = append(name);
  have_key_ = true;
  return *this;
}

RecordBuilder& RecordBuilder::string(std::string_view text) {
  add(RecordType::kString, text);
  return *this;
}

RecordBuilder& RecordBuilder::number(std::string_view text) {
  if (!is_json_number(text)) misuse("number() with text that is not a JSON number");
  add(RecordType::kNumber, text);
  return *this;
}

RecordBuilder& RecordBuilder::boolean(bool value) {
  add(RecordType::kBoolean, value ? "true" : "false");
  return *this;
}

RecordBuilder& RecordBuilder::null() {
  add(RecordType::kNull, "null");
  return *this;
}

RecordBuilder& RecordBuilder::end() {
  if (open_.empty()) misuse("end() with no object or array open");
  if (have_key_) misuse("end() after key() without its value");
  std::vector<Record::Node>& nodes = record_.nodes_;
  nodes[open_.back()].end = static_cast<std::uint32_t>(nodes.size());
  open_.pop_back();
  if (open_.empty()) complete_ = true;
  return *this;
}

std::size_t RecordBuilder::open_size() const {
  return open_.empty() ? 0 : record_.nodes_[open_.back()].size;
}

Record RecordBuilder::finish() {
  if (!complete_) misuse("finish() before the top value is complete");
  Record out = std::move(record_);
  clear();
  return out;
}

void RecordBuilder::clear() {
  record_.nodes_.clear();
  record_.arena_.clear();
  open_.clear();
  have_key_ = false;
  complete_ = false;
}

}  // namespace arsync
