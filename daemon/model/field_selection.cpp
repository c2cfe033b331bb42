#include <algorithm>

#include "arsync/model/field_selection.h"

namespace arsync {
namespace {

bool name_less(const std::pair<std::string, std::unique_ptr<FieldSelection>>& m,
               std::string_view name) {
  return m.first < name;
}

}  // namespace

const FieldSelection* FieldSelection::member(std::string_view name) const {
  if (everything_) return this;
  if (members_.size() <= 8) {  // the usual size: a scan that compares lengths first
    for (const auto& [member_name, selection] : members_) {
      if (member_name.size() == name.size() && member_name == name) return selection.get();
    }
    return nullptr;
  }
  auto it = std::lower_bound(members_.begin(), members_.end(), name, name_less);
  return it != members_.end() && it->first == name ? it->second.get() : nullptr;
}

FieldSelection& FieldSelection::add(std::string_view name) {
  auto it = std::lower_bound(members_.begin(), members_.end(), name, name_less);
  if (it == members_.end() || it->first != name) {
    it = members_.emplace(it, std::string(name), std::make_unique<FieldSelection>());
  }
  return *it->second;
}

void FieldSelection::merge(const FieldSelection& other) {
  if (other.everything_) everything_ = true;
  for (const auto& [name, selection] : other.members_) add(name).merge(*selection);
}

std::string FieldSelection::to_string() const {
  if (everything_) return "*";
  std::string out = "{";
  for (const auto& [name, selection] : members_) {
    if (out.size() > 1) out += ", ";
    out += name;
    if (selection->everything_) continue;  // the whole member
    out += ": " + selection->to_string();
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
