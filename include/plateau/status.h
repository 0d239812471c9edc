// Status and StatusOr: how every fallible plateau operation reports failure.
//
//   plateau::StatusOr<std::shared_ptr<plateau::Model>> model = plateau::Model::Load("det.onnx");
//   if (!model.ok()) { std::cerr << model.status().ToString() << "\n"; return 1; }
//
// A Status is either OK or carries a code and a message that says what was wrong, where, and what was
// expected. Library code never prints and never exits: it returns a Status.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace plateau {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller gave something malformed (bad shape, bad flag, corrupt file)
  kNotFound,            // a file, model, input or output name does not exist
  kUnimplemented,       // well-formed but not supported (an op, an attribute value, an opset)
  kResourceExhausted,   // would exceed a memory limit, or an allocation failed
  kFailedPrecondition,  // the object is not in a state that allows the call
  kOutOfRange,          // a value outside what the operation accepts
  kDataLoss,            // truncated or corrupt data
  kInternal,            // a bug or an unexpected failure in a dependency
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
  static Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;
  // Returns a copy whose message is prefixed with `context` and ": ".
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

namespace internal {
// Writes "StatusOr::value() on an error: <status>" to stderr and aborts. Out of line, so that the check
// in value() stays one branch.
[[noreturn]] void DieOnValueOfError(const Status& status);
}  // namespace internal

// Holds either a value or a non-OK Status. Accessing the value of a non-OK StatusOr is a programmer
// error: it aborts, naming the Status, in every build mode (never undefined behaviour).
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT
  StatusOr(T value) : value_(std::move(value)) {}                                  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & {
    if (!ok()) internal::DieOnValueOfError(status_);
    return *value_;
  }
  const T& value() const& {
    if (!ok()) internal::DieOnValueOfError(status_);
    return *value_;
  }
  T&& value() && {
    if (!ok()) internal::DieOnValueOfError(status_);
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace plateau

#define PLATEAU_CONCAT_INNER_(a, b) a##b
#define PLATEAU_CONCAT_(a, b) PLATEAU_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` yields a non-OK Status.
#define PLATEAU_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::plateau::Status plateau_status_ = (expr);        \
    if (!plateau_status_.ok()) return plateau_status_; \
  } while (0)

// `PLATEAU_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a StatusOr or returns its Status.
// lhs is a declaration ("auto x", "const T& y"), which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PLATEAU_ASSIGN_OR_RETURN(lhs, expr) \
  PLATEAU_ASSIGN_OR_RETURN_IMPL_(PLATEAU_CONCAT_(plateau_statusor_, __LINE__), lhs, expr)
#define PLATEAU_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
