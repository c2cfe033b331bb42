#include "schema_check.h"

#include <algorithm>

namespace arsync::mapping {
namespace {

using Step = Path::Step;

std::vector<std::string> names_below(const SchemaNode& node) {
  std::vector<std::string> out(node.fields.begin(), node.fields.end());
  for (const auto& [name, child] : node.children) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

struct Checker {
  const NamesToCheck& names;
  const RecordSchema& schema;
  std::vector<Status> errors;

  void fail(const std::string& mapping_path, const std::string& field, const std::string& message) {
    Location where;
    where.file = names.file;
    where.mapping_path = mapping_path;
    where.field = field;
    errors.emplace_back(ErrorCode::kMappingError, message, where);
  }

  // Walks `use` from `start` (named `start_name` in messages). Returns the
  // node the path ends at, or nullptr when it ends at a field, at an open
  // node or at an error (reported).
  const SchemaNode* walk(const CompileContext::PathUse& use, const SchemaNode& start,
                         const std::string& start_name) {
    const SchemaNode* node = &start;
    std::string where = start_name;
    const std::vector<Step>& steps = use.path.steps();
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Step& step = steps[i];
      if (node->open) return nullptr;
      if (auto child = node->children.find(step.name); child != node->children.end()) {
        const SchemaNode& seg = child->second;
        if (step.filter == Step::Filter::kMatch && !seg.open && !seg.fields.contains(step.field)) {
          std::vector<std::string> fields(seg.fields.begin(), seg.fields.end());
          fail(use.mapping_path, use.path.text(),
               "path '" + use.path.text() + "': " + step.name + " has no field '" + step.field +
                   "' to filter on" + nearby_names(step.field, fields));
          return nullptr;
        }
        node = &seg;
        where = step.name;
        continue;
      }
      if (node->fields.contains(step.name)) {
        if (i + 1 < steps.size()) {
          fail(use.mapping_path, use.path.text(),
               "path '" + use.path.text() + "': " + step.name + " is a field of " + where +
                   ", not a segment: nothing lies below it");
        }
        return nullptr;
      }
      if (schema.spelled_in_records) {
        if (std::optional<std::string> as = schema.spelled_in_records(step.name);
            as && node->children.contains(*as)) {
          fail(use.mapping_path, use.path.text(),
               "path '" + use.path.text() + "': " + step.name +
                   " is the name of a segment definition (type and version); records carry the "
                   "segment type: write " + *as);
          return nullptr;
        }
      }
      fail(use.mapping_path, use.path.text(),
           "path '" + use.path.text() + "': " + where + " has no segment or field '" + step.name +
               "'" + nearby_names(step.name, names_below(*node)) +
               (schema.source.empty() ? "" : "; names come from " + schema.source));
      return nullptr;
    }
    return node;
  }
};

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Rows i-2, i-1 and i of the distance matrix.
  std::vector<std::size_t> before(b.size() + 1), prev(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      row[j] = std::min({prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      // Two neighbours swapped (SUMDI for SUMID) is one slip of the fingers.
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    std::swap(before, prev);
    std::swap(prev, row);
  }
  return prev[b.size()];
}

std::string nearby_names(std::string_view name, const std::vector<std::string>& known) {
  // Within a third of the name's length: E1EDS1 -> E1EDS01, not E1EDK01.
  const std::size_t limit = std::max<std::size_t>(1, name.size() / 3);
  std::size_t best = limit + 1;
  std::vector<std::string> nearest;
  for (const std::string& k : known) {
    const std::size_t d = edit_distance(name, k);
    if (d > limit || d > best) continue;
    if (d < best) nearest.clear();
    best = d;
    nearest.push_back(k);
  }
  if (!nearest.empty()) {
    std::string out = " (did you mean ";
    for (std::size_t i = 0; i < nearest.size(); ++i) {
      if (i > 0) out += i + 1 == nearest.size() ? " or " : ", ";
      out += nearest[i];
    }
    return out + "?)";
  }
  if (known.empty()) return "";
  constexpr std::size_t kListed = 12;
  std::string out = " (known here: ";
  for (std::size_t i = 0; i < known.size() && i < kListed; ++i) {
    if (i > 0) out += ", ";
    out += known[i];
  }
  if (known.size() > kListed) out += ", ...";
  return out + ")";
}

std::vector<Status> check_names(const NamesToCheck& names, const RecordSchema& schema) {
  Checker c{names, schema, {}};
  std::vector<std::string> known_entities;
  for (const auto& [name, node] : schema.entities) known_entities.push_back(name);
  std::vector<std::pair<std::string, const SchemaNode*>> roots;
  for (std::size_t i = 0; i < names.entities->size(); ++i) {
    const std::string& entity = (*names.entities)[i];
    auto it = schema.entities.find(entity);
    if (it == schema.entities.end()) {
      c.fail("entities[" + std::to_string(i) + "]", "",
             "connector type " + names.connector + " delivers no record type '" + entity + "'" +
                 nearby_names(entity, known_entities) +
                 (schema.source.empty() ? "" : "; record types come from " + schema.source));
      continue;
    }
    roots.emplace_back(entity, &it->second);
  }
  for (const auto& [entity, root] : roots) {
    const SchemaNode* each = nullptr;
    bool each_known = names.each == nullptr;  // relative paths are checked under "each"
    if (names.each) {
      each = c.walk(*names.each, *root, entity);
      each_known = each != nullptr;
    }
    for (const CompileContext::PathUse& use : *names.paths) {
      if (!use.in_each) {
        c.walk(use, *root, entity);
      } else if (each_known && each) {
        c.walk(use, *each, names.each->path.steps().back().name);
      }
    }
  }
  // The same typo found under two entities is one error.
  std::vector<Status> out;
  for (Status& st : c.errors) {
    bool seen = false;
    for (const Status& o : out) seen = seen || o.to_string() == st.to_string();
    if (!seen) out.push_back(std::move(st));
  }
  return out;
}

}  // namespace arsync::mapping
