#include "field_spec.h"

namespace arsync::mapping {
namespace {

using nlohmann::json;

constexpr const char* kSpecKeys = "path, value, concat, transforms, default, required, join, when";

Status eval_error(const std::string& message, const std::string& field) {
  Location where;
  where.field = field;
  return Status(ErrorCode::kMappingError, message, where);
}

}  // namespace

void CompileContext::number_first_step(Path& p) const {
  if (p.first_step().empty()) return;  // [*]: not one value to keep
  auto it = first_steps.try_emplace(p.first_step(), first_steps.size()).first;
  p.set_memo_slot(it->second);
}

Status CompileContext::error(const std::string& mapping_path, const std::string& message) const {
  Location where;
  where.file = file;
  where.mapping_path = mapping_path;
  return Status(ErrorCode::kMappingError, message, where);
}

bool scalar_text(RecordValue v, std::string& out) {
  if (!v.is_text()) return false;
  out.assign(v.text());
  return true;
}

bool scalar_text(const json& v, std::string& out) {
  if (v.is_string()) {
    out = v.get_ref<const std::string&>();
    return true;
  }
  if (v.is_number() || v.is_boolean()) {
    out = v.dump();
    return true;
  }
  return false;
}

Result<std::shared_ptr<const FieldSpec>> FieldSpec::compile(const json& spec,
                                                            const std::string& mapping_path,
                                                            const CompileContext& ctx) {
  auto f = std::make_shared<FieldSpec>();
  const json* path = nullptr;
  const json* value = nullptr;
  const json* concat = nullptr;
  const json* transforms = nullptr;
  const json* when = nullptr;
  if (spec.is_string()) {
    path = &spec;
  } else if (spec.is_object()) {
    for (auto it = spec.begin(); it != spec.end(); ++it) {
      const std::string& key = it.key();
      if (key == "path") {
        path = &it.value();
      } else if (key == "value") {
        value = &it.value();
      } else if (key == "concat") {
        concat = &it.value();
      } else if (key == "transforms") {
        transforms = &it.value();
      } else if (key == "default") {
        std::string text;
        if (!scalar_text(it.value(), text)) {
          return ctx.error(mapping_path + ".default", "\"default\" must be a string");
        }
        f->default_ = text;
      } else if (key == "required") {
        if (!it.value().is_boolean()) {
          return ctx.error(mapping_path + ".required", "\"required\" must be true or false");
        }
        f->required_ = it.value().get<bool>();
      } else if (key == "when") {
        when = &it.value();
      } else if (key == "join") {
        if (!it.value().is_string()) {
          return ctx.error(mapping_path + ".join", "\"join\" must be a string (the separator)");
        }
        f->join_ = it.value().get<std::string>();
        f->join_set_ = true;
      } else {
        return ctx.error(mapping_path,
                         "unknown key '" + key + "' in a field spec (allowed: " + kSpecKeys + ")");
      }
    }
  } else {
    return ctx.error(mapping_path,
                     "a field spec must be a path string or an object with \"path\", "
                     "\"value\" or \"concat\"");
  }
  const int sources = (path ? 1 : 0) + (value ? 1 : 0) + (concat ? 1 : 0);
  if (sources != 1) {
    return ctx.error(mapping_path, "a field spec needs exactly one of \"path\", \"value\" or "
                                   "\"concat\" (found " + std::to_string(sources) + ")");
  }

  if (path) {
    f->source_ = Source::kPath;
    std::vector<std::pair<const json*, std::string>> texts;
    if (path->is_string()) {
      texts.emplace_back(path, spec.is_string() ? mapping_path : mapping_path + ".path");
    } else if (path->is_array() && !path->empty()) {
      for (std::size_t i = 0; i < path->size(); ++i) {
        texts.emplace_back(&(*path)[i], mapping_path + ".path[" + std::to_string(i) + "]");
      }
    } else {
      return ctx.error(mapping_path + ".path",
                       "\"path\" must be a path string or a non-empty list of alternative paths");
    }
    for (const auto& [text, where] : texts) {
      if (!text->is_string()) return ctx.error(where, "a path must be a string");
      Result<Path> p = Path::parse(text->get<std::string>());
      if (!p) return ctx.error(where, p.status().message());
      if (p->fans_out() && !f->join_set_) {
        return ctx.error(where, "path '" + p->text() +
                                    "' selects every element ('[*]'): use it in an \"each\" "
                                    "block, or add \"join\" to join the values into one text");
      }
      if (!f->describe_.empty()) f->describe_ += " | ";
      f->describe_ += p->text();
      ctx.number_first_step(*p);
      ctx.note_path(*p, where);
      f->paths_.push_back(std::move(*p));
    }
  } else if (value) {
    f->source_ = Source::kValue;
    if (!scalar_text(*value, f->constant_)) {
      return ctx.error(mapping_path + ".value", "\"value\" must be a string or a number");
    }
  } else {
    f->source_ = Source::kConcat;
    if (!concat->is_array() || concat->empty()) {
      return ctx.error(mapping_path + ".concat",
                       "\"concat\" must be a list of literal strings and field specs "
                       "({\"path\": ...})");
    }
    for (std::size_t i = 0; i < concat->size(); ++i) {
      const json& part = (*concat)[i];
      const std::string where = mapping_path + ".concat[" + std::to_string(i) + "]";
      if (part.is_string()) {
        f->parts_.emplace_back(part.get<std::string>(), nullptr);
        continue;
      }
      Result<std::shared_ptr<const FieldSpec>> sub = FieldSpec::compile(part, where, ctx);
      if (!sub) return sub.status();
      if (!(*sub)->describe().empty()) {
        if (!f->describe_.empty()) f->describe_ += " + ";
        f->describe_ += (*sub)->describe();
      }
      f->parts_.emplace_back(std::string(), std::move(*sub));
    }
  }

  if (when) {
    Result<std::shared_ptr<const Condition>> c = Condition::compile(*when, mapping_path + ".when", ctx);
    if (!c) return c.status();
    f->when_ = std::move(*c);
  }

  if (transforms) {
    if (!transforms->is_array()) {
      return ctx.error(mapping_path + ".transforms", "\"transforms\" must be a list");
    }
    for (std::size_t i = 0; i < transforms->size(); ++i) {
      Result<std::unique_ptr<Transform>> t = Transform::compile(
          (*transforms)[i], mapping_path + ".transforms[" + std::to_string(i) + "]", ctx);
      if (!t) return t.status();
      f->transforms_.push_back(std::move(*t));
    }
  }
  return std::shared_ptr<const FieldSpec>(std::move(f));
}

void FieldSpec::select(FieldSelection& root, FieldSelection& here) const {
  for (const Path& p : paths_) p.select(p.absolute() ? root : here).select_everything();
  for (const auto& part : parts_) {
    if (part.second) part.second->select(root, here);
  }
  for (const auto& t : transforms_) t->select(root, here);
  if (when_) when_->select(root, here);
}

Status FieldSpec::read_source(const Scope& scope, Value& out) const {
  out.present = false;
  out.text.clear();
  switch (source_) {
    case Source::kValue:
      out.present = true;
      out.text = constant_;
      return Status::ok();
    case Source::kPath:
      for (const Path& p : paths_) {
        if (join_set_) {
          std::vector<RecordValue> found;
          p.all(scope.pick(p), found);
          std::string piece;
          for (RecordValue v : found) {
            if (!scalar_text(v, piece)) {
              return eval_error("path '" + p.text() + "' selects an object or list, not a value",
                                p.text());
            }
            if (piece.empty()) continue;
            if (out.present) out.text += join_;
            out.text += piece;
            out.present = true;
          }
        } else if (const RecordValue v = scope.first(p)) {
          if (!scalar_text(v, out.text)) {
            if (v.is_null()) continue;
            return eval_error("path '" + p.text() + "' selects an object or list, not a value",
                              p.text());
          }
          out.present = true;
        }
        if (!out.missing()) return Status::ok();
      }
      return Status::ok();
    case Source::kConcat: {
      Value part;
      for (const auto& [literal, spec] : parts_) {
        if (!spec) {
          out.text += literal;
          continue;
        }
        ARSYNC_RETURN_IF_ERROR(spec->eval(scope, part));
        if (part.missing()) {  // one missing piece makes the whole missing
          out.text.clear();
          return Status::ok();
        }
        out.text += part.text;
      }
      out.present = true;
      return Status::ok();
    }
  }
  return Status::ok();
}

Status FieldSpec::eval(const Scope& scope, Value& out) const {
  if (when_ && !when_->holds(scope)) {  // not this record's field: no default either
    out.present = false;
    out.text.clear();
    return Status::ok();
  }
  ARSYNC_RETURN_IF_ERROR(read_source(scope, out));
  for (const auto& t : transforms_) {
    Status st = t->apply(out, scope);
    if (!st.is_ok()) {
      if (st.where().field.empty()) st.where().field = describe_;
      return Status(ErrorCode::kMappingError, st.message(), st.where());
    }
  }
  if (out.missing() && default_) {
    out.present = true;
    out.text = *default_;
  }
  return Status::ok();
}

Result<std::shared_ptr<const Condition>> Condition::compile(const json& spec,
                                                          const std::string& mapping_path,
                                                          const CompileContext& ctx) {
  if (!spec.is_object() || !spec.contains("in")) {
    return ctx.error(mapping_path, "a condition is a field spec with \"in\": the values it "
                                   "holds for, such as {\"path\": \"E1EDK14[QUALF=015].ORGID\", "
                                   "\"in\": [\"S1\", \"S2\"]}");
  }
  auto c = std::make_shared<Condition>();
  const json& in = spec["in"];
  if (!in.is_array() || in.empty()) {
    return ctx.error(mapping_path + ".in", "\"in\" must be a non-empty list of values");
  }
  for (const json& v : in) {
    std::string text;
    if (!scalar_text(v, text)) return ctx.error(mapping_path + ".in", "each value must be a string");
    c->in_.push_back(std::move(text));
  }
  json rest = spec;
  rest.erase("in");
  Result<std::shared_ptr<const FieldSpec>> value = FieldSpec::compile(rest, mapping_path, ctx);
  if (!value) return value.status();
  c->value_ = std::move(*value);
  return std::shared_ptr<const Condition>(std::move(c));
}

bool Condition::holds(const Scope& scope) const {
  Value v;
  if (!value_->eval(scope, v).is_ok() || v.missing()) return false;
  for (const std::string& want : in_) {
    if (v.text == want) return true;
  }
  return false;
}

void Condition::select(FieldSelection& root, FieldSelection& here) const {
  value_->select(root, here);
}

}  // namespace arsync::mapping
