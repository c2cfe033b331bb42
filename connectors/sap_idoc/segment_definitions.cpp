#include "segment_definitions.h"

#include <filesystem>
#include <fstream>
#include <sstream>

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
  for (const auto& [segment, fields] : doc.items()) {
    if (!segment.empty() && segment[0] == '_') continue;
    Location where = Location::in_file(source);
    where.segment = segment;
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
