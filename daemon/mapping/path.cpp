#include "arsync/mapping/path.h"

namespace arsync::mapping {
namespace {

constexpr const char* kStepForms =
    "a step is NAME, NAME[FIELD=VALUE], NAME[*] or NAME[N], steps separated by '.'";

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == ':' || c == '@' || c == '#' || c == '/';
}

Status syntax_error(std::string_view text, std::size_t pos, const std::string& what) {
  return Status(ErrorCode::kMappingError,
                "invalid path '" + std::string(text) + "': " + what + " at position " +
                    std::to_string(pos + 1) + " (" + kStepForms + ")");
}

// True when `element` is an object whose `field` reads as `value`.
bool matches(RecordValue element, const std::string& field, const std::string& value) {
  const RecordValue v = element.find(field);
  return v.is_text() && v.text() == value;
}

}  // namespace

Result<Path> Path::parse(std::string_view text) {
  Path p;
  p.text_ = std::string(text);
  if (text.empty()) {
    return Status(ErrorCode::kMappingError, std::string("path is empty (") + kStepForms + ")");
  }
  std::size_t i = 0;
  if (text.size() >= 2 && text[0] == '$' && text[1] == '.') {
    p.absolute_ = true;
    i = 2;
  }
  while (true) {
    Step step;
    const std::size_t start = i;
    while (i < text.size() && is_name_char(text[i])) ++i;
    if (i == start) {
      if (i >= text.size()) return syntax_error(text, i, "a step name is missing");
      return syntax_error(text, i, std::string("unexpected character '") + text[i] + "'");
    }
    step.name = std::string(text.substr(start, i - start));
    if (i < text.size() && text[i] == '[') {
      const std::size_t open = i;
      const std::size_t close = text.find(']', open);
      if (close == std::string_view::npos) return syntax_error(text, open, "'[' without ']'");
      std::string_view inner = text.substr(open + 1, close - open - 1);
      if (inner.empty()) return syntax_error(text, open, "empty filter '[]'");
      if (inner == "*") {
        step.filter = Step::Filter::kAll;
        p.fans_out_ = true;
      } else if (std::size_t eq = inner.find('='); eq != std::string_view::npos) {
        step.filter = Step::Filter::kMatch;
        step.field = std::string(inner.substr(0, eq));
        step.value = std::string(inner.substr(eq + 1));
        if (step.field.empty()) return syntax_error(text, open + 1, "filter has no field before '='");
        for (char c : step.field) {
          if (!is_name_char(c)) {
            return syntax_error(text, open + 1,
                                std::string("unexpected character '") + c + "' in filter field");
          }
        }
        if (step.value.empty()) return syntax_error(text, open + 1 + eq, "filter has no value after '='");
      } else {
        std::size_t n = 0;
        for (char c : inner) {
          if (c < '0' || c > '9') {
            return syntax_error(text, open + 1,
                                "filter '[" + std::string(inner) +
                                    "]' is not '*', a number or FIELD=VALUE");
          }
          if (n > 1000000) return syntax_error(text, open + 1, "index too large");
          n = n * 10 + static_cast<std::size_t>(c - '0');
        }
        step.filter = Step::Filter::kIndex;
        step.index = n;
      }
      i = close + 1;
    }
    if (p.steps_.empty() && step.filter != Step::Filter::kAll) {
      p.first_step_ = std::string(text.substr(start, i - start));
    }
    p.steps_.push_back(std::move(step));
    if (p.steps_.size() > kMaxSteps) {
      return syntax_error(text, i, "more than " + std::to_string(kMaxSteps) + " steps");
    }
    if (i == text.size()) break;
    if (text[i] != '.') {
      return syntax_error(text, i, std::string("unexpected character '") + text[i] + "'");
    }
    ++i;
    if (i == text.size()) return syntax_error(text, i - 1, "path ends with '.'");
  }
  return p;
}

RecordValue Path::step_element(RecordValue node, const Step& step) {
  const RecordValue member = node.find(step.name);
  if (!member) return {};
  if (!member.is_array()) {
    // A lone object or value is an array of one.
    switch (step.filter) {
      case Step::Filter::kNone:
      case Step::Filter::kAll:
        return member;
      case Step::Filter::kIndex:
        return step.index == 0 ? member : RecordValue();
      case Step::Filter::kMatch:
        return matches(member, step.field, step.value) ? member : RecordValue();
    }
    return {};
  }
  switch (step.filter) {
    case Step::Filter::kNone:
    case Step::Filter::kAll:  // not asked: walk() iterates [*] itself
      return member.at(0);
    case Step::Filter::kIndex:
      return member.at(step.index);
    case Step::Filter::kMatch:
      for (RecordValue element : member) {
        if (matches(element, step.field, step.value)) return element;
      }
      return {};
  }
  return {};
}

template <typename Visit>
bool Path::walk(RecordValue node, std::size_t step_index, Visit& visit) const {
  if (step_index == steps_.size()) return visit(node);
  const Step& step = steps_[step_index];
  const std::size_t next = step_index + 1;
  if (step.filter != Step::Filter::kAll) {
    const RecordValue element = step_element(node, step);
    return element && walk(element, next, visit);
  }
  const RecordValue member = node.find(step.name);
  if (!member) return false;
  if (!member.is_array()) return walk(member, next, visit);
  for (RecordValue element : member) {
    if (walk(element, next, visit)) return true;
  }
  return false;
}

PathMemo::PathMemo(RecordValue root, std::size_t slots)
    : root_(root), found_(slots), known_(slots, false) {}

RecordValue Path::first(RecordValue node, PathMemo* memo) const {
  RecordValue found;
  auto visit = [&found](RecordValue v) {
    found = v;
    return true;
  };
  if (memo != nullptr && memo_slot_ < memo->found_.size() && node == memo->root_) {
    RecordValue& start = memo->found_[memo_slot_];
    if (!memo->known_[memo_slot_]) {
      start = step_element(node, steps_[0]);
      memo->known_[memo_slot_] = true;
    }
    if (start) walk(start, 1, visit);
    return found;
  }
  walk(node, 0, visit);
  return found;
}

void Path::all(RecordValue node, std::vector<RecordValue>& out) const {
  auto visit = [&out](RecordValue v) {
    out.push_back(v);
    return false;
  };
  walk(node, 0, visit);
}

FieldSelection& Path::select(FieldSelection& base) const {
  FieldSelection* node = &base;
  for (const Step& step : steps_) {
    node = &node->add(step.name);
    if (step.filter == Step::Filter::kMatch) node->add(step.field).select_everything();
  }
  return *node;
}

}  // namespace arsync::mapping
