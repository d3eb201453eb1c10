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
#include "py_remote.h"
#include "py_sig.h"
#include "py_sources.h"
#include "segpack/get_many.h"
#include "segpack/intmap.h"

namespace segpack::py {
namespace {

struct PyIntMap : MapBase<PyIntMap, IntMapReader> {
  static constexpr const char* kName = "IntMap";
  static constexpr const char* kClosed = "I/O operation on a closed IntMap";
  std::optional<bool> partial;  // the partial_index= keyword (None: by size)

  nb::dict options() const {
    nb::dict d;
    if (partial) d["partial_index"] = *partial;
    return d;
  }
  std::optional<std::uint64_t> byte_size() const { return kIntMapHeaderSize + 16 * std::uint64_t{reader.size()}; }
  // A partial index is read whole before positions are walked.
  void prepare_walk() { check(reader.load_index()); }
  nb::object lookup(std::size_t pos) { return value(pos); }
  nb::object value(std::size_t pos) { return nb::steal(PyLong_FromUnsignedLongLong(reader.value_at(pos))); }
  int assign(std::size_t pos, PyObject* obj) {
    std::uint64_t v = 0;
    bool type_error = false;
    if (!key_from_object(obj, &v, &type_error)) {
      if (!type_error) PyErr_SetString(PyExc_ValueError, "IntMap values must be integers in [0, 2**64)");
      return -1;
    }
    const Status st = set_intmap_value(reader, pos, v);
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
  nb::class_<PyIntMap> cls(
      m, "IntMap", nb::type_slots(map_slots<PyIntMap>),
      "A serialized map of u64 keys to u64 values, read without parsing (the mapbuffer package's format).\n\n"
      "IntMap(data) opens serialized data (bytes-like, a file, a path or a range reader) or builds a map\n"
      "from a dict. It reads as a mapping: m[key], key in m, len(m), iteration, get, keys, values, items;\n"
      "m[key] = value overwrites a value in place (writable data only). A missing key raises KeyError, a\n"
      "key that is not an integer TypeError, any use of a closed map ValueError, corrupt data a\n"
      "segpack.ValidationError subclass.");
  cls.def(
      "__init__",
      [](PyIntMap* self, nb::handle data, nb::handle storage_options, double timeout, int retries,
         std::optional<std::uint64_t> first_read, std::optional<bool> partial_index) {
        PyIntMap im;  // moved in once open: nanobind does not destroy an instance whose __init__ raised
        im.partial = partial_index;
        IntMapReadOptions opts;  // by default partial above 1 MiB of pairs
        if (partial_index) opts.partial_index_threshold = *partial_index ? 0 : UINT64_MAX;
        const nb::object opened =
            remote_data(data, {nb::borrow(storage_options), timeout, retries, first_read, std::nullopt});
        im.open_data(
            opened,
            [](nb::handle d) {
              auto pairs = pairs_of(d);
              return build_intmap_bytes(pairs);
            },
            [](Buffer b) { return IntMapReader::open(std::move(b)); },
            [&](std::shared_ptr<PySliceSource> s) { return IntMapReader::open_source(std::move(s), opts); });
        new (self) PyIntMap(std::move(im));
      },
      nb::arg("data") = nb::none(), nb::kw_only(), nb::arg("storage_options") = nb::none(), nb::arg("timeout") = 30.0,
      nb::arg("retries") = 3, nb::arg("first_read") = nb::none(), nb::arg("partial_index") = nb::none(),
      nb::sig("def __init__(self, data: _typeshed.SupportsItems[" SEGPACK_PY_KEY ", " SEGPACK_PY_KEY
              "] | collections.abc.Iterable[tuple[" SEGPACK_PY_KEY ", " SEGPACK_PY_KEY "]] | " SEGPACK_PY_MAP_SOURCE
              " | None = None, *, storage_options: dict[str, typing.Any] | None = None, timeout: float = 30.0, "
              "retries: int = 3, first_read: int | None = None, partial_index: bool | None = None) -> None"),
      "Opens serialized data, or builds a new map from a dict.\n\n"
      "data: a dict (or any object with items() and keys()) of int keys to int values, built into a\n"
      "  new map; serialized data, bytes-like (bytes, bytearray, memoryview, numpy uint8 array, mmap;\n"
      "  used without a copy); a path or an open binary file (memory-mapped); an object whose\n"
      "  __getitem__ takes a slice and returns bytes (a range reader); a URL 'proto://...' or an fsspec\n"
      "  file object (read through segpack.remote.RemoteFile: the header and the pairs in one or two\n"
      "  requests, or only their top levels: see partial_index); None: an empty map.\n"
      "storage_options, timeout, retries, first_read: as MapBuffer's, for a URL.\n"
      "partial_index: range readers and URLs: read only the header and the top of the pairs when opening\n"
      "  (64 KiB: 12 levels of the Eytzinger tree) and the rest in 4 KiB blocks as lookups reach them\n"
      "  (cached, at most 16 MiB; get_many advances all its keys together, a few batched reads). None:\n"
      "  when the pairs are larger than 1 MiB (65,536 pairs); True: always; False: never. keys(), items(),\n"
      "  todict(), index(), tobytes() and validate() read all the pairs first.\n\n"
      "data may also be (key, value) pairs to build from: a list or tuple of 2-tuples, or an iterator,\n"
      "generator or other iterable of them (an object with __getitem__ other than a list or tuple is a\n"
      "range reader, and a bytes-like object is a map's bytes). Duplicate keys raise ValueError.\n"
      "\n"
      "Raises TypeError for data of another type or a key or value that is not an integer, ValueError\n"
      "for a key or value outside [0, 2**64), OSError when a file cannot be opened or mapped, and a\n"
      "ValidationError subclass when the header or size is invalid.");
  bind_map_methods(cls, m,
                   {.value_type = "int",
                    .value = "an int",
                    .iter_value = "ints",
                    .get_sig = "def get(self, label: " SEGPACK_PY_KEY ", default: int | None = None) -> int | None",
                    .data_type = SEGPACK_PY_MAP_SOURCE,
                    .errors = "",
                    .validate = "Checks the key order (the header and size were checked when it opened).\n"
                                "Returns True or raises a ValidationError subclass."});
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
         nb::arg("keys"), nb::arg("values"),
         nb::sig("def from_arrays(keys: numpy.typing.ArrayLike, values: numpy.typing.ArrayLike) -> IntMap"),
         "Returns a new in-memory IntMap of keys[i] -> values[i], from two equal-length integer arrays\n"
         "(anything numpy.ascontiguousarray turns into uint64).\n\n"
         "Raises ValueError when the lengths differ or a key repeats, and what numpy raises for input it\n"
         "cannot convert.")
      .def(
          "getindex",
          [](PyIntMap& self, Py_ssize_t i) {
            self.require_open();
            return self.reader.value_at(self.position(i));
          },
          nb::sig("def getindex(self, index: int, /) -> int"),
          "Returns the value at position `index` of the index (negative: from the end).\n\n"
          "Raises IndexError when out of range and ValueError when the IntMap is closed.")
      .def(
          "setindex",
          [](PyIntMap& self, Py_ssize_t i, std::uint64_t v) {
            self.require_open();
            check(set_intmap_value(self.reader, self.position(i), v));
          },
          nb::sig("def setindex(self, index: int, value: int, /) -> None"),
          "Overwrites the value at position `index` of the index, in place, and returns None.\n\n"
          "Raises IndexError when out of range, ValueError when the IntMap is closed or its data is\n"
          "read-only (bytes, a mapped file), TypeError when the value is not an int in [0, 2**64).")
      .def(
          "index",
          [](PyIntMap& self) {
            self.require_open();
            check(self.reader.load_index());
            return pairs_array(self.reader.pair_bytes(), self.reader.size());
          },
          nb::sig("def index(self) -> " SEGPACK_PY_U64_ARRAY),
          "Returns the (key, value) pairs as a read-only N x 2 numpy uint64 view, in index order; it keeps\n"
          "the data alive.\n\nRaises ValueError when the IntMap is closed.")
      .def_prop_ro(
          "partial_index",
          [](PyIntMap& self) {
            self.require_open();
            return self.reader.partial_index();
          },
          "True while only part of the pairs is in memory (a range reader or URL opened in partial-index\n"
          "mode, before something read them all); False otherwise.\n\n"
          "Raises ValueError when the IntMap is closed.")
      .def_prop_ro(
          "format_version",
          [](PyIntMap& self) {
            self.require_open();
            return self.reader.version();
          },
          "The format version read from the header.\n\nRaises ValueError when the IntMap is closed.")
      .def(
          "get_many",
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
          nb::sig("def get_many(self, keys: collections.abc.Iterable[" SEGPACK_PY_KEY
                  "], default: int | None = None, threads: int = -1) -> " SEGPACK_PY_U64_ARRAY),
          "Returns the values of many keys as a new numpy uint64 array, value i = the value of keys[i].\n\n"
          "keys: a numpy integer array (read without per-key Python work) or any iterable of ints.\n"
          "The lookups run on the library's thread pool without the GIL.\n"
          "default: the value for missing keys (None: a missing key raises KeyError).\n"
          "threads: < 0 every pool worker, 0 or 1 the calling thread, n at most n.\n\n"
          "Raises KeyError naming the first missing key, TypeError for a key that is not an integer,\n"
          "ValueError when the IntMap is closed.")
      .def(
          "tobytes",
          [](PyIntMap& self) -> nb::object {
            self.require_open();
            if (self.pyobj.is_valid() && !self.pyobj.is_none() && PyObject_CheckBuffer(self.pyobj.ptr())) {
              return self.pyobj;
            }
            if (self.reader.buffer().empty()) {
              // Partial-index mode: the header and the pairs, joined.
              check(self.reader.load_index());
              const ByteSpan head = self.reader.header_bytes();
              const Buffer pairs = self.reader.pair_bytes();
              nb::bytes out(nullptr, head.size() + pairs.size());
              auto* p = reinterpret_cast<std::uint8_t*>(const_cast<char*>(out.c_str()));
              std::memcpy(p, head.data(), head.size());
              if (!pairs.empty()) std::memcpy(p + head.size(), pairs.data(), pairs.size());
              return out;
            }
            return memoryview_of(self.reader.buffer());
          },
          nb::sig("def tobytes(self) -> " SEGPACK_PY_BUFFER),
          "Returns the serialized map: the bytes-like object it was built as or opened on (bytes for a\n"
          "built map), or a read-only memoryview over a memory-mapped file or a range reader's data.\n\n"
          "Raises ValueError when the IntMap is closed.");

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
      nb::sig("def write_intmap(path: " SEGPACK_PY_PATH ", data: _typeshed.SupportsItems[" SEGPACK_PY_KEY
              ", " SEGPACK_PY_KEY "] | collections.abc.Iterable[tuple[" SEGPACK_PY_KEY ", " SEGPACK_PY_KEY
              "]]) -> None"),
      "Writes the dict (or any object with items()) `data` of int keys to int values, or (key, value)\n"
      "pairs, as an IntMap file\n"
      "at `path`, atomically (a temporary file renamed over it); returns None.\n\n"
      "Raises TypeError for a key or value that is not an integer, ValueError for one outside [0, 2**64)\n"
      "or a repeated key, OSError when the file cannot be written.");
}

}  // namespace segpack::py
