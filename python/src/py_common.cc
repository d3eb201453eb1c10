#include "py_common.h"

#include <bit>
#include <cctype>
#include <climits>
#include <cstring>
#include <memory>

namespace segpack::py {

ErrorTypes& errors() {
  static ErrorTypes e;
  return e;
}

void init_errors() {
  nb::module_ mod = nb::module_::import_("segpack.errors");
  auto get = [&](const char* name) {
    PyObject* t = mod.attr(name).ptr();
    Py_INCREF(t);  // kept for the life of the process
    return t;
  };
  ErrorTypes& e = errors();
  e.validation = get("ValidationError");
  e.truncated = get("TruncatedError");
  e.checksum = get("ChecksumError");
  e.unsupported_format = get("UnsupportedFormatError");
  e.unsupported_codec = get("UnsupportedCompressionType");
  e.decompression = get("DecompressionError");
  e.compression = get("CompressionError");
  e.limit = get("LimitExceededError");
}

PyObject* set_error(const Status& st, ErrorContext ctx) {
  const ErrorTypes& e = errors();
  PyObject* type = PyExc_RuntimeError;
  switch (st.code()) {
    case ErrorCode::ok:
    case ErrorCode::internal: type = PyExc_RuntimeError; break;
    case ErrorCode::invalid_argument: type = PyExc_ValueError; break;
    case ErrorCode::out_of_range:
      type = ctx == ErrorContext::decompress ? e.decompression : e.truncated;
      break;
    case ErrorCode::data_loss: type = e.checksum; break;
    case ErrorCode::corrupt:
      type = ctx == ErrorContext::decompress ? e.decompression : e.validation;
      break;
    case ErrorCode::unsupported:
      type = st.message().find("codec") != std::string::npos || st.message().find("compression") != std::string::npos
                 ? e.unsupported_codec
                 : e.unsupported_format;
      break;
    case ErrorCode::resource_exhausted: type = e.limit; break;
    case ErrorCode::io_error: type = PyExc_OSError; break;
    case ErrorCode::not_found: type = PyExc_KeyError; break;
  }
  if (ctx == ErrorContext::compress && st.code() != ErrorCode::invalid_argument) type = e.compression;
  if (type == nullptr) type = PyExc_RuntimeError;  // errors module not initialised
  PyErr_SetString(type, st.message().c_str());
  return nullptr;
}

void throw_status(const Status& st, ErrorContext ctx) {
  set_error(st, ctx);
  throw nb::python_error();
}

namespace {

struct PyBufferOwner {
  Py_buffer view{};
  ~PyBufferOwner() {
    if (view.obj == nullptr) return;
    PyGILState_STATE g = PyGILState_Ensure();
    PyBuffer_Release(&view);
    PyGILState_Release(g);
  }
};

}  // namespace

std::optional<Buffer> buffer_from_object(PyObject* obj, bool try_writable) {
  if (!PyObject_CheckBuffer(obj)) return std::nullopt;
  auto owner = std::make_shared<PyBufferOwner>();
  bool writable = false;
  if (try_writable && PyObject_GetBuffer(obj, &owner->view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) == 0) {
    writable = true;
  } else {
    PyErr_Clear();
    if (PyObject_GetBuffer(obj, &owner->view, PyBUF_C_CONTIGUOUS) != 0) {
      owner->view.obj = nullptr;
      throw nb::python_error();
    }
  }
  const auto* p = static_cast<const std::uint8_t*>(owner->view.buf);
  auto n = static_cast<std::size_t>(owner->view.len);
  return Buffer(p, n, std::shared_ptr<const void>(owner), writable);
}

// ---- BytesView: read-only buffer protocol over a Buffer

namespace {

int bytesview_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  BytesView* bv = nb::inst_ptr<BytesView>(self);
  return PyBuffer_FillInfo(view, self, const_cast<std::uint8_t*>(bv->buf.data()),
                           static_cast<Py_ssize_t>(bv->buf.size()), /*readonly=*/1, flags);
}

void bytesview_releasebuffer(PyObject*, Py_buffer*) {}

PyType_Slot bytesview_slots[] = {
    {Py_bf_getbuffer, reinterpret_cast<void*>(bytesview_getbuffer)},
    {Py_bf_releasebuffer, reinterpret_cast<void*>(bytesview_releasebuffer)},
    {0, nullptr},
};

}  // namespace

void bind_bytes_view(nb::module_& m) {
  nb::class_<BytesView>(m, "_BytesView", nb::type_slots(bytesview_slots),
                        "Read-only bytes kept alive by their owner (a memory map or a buffer).")
      .def("__len__", [](const BytesView& v) { return v.buf.size(); });
}

nb::object memoryview_of(Buffer b) {
  nb::object holder = nb::cast(BytesView{std::move(b)});
  PyObject* mv = PyMemoryView_FromObject(holder.ptr());
  if (mv == nullptr) throw nb::python_error();
  return nb::steal(mv);
}

// ---- keys

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

// ---- codecs

Codec codec_from_arg(nb::handle arg) {
  PyObject* o = arg.ptr();
  if (o == Py_None || o == Py_False) return Codec::none;
  if (o == Py_True) return Codec::gzip;
  if (PyLong_Check(o)) {
    long v = PyLong_AsLong(o);
    if (v == 0) return Codec::none;
    if (v == 1) return Codec::gzip;
  } else if (PyUnicode_Check(o)) {
    std::string s = nb::cast<std::string>(arg);
    auto r = codec_from_name(s);
    if (r.ok()) return *r;
    PyErr_SetString(errors().unsupported_codec, r.status().message().c_str());
    throw nb::python_error();
  } else if (PyBytes_Check(o) || PyByteArray_Check(o)) {
    auto b = buffer_from_object(o);
    if (b->size() == 4) {
      auto r = codec_from_tag(b->span());
      if (r.ok()) return *r;
    }
  }
  PyObject* rep = PyObject_Repr(o);
  std::string s = rep ? PyUnicode_AsUTF8(rep) : "?";
  Py_XDECREF(rep);
  PyErr_SetString(errors().unsupported_codec,
                  ("unsupported compression " + s + "; supported: None, 'gzip', 'br', 'zstd', 'lzma'").c_str());
  throw nb::python_error();
}

nb::object codec_to_py(Codec c) {
  if (c == Codec::none) return nb::none();
  auto n = codec_name(c);
  return nb::str(n.data(), n.size());
}

// ---- PySliceSource

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

}  // namespace segpack::py

namespace segpack::py {

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
