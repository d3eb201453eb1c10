#include "py_sources.h"

#include <nanobind/stl/string.h>

#include <string>
#include <utility>

#include "py_buffers.h"
#include "py_errors.h"

namespace segpack::py {

PySliceSource::PySliceSource(nb::object obj) : obj_(std::move(obj)) {
  Py_ssize_t n = PyObject_Size(obj_.ptr());
  if (n >= 0) {
    size_ = static_cast<std::uint64_t>(n);
  } else {
    PyErr_Clear();
  }
}

PySliceSource::~PySliceSource() {
  nb::gil_scoped_acquire g;
  pending_.reset();
  obj_.reset();
}

Result<Buffer> PySliceSource::slice(std::uint64_t a, std::optional<std::uint64_t> b) {
  nb::gil_scoped_acquire g;
  try {
    nb::object start = nb::steal(PyLong_FromUnsignedLongLong(a));
    nb::object stop = b ? nb::steal(PyLong_FromUnsignedLongLong(*b)) : nb::none();
    nb::object sl = nb::steal(PySlice_New(start.ptr(), stop.ptr(), nullptr));
    if (!sl.is_valid()) throw nb::python_error();
    nb::object part = nb::steal(PyObject_GetItem(obj_.ptr(), sl.ptr()));
    if (!part.is_valid()) throw nb::python_error();
    auto buf = buffer_from_object(part.ptr());
    if (!buf) return invalid_argument("the range reader's slice did not return a bytes-like object");
    return *buf;
  } catch (nb::python_error& e) {
    std::string what = e.what();
    pending_.emplace(std::move(e));
    return io_error("range read failed: " + what);
  }
}

Result<Buffer> PySliceSource::read(std::uint64_t offset, std::uint64_t length) {
  if (length > UINT64_MAX - offset) return out_of_range("range read overflows");
  SEGPACK_ASSIGN_OR_RETURN(Buffer b, slice(offset, offset + length));
  if (b.size() != length) {
    return out_of_range("range [" + std::to_string(offset) + ", " + std::to_string(offset + length) +
                        ") returned " + std::to_string(b.size()) + " bytes (truncated source)");
  }
  return b;
}

Result<Buffer> PySliceSource::read_to_end(std::uint64_t offset) { return slice(offset, std::nullopt); }

void PySliceSource::rethrow_pending() {
  if (pending_) {
    nb::python_error e = std::move(*pending_);
    pending_.reset();
    e.restore();
    throw nb::python_error();
  }
}

bool is_mapping(nb::handle data) {
  PyObject* o = data.ptr();
  return PyDict_Check(o) ||
         (!PyObject_CheckBuffer(o) && PyObject_HasAttrString(o, "items") && PyObject_HasAttrString(o, "keys"));
}

ResolvedData resolve_data(nb::handle data, const char* type_name) {
  ResolvedData r;
  PyObject* o = data.ptr();
  if (auto b = buffer_from_object(o, /*try_writable=*/true)) {
    r.buf = std::move(*b);
    r.pyobj = nb::borrow(data);
    return r;
  }
  if (PyUnicode_Check(o) || PyObject_HasAttrString(o, "__fspath__")) {
    nb::object path = nb::steal(PyOS_FSPath(o));
    if (!path.is_valid()) throw nb::python_error();
    std::string p = PyBytes_Check(path.ptr()) ? std::string(PyBytes_AsString(path.ptr())) : nb::cast<std::string>(path);
    r.buf = unwrap(map_file(p));
    r.pyobj = nb::none();
    return r;
  }
  if (PyObject_HasAttrString(o, "fileno")) {
    nb::object fd = nb::steal(PyObject_CallMethod(o, "fileno", nullptr));
    if (fd.is_valid()) {
      r.buf = unwrap(map_fd(nb::cast<int>(fd)));
      r.pyobj = nb::none();
      return r;
    }
    PyErr_Clear();  // e.g. io.BytesIO: no descriptor
    if (PyObject_HasAttrString(o, "getbuffer")) {
      nb::object view = nb::steal(PyObject_CallMethod(o, "getbuffer", nullptr));
      if (!view.is_valid()) throw nb::python_error();
      r.buf = buffer_from_object(view.ptr());
      r.pyobj = view;
      return r;
    }
  }
  if (PyObject_HasAttrString(o, "__getitem__")) {
    r.source = std::make_shared<PySliceSource>(nb::borrow(data));
    r.pyobj = nb::borrow(data);
    return r;
  }
  PyErr_Format(PyExc_TypeError,
               "%s data must be a dict, bytes-like object, file, path, mmap, or support __getitem__ with "
               "slices for byte ranges; got %s",
               type_name, Py_TYPE(o)->tp_name);
  throw nb::python_error();
}

}  // namespace segpack::py
