// Compiling a mapping file and applying it to one record.
#include "arsync/mapping/mapping.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "arsync/model/utf8.h"
#include "field_spec.h"
#include "schema_check.h"

namespace arsync::mapping {
namespace {

using nlohmann::json;

enum class Type { kText, kCurrency, kMoney, kDate, kStatus, kKind };

struct FieldDef {
  const char* name;
  Type type;
  bool required;
};

// Document fields, in the order apply() evaluates them (currency first:
// money fields are parsed in it).
enum DocField {
  kCurrencyField, kExternalId, kDocumentNumber, kMatchKey, kCustomerKey, kCustomerName,
  kAmount, kOpenAmount, kTaxAmount, kIssueDate, kDueDate, kStatusField, kReference,
  kTerms, kSourceUpdatedAt, kCancels, kDocFieldCount
};
constexpr std::array<FieldDef, kDocFieldCount> kDocFields = {{
    {"currency", Type::kCurrency, true},
    {"external_id", Type::kText, false},
    {"document_number", Type::kText, true},
    {"match_key", Type::kText, true},
    {"customer_key", Type::kText, false},
    {"customer_name", Type::kText, false},
    {"amount", Type::kMoney, true},
    {"open_amount", Type::kMoney, false},
    {"tax_amount", Type::kMoney, false},
    {"issue_date", Type::kDate, false},
    {"due_date", Type::kDate, false},
    {"status", Type::kStatus, false},
    {"reference", Type::kText, false},
    {"terms", Type::kText, false},
    {"source_updated_at", Type::kText, false},
    {"cancels", Type::kText, false},
}};

enum AppField { kTargetMatchKey, kTargetNumber, kAppAmount, kDiscount, kTargetKind, kAppFieldCount };
constexpr std::array<FieldDef, kAppFieldCount> kAppFields = {{
    {"target_match_key", Type::kText, true},
    {"target_number", Type::kText, false},
    {"amount", Type::kMoney, true},
    {"discount", Type::kMoney, false},
    {"target_kind", Type::kKind, false},
}};

struct Slot {
  std::shared_ptr<const FieldSpec> spec;  // null: not mapped
  bool required = false;
  std::string mapping_path;  // "fields.amount"
};

template <std::size_t N>
std::string names_of(const std::array<FieldDef, N>& defs) {
  std::string out;
  for (const FieldDef& d : defs) {
    if (!out.empty()) out += ", ";
    out += d.name;
  }
  return out;
}

std::string kind_names() {
  std::string out;
  for (int k = 0; k <= static_cast<int>(DocumentKind::kWriteOff); ++k) {
    if (!out.empty()) out += ", ";
    out += to_string(static_cast<DocumentKind>(k));
  }
  return out;
}

std::string status_names() {
  std::string out;
  for (int s = 0; s <= static_cast<int>(DocumentStatus::kDeleted); ++s) {
    if (!out.empty()) out += ", ";
    out += to_string(static_cast<DocumentStatus>(s));
  }
  return out;
}

}  // namespace

class CompiledMapping {
 public:
  std::string file;
  std::string connector;
  std::vector<std::string> entities;
  std::optional<DocumentKind> kind_constant;
  std::shared_ptr<const FieldSpec> kind_spec;
  std::array<Slot, kDocFieldCount> fields;
  std::optional<Path> each;
  std::array<Slot, kAppFieldCount> app_fields;
  std::string each_segment_prefix;  // each path up to its last "[*]", for error segments
  std::string each_segment_suffix;
  FieldSelection fields_read;       // everything apply() reads
  std::size_t memo_slots = 0;       // distinct first steps of the paths read per record
  std::vector<CompileContext::PathUse> paths;  // every record path, for check()
  std::optional<CompileContext::PathUse> each_use;
  // Records that are not receivables (pro-forma bills): skipped, counted.
  std::vector<std::pair<std::shared_ptr<const Condition>, std::string>> skips;
};

namespace {

template <std::size_t N>
Status compile_fields(const json& obj, const std::string& prefix,
                      const std::array<FieldDef, N>& defs, std::array<Slot, N>& slots,
                      const CompileContext& ctx) {
  if (!obj.is_object()) {
    return ctx.error(prefix, "\"fields\" must be an object of field name to field spec");
  }
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    std::size_t i = 0;
    while (i < N && it.key() != defs[i].name) ++i;
    const std::string where = prefix + "." + it.key();
    if (i == N) {
      return ctx.error(where, "unknown field '" + it.key() + "' (allowed: " + names_of(defs) + ")");
    }
    auto spec = FieldSpec::compile(it.value(), where, ctx);
    if (!spec) return spec.status();
    slots[i].spec = std::move(*spec);
    slots[i].required = slots[i].spec->required().value_or(defs[i].required);
  }
  for (std::size_t i = 0; i < N; ++i) {
    slots[i].mapping_path = prefix + "." + defs[i].name;
    if (!slots[i].spec && defs[i].required) {
      return ctx.error(slots[i].mapping_path,
                       std::string("the field \"") + defs[i].name +
                           "\" is required: give it a spec (a path, or {\"value\": ...})");
    }
    if (defs[i].type == Type::kCurrency && !slots[i].required) {
      return ctx.error(slots[i].mapping_path,
                       "\"currency\" cannot be optional: every amount is parsed in it");
    }
  }
  return Status::ok();
}

Status compile_into(CompiledMapping& m, std::string_view text, const CompileContext& ctx) {
  json root;
  try {
    root = json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    std::size_t end = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    std::int64_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    std::string detail = e.what();
    if (std::size_t col = detail.find("column "); col != std::string::npos) {
      if (std::size_t colon = detail.find(": ", col); colon != std::string::npos) {
        detail = detail.substr(colon + 2);
      }
    }
    Status st = ctx.error("", "invalid JSON at line " + std::to_string(line) + ", column " +
                                  std::to_string(end - line_start + 1) + ": " + detail);
    st.where().line = line;
    return st;
  } catch (const json::out_of_range& e) {
    // A number beyond a double's range (1e999) is not a parse_error to
    // nlohmann, and it names no position.
    std::string detail = e.what();
    if (std::size_t end = detail.find("] "); end != std::string::npos) detail = detail.substr(end + 2);
    return ctx.error("", "invalid JSON: " + detail);
  }
  if (!root.is_object()) return ctx.error("", "a mapping file must be a JSON object");

  static const char* kTopKeys = "connector, entities, kind, fields, applications, skip, description";
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string& k = it.key();
    if (k != "connector" && k != "entities" && k != "kind" && k != "fields" &&
        k != "applications" && k != "skip" && k != "description") {
      return ctx.error(k, "unknown key '" + k + "' (allowed: " + kTopKeys + ")");
    }
  }

  if (!root.contains("connector") || !root["connector"].is_string() ||
      root["connector"].get_ref<const std::string&>().empty()) {
    return ctx.error("connector", "\"connector\" must name the connector type, such as "
                                  "\"sap_idoc\"");
  }
  m.connector = root["connector"].get<std::string>();

  if (!root.contains("entities") || !root["entities"].is_array() || root["entities"].empty()) {
    return ctx.error("entities", "\"entities\" must list the source record types this file "
                                 "maps, such as [\"INVOIC02\"]");
  }
  for (std::size_t i = 0; i < root["entities"].size(); ++i) {
    const json& e = root["entities"][i];
    if (!e.is_string() || e.get_ref<const std::string&>().empty()) {
      return ctx.error("entities[" + std::to_string(i) + "]", "an entity must be a non-empty string");
    }
    m.entities.push_back(e.get<std::string>());
  }

  if (root.contains("skip")) {
    const json& skip = root["skip"];
    if (!skip.is_array()) {
      return ctx.error("skip", "\"skip\" must be a list of {\"when\": condition, \"reason\": text}");
    }
    for (std::size_t i = 0; i < skip.size(); ++i) {
      const std::string where = "skip[" + std::to_string(i) + "]";
      const json& rule = skip[i];
      if (!rule.is_object() || !rule.contains("when") || !rule.contains("reason") ||
          !rule["reason"].is_string() || rule.size() != 2) {
        return ctx.error(where, "a skip rule is {\"when\": condition, \"reason\": text}");
      }
      auto when = Condition::compile(rule["when"], where + ".when", ctx);
      if (!when) return when.status();
      m.skips.emplace_back(std::move(*when), rule["reason"].get<std::string>());
    }
  }

  if (!root.contains("kind")) {
    return ctx.error("kind", "\"kind\" is required: a kind name (" + kind_names() +
                                 ") or a field spec that yields one");
  }
  const json& kind = root["kind"];
  if (kind.is_string()) {
    m.kind_constant = parse_document_kind(kind.get<std::string>());
    if (!m.kind_constant) {
      return ctx.error("kind", "unknown kind '" + kind.get<std::string>() + "' (allowed: " +
                                   kind_names() + "; use {\"path\": ...} to read it from the record)");
    }
  } else {
    auto spec = FieldSpec::compile(kind, "kind", ctx);
    if (!spec) return spec.status();
    m.kind_spec = std::move(*spec);
  }

  if (!root.contains("fields")) {
    return ctx.error("fields", "\"fields\" is required: an object of field name to field spec");
  }
  ARSYNC_RETURN_IF_ERROR(compile_fields(root["fields"], "fields", kDocFields, m.fields, ctx));

  if (root.contains("applications")) {
    const json& apps = root["applications"];
    if (!apps.is_object()) {
      return ctx.error("applications", "\"applications\" must be an object with \"each\" and \"fields\"");
    }
    for (auto it = apps.begin(); it != apps.end(); ++it) {
      if (it.key() != "each" && it.key() != "fields") {
        return ctx.error("applications." + it.key(),
                         "unknown key '" + it.key() + "' (allowed: each, fields)");
      }
    }
    if (!apps.contains("each") || !apps["each"].is_string()) {
      return ctx.error("applications.each",
                       "\"each\" must be the path of the repeated segment, such as \"E1IDPU1[*]\"");
    }
    Result<Path> each = Path::parse(apps["each"].get<std::string>());
    if (!each) return ctx.error("applications.each", each.status().message());
    const std::string& t = each->text();
    if (std::size_t star = t.rfind("[*]"); star != std::string::npos && t.find("[*]") == star) {
      m.each_segment_prefix = t.substr(0, star);
      m.each_segment_suffix = t.substr(star + 3);
    }
    m.each_use = CompileContext::PathUse{"applications.each", *each, false};
    m.each = std::move(*each);
    if (!apps.contains("fields")) {
      return ctx.error("applications.fields", "\"fields\" is required in \"applications\"");
    }
    ctx.in_each = true;
    Status fields = compile_fields(apps["fields"], "applications.fields", kAppFields, m.app_fields, ctx);
    ctx.in_each = false;
    ARSYNC_RETURN_IF_ERROR(fields);
  }
  return Status::ok();
}

void select_fields_read(CompiledMapping& m) {
  FieldSelection& root = m.fields_read;
  for (const auto& skip : m.skips) skip.first->select(root, root);
  if (m.kind_spec) m.kind_spec->select(root, root);
  for (const Slot& slot : m.fields) {
    if (slot.spec) slot.spec->select(root, root);
  }
  if (m.each) {
    FieldSelection& element = m.each->select(root);
    for (const Slot& slot : m.app_fields) {
      if (slot.spec) slot.spec->select(root, element);
    }
  }
}

// Builds the apply-time error: what went wrong (from `st`) and where.
Status located(const CompiledMapping& m, const Status& st, const std::string& mapping_path,
               const RecordMeta& meta, const std::string& segment = {}) {
  Location where = st.where();
  where.file = m.file;
  where.mapping_path = mapping_path;
  where.record = meta.external_id;
  if (!segment.empty()) where.segment = segment;
  return Status(ErrorCode::kMappingError, st.message(), where);
}

// Evaluates one slot; a missing required value is an error.
Status eval_slot(const CompiledMapping& m, const Slot& slot, const Scope& scope,
                 const RecordMeta& meta, const std::string& segment, Value& out) {
  out.present = false;
  out.text.clear();
  if (!slot.spec) return Status::ok();
  Status st = slot.spec->eval(scope, out);
  if (!st.is_ok()) return located(m, st, slot.mapping_path, meta, segment);
  // Text that is not UTF-8 would stop every later step that writes JSON
  // (the store's details, the CLI, the reconciler): refused here, so that
  // only this record is quarantined.
  if (const std::size_t bad = first_invalid_utf8(out.text); bad != std::string::npos) {
    Location where;
    where.field = slot.spec->describe();
    return located(m,
                   Status(ErrorCode::kMappingError,
                          "value is not valid UTF-8 at byte " + std::to_string(bad) +
                              " of the field's text (check the sender's encoding)",
                          where),
                   slot.mapping_path, meta, segment);
  }
  if (out.missing() && slot.required) {
    Location where;
    where.field = slot.spec->describe();
    return located(m, Status(ErrorCode::kMappingError, "required field is missing", where),
                   slot.mapping_path, meta, segment);
  }
  return Status::ok();
}

Status convert_error(const CompiledMapping& m, const Slot& slot, const std::string& message,
                     const RecordMeta& meta, const std::string& segment) {
  Location where;
  where.field = slot.spec ? slot.spec->describe() : std::string();
  return located(m, Status(ErrorCode::kMappingError, message, where), slot.mapping_path, meta,
                 segment);
}

// Money in `currency` from a slot; `fallback` when the slot yields nothing.
Status money_slot(const CompiledMapping& m, const Slot& slot, const Scope& scope,
                  const RecordMeta& meta, const std::string& segment, const Currency& currency,
                  Value& v, std::optional<Money>& out) {
  ARSYNC_RETURN_IF_ERROR(eval_slot(m, slot, scope, meta, segment, v));
  out.reset();
  if (v.missing()) return Status::ok();
  Result<Money> money = Money::parse(v.text, currency);
  if (!money) return convert_error(m, slot, money.status().message(), meta, segment);
  out = *money;
  return Status::ok();
}

Status kind_of(const CompiledMapping& m, const Slot& slot, const Value& v, const RecordMeta& meta,
               const std::string& segment, DocumentKind& out) {
  std::optional<DocumentKind> k = parse_document_kind(v.text);
  if (!k) {
    return convert_error(m, slot, "invalid document kind '" + v.text + "' (allowed: " +
                                      kind_names() + ")", meta, segment);
  }
  out = *k;
  return Status::ok();
}

}  // namespace

Result<Mapping> Mapping::compile(std::string_view text, const std::string& file_name) {
  auto m = std::make_shared<CompiledMapping>();
  m->file = file_name;
  CompileContext ctx;
  ctx.file = file_name;
  ARSYNC_RETURN_IF_ERROR(compile_into(*m, text, ctx));
  m->memo_slots = ctx.first_steps.size();
  m->paths = std::move(ctx.paths);
  select_fields_read(*m);
  Mapping out;
  out.impl_ = std::move(m);
  return out;
}

Result<Mapping> Mapping::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Location where;
    where.file = path;
    return Status(ErrorCode::kIoError,
                  "cannot read mapping file: " + std::string(std::strerror(errno)), where);
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return compile(buf.str(), path);
}

const FieldSelection& Mapping::fields_read() const {
  static const FieldSelection kNothing;
  return impl_ ? impl_->fields_read : kNothing;
}

const std::string* Mapping::skip_reason(const Record& record) const {
  if (!impl_) return nullptr;
  const Scope scope{record.root(), record.root(), nullptr};
  for (const auto& [when, reason] : impl_->skips) {
    if (when->holds(scope)) return &reason;
  }
  return nullptr;
}

std::vector<Status> Mapping::check(const RecordSchema& schema) const {
  if (!impl_) return {};
  NamesToCheck names;
  names.file = impl_->file;
  names.connector = impl_->connector;
  names.entities = &impl_->entities;
  names.paths = &impl_->paths;
  names.each = impl_->each_use ? &*impl_->each_use : nullptr;
  return check_names(names, schema);
}

const std::string& Mapping::file() const {
  static const std::string kEmpty;
  return impl_ ? impl_->file : kEmpty;
}

const std::string& Mapping::connector_type() const {
  static const std::string kEmpty;
  return impl_ ? impl_->connector : kEmpty;
}

const std::vector<std::string>& Mapping::entities() const {
  static const std::vector<std::string> kEmpty;
  return impl_ ? impl_->entities : kEmpty;
}

Result<Document> Mapping::apply(const Record& record_in, const RecordMeta& meta) const {
  if (!impl_) return Status(ErrorCode::kInternal, "apply() on an empty Mapping");
  const CompiledMapping& m = *impl_;
  const RecordValue record = record_in.root();
  PathMemo memo(record, m.memo_slots);
  const Scope scope{record, record, &memo};
  const std::string no_segment;
  Document doc;
  doc.system = meta.system;
  doc.external_id = meta.external_id;
  doc.entity = meta.entity;
  doc.version = meta.version;
  Value v;

  // Kind.
  if (m.kind_constant) {
    doc.kind = *m.kind_constant;
  } else {
    Slot kind_slot{m.kind_spec, true, "kind"};
    ARSYNC_RETURN_IF_ERROR(eval_slot(m, kind_slot, scope, meta, no_segment, v));
    ARSYNC_RETURN_IF_ERROR(kind_of(m, kind_slot, v, meta, no_segment, doc.kind));
  }

  // Currency first: every amount is parsed in it.
  const Slot& cur_slot = m.fields[kCurrencyField];
  ARSYNC_RETURN_IF_ERROR(eval_slot(m, cur_slot, scope, meta, no_segment, v));
  Result<Currency> currency = Currency::find(v.text);
  if (!currency) return convert_error(m, cur_slot, currency.status().message(), meta, no_segment);

  auto text_field = [&](DocField f, std::string& out) -> Status {
    ARSYNC_RETURN_IF_ERROR(eval_slot(m, m.fields[f], scope, meta, no_segment, v));
    if (!v.missing()) out = std::move(v.text);
    return Status::ok();
  };
  ARSYNC_RETURN_IF_ERROR(text_field(kExternalId, doc.external_id));
  ARSYNC_RETURN_IF_ERROR(text_field(kDocumentNumber, doc.document_number));
  ARSYNC_RETURN_IF_ERROR(text_field(kMatchKey, doc.match_key));
  ARSYNC_RETURN_IF_ERROR(text_field(kCustomerKey, doc.customer_key));
  ARSYNC_RETURN_IF_ERROR(text_field(kCustomerName, doc.customer_name));
  ARSYNC_RETURN_IF_ERROR(text_field(kReference, doc.reference));
  ARSYNC_RETURN_IF_ERROR(text_field(kTerms, doc.terms));
  ARSYNC_RETURN_IF_ERROR(text_field(kSourceUpdatedAt, doc.source_updated_at));
  ARSYNC_RETURN_IF_ERROR(text_field(kCancels, doc.cancels));

  std::optional<Money> money;
  ARSYNC_RETURN_IF_ERROR(
      money_slot(m, m.fields[kAmount], scope, meta, no_segment, *currency, v, money));
  doc.amount = money.value_or(Money(0, *currency));
  ARSYNC_RETURN_IF_ERROR(
      money_slot(m, m.fields[kTaxAmount], scope, meta, no_segment, *currency, v, money));
  doc.tax_amount = money.value_or(Money(0, *currency));
  std::optional<Money> open;
  ARSYNC_RETURN_IF_ERROR(
      money_slot(m, m.fields[kOpenAmount], scope, meta, no_segment, *currency, v, open));

  for (DocField f : {kIssueDate, kDueDate}) {
    ARSYNC_RETURN_IF_ERROR(eval_slot(m, m.fields[f], scope, meta, no_segment, v));
    if (v.missing()) continue;
    Result<Date> date = parse_date(v.text);
    if (!date) return convert_error(m, m.fields[f], date.status().message(), meta, no_segment);
    (f == kIssueDate ? doc.issue_date : doc.due_date) = *date;
  }

  ARSYNC_RETURN_IF_ERROR(eval_slot(m, m.fields[kStatusField], scope, meta, no_segment, v));
  if (!v.missing()) {
    std::optional<DocumentStatus> s = parse_document_status(v.text);
    if (!s) {
      return convert_error(m, m.fields[kStatusField],
                           "invalid status '" + v.text + "' (allowed: " + status_names() + ")",
                           meta, no_segment);
    }
    doc.status = *s;
  }

  // Applications: one per element the "each" path selects.
  Money applied(0, *currency);
  if (m.each) {
    std::vector<RecordValue> elements;
    m.each->all(record, elements);
    std::string segment;
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (!m.each_segment_prefix.empty() || !m.each_segment_suffix.empty()) {
        segment = m.each_segment_prefix + "[" + std::to_string(i) + "]" + m.each_segment_suffix;
      } else {
        segment = m.each->text() + " #" + std::to_string(i);
      }
      const Scope here{record, elements[i], &memo};
      Application app;
      ARSYNC_RETURN_IF_ERROR(eval_slot(m, m.app_fields[kTargetMatchKey], here, meta, segment, v));
      if (!v.missing()) app.target_match_key = std::move(v.text);
      ARSYNC_RETURN_IF_ERROR(eval_slot(m, m.app_fields[kTargetNumber], here, meta, segment, v));
      if (!v.missing()) app.target_number = std::move(v.text);
      ARSYNC_RETURN_IF_ERROR(
          money_slot(m, m.app_fields[kAppAmount], here, meta, segment, *currency, v, money));
      app.amount = money.value_or(Money(0, *currency));
      ARSYNC_RETURN_IF_ERROR(
          money_slot(m, m.app_fields[kDiscount], here, meta, segment, *currency, v, money));
      app.discount = money.value_or(Money(0, *currency));
      ARSYNC_RETURN_IF_ERROR(eval_slot(m, m.app_fields[kTargetKind], here, meta, segment, v));
      if (!v.missing()) {
        ARSYNC_RETURN_IF_ERROR(kind_of(m, m.app_fields[kTargetKind], v, meta, segment, app.target_kind));
      }
      Result<Money> sum = applied.plus(app.amount);
      if (!sum) {
        return convert_error(m, m.app_fields[kAppAmount], sum.status().message(), meta, segment);
      }
      applied = *sum;
      doc.applications.push_back(std::move(app));
    }
  }

  if (open) {
    doc.open_amount = *open;
  } else {
    // Unmapped open amount: what is not yet applied.
    Result<Money> rest = doc.amount.minus(applied);
    if (!rest) {
      return convert_error(m, m.fields[kAmount], rest.status().message(), meta, no_segment);
    }
    doc.open_amount = *rest;
  }
  return doc;
}

}  // namespace arsync::mapping
