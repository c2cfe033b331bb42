#include <algorithm>
#include <bit>
#include <cstring>

#include "arsync/model/field_selection.h"

namespace arsync {
namespace {

// The name's first 8 bytes as an integer, zero padded, byte i in bits 8i.
// Built from fixed-size loads: a memcpy of a variable length into the
// integer made every call wait for the bytes to be stored and read back.
std::uint64_t head_of(std::string_view name) {
  static_assert(std::endian::native == std::endian::little, "the loads below assume it");
  const char* p = name.data();
  const std::size_t n = name.size();
  std::uint64_t head = 0;
  if (n >= 8) {
    std::memcpy(&head, p, 8);
  } else if (n >= 4) {  // bytes 0-3 and n-4..n-1 (overlapping: the same bytes twice)
    std::uint32_t low = 0, high = 0;
    std::memcpy(&low, p, 4);
    std::memcpy(&high, p + n - 4, 4);
    head = low | (static_cast<std::uint64_t>(high) << (8 * (n - 4)));
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      head |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    }
  }
  return head;
}

}  // namespace

const FieldSelection* FieldSelection::member(std::string_view name) const {
  if (everything_) return this;
  // A scan: selections are small (an IDoc segment's fields), and the length
  // and first 8 bytes settle almost every compare without a memcmp.
  const std::uint64_t head = head_of(name);
  for (const Member& m : members_) {
    if (m.head == head && m.name.size() == name.size() &&
        (name.size() <= sizeof head ||
         std::memcmp(m.name.data() + sizeof head, name.data() + sizeof head,
                     name.size() - sizeof head) == 0)) {
      return m.selection.get();
    }
  }
  return nullptr;
}

FieldSelection& FieldSelection::add(std::string_view name) {
  auto it = std::lower_bound(members_.begin(), members_.end(), name,
                             [](const Member& m, std::string_view n) { return m.name < n; });
  if (it == members_.end() || it->name != name) {
    it = members_.insert(it, Member{std::string(name), head_of(name),
                                    std::make_unique<FieldSelection>()});
  }
  return *it->selection;
}

void FieldSelection::merge(const FieldSelection& other) {
  if (other.everything_) everything_ = true;
  for (const Member& m : other.members_) add(m.name).merge(*m.selection);
}

std::string FieldSelection::to_string() const {
  if (everything_) return "*";
  std::string out = "{";
  for (const Member& m : members_) {
    if (out.size() > 1) out += ", ";
    out += m.name;
    if (m.selection->everything_) continue;  // the whole member
    out += ": " + m.selection->to_string();
  }
  return out + "}";
}

namespace {

void copy_cut(RecordValue v, const FieldSelection& selection, RecordBuilder& out) {
  switch (v.type()) {
    case RecordType::kObject:
      out.begin_object();
      for (RecordValue member : v) {
        const FieldSelection* s = selection.everything() ? &selection : selection.member(member.key());
        if (s == nullptr) continue;
        out.key(member.key());
        copy_cut(member, *s, out);
      }
      out.end();
      return;
    case RecordType::kArray:
      out.begin_array();
      for (RecordValue element : v) copy_cut(element, selection, out);
      out.end();
      return;
    case RecordType::kString: out.string(v.text()); return;
    case RecordType::kNumber: out.number(v.text()); return;
    case RecordType::kBoolean: out.boolean(v.text() == "true"); return;
    case RecordType::kNull: out.null(); return;
  }
}

}  // namespace

Record cut_to_selection(const Record& record, const FieldSelection& selection) {
  if (record.empty()) return Record();
  RecordBuilder out;
  copy_cut(record.root(), selection, out);
  return out.finish();
}

}  // namespace arsync
