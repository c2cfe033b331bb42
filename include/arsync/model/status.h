// Status and Result<T>: how arsync reports expected failures.
//
// A malformed record, a mapping error, an HTTP 429 or an SMTP server that is
// down are not exceptions: they are values the caller must look at. A Status
// carries a code, a human message, where it happened (file, IDoc number,
// segment, field, mapping path, HTTP status) and whether retrying can help.
// Library exceptions (Poco, SQLiteCpp, nlohmann) are caught at the edge of the
// layer that calls the library and turned into a Status there.
//
// Thread safety: plain values; distinct objects may be used from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace arsync {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,  // caller passed something malformed (config, CLI input)
  kParseError,       // a record or file could not be parsed
  kMappingError,     // a mapping file is wrong, or a record does not fit it
  kNotFound,
  kAlreadyExists,
  kIoError,          // file system, database
  kUnavailable,      // peer down, connection refused, timeout: retry may help
  kRateLimited,      // 429 or equivalent: retry after a delay
  kAuthError,        // credentials refused
  kConflict,         // version/sync token mismatch
  kUnimplemented,
  kInternal,
};

std::string_view to_string(ErrorCode code);

// Where an error happened. Every member is optional; to_string() prints the
// ones that are set, most general first, e.g.
// "file demo/ecc/inv.xml, IDoc 0000000000451234, segment E1EDK01, field CURCY".
struct Location {
  std::string file;
  std::string record;        // external id of the record, IDoc number, ...
  std::string segment;       // IDoc segment or JSON object name
  std::string field;         // field name or record field path
  std::string mapping_path;  // path inside a mapping file, e.g. "fields.amount"
  std::int64_t line = 0;     // 1-based line in a text file, 0 if not known
  int http_status = 0;

  // A Location naming just a file.
  static Location in_file(std::string file) {
    Location where;
    where.file = std::move(file);
    return where;
  }

  bool empty() const;
  std::string to_string() const;
};

// As LevelDB's Status: an OK status is a null pointer, so creating,
// returning and destroying one (which the mapping does for every field of
// every record) costs next to nothing; an error holds its details on the heap.
class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message, Location where = {},
         bool retryable = false)
      : rep_(std::make_unique<Rep>(Rep{code, std::move(message), std::move(where), retryable})) {}
  Status(const Status& other) : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status ok() { return Status(); }

  bool is_ok() const { return code() == ErrorCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return rep_ ? rep_->code : ErrorCode::kOk; }
  const std::string& message() const;  // empty for OK
  const Location& where() const;       // empty for OK
  // For adding to an error's location (file, line); on OK it gives a
  // location that is kept but leaves the status OK.
  Location& where();
  bool retryable() const { return rep_ && rep_->retryable; }

  // "parse error: <message> (at <location>)"; "OK" for success.
  std::string to_string() const;

  // Returns a copy with `prefix: ` prepended to the message.
  Status with_context(const std::string& prefix) const;

 private:
  struct Rep {
    ErrorCode code = ErrorCode::kOk;
    std::string message;
    Location where;
    bool retryable = false;
  };
  std::unique_ptr<Rep> rep_;  // null: OK
};

// Result<T>: a T on success, a non-OK Status on failure.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).is_ok()) {
      v_ = Status(ErrorCode::kInternal, "Result constructed from OK status");
    }
  }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }

  // Preconditions: is_ok() for value(), !is_ok() for status() to be an error.
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() & { return std::get<T>(v_); }
  const T& operator*() const& { return std::get<T>(v_); }

  // OK if this holds a value.
  Status status() const {
    return is_ok() ? Status() : std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace arsync

// Propagate a failed Status from an expression returning Status.
#define ARSYNC_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::arsync::Status arsync_status_ = (expr);     \
    if (!arsync_status_.is_ok()) return arsync_status_; \
  } while (0)
