#include "segment_definitions.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "idoc_reader.h"

namespace arsync::connectors::sap_idoc {

namespace fs = std::filesystem;

// SAP limits SDATA to 1000 characters.
constexpr std::size_t kMaxSdata = 1000;

Result<SegmentDefinitions> SegmentDefinitions::load_directory(const std::string& dir) {
  SegmentDefinitions defs;
  defs.dir_ = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return defs;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) {
    return Status(ErrorCode::kIoError, "cannot list segment definitions: " + ec.message(),
                  Location::in_file(dir));
  }
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      return Status(ErrorCode::kIoError, "cannot read segment definitions",
                    Location::in_file(file.string()));
    }
    nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false,
                                               /*ignore_comments=*/true);
    if (doc.is_discarded()) {
      return Status(ErrorCode::kParseError, "segment definition file is not valid JSON",
                    Location::in_file(file.string()));
    }
    ARSYNC_RETURN_IF_ERROR(defs.add(file.stem().string(), doc, file.string()));
  }
  ARSYNC_RETURN_IF_ERROR(defs.check_parents());
  return defs;
}

Status SegmentDefinitions::add(const std::string& idoc_type, const nlohmann::json& doc,
                               const std::string& source) {
  if (!doc.is_object()) {
    return Status(ErrorCode::kParseError,
                  "segment definitions must be an object of segment types",
                  Location::in_file(source));
  }
  auto& segments = types_[idoc_type];
  for (const auto& [segment, spec] : doc.items()) {
    if (!segment.empty() && segment[0] == '_') continue;
    Location where = Location::in_file(source);
    where.segment = segment;
    std::vector<std::string> parents;
    const nlohmann::json* field_list = &spec;
    // An object without either key is an old-style layout gone wrong: the
    // error below says what a layout is.
    if (spec.is_object() && (spec.contains("fields") || spec.contains("parent"))) {
      for (const auto& [key, value] : spec.items()) {
        if (key != "parent" && key != "fields") {
          return Status(ErrorCode::kParseError,
                        "unknown key '" + key + "' in a segment (allowed: parent, fields)", where);
        }
      }
      if (!spec.contains("fields")) {
        return Status(ErrorCode::kParseError,
                      "a segment object needs \"fields\": an array of [name, length]", where);
      }
      field_list = &spec["fields"];
      if (spec.contains("parent")) {
        const nlohmann::json& parent = spec["parent"];
        if (parent.is_string()) {
          parents.push_back(parent.get<std::string>());
        } else if (parent.is_array()) {
          for (const auto& p : parent) {
            if (!p.is_string()) {
              return Status(ErrorCode::kParseError,
                            "\"parent\" must be a segment type or a list of them", where);
            }
            parents.push_back(p.get<std::string>());
          }
        } else {
          return Status(ErrorCode::kParseError,
                        "\"parent\" must be a segment type or a list of them", where);
        }
      }
    }
    // No parent, or the basic type itself: a segment at the top level.
    for (std::string& p : parents) {
      if (p == idoc_type) p.clear();
    }
    if (parents.empty()) parents.emplace_back();
    const nlohmann::json& fields = *field_list;
    if (!fields.is_array()) {
      return Status(ErrorCode::kParseError, "a segment's fields must be an array of [name, length]",
                    where);
    }
    SegmentLayout layout;
    std::size_t offset = 0;
    for (const auto& field : fields) {
      if (!field.is_array() || field.size() != 2 || !field[0].is_string() ||
          !field[1].is_number_unsigned() || field[1].get<std::size_t>() == 0) {
        return Status(ErrorCode::kParseError,
                      "each field must be [name, length] with a positive length, got " +
                          field.dump(),
                      where);
      }
      std::size_t length = field[1].get<std::size_t>();
      const std::string& name = field[0].get_ref<const std::string&>();
      for (const FieldDef& earlier : layout) {
        if (earlier.name == name) {
          return Status(ErrorCode::kParseError, "field " + name + " is defined twice", where);
        }
      }
      layout.push_back(FieldDef{name, offset, length});
      offset += length;
    }
    if (offset > kMaxSdata) {
      return Status(ErrorCode::kParseError,
                    "fields add up to " + std::to_string(offset) +
                        " characters, more than SDATA's 1000",
                    where);
    }
    segments[segment] = std::move(layout);
    parents_[idoc_type][segment] = std::move(parents);
  }
  return Status::ok();
}

RecordSchema SegmentDefinitions::schema() const {
  RecordSchema out;
  out.source = dir_.empty() ? std::string("built-in segment definitions")
                            : "segment files in " + dir_;
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in the lambda below.
  for (const auto& type : types_) {
    const std::string& idoc_type = type.first;
    const auto& segments = type.second;
    SchemaNode& root = out.entities[idoc_type];
    SchemaNode& control = root.children["EDI_DC40"];
    for (const FixedField& f : kControlRecordFields) control.fields.insert(f.name);
    auto found = parents_.find(idoc_type);
    if (found == parents_.end()) continue;
    const auto& parents = found->second;
    // A segment's node, built under each of its parents, its parents first.
    // `depth` stops a parent cycle in a hand-written file.
    std::function<void(SchemaNode&, const std::string&, int)> build =
        [&](SchemaNode& node, const std::string& segment, int depth) {
          for (const FieldDef& f : segments.at(segment)) node.fields.insert(f.name);
          if (depth > 32) return;
          for (const auto& [child, its_parents] : parents) {
            for (const std::string& p : its_parents) {
              if (p == segment) build(node.children[child], child, depth + 1);
            }
          }
        };
    for (const auto& [segment, its_parents] : parents) {
      for (const std::string& p : its_parents) {
        if (p.empty()) build(root.children[segment], segment, 0);
      }
    }
  }
  out.spelled_in_records = [](std::string_view name) -> std::optional<std::string> {
    if (!is_definition_name(name)) return std::nullopt;
    return segment_type_name(name);
  };
  return out;
}

Status SegmentDefinitions::check_parents() const {
  for (const auto& [idoc_type, segments] : parents_) {
    for (const auto& [segment, its_parents] : segments) {
      for (const std::string& p : its_parents) {
        if (!p.empty() && find(idoc_type, p) == nullptr) {
          Location where = Location::in_file(dir_ + "/" + idoc_type + ".json");
          where.segment = segment;
          return Status(ErrorCode::kParseError,
                        "parent segment " + p + " is not defined in " + idoc_type +
                            " (define it, or write the basic type " + idoc_type +
                            " for a segment at the top level)",
                        where);
        }
      }
    }
  }
  return Status::ok();
}

const SegmentLayout* SegmentDefinitions::find(std::string_view idoc_type,
                                              std::string_view segment) const {
  auto type = types_.find(idoc_type);
  if (type == types_.end()) return nullptr;
  auto it = type->second.find(segment);
  return it == type->second.end() ? nullptr : &it->second;
}

}  // namespace arsync::connectors::sap_idoc
