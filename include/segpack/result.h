// segpack — error model: Status and Result<T>.
//
// The C++ core never throws across its API. Every fallible function returns
// either a Status (no value) or a Result<T> (a value or a Status). A Status
// carries a code (what kind of failure, in the spirit of abseil's canonical
// codes) and a category (which layer found it: a file format, the codec
// lookup, a decoder, an encoder). A binding maps the (code, category) pair,
// and nothing else, to its own error types: the Python table is in
// python/src/py_errors.cc.
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

/// What went wrong, beside the code: the layer that found the problem. It
/// refines the code and never contradicts it (a resource_exhausted is a limit
/// whatever its category). Where each is set:
///
/// - general: everything not below: arguments, files and sources, missing
///   keys, limits the caller set (max_index_bytes, max_output_size), bugs.
/// - format: the MapBuffer and IntMap readers, about the bytes they read: bad
///   magic, header or order (corrupt), an offset or count past the end
///   (out_of_range), a crc (data_loss), a format version (unsupported).
/// - codec: codec_from_name / codec_from_tag: a name or tag that names no
///   codec segpack knows (unsupported).
/// - decode: Decompressor, and through it every reader and batch that
///   decodes: a garbled, truncated or over-long stream (corrupt), output
///   beyond max_output (resource_exhausted), stream options the decoder does
///   not support (unsupported).
/// - encode: Compressor and compress_batch, and through them every writer:
///   the codec library failed (internal), no memory or a batch too large
///   (resource_exhausted). A bad level stays invalid_argument.
///
/// An error keeps its category when it is passed up with added context
/// (Status::with_context). An OK status is always general.
enum class ErrorCategory : std::uint8_t {
  general = 0,  ///< not tied to one layer
  format,       ///< the bytes of a segpack file format are malformed or of an unsupported version
  codec,        ///< the codec itself is unknown (a name or 4-byte tag segpack does not know)
  decode,       ///< a compressed stream could not be decoded, or decodes beyond a limit
  encode,       ///< compressing failed
};

/// Human-readable name of an ErrorCategory ("general", "format", ...).
std::string_view error_category_name(ErrorCategory category) noexcept;

/// A success marker or an error code, category and message. Cheap to move;
/// the success value carries no allocation.
class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(ErrorCode code, std::string message, ErrorCategory category = ErrorCategory::general)
      : code_(code),
        category_(code == ErrorCode::ok ? ErrorCategory::general : category),
        message_(std::move(message)) {}

  static Status OK() noexcept { return Status(); }

  bool ok() const noexcept { return code_ == ErrorCode::ok; }
  ErrorCode code() const noexcept { return code_; }
  ErrorCategory category() const noexcept { return category_; }
  const std::string& message() const noexcept { return message_; }
  /// "code: message", or "code (category): message" when the category is
  /// not general; for logs and test failure output.
  std::string to_string() const;

  /// Returns a copy whose message is prefixed with `context + ": "` (same
  /// code and category).
  Status with_context(std::string_view context) const;
  /// The same error in `category`; an OK status stays OK (and general).
  Status with_category(ErrorCategory category) const& { return Status(*this).with_category(category); }
  Status with_category(ErrorCategory category) && {
    if (!ok()) category_ = category;
    return std::move(*this);
  }

 private:
  ErrorCode code_ = ErrorCode::ok;
  ErrorCategory category_ = ErrorCategory::general;
  std::string message_;
};

/// The convenience constructors below: `corrupt("bad magic")`, or with a
/// category, `corrupt("bad magic", ErrorCategory::format)`.
template <ErrorCode kCode>
struct ErrorFactory {
  Status operator()(std::string message, ErrorCategory category = ErrorCategory::general) const {
    return {kCode, std::move(message), category};
  }
};
inline constexpr ErrorFactory<ErrorCode::invalid_argument> invalid_argument{};
inline constexpr ErrorFactory<ErrorCode::out_of_range> out_of_range{};
inline constexpr ErrorFactory<ErrorCode::data_loss> data_loss{};
inline constexpr ErrorFactory<ErrorCode::corrupt> corrupt{};
inline constexpr ErrorFactory<ErrorCode::unsupported> unsupported{};
inline constexpr ErrorFactory<ErrorCode::resource_exhausted> resource_exhausted{};
inline constexpr ErrorFactory<ErrorCode::io_error> io_error{};
inline constexpr ErrorFactory<ErrorCode::not_found> not_found{};
inline constexpr ErrorFactory<ErrorCode::internal> internal_error{};

/// A value of type T or an error Status. Constructing a Result from an OK
/// Status is a programming error and yields an `internal` error instead.
template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, Status>, "use Status directly");

 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}        // NOLINT
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
