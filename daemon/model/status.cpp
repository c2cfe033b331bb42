#include "arsync/model/status.h"

namespace arsync {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "OK";
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kParseError: return "parse error";
    case ErrorCode::kMappingError: return "mapping error";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kIoError: return "I/O error";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kRateLimited: return "rate limited";
    case ErrorCode::kAuthError: return "authentication error";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnimplemented: return "not implemented";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

bool Location::empty() const {
  return file.empty() && record.empty() && segment.empty() && field.empty() &&
         mapping_path.empty() && line == 0 && http_status == 0;
}

std::string Location::to_string() const {
  std::string out;
  auto add = [&out](std::string_view label, const std::string& value) {
    if (value.empty()) return;
    if (!out.empty()) out += ", ";
    out += label;
    out += ' ';
    out += value;
  };
  add("file", file);
  if (line > 0) add("line", std::to_string(line));
  add("record", record);
  add("segment", segment);
  add("field", field);
  add("mapping path", mapping_path);
  if (http_status != 0) add("HTTP status", std::to_string(http_status));
  return out;
}

namespace {
const std::string kNoMessage;
const Location kNowhere;
}  // namespace

const std::string& Status::message() const { return rep_ ? rep_->message : kNoMessage; }

const Location& Status::where() const { return rep_ ? rep_->where : kNowhere; }

Location& Status::where() {
  if (!rep_) rep_ = std::make_unique<Rep>();
  return rep_->where;
}

std::string Status::to_string() const {
  if (is_ok()) return "OK";
  std::string out(arsync::to_string(rep_->code));
  out += ": ";
  out += rep_->message;
  if (!rep_->where.empty()) {
    out += " (at ";
    out += rep_->where.to_string();
    out += ')';
  }
  return out;
}

Status Status::with_context(const std::string& prefix) const {
  if (is_ok()) return *this;
  Status copy = *this;
  copy.rep_->message = prefix + ": " + rep_->message;
  return copy;
}

}  // namespace arsync
