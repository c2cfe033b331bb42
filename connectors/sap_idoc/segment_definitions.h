// Segment definitions: the field layouts that split a flat-file IDoc's SDATA
// into named fields.
//
// IDoc-XML names every field; a flat file does not. Its data records carry
// 1000 characters of SDATA whose fields sit at fixed offsets given by SAP's
// segment definition (transaction WE60). arsync reads those layouts from data
// files, one per basic type: <dir>/<IDOCTYP>.json, an object mapping each
// segment type to its fields in order, each [name, length]:
//   {"E1EDK01": [["ACTION",3],["KZABS",1],["CURCY",3], ...]}
// or, to place the segment in the IDoc's hierarchy, an object with its
// parent segment type (a list when it occurs under several; the basic type's
// name or no "parent" for the top level) and its fields:
//   {"E1EDP19": {"parent": "E1EDP01", "fields": [["QUALF",3],["IDTNR",35]]}}
// The hierarchy and the field names are the schema mapping files are checked
// against (schema()): a site's extension segments are declared the same way.
// Comments (// and /* */) are allowed; keys starting with "_" are ignored.
//
// Thread safety: immutable after loading; may be read from any thread.
#pragma once

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/model/record_schema.h"
#include "arsync/model/status.h"

namespace arsync::connectors::sap_idoc {

// A field of a fixed record, by length only (offsets follow from the order).
struct FixedField {
  const char* name;
  std::size_t length;  // characters
};

// The EDI_DC40 control record that starts each IDoc in a flat file, SAP
// release 4.0 and later: 524 characters, these fields in this order.
inline constexpr FixedField kControlRecordFields[] = {
    {"TABNAM", 10}, {"MANDT", 3},   {"DOCNUM", 16}, {"DOCREL", 4},  {"STATUS", 2},
    {"DIRECT", 1},  {"OUTMOD", 1},  {"EXPRSS", 1},  {"TEST", 1},    {"IDOCTYP", 30},
    {"CIMTYP", 30}, {"MESTYP", 30}, {"MESCOD", 3},  {"MESFCT", 3},  {"STD", 1},
    {"STDVRS", 6},  {"STDMES", 6},  {"SNDPOR", 10}, {"SNDPRT", 2},  {"SNDPFC", 2},
    {"SNDPRN", 10}, {"SNDSAD", 21}, {"SNDLAD", 70}, {"RCVPOR", 10}, {"RCVPRT", 2},
    {"RCVPFC", 2},  {"RCVPRN", 10}, {"RCVSAD", 21}, {"RCVLAD", 70}, {"CREDAT", 8},
    {"CRETIM", 6},  {"REFINT", 14}, {"REFGRP", 14}, {"REFMES", 14}, {"ARCKEY", 70},
    {"SERIAL", 20},
};

// Where a control record field lies, in characters from the record's start.
struct FieldPlace {
  std::size_t offset;
  std::size_t length;
  constexpr std::size_t end() const { return offset + length; }
};

// The place of control record field `name`, from kControlRecordFields.
// Used in constant expressions, where an unknown name does not compile.
constexpr FieldPlace control_field(std::string_view name) {
  std::size_t offset = 0;
  for (const FixedField& f : kControlRecordFields) {
    if (name == f.name) return {offset, f.length};
    offset += f.length;
  }
  throw std::invalid_argument("no such control record field");
}

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

  // Every basic type as an entity of the record schema: its segments nested
  // under their parents with their fields, and the EDI_DC40 control record.
  // Segment definition names (E2EDK01005) are told apart from the type
  // names records carry (E1EDK01).
  RecordSchema schema() const;

  // kParseError naming the file and segment when a segment's parent is not
  // defined in its basic type. load_directory() checks this once all files
  // are read; call it after add() when building in memory.
  Status check_parents() const;

 private:
  std::map<std::string, std::map<std::string, SegmentLayout, std::less<>>, std::less<>> types_;
  // Basic type -> segment -> its parents ("" for the top level).
  std::map<std::string, std::map<std::string, std::vector<std::string>>, std::less<>> parents_;
  std::string dir_;
};

}  // namespace arsync::connectors::sap_idoc
