// The one table from the core's errors to Python exceptions. The core says
// what went wrong (ErrorCode) and which layer found it (ErrorCategory, see
// include/segpack/result.h); the Python type follows from that pair alone.
#include "py_errors.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace segpack::py {
namespace {

// The Python exception types the table names.
enum Exc : std::uint8_t {
  runtime,             // RuntimeError
  value,               // ValueError
  key,                 // KeyError
  os,                  // OSError
  validation,          // segpack.errors.ValidationError
  truncated,           // TruncatedError
  checksum,            // ChecksumError
  unsupported_format,  // UnsupportedFormatError
  unsupported_codec,   // UnsupportedCompressionType
  decompression,       // DecompressionError
  compression,         // CompressionError
  limit,               // LimitExceededError
  kExcCount
};

constexpr std::size_t kCodes = static_cast<std::size_t>(ErrorCode::internal) + 1;
constexpr std::size_t kCategories = static_cast<std::size_t>(ErrorCategory::encode) + 1;

// One row per ErrorCode, one column per ErrorCategory, both in enum order:
// columns general, format, codec, decode, encode. A new code or category
// needs its row or column here (the row count is checked below).
constexpr Exc kTable[][kCategories] = {
    {runtime, runtime, runtime, runtime, runtime},                                                 // ok
    {value, value, value, value, value},                                                           // invalid_argument
    {truncated, truncated, truncated, decompression, compression},                                 // out_of_range
    {checksum, checksum, checksum, checksum, compression},                                         // data_loss
    {validation, validation, validation, decompression, compression},                              // corrupt
    {unsupported_format, unsupported_format, unsupported_codec, unsupported_format, compression},  // unsupported
    {limit, limit, limit, limit, compression},                                                     // resource_exhausted
    {os, os, os, os, compression},                                                                 // io_error
    {key, key, key, key, compression},                                                             // not_found
    {runtime, runtime, runtime, runtime, compression},                                             // internal
};
static_assert(sizeof(kTable) / sizeof(kTable[0]) == kCodes);

// The type objects, filled by init_errors(); null until then.
std::array<PyObject*, kExcCount>& types() {
  static std::array<PyObject*, kExcCount> t{};
  return t;
}

}  // namespace

void init_errors() {
  nb::module_ mod = nb::module_::import_("segpack.errors");
  auto get = [&](const char* name) {
    PyObject* t = mod.attr(name).ptr();
    Py_INCREF(t);  // kept for the life of the process
    return t;
  };
  std::array<PyObject*, kExcCount>& t = types();
  t[runtime] = PyExc_RuntimeError;
  t[value] = PyExc_ValueError;
  t[key] = PyExc_KeyError;
  t[os] = PyExc_OSError;
  t[validation] = get("ValidationError");
  t[truncated] = get("TruncatedError");
  t[checksum] = get("ChecksumError");
  t[unsupported_format] = get("UnsupportedFormatError");
  t[unsupported_codec] = get("UnsupportedCompressionType");
  t[decompression] = get("DecompressionError");
  t[compression] = get("CompressionError");
  t[limit] = get("LimitExceededError");
}

PyObject* exception_type(const Status& st) {
  const auto code = static_cast<std::size_t>(st.code());
  const auto category = static_cast<std::size_t>(st.category());
  PyObject* type = code < kCodes && category < kCategories ? types()[kTable[code][category]] : nullptr;
  return type != nullptr ? type : PyExc_RuntimeError;  // errors module not initialised
}

PyObject* set_error(const Status& st) {
  PyErr_SetString(exception_type(st), st.message().c_str());
  return nullptr;
}

void throw_status(const Status& st) {
  set_error(st);
  throw nb::python_error();
}

}  // namespace segpack::py
