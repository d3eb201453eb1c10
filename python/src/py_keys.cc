#include "py_keys.h"

#include <bit>
#include <climits>
#include <cstring>
#include <string>

namespace segpack::py {

void set_lookup_error(const Status& st, PySliceSource* src) {
  if (src != nullptr) {
    try {
      src->rethrow_pending();
    } catch (nb::python_error& e) {
      e.restore();
      return;
    }
  }
  set_error(st);
}

BatchKeys::BatchKeys(nb::handle keys) : items_(nb::borrow(keys)) {
  if (PyObject_CheckBuffer(keys.ptr())) {
    Py_buffer view{};
    if (PyObject_GetBuffer(keys.ptr(), &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) == 0) {
      const char* f = view.format != nullptr ? view.format : "B";
      if (*f == '@' || *f == '=' || (*f == '<' && std::endian::native == std::endian::little)) ++f;
      const bool fmt_ok = view.itemsize == 8 && f[0] != '\0' && f[1] == '\0' &&
                          (f[0] == 'Q' || f[0] == 'L' || f[0] == 'q' || f[0] == 'l');
      if (fmt_ok) {
        const std::size_t n = static_cast<std::size_t>(view.len / 8);
        values.resize(n);
        if (n != 0) std::memcpy(values.data(), view.buf, n * 8);
        PyBuffer_Release(&view);
        if (f[0] == 'q' || f[0] == 'l') {
          for (std::size_t i = 0; i < n; ++i) {
            if (static_cast<std::int64_t>(values[i]) >= 0) continue;
            if (invalid_.empty()) invalid_.assign(n, 0);
            invalid_[i] = 1;
            values[i] = 0;
          }
        }
        return;
      }
      PyBuffer_Release(&view);
    } else {
      PyErr_Clear();
    }
  }
  items_ = nb::steal(PySequence_Fast(keys.ptr(), "keys must be an iterable of integers"));
  if (!items_.is_valid()) throw nb::python_error();
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(items_.ptr());
  PyObject** items = PySequence_Fast_ITEMS(items_.ptr());
  values.resize(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    bool type_error = false;
    if (key_from_object(items[i], &values[k], &type_error)) continue;
    if (type_error) throw nb::python_error();
    if (invalid_.empty()) invalid_.assign(static_cast<std::size_t>(n), 0);
    invalid_[k] = 1;
    values[k] = 0;
  }
}

void BatchKeys::reject_invalid() const {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (invalid(i)) raise_key_error(i);
  }
}

void BatchKeys::raise_key_error(std::size_t i) const {
  PyObject* k = PySequence_Check(items_.ptr()) ? PySequence_GetItem(items_.ptr(), static_cast<Py_ssize_t>(i)) : nullptr;
  if (k == nullptr) {
    PyErr_Clear();
    k = PyLong_FromUnsignedLongLong(values[i]);
    if (k == nullptr) throw nb::python_error();
  }
  PyErr_SetObject(PyExc_KeyError, k);
  Py_DECREF(k);
  throw nb::python_error();
}

namespace {

// int -> u64, false (no error set) for negative values and values >= 2**64.
// PyLong_AsUnsignedLong walks the digits inline; CPython's
// PyLong_AsUnsignedLongLong sends every int above 2**30 through the generic
// _PyLong_AsByteArray, several times slower on the lookup and build paths.
inline bool pylong_to_u64(PyObject* o, std::uint64_t* out) {
#if ULONG_MAX == UINT64_MAX
  const unsigned long v = PyLong_AsUnsignedLong(o);
#else
  const unsigned long long v = PyLong_AsUnsignedLongLong(o);
#endif
  if (v == static_cast<decltype(v)>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    return false;
  }
  *out = v;
  return true;
}

}  // namespace

bool key_from_object(PyObject* key, std::uint64_t* out, bool* type_error) {
  *type_error = false;
  if (PyLong_CheckExact(key)) return pylong_to_u64(key, out);  // negative or >= 2**64: never a key
  PyObject* idx = PyNumber_Index(key);
  if (idx == nullptr) {
    PyErr_Clear();
    *type_error = true;
    PyErr_Format(PyExc_TypeError, "keys are integers, got %s", Py_TYPE(key)->tp_name);
    return false;
  }
  const bool ok = pylong_to_u64(idx, out);
  Py_DECREF(idx);
  return ok;
}

std::uint64_t key_for_write(nb::handle key) {
  std::uint64_t k = 0;
  bool type_error = false;
  if (key_from_object(key.ptr(), &k, &type_error)) return k;
  if (type_error) throw nb::python_error();
  PyObject* r = PyObject_Repr(key.ptr());
  std::string s = r ? PyUnicode_AsUTF8(r) : "?";
  Py_XDECREF(r);
  throw nb::value_error(("keys must be integers in [0, 2**64), got " + s).c_str());
}

}  // namespace segpack::py
