// Python IntMap over segpack's C++ core.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.h"
#include "py_batch.h"
#include "py_buffers.h"
#include "py_errors.h"
#include "py_keys.h"
#include "py_map.h"
#include "py_sources.h"
#include "segpack/intmap.h"

namespace segpack::py {
namespace {

struct PyIntMap : MapBase<PyIntMap, IntMapReader> {
  static constexpr const char* kName = "IntMap";
  static constexpr const char* kClosed = "I/O operation on a closed IntMap";
  nb::object lookup(std::size_t pos) { return value(pos); }
  nb::object value(std::size_t pos) { return nb::steal(PyLong_FromUnsignedLongLong(reader.value_at(pos))); }
  int assign(std::size_t pos, PyObject* obj) {
    std::uint64_t v = 0;
    bool type_error = false;
    if (!key_from_object(obj, &v, &type_error)) {
      if (!type_error) PyErr_SetString(PyExc_ValueError, "IntMap values must be integers in [0, 2**64)");
      return -1;
    }
    const Status st = reader.set_value_at(pos, v);
    if (!st.ok()) {
      set_error(st);
      return -1;
    }
    return 0;
  }
};

nb::bytes build_intmap_bytes(std::vector<std::pair<std::uint64_t, std::uint64_t>>& pairs) {
  BytesOutput out;
  check(build_intmap_into(pairs, out.allocator()));
  return out.take();
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
    // A list is (key, value) pairs (checked by resolve_data or pairs_list);
    // otherwise a mapping.
    nb::object items = PyList_Check(data.ptr()) ? nb::borrow(data) : data.attr("items")();
    for (nb::handle kv : items) {
      nb::object pair = nb::borrow(kv);
      add(pair[0], pair[1]);
    }
  }
  return pairs;
}

}  // namespace

void bind_intmap(nb::module_& m) {
  nb::class_<PyIntMap> cls(m, "IntMap", nb::type_slots(map_slots<PyIntMap>),
                           "A serialized map of u64 keys to u64 values.");
  cls.def("__init__",
          [](PyIntMap* self, nb::handle data) {
            PyIntMap im;  // moved in once open: nanobind does not destroy an instance whose __init__ raised
            im.open_data(
                data,
                [](nb::handle d) {
                  auto pairs = pairs_of(d);
                  return build_intmap_bytes(pairs);
                },
                [](Buffer b) { return IntMapReader::open(std::move(b)); },
                [](std::shared_ptr<PySliceSource> s) { return IntMapReader::open_source(std::move(s)); });
            new (self) PyIntMap(std::move(im));
          },
          nb::arg("data") = nb::none(),
          "data: a dict (or mapping) of ints to ints, or (key, value) pairs (a list or tuple of 2-tuples, or an "
          "iterator, generator or other iterable of them); or an IntMap's bytes (bytes-like), an open binary "
          "file or a path (memory-mapped), or an object with slice __getitem__ (range reader). Keys and values "
          "are integers in [0, 2**64).");
  bind_map_methods(cls, m,
                   {.validate = "Checks the key order (the header and size were checked when it opened). Returns True "
                                "or raises a ValidationError subclass."});
  cls.def_static(
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
      .def("getindex",
           [](PyIntMap& self, Py_ssize_t i) {
             self.require_open();
             return self.reader.value_at(self.position(i));
           })
      .def("setindex",
           [](PyIntMap& self, Py_ssize_t i, std::uint64_t v) {
             self.require_open();
             check(self.reader.set_value_at(self.position(i), v));
           })
      .def("index",
           [](PyIntMap& self) {
             self.require_open();
             Buffer pairs = self.reader.buffer().slice_unchecked(kIntMapHeaderSize, 16 * self.reader.size());
             return pairs_array(std::move(pairs), self.reader.size());
           },
           "The N x 2 uint64 pairs (key, value) as a read-only numpy view.")
      .def_prop_ro("format_version", [](PyIntMap& self) {
        self.require_open();
        return self.reader.version();
      })
      .def("get_many",
           [](PyIntMap& self, nb::handle keys, std::optional<std::uint64_t> dflt, int threads) -> nb::object {
             self.require_open();
             const BatchKeys keys_in(keys);
             const std::vector<std::uint64_t>& ks = keys_in.values;
             if (!dflt) keys_in.reject_invalid();
             auto* out = new std::vector<std::uint64_t>(ks.size());
             nb::capsule owner(out, [](void* p) noexcept { delete static_cast<std::vector<std::uint64_t>*>(p); });
             BatchOptions batch;
             batch.threads = threads_from(threads);
             const IntMapReader reader = self.reader;
             Status st;
             {
               nb::gil_scoped_release nogil;
               st = reader.get_many(ks, *out, dflt, batch);
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
      .def("tobytes",
           [](PyIntMap& self) -> nb::object {
             self.require_open();
             if (self.pyobj.is_valid() && !self.pyobj.is_none() && PyObject_CheckBuffer(self.pyobj.ptr())) {
               return self.pyobj;
             }
             return memoryview_of(self.reader.buffer());
           });

  m.def(
      "write_intmap",
      [](nb::object path, nb::handle data) {
        nb::object p = nb::steal(PyOS_FSPath(path.ptr()));
        if (!p.is_valid()) throw nb::python_error();
        auto pairs = pairs_of(is_mapping(data) ? nb::borrow(data) : nb::object(pairs_list(data, "write_intmap")));
        auto w = unwrap(IntMapFileWriter::create(path_string(p)));
        for (auto& [k, v] : pairs) check(w.add(k, v));
        Status st;
        {
          nb::gil_scoped_release nogil;
          st = w.commit();
        }
        check(st);
      },
      nb::arg("path"), nb::arg("data"),
      "Writes a dict (or mapping) of ints, or (key, value) pairs, to an IntMap file atomically.");
}

}  // namespace segpack::py
