#include "segpack/result.h"

namespace segpack {

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::out_of_range: return "out_of_range";
    case ErrorCode::data_loss: return "data_loss";
    case ErrorCode::corrupt: return "corrupt";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::resource_exhausted: return "resource_exhausted";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

std::string_view error_category_name(ErrorCategory category) noexcept {
  switch (category) {
    case ErrorCategory::general: return "general";
    case ErrorCategory::format: return "format";
    case ErrorCategory::codec: return "codec";
    case ErrorCategory::decode: return "decode";
    case ErrorCategory::encode: return "encode";
  }
  return "unknown";
}

std::string Status::to_string() const {
  std::string s(error_code_name(code_));
  if (category_ != ErrorCategory::general) {
    s += " (";
    s += error_category_name(category_);
    s += ')';
  }
  if (!message_.empty()) {
    s += ": ";
    s += message_;
  }
  return s;
}

Status Status::with_context(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m), category_);
}

}  // namespace segpack
