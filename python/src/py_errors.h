// Python exceptions for the core's errors: one table from a Status's
// (code, category) to a Python exception type (see py_errors.cc).
#pragma once

#include <nanobind/nanobind.h>

#include <utility>

#include "segpack/result.h"

namespace nb = nanobind;

namespace segpack::py {

/// Looks up the exception types of segpack.errors (once, at import).
void init_errors();

/// The Python exception type for `st` (not ok), from the table in py_errors.cc.
PyObject* exception_type(const Status& st);

/// Sets the Python error for `st` (not ok). Returns nullptr for slot functions.
PyObject* set_error(const Status& st);
/// Sets the Python error for `st` (not ok) and throws nb::python_error.
[[noreturn]] void throw_status(const Status& st);

/// The value of `r`, or its error raised as a Python exception.
template <class T>
T unwrap(Result<T> r) {
  if (!r.ok()) throw_status(r.status());
  return std::move(r).value();
}
/// Raises `st` as a Python exception unless it is ok.
inline void check(const Status& st) {
  if (!st.ok()) throw_status(st);
}

}  // namespace segpack::py
