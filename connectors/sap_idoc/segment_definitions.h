// Segment definitions: the field layouts that split a flat-file IDoc's SDATA
// into named fields.
//
// IDoc-XML names every field; a flat file does not. Its data records carry
// 1000 characters of SDATA whose fields sit at fixed offsets given by SAP's
// segment definition (transaction WE60). arsync reads those layouts from data
// files, one per basic type: <dir>/<IDOCTYP>.json, an object mapping each
// segment type to its fields in order, each [name, length]:
//   {"E1EDK01": [["ACTION",3],["KZABS",1],["CURCY",3], ...]}
// Comments (// and /* */) are allowed; keys starting with "_" are ignored.
//
// Thread safety: immutable after loading; may be read from any thread.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/model/status.h"

namespace arsync::connectors::sap_idoc {

struct FieldDef {
  std::string name;
  std::size_t offset = 0;  // characters from the start of SDATA
  std::size_t length = 0;  // characters
};

using SegmentLayout = std::vector<FieldDef>;

class SegmentDefinitions {
 public:
  // Loads every *.json file in `dir` (the file name without extension is the
  // basic type). A missing folder gives empty definitions (flat IDocs then
  // fail one by one, naming the folder); a malformed file is kParseError
  // naming the file and segment.
  static Result<SegmentDefinitions> load_directory(const std::string& dir);

  // Adds the layouts of one basic type from a parsed definition file.
  // `source` names the file for errors. kParseError if malformed.
  Status add(const std::string& idoc_type, const nlohmann::json& doc,
             const std::string& source);

  // The layout of `segment` in `idoc_type`, or nullptr if not defined.
  const SegmentLayout* find(std::string_view idoc_type, std::string_view segment) const;

  // Folder the definitions came from ("" when built in memory).
  const std::string& directory() const { return dir_; }

 private:
  std::map<std::string, std::map<std::string, SegmentLayout, std::less<>>, std::less<>> types_;
  std::string dir_;
};

}  // namespace arsync::connectors::sap_idoc
