// Record schemas: the record types a connector delivers and the names inside
// them, published by the connector type so that a mapping file can be
// checked against them before any record arrives (`arsync mapping check` and
// at daemon start). A misspelled segment or entity in a mapping would
// otherwise match nothing and lose data without an error.
//
// A record is a tree: an entity (INVOIC02, Invoice) is a node whose members
// are fields (text leaves) and child nodes (IDoc segments, nested JSON
// objects or arrays of them). A node marked `open` accepts any name below it
// (a payload's custom fields); everything else must be declared.
//
// Thread safety: plain values; immutable once built, readable from any thread.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace arsync {

struct SchemaNode {
  std::set<std::string, std::less<>> fields;
  std::map<std::string, SchemaNode, std::less<>> children;
  bool open = false;  // any name is accepted below this node
};

struct RecordSchema {
  // Entity name -> its root node.
  std::map<std::string, SchemaNode, std::less<>> entities;
  // Optional: for a name that records never carry but that means a known one
  // (SAP's segment definition E2EDK01005 is delivered as segment E1EDK01),
  // the name the mapping must write; std::nullopt for any other name.
  std::function<std::optional<std::string>(std::string_view)> spelled_in_records;
  // Where the schema comes from, for messages ("segment files in
  // /etc/arsync/mappings/sap_idoc/segments").
  std::string source;
};

}  // namespace arsync
