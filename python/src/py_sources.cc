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
  batch_ = PyObject_HasAttrString(obj_.ptr(), "read_ranges");
  nb::object gap = nb::steal(PyObject_GetAttrString(obj_.ptr(), "coalesce_gap"));
  if (gap.is_valid() && PyLong_Check(gap.ptr())) {
    gap_ = PyLong_AsUnsignedLongLong(gap.ptr());
    if (PyErr_Occurred()) gap_ = 0;
  }
  PyErr_Clear();
}

Result<std::vector<Buffer>> PySliceSource::read_many(std::span<const ByteRange> ranges) {
  if (!batch_) return RangeSource::read_many(ranges);
  nb::gil_scoped_acquire g;
  try {
    nb::list arg;
    for (const ByteRange& r : ranges) arg.append(nb::make_tuple(r.offset, r.length));
    nb::object got = obj_.attr("read_ranges")(arg);
    nb::list parts = nb::list(got);
    if (parts.size() != ranges.size()) {
      return invalid_argument("read_ranges returned " + std::to_string(parts.size()) + " ranges for " +
                              std::to_string(ranges.size()));
    }
    std::vector<Buffer> out;
    out.reserve(ranges.size());
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      auto b = buffer_from_object(parts[i].ptr());
      if (!b) return invalid_argument("read_ranges did not return bytes-like objects");
      if (b->size() != ranges[i].length) {
        return out_of_range("range [" + std::to_string(ranges[i].offset) + ", +" + std::to_string(ranges[i].length) +
                            ") returned " + std::to_string(b->size()) + " bytes (truncated source)");
      }
      out.push_back(std::move(*b));
    }
    return out;
  } catch (nb::python_error& e) {
    std::string what = e.what();
    pending_.emplace(std::move(e));
    return io_error("range read failed: " + what);
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
    return out_of_range("range [" + std::to_string(offset) + ", " + std::to_string(offset + length) + ") returned " +
                        std::to_string(b.size()) + " bytes (truncated source)");
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

nb::object absolute_path(nb::handle p) {
  nb::object path = nb::steal(PyOS_FSPath(p.ptr()));
  if (!path.is_valid()) throw nb::python_error();
  // A str even for a bytes path: bytes given to a map's constructor are data.
  return nb::module_::import_("os").attr("fsdecode")(nb::module_::import_("os.path").attr("abspath")(path));
}

std::string path_string(nb::handle p) {
  nb::object b = nb::module_::import_("os").attr("fsencode")(p);
  return std::string(PyBytes_AS_STRING(b.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(b.ptr())));
}

namespace {

// The absolute path of an open file object, or None when its name is not a
// path (e.g. a file opened from a descriptor, whose name is an int).
nb::object file_path(nb::handle file) {
  nb::object name = nb::steal(PyObject_GetAttrString(file.ptr(), "name"));
  if (!name.is_valid()) {
    PyErr_Clear();
    return nb::none();
  }
  if (!PyUnicode_Check(name.ptr()) && !PyBytes_Check(name.ptr())) return nb::none();
  return absolute_path(name);
}

}  // namespace

nb::list pairs_list(nb::handle data, const char* type_name) {
  nb::list out;
  Py_ssize_t i = 0;
  for (nb::handle item : nb::iter(data)) {
    PyObject* o = item.ptr();
    if (!((PyTuple_Check(o) && PyTuple_GET_SIZE(o) == 2) || (PyList_Check(o) && PyList_GET_SIZE(o) == 2))) {
      PyErr_Format(PyExc_TypeError, "%s data given as pairs: item %zd is not a (key, value) pair (a 2-tuple), got %s",
                   type_name, i, Py_TYPE(o)->tp_name);
      throw nb::python_error();
    }
    out.append(item);
    ++i;
  }
  return out;
}

ResolvedData resolve_data(nb::handle data, const char* type_name) {
  ResolvedData r;
  r.pyobj = nb::none();
  r.path = nb::none();
  r.pairs = nb::none();
  PyObject* o = data.ptr();
  if (auto b = buffer_from_object(o, /*try_writable=*/true)) {
    r.buf = std::move(*b);
    r.pyobj = nb::borrow(data);
    return r;
  }
  if (PyUnicode_Check(o) || PyObject_HasAttrString(o, "__fspath__")) {
    nb::object path = nb::steal(PyOS_FSPath(o));
    if (!path.is_valid()) throw nb::python_error();
    r.buf = unwrap(map_file(path_string(path)));
    r.path = absolute_path(path);
    return r;
  }
  if (PyObject_HasAttrString(o, "fileno")) {
    nb::object fd = nb::steal(PyObject_CallMethod(o, "fileno", nullptr));
    if (fd.is_valid()) {
      r.buf = unwrap(map_fd(nb::cast<int>(fd)));
      r.path = file_path(data);
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
  if (PyList_Check(o) || PyTuple_Check(o)) {
    r.pairs = pairs_list(data, type_name);
    return r;
  }
  if (PyObject_HasAttrString(o, "__getitem__")) {
    r.source = std::make_shared<PySliceSource>(nb::borrow(data));
    r.pyobj = nb::borrow(data);
    return r;
  }
  if (PyObject_HasAttrString(o, "__iter__") || PyIter_Check(o)) {
    r.pairs = pairs_list(data, type_name);
    return r;
  }
  PyErr_Format(PyExc_TypeError,
               "%s data must be a dict (or mapping), (key, value) pairs (a list, tuple, iterator or other "
               "iterable of 2-tuples), a bytes-like object, a file, a path, an mmap, or an object whose "
               "__getitem__ takes slices for byte ranges; got %s",
               type_name, Py_TYPE(o)->tp_name);
  throw nb::python_error();
}

}  // namespace segpack::py
