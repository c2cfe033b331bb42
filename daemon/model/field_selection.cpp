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

nlohmann::json cut_to_selection(const nlohmann::json& record, const FieldSelection& selection) {
  if (selection.everything()) return record;
  if (record.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const nlohmann::json& element : record) out.push_back(cut_to_selection(element, selection));
    return out;
  }
  if (!record.is_object()) return record;
  nlohmann::json out = nlohmann::json::object();
  for (auto it = record.begin(); it != record.end(); ++it) {
    if (const FieldSelection* member = selection.member(it.key())) {
      out[it.key()] = cut_to_selection(it.value(), *member);
    }
  }
  return out;
}

}  // namespace arsync
