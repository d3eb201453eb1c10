// segpack — error model: Status and Result<T>.
//
// The C++ core never throws across its API. Every fallible function returns
// either a Status (no value) or a Result<T> (a value or a Status). Codes are
// in the spirit of abseil's canonical codes; each binding maps them to its own
// error types (see python/src/bindings.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace segpack {

/// Error classes. `ok` is the only success value.
enum class ErrorCode : std::uint8_t {
  ok = 0,
  invalid_argument,    ///< the caller passed something unusable
  out_of_range,        ///< truncated input, offset or length past the end
  data_loss,           ///< a checksum did not match
  corrupt,             ///< bad magic, header, ordering or encoded stream
  unsupported,         ///< unknown codec, format version or feature
  resource_exhausted,  ///< a size limit was exceeded
  io_error,            ///< the operating system refused a file operation
  not_found,           ///< a key is absent
  internal,            ///< a bug in segpack or a library it uses
};

/// Human-readable name of an ErrorCode ("corrupt", "data_loss", ...).
std::string_view error_code_name(ErrorCode code) noexcept;

/// A success marker or an error code with a message. Cheap to move; the
/// success value carries no allocation.
class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() noexcept { return Status(); }

  bool ok() const noexcept { return code_ == ErrorCode::ok; }
  ErrorCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  /// "code: message", for logs and test failure output.
  std::string to_string() const;

  /// Returns a copy whose message is prefixed with `context + ": "`.
  Status with_context(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::ok;
  std::string message_;
};

/// Convenience constructors.
inline Status invalid_argument(std::string m) { return {ErrorCode::invalid_argument, std::move(m)}; }
inline Status out_of_range(std::string m) { return {ErrorCode::out_of_range, std::move(m)}; }
inline Status data_loss(std::string m) { return {ErrorCode::data_loss, std::move(m)}; }
inline Status corrupt(std::string m) { return {ErrorCode::corrupt, std::move(m)}; }
inline Status unsupported(std::string m) { return {ErrorCode::unsupported, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {ErrorCode::resource_exhausted, std::move(m)}; }
inline Status io_error(std::string m) { return {ErrorCode::io_error, std::move(m)}; }
inline Status not_found(std::string m) { return {ErrorCode::not_found, std::move(m)}; }
inline Status internal_error(std::string m) { return {ErrorCode::internal, std::move(m)}; }

/// A value of type T or an error Status. Constructing a Result from an OK
/// Status is a programming error and yields an `internal` error instead.
template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, Status>, "use Status directly");

 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Status status) : v_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    if (std::get<1>(v_).ok()) v_.template emplace<1>(ErrorCode::internal, "Result built from an OK status");
  }

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The error; Status::OK() when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<1>(v_); }

  /// The value. Precondition: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The value, or `fallback` on error.
  T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace segpack

#define SEGPACK_CONCAT_INNER_(a, b) a##b
#define SEGPACK_CONCAT_(a, b) SEGPACK_CONCAT_INNER_(a, b)

/// Evaluates `expr` (a Status); returns it from the enclosing function on error.
#define SEGPACK_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::segpack::Status _segpack_st = (expr);    \
    if (!_segpack_st.ok()) return _segpack_st; \
  } while (0)

#define SEGPACK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

/// `SEGPACK_ASSIGN_OR_RETURN(auto x, f());` — unwraps a Result or returns its error.
#define SEGPACK_ASSIGN_OR_RETURN(lhs, expr) \
  SEGPACK_ASSIGN_OR_RETURN_IMPL_(SEGPACK_CONCAT_(_segpack_r_, __LINE__), lhs, expr)
