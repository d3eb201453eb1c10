// Python IntMap over segpack's C++ core.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstring>
#include <vector>

#include "py_common.h"
#include "py_segments.h"
#include "segpack/get_many.h"
#include "segpack/intmap.h"

namespace segpack::py {
namespace {

struct PyIntMap {
  static constexpr const char* kClosed = "I/O operation on a closed IntMap";
  IntMapReader reader;
  bool open = false;
  nb::object pyobj;
  std::shared_ptr<PySliceSource> source;  // range reader, if any (also held by `reader`)
  void require_open() const {
    if (!open) throw nb::value_error(kClosed);
  }
  void close() {
    open = false;
    reader = IntMapReader();
    source.reset();
    pyobj = nb::none();
  }
};

PyObject* im_subscript(PyObject* self, PyObject* key) {
  PyIntMap* m = open_map<PyIntMap>(self);
  if (m == nullptr) return nullptr;
  std::size_t pos = 0;
  if (!find_key_or_key_error(m->reader, key, &pos)) return nullptr;
  return PyLong_FromUnsignedLongLong(m->reader.value_at(pos));
}

int im_ass_subscript(PyObject* self, PyObject* key, PyObject* value) {
  PyIntMap* m = open_map<PyIntMap>(self);
  if (m == nullptr) return -1;
  if (value == nullptr) {
    PyErr_SetString(PyExc_TypeError, "IntMap items cannot be deleted");
    return -1;
  }
  std::size_t pos = 0;
  if (!find_key_or_key_error(m->reader, key, &pos)) return -1;
  std::uint64_t v = 0;
  bool type_error = false;
  if (!key_from_object(value, &v, &type_error)) {
    if (!type_error) PyErr_SetString(PyExc_ValueError, "IntMap values must be integers in [0, 2**64)");
    return -1;
  }
  Status st = set_intmap_value(m->reader, pos, v);
  if (!st.ok()) {
    set_error(st);
    return -1;
  }
  return 0;
}

// The data object may be a user's range reader that refers back to the map:
// let the cycle collector see it (a range source's object is the same one).
int im_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  if (!nb::inst_ready(self)) return 0;
  PyIntMap* m = nb::inst_ptr<PyIntMap>(self);
  Py_VISIT(m->pyobj.ptr());
  if (m->source) Py_VISIT(m->source->object_ptr());
  return 0;
}

int im_clear(PyObject* self) {
  if (nb::inst_ready(self)) nb::inst_ptr<PyIntMap>(self)->close();
  return 0;
}

PyType_Slot intmap_slots[] = {
    {Py_tp_traverse, reinterpret_cast<void*>(im_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(im_clear)},
    {Py_mp_subscript, reinterpret_cast<void*>(im_subscript)},
    {Py_mp_ass_subscript, reinterpret_cast<void*>(im_ass_subscript)},
    {Py_mp_length, reinterpret_cast<void*>(map_length<PyIntMap>)},
    {Py_sq_contains, reinterpret_cast<void*>(map_contains<PyIntMap>)},
    {0, nullptr},
};

struct IntMapIter {
  nb::object owner;
  std::size_t i = 0;
  int mode = 0;
};

nb::bytes build_intmap_bytes(std::vector<std::pair<std::uint64_t, std::uint64_t>>& pairs) {
  nb::object out;
  Status st = build_intmap_into(pairs, [&](std::size_t n) -> MutableByteSpan {
    PyObject* b = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(n));
    if (b == nullptr) {
      PyErr_Clear();
      return {};
    }
    out = nb::steal(b);
    return MutableByteSpan(reinterpret_cast<std::uint8_t*>(PyBytes_AS_STRING(b)), n);
  });
  check(st);
  return nb::borrow<nb::bytes>(out);
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs_of(nb::handle data) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
  auto add = [&](nb::handle k, nb::handle v) {
    std::uint64_t key = key_for_write(k);
    std::uint64_t val = 0;
    bool type_error = false;
    if (!key_from_object(v.ptr(), &val, &type_error)) {
      if (type_error) throw nb::python_error();
      throw nb::value_error("IntMap values must be integers in [0, 2**64)");
    }
    pairs.emplace_back(key, val);
  };
  if (PyDict_Check(data.ptr())) {
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    pairs.reserve(static_cast<std::size_t>(PyDict_Size(data.ptr())));
    while (PyDict_Next(data.ptr(), &pos, &k, &v)) add(k, v);
  } else {
    for (nb::handle kv : data.attr("items")()) {
      nb::object pair = nb::borrow(kv);
      add(pair[0], pair[1]);
    }
  }
  return pairs;
}

}  // namespace

void bind_intmap(nb::module_& m) {
  nb::class_<IntMapIter>(m, "_IntMapIterator")
      .def("__iter__", [](nb::handle self) { return nb::borrow(self); })
      .def("__next__", [](IntMapIter& it) -> nb::object {
        PyIntMap* im = nb::inst_ptr<PyIntMap>(it.owner);
        im->require_open();
        if (it.i >= im->reader.size()) throw nb::stop_iteration();
        std::size_t i = it.i++;
        nb::object key = nb::steal(PyLong_FromUnsignedLongLong(im->reader.key_at(i)));
        nb::object val = nb::steal(PyLong_FromUnsignedLongLong(im->reader.value_at(i)));
        if (it.mode == 0) return key;
        if (it.mode == 1) return val;
        return nb::make_tuple(key, val);
      });
  auto iter_of = [](nb::handle self, int mode) {
    nb::inst_ptr<PyIntMap>(self)->require_open();
    return IntMapIter{nb::borrow(self), 0, mode};
  };

  nb::class_<PyIntMap>(m, "IntMap", nb::type_slots(intmap_slots), "A serialized map of u64 keys to u64 values.")
      .def("__init__",
           [](PyIntMap* self, nb::handle data) {
             new (self) PyIntMap();
             nb::object src = data.is_none() ? nb::dict() : nb::borrow(data);
             if (PyDict_Check(src.ptr()) || (!PyObject_CheckBuffer(src.ptr()) &&
                                             PyObject_HasAttrString(src.ptr(), "items") &&
                                             PyObject_HasAttrString(src.ptr(), "keys"))) {
               auto pairs = pairs_of(src);
               nb::bytes built = build_intmap_bytes(pairs);
               self->reader = unwrap(IntMapReader::open(*buffer_from_object(built.ptr())));
               self->pyobj = std::move(built);
             } else {
               ResolvedData r = resolve_data(src, "IntMap");
               if (r.buf) {
                 self->reader = unwrap(IntMapReader::open(std::move(*r.buf)));
               } else {
                 auto opened = IntMapReader::open_source(r.source);
                 if (!opened.ok()) {
                   r.source->rethrow_pending();
                   throw_status(opened.status());
                 }
                 self->reader = std::move(*opened);
                 self->source = r.source;
               }
               self->pyobj = r.pyobj;
             }
             self->open = true;
           },
           nb::arg("data") = nb::none())
      .def_static(
          "from_arrays",
          [](nb::handle keys, nb::handle values) {
            nb::object np = nb::module_::import_("numpy");
            nb::object k = np.attr("ascontiguousarray")(keys, "<u8");
            nb::object v = np.attr("ascontiguousarray")(values, "<u8");
            auto kb = buffer_from_object(k.ptr());
            auto vb = buffer_from_object(v.ptr());
            if (kb->size() != vb->size()) throw nb::value_error("keys and values differ in length");
            std::size_t n = kb->size() / 8;
            std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs(n);
            for (std::size_t i = 0; i < n; ++i) {
              std::memcpy(&pairs[i].first, kb->data() + 8 * i, 8);
              std::memcpy(&pairs[i].second, vb->data() + 8 * i, 8);
            }
            nb::bytes built = build_intmap_bytes(pairs);
            return nb::module_::import_("segpack").attr("IntMap")(built);
          },
          nb::arg("keys"), nb::arg("values"), "Builds an IntMap from two equal-length integer arrays.")
      .def("get",
           [](PyIntMap& self, nb::handle key, nb::handle dflt) -> nb::object {
             self.require_open();
             std::size_t pos = 0;
             const KeyLookup r = find_key(self.reader, key.ptr(), &pos);
             if (r == KeyLookup::type_error) throw nb::python_error();
             if (r == KeyLookup::absent) return nb::borrow(dflt);
             return nb::steal(PyLong_FromUnsignedLongLong(self.reader.value_at(pos)));
           },
           nb::arg("label"), nb::arg("default") = nb::none())
      .def("getindex",
           [](PyIntMap& self, Py_ssize_t i) {
             self.require_open();
             Py_ssize_t n = static_cast<Py_ssize_t>(self.reader.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) throw nb::index_error("IntMap index position out of range");
             return self.reader.value_at(static_cast<std::size_t>(i));
           })
      .def("setindex",
           [](PyIntMap& self, Py_ssize_t i, std::uint64_t v) {
             self.require_open();
             Py_ssize_t n = static_cast<Py_ssize_t>(self.reader.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) throw nb::index_error("IntMap index position out of range");
             check(set_intmap_value(self.reader, static_cast<std::size_t>(i), v));
           })
      .def("find_index_position",
           [](PyIntMap& self, nb::handle key) -> nb::object {
             self.require_open();
             std::size_t pos = 0;
             const KeyLookup r = find_key(self.reader, key.ptr(), &pos);
             if (r == KeyLookup::type_error) throw nb::python_error();
             return r == KeyLookup::found ? nb::object(nb::int_(pos)) : nb::object(nb::none());
           })
      .def("index",
           [](PyIntMap& self) {
             self.require_open();
             nb::object np = nb::module_::import_("numpy");
             Buffer pairs = self.reader.buffer().slice_unchecked(kIntMapHeaderSize, 16 * self.reader.size());
             nb::object arr = np.attr("frombuffer")(memoryview_of(std::move(pairs)), "<u8");
             return arr.attr("reshape")(static_cast<Py_ssize_t>(self.reader.size()), 2);
           })
      .def("keys", [iter_of](nb::handle self) { return iter_of(self, 0); })
      .def("values", [iter_of](nb::handle self) { return iter_of(self, 1); })
      .def("items", [iter_of](nb::handle self) { return iter_of(self, 2); })
      .def("__iter__", [iter_of](nb::handle self) { return iter_of(self, 0); })
      .def("todict",
           [](PyIntMap& self) {
             self.require_open();
             nb::dict d;
             for (std::size_t i = 0; i < self.reader.size(); ++i) {
               d[nb::steal(PyLong_FromUnsignedLongLong(self.reader.key_at(i)))] =
                   nb::steal(PyLong_FromUnsignedLongLong(self.reader.value_at(i)));
             }
             return d;
           })
      .def_prop_ro("header",
                   [](PyIntMap& self) {
                     self.require_open();
                     auto h = self.reader.header_bytes();
                     return nb::bytes(reinterpret_cast<const char*>(h.data()), h.size());
                   })
      .def_prop_ro("format_version", [](PyIntMap& self) {
        self.require_open();
        return self.reader.version();
      })
      .def_prop_ro("closed", [](PyIntMap& self) { return !self.open; })
      .def("get_many",
           [](PyIntMap& self, nb::handle keys, std::optional<std::uint64_t> dflt, int threads) -> nb::object {
             self.require_open();
             const BatchKeys keys_in(keys);
             const std::vector<std::uint64_t>& ks = keys_in.values;
             if (!dflt) keys_in.reject_invalid();
             auto* out = new std::vector<std::uint64_t>(ks.size());
             nb::capsule owner(out, [](void* p) noexcept { delete static_cast<std::vector<std::uint64_t>*>(p); });
             ParallelOptions batch;
             batch.threads = threads_from(threads);
             const IntMapReader reader = self.reader;
             Status st;
             {
               nb::gil_scoped_release nogil;
               st = get_many(reader, ks, *out, dflt, batch);
             }
             if (!st.ok()) {
               if (st.code() == ErrorCode::not_found) {
                 keys_in.raise_first_missing([&](std::uint64_t k) { return reader.find(k).has_value(); });
               }
               throw_status(st);
             }
             for (std::size_t i = 0; keys_in.any_invalid() && i < ks.size(); ++i) {
               if (keys_in.invalid(i)) (*out)[i] = *dflt;
             }
             const std::size_t shape[1] = {out->size()};
             nb::ndarray<nb::numpy, std::uint64_t, nb::ndim<1>> arr(out->data(), 1, shape, owner);
             return nb::cast(arr);
           },
           nb::arg("keys"), nb::arg("default") = nb::none(), nb::arg("threads") = -1,
           "Values of many keys as a numpy uint64 array, looked up on the library's thread pool without the GIL. "
           "Missing keys raise KeyError, or take `default` when given.")
      .def("validate",
           [](PyIntMap& self) {
             self.require_open();
             check(self.reader.validate());
             return true;
           })
      .def_static(
          "validate_buffer",
          [](nb::handle buf) { return nb::module_::import_("segpack").attr("IntMap")(buf).attr("validate")(); },
          nb::arg("buf"))
      .def("tobytes",
           [](PyIntMap& self) -> nb::object {
             self.require_open();
             if (self.pyobj.is_valid() && !self.pyobj.is_none() && PyObject_CheckBuffer(self.pyobj.ptr())) {
               return self.pyobj;
             }
             return memoryview_of(self.reader.buffer());
           })
      .def("close", [](PyIntMap& self) { self.close(); })
      .def("__enter__", [](nb::handle self) { return nb::borrow(self); })
      .def("__exit__",
           [](PyIntMap& self, nb::args) {
             self.close();
             return false;
           })
      .def("__repr__", [](PyIntMap& self) {
        if (!self.open) return std::string("<IntMap closed>");
        return "<IntMap " + std::to_string(self.reader.size()) + " items>";
      });

  m.def(
      "write_intmap",
      [](nb::object path, nb::handle data) {
        nb::object p = nb::steal(PyOS_FSPath(path.ptr()));
        if (!p.is_valid()) throw nb::python_error();
        auto pairs = pairs_of(data);
        auto w = unwrap(IntMapFileWriter::create(nb::cast<std::string>(nb::str(p))));
        for (auto& [k, v] : pairs) check(w.add(k, v));
        Status st;
        {
          nb::gil_scoped_release nogil;
          st = w.commit();
        }
        check(st);
      },
      nb::arg("path"), nb::arg("data"), "Writes a dict (or mapping) of ints to an IntMap file atomically.");
}

}  // namespace segpack::py
