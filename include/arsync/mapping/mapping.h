// Mapping files: turn a connector's raw record (a Record) into a canonical Document
// without recompiling.
//
// A mapping file is JSON with comments, one per connector type and source
// record type (see README "Mapping language" and mappings/). Paths address
// fields with qualifier filters: `E1EDK02[QUALF=009].BELNR`,
// `E1EDS01[SUMID=011].SUMME`, `E1EDP01[*]`,
// `Line[*].LinkedTxn[TxnType=Invoice].TxnId`; transforms are a short named
// list (trim, strip_leading_zeros, upper, date formats, decimal/sign
// conventions, lookup tables, default, concat, regex extract).
//
// Errors say where: kMappingError with Location{file = mapping file,
// mapping_path = path inside it ("fields.amount"), field = record field path
// ("E1EDS01[SUMID=011].SUMME"), record = external id}.
//
// Thread safety: a compiled Mapping is immutable; apply() may run on several
// threads at once.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/model/document.h"
#include "arsync/model/field_selection.h"
#include "arsync/model/record_schema.h"
#include "arsync/model/status.h"
#include "arsync/record.h"

namespace arsync::mapping {

// What the mapping is told about the record besides its data.
struct RecordMeta {
  std::string system;       // connector instance name
  std::string entity;       // source record type
  std::string external_id;
  std::string version;
  std::string source;       // file name or URL, for error locations
};

class CompiledMapping;  // defined in daemon/mapping

class Mapping {
 public:
  // Compiles mapping text. `file_name` is used in error locations. Errors:
  // kMappingError naming the file, mapping path and what is wrong (unknown
  // transform, bad path syntax, missing required field, bad regex, ...).
  static Result<Mapping> compile(std::string_view text, const std::string& file_name);
  // Reads and compiles a file (kIoError if unreadable).
  static Result<Mapping> load(const std::string& path);

  const std::string& file() const;
  const std::string& connector_type() const;  // "sap_idoc"
  const std::vector<std::string>& entities() const;  // source record types it maps

  // The reason the mapping's "skip" rules give for not mapping `record`
  // (a pro-forma bill is no receivable), or nullptr when it is to be mapped.
  // Callers ask before apply() and count a skipped record instead of
  // quarantining it. The pointer lives as long as the Mapping.
  const std::string* skip_reason(const Record& record) const;

  // Maps one record. On success the Document has system/external_id/version
  // from `meta` and every mapped field; on failure kMappingError (see above).
  Result<Document> apply(const Record& record, const RecordMeta& meta) const;

  // Every part of a record that apply() reads. apply() gives the same result
  // for a record cut down to this selection as for the whole record.
  const FieldSelection& fields_read() const;

  // Checks every entity, path step and filter field of the mapping against
  // the connector's schema. Returns one kMappingError per unknown name
  // (empty when all are known), each with Location{file, mapping_path,
  // field = the record path} and a message naming the known names nearest
  // to it ("did you mean E1EDS01?").
  std::vector<Status> check(const RecordSchema& schema) const;

 private:
  std::shared_ptr<const CompiledMapping> impl_;
};

// All mapping files of one connector type, by the entity they map.
class MappingSet {
 public:
  // Loads every *.json file in `dir`. Fails on the first file that does not
  // compile, that names an entity, segment or field `schema` does not know
  // (when a schema is given), or when two files claim the same entity.
  static Result<MappingSet> load_dir(const std::string& dir, const RecordSchema* schema = nullptr);
  void add(Mapping m);
  // nullptr when no mapping handles `entity`.
  const Mapping* find(const std::string& entity) const;
  // What the mapping for `entity` reads; nullptr when none handles it.
  const FieldSelection* fields_read(const std::string& entity) const;
  std::vector<std::string> files() const;

 private:
  std::vector<Mapping> mappings_;
  std::map<std::string, std::size_t> by_entity_;
};

}  // namespace arsync::mapping
