// MappingSet: every mapping file of one connector type, by entity.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "arsync/mapping/mapping.h"

namespace arsync::mapping {

Result<MappingSet> MappingSet::load_dir(const std::string& dir, const RecordSchema* schema) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> paths;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json" && it->is_regular_file()) {
      paths.push_back(it->path().string());
    }
  }
  if (ec) {
    Location where;
    where.file = dir;
    return Status(ErrorCode::kIoError, "cannot read mapping folder: " + ec.message(), where);
  }
  std::sort(paths.begin(), paths.end());  // stable error reports
  MappingSet set;
  for (const std::string& path : paths) {
    Result<Mapping> m = Mapping::load(path);
    if (!m) return m.status();
    if (schema) {
      std::vector<Status> unknown = m->check(*schema);
      if (!unknown.empty()) return unknown.front();
    }
    for (const std::string& entity : m->entities()) {
      if (const Mapping* other = set.find(entity)) {
        Location where;
        where.file = path;
        where.mapping_path = "entities";
        return Status(ErrorCode::kMappingError,
                      "entity '" + entity + "' is already mapped by " + other->file() +
                          " (one file per entity)",
                      where);
      }
    }
    set.add(std::move(*m));
  }
  return set;
}

void MappingSet::add(Mapping m) {
  mappings_.push_back(std::move(m));
  for (const std::string& entity : mappings_.back().entities()) {
    by_entity_[entity] = mappings_.size() - 1;
  }
}

const Mapping* MappingSet::find(const std::string& entity) const {
  auto it = by_entity_.find(entity);
  return it == by_entity_.end() ? nullptr : &mappings_[it->second];
}

const FieldSelection* MappingSet::fields_read(const std::string& entity) const {
  const Mapping* m = find(entity);
  return m ? &m->fields_read() : nullptr;
}

std::vector<std::string> MappingSet::files() const {
  std::vector<std::string> out;
  out.reserve(mappings_.size());
  for (const Mapping& m : mappings_) out.push_back(m.file());
  return out;
}

}  // namespace arsync::mapping
