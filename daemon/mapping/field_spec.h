// Internal to daemon/mapping: a compiled field spec (where a value comes
// from, and the transforms it goes through) and the transforms themselves.
// They are mutually recursive (concat and add_days read other specs/paths),
// hence one header.
//
// Compile functions return kMappingError with Location{file, mapping_path};
// eval/apply return kMappingError whose Location.field is the record path
// that failed; the caller (mapping.cpp) adds file, mapping path and record.
//
// Thread safety: compiled objects are immutable.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "arsync/mapping/path.h"
#include "arsync/model/status.h"
#include "arsync/record.h"

namespace arsync::mapping {

// Where paths resolve: `here` is the record, or the current element of an
// "each" block; `root` is always the record (for `$.` paths).
struct Scope {
  RecordValue root;
  RecordValue here;
  PathMemo* memo = nullptr;  // first steps looked up under root, for this record
  RecordValue pick(const Path& p) const { return p.absolute() ? root : here; }
  RecordValue first(const Path& p) const { return p.first(pick(p), memo); }
};

// A field's text on its way through the transforms. Empty text counts as
// missing at the end (IDocs omit empty fields; a trimmed blank is nothing).
struct Value {
  bool present = false;
  std::string text;
  bool missing() const { return !present || text.empty(); }
};

// What compile functions need to build errors.
struct CompileContext {
  std::string file;
  Status error(const std::string& mapping_path, const std::string& message) const;
  // Gives `p` the PathMemo slot of its first step: one slot per distinct
  // first step of the mapping.
  void number_first_step(Path& p) const;
  // PathMemo slots numbered so far, by first step.
  mutable std::map<std::string, std::size_t, std::less<>> first_steps;

  // Every record path the mapping reads, with where it is written, for
  // checking its names against the connector's schema (schema_check.cpp).
  struct PathUse {
    std::string mapping_path;  // "fields.amount.path[0]"
    Path path;
    bool in_each = false;      // relative to the "each" element, not the record
  };
  void note_path(const Path& p, const std::string& mapping_path) const {
    paths.push_back(PathUse{mapping_path, p, in_each && !p.absolute()});
  }
  mutable std::vector<PathUse> paths;
  // True while the fields of an "applications" block compile.
  mutable bool in_each = false;
};

class Transform {
 public:
  virtual ~Transform() = default;
  // Rewrites `v`. Errors carry only a message; FieldSpec adds the field.
  virtual Status apply(Value& v, const Scope& scope) const = 0;
  // Adds the record fields the transform itself reads (add_days' days path).
  virtual void select(FieldSelection& root, FieldSelection& here) const {
    (void)root;
    (void)here;
  }

  // Compiles one entry of a "transforms" list: "trim" or {"lookup": {...}}.
  static Result<std::unique_ptr<Transform>> compile(const nlohmann::json& spec,
                                                    const std::string& mapping_path,
                                                    const CompileContext& ctx);
};

class Condition;

class FieldSpec {
 public:
  // Compiles a field spec: a path string, or an object with exactly one of
  // "path" (string or list of alternatives), "value" or "concat", plus
  // optional "transforms", "default", "required", "join" and "when" (a
  // Condition: the field is mapped only when it holds).
  static Result<std::shared_ptr<const FieldSpec>> compile(const nlohmann::json& spec,
                                                          const std::string& mapping_path,
                                                          const CompileContext& ctx);

  // Evaluates the spec in `scope` into `out` (source, transforms, default).
  // Errors: kMappingError with Location.field = describe().
  Status eval(const Scope& scope, Value& out) const;

  // Adds every record field the spec reads (its paths, concat parts and
  // transforms) to the selections of the record (`root`, for `$.` paths)
  // and of the node it is evaluated on (`here`).
  void select(FieldSelection& root, FieldSelection& here) const;

  // The record path(s) this spec reads, for error locations:
  // "E1EDK01.CURCY", "E1EDKA1[PARVW=RG].PARTN | E1EDKA1[PARVW=AG].PARTN".
  const std::string& describe() const { return describe_; }
  // "required" as written in the file, if it was.
  std::optional<bool> required() const { return required_; }

 private:
  enum class Source { kPath, kValue, kConcat };
  Status read_source(const Scope& scope, Value& out) const;

  Source source_ = Source::kPath;
  std::vector<Path> paths_;   // kPath: alternatives, first found wins
  std::string join_;          // kPath with [*]: separator
  bool join_set_ = false;
  std::string constant_;      // kValue
  // kConcat: literal text (spec null) or a sub-spec, in order.
  std::vector<std::pair<std::string, std::shared_ptr<const FieldSpec>>> parts_;
  std::vector<std::unique_ptr<Transform>> transforms_;
  std::optional<std::string> default_;
  std::optional<bool> required_;
  std::shared_ptr<const Condition> when_;
  std::string describe_;
};

// {"path": ..., "transforms": [...], "in": ["S1", "S2"]}: holds when the
// field spec (everything but "in") yields one of the listed texts.
class Condition {
 public:
  static Result<std::shared_ptr<const Condition>> compile(const nlohmann::json& spec,
                                                          const std::string& mapping_path,
                                                          const CompileContext& ctx);
  // False also when the value is missing or cannot be read.
  bool holds(const Scope& scope) const;
  void select(FieldSelection& root, FieldSelection& here) const;

 private:
  std::shared_ptr<const FieldSpec> value_;
  std::vector<std::string> in_;
};

// Text of a scalar record value (strings as is, numbers as the sender
// wrote them, booleans as true/false). False for null, objects, arrays and
// an absent value.
bool scalar_text(RecordValue v, std::string& out);
// The same for a value in a mapping file (numbers in their shortest form).
bool scalar_text(const nlohmann::json& v, std::string& out);

}  // namespace arsync::mapping
