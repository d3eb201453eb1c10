// Python MapBuffer, MapBufferWriter and write_mapbuffer over segpack's C++ core.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.h"
#include "py_batch.h"
#include "py_buffers.h"
#include "py_codecs.h"
#include "py_errors.h"
#include "py_index_cache.h"
#include "py_keys.h"
#include "py_map.h"
#include "py_remote.h"
#include "py_segments.h"
#include "py_sig.h"
#include "py_sources.h"
#include "segpack/get_many.h"
#include "segpack/mapbuffer.h"

namespace segpack::py {
namespace {

// ------------------------------------------------------------------ building

// The values of a build, kept alive while the GIL is released for it. Bytes
// values are held by a strong reference (bytes are immutable); other values by
// their buffer export, which also stops a bytearray or array from resizing.
// Destroyed with the GIL held.
struct HeldValues {
  std::vector<MapBufferItem> items;
  std::vector<PyObject*> refs;               // strong references to bytes values
  std::vector<std::optional<Buffer>> views;  // exports of other values
  HeldValues() = default;
  HeldValues(const HeldValues&) = delete;
  HeldValues& operator=(const HeldValues&) = delete;
  ~HeldValues() { clear(); }
  void hold(PyObject* o) {
    refs.push_back(o);  // first: a failed push_back must not leak the reference
    Py_INCREF(o);
  }
  void clear() {
    // Prefetched: the objects are scattered over the heap.
    for (std::size_t i = 0; i < refs.size(); ++i) {
      if (i + 16 < refs.size()) __builtin_prefetch(refs[i + 16], 1);
      Py_DECREF(refs[i]);
    }
    refs.clear();
    views.clear();
    items.clear();
  }
};

ByteSpan bytes_span(PyObject* o) {
  return ByteSpan(reinterpret_cast<const std::uint8_t*>(PyBytes_AS_STRING(o)),
                  static_cast<std::size_t>(PyBytes_GET_SIZE(o)));
}

ByteSpan value_span(PyObject* o, std::uint64_t key, HeldValues& held) {
  if (PyBytes_CheckExact(o)) {
    held.hold(o);
    return bytes_span(o);
  }
  Buffer b = require_buffer(o, "value for key %llu must be bytes-like (or pass tobytesfn=), got %s",
                            static_cast<unsigned long long>(key));
  ByteSpan s = b.span();
  held.views.push_back(std::move(b));
  return s;
}

// The common case, a dict of exact ints to exact bytes, without tobytesfn:
// nothing here runs Python code, so the entries PyDict_Next lends stay valid.
// Key and value objects are scattered over the heap, so each would be a cache
// miss in turn; they are prefetched kAhead entries ahead through a small ring.
// Returns false, having taken nothing, at the first other entry.
bool collect_dict_fast(PyObject* d, HeldValues& held) {
  constexpr std::size_t kAhead = 12, kRing = 16;
  std::array<std::pair<PyObject*, PyObject*>, kRing> ring;
  held.items.reserve(static_cast<std::size_t>(PyDict_Size(d)));
  held.refs.reserve(held.items.capacity());
  Py_ssize_t pos = 0;
  PyObject *k, *v;
  std::size_t read = 0;
  auto next = [&] {
    if (!PyDict_Next(d, &pos, &k, &v)) return;
    __builtin_prefetch(k);
    __builtin_prefetch(v);
    ring[read++ % kRing] = {k, v};
  };
  for (std::size_t j = 0; j < kAhead; ++j) next();
  for (std::size_t i = 0; i < read; ++i) {
    next();
    const auto [key, value] = ring[i % kRing];
    if (!PyLong_CheckExact(key) || !PyBytes_CheckExact(value)) {
      held.clear();
      return false;
    }
    const std::uint64_t u = key_for_write(key);  // raises for ints outside [0, 2**64)
    held.hold(value);
    held.items.push_back({u, bytes_span(value)});
  }
  return true;
}

void collect_items(nb::handle data, nb::handle tobytesfn, HeldValues& held) {
  if (PyDict_Check(data.ptr()) && tobytesfn.is_none() && collect_dict_fast(data.ptr(), held)) return;
  // Everything else may run Python code (tobytesfn, __index__, buffer
  // exports), which could change the mapping: a list of its pairs, taken
  // first, keeps every pair alive until it is read. A list is (key, value)
  // pairs already (MapBuffer([(1, b"a")]): see resolve_data).
  nb::object pairs = PyDict_Check(data.ptr())   ? nb::steal(PyDict_Items(data.ptr()))  // a new list
                     : PyList_Check(data.ptr()) ? nb::steal(PySequence_List(data.ptr()))
                                                : nb::steal(PySequence_List(data.attr("items")().ptr()));
  if (!pairs.is_valid()) throw nb::python_error();
  held.items.reserve(static_cast<std::size_t>(PyList_GET_SIZE(pairs.ptr())));
  for (nb::handle kv : pairs) {
    nb::object key = kv[0], value = kv[1];
    const std::uint64_t u = key_for_write(key);
    if (!tobytesfn.is_none()) value = tobytesfn(value);
    held.items.push_back({u, value_span(value.ptr(), u, held)});
  }
}

nb::bytes build_bytes(nb::handle data, Codec codec, std::optional<int> level, bool compute_crc, nb::handle tobytesfn) {
  HeldValues held;
  collect_items(data, tobytesfn, held);
  MapBufferWriteOptions opts;
  opts.codec = codec;
  opts.level = level;
  opts.version = compute_crc ? 1 : 0;
  BytesOutput out;
  Status st;
  {
    nb::gil_scoped_release nogil;
    st = build_mapbuffer_in_place(held.items, opts, out.allocator());
  }
  check(st);
  return out.take();
}

// ------------------------------------------------------------------ reading

struct PyMapBuffer : MapBase<PyMapBuffer, MapBufferReader> {
  static constexpr const char* kName = "MapBuffer";
  static constexpr const char* kClosed = "I/O operation on a closed MapBuffer";
  // True when mb[key] can take the fast path: in-memory, uncompressed, bytes
  // out, no frombytesfn. Kept current by refresh_plain().
  bool plain = false;
  bool zero_copy = false;
  bool compute_crc = true;
  std::optional<int> level;
  std::optional<std::uint64_t> max_output;
  Codec write_codec = Codec::none;
  nb::object tobytesfn;
  nb::object frombytesfn;
  nb::object index_cache;       // the cache file's absolute path, or None
  std::optional<bool> partial;  // the partial_index= keyword (None: by size)
  std::optional<Decompressor> dec;
  std::vector<std::uint8_t> scratch;

  // The constructor's keyword arguments that differ from their defaults.
  nb::dict options() const {
    nb::dict d;
    if (write_codec != Codec::none) d["compress"] = codec_to_py(write_codec);
    if (is_set(tobytesfn)) d["tobytesfn"] = tobytesfn;
    if (is_set(frombytesfn)) d["frombytesfn"] = frombytesfn;
    if (!reader.options().check_crc) d["check_crc"] = false;
    if (!compute_crc) d["compute_crc"] = false;
    if (level) d["level"] = *level;
    if (zero_copy) d["zero_copy"] = true;
    if (max_output) d["max_output"] = *max_output;
    if (is_set(index_cache)) d["index_cache"] = index_cache;
    if (partial) d["partial_index"] = *partial;
    return d;
  }
  std::string describe_more() const {
    return ", " + std::string(codec_name(reader.header().codec)) + ", v" + std::to_string(reader.header().version);
  }
  std::optional<std::uint64_t> byte_size() const {
    if (reader.in_memory()) return reader.buffer().size();
    const std::optional<std::uint64_t> data = reader.datasize();
    if (!data) return std::nullopt;
    return *data + kMapBufferHeaderSize + 16 * std::uint64_t{reader.size()};
  }

  void close_more() {
    plain = false;
    dec.reset();
  }
  // A partial index is read whole before positions are walked.
  void prepare_walk() {
    const Status st = reader.load_index();
    if (!st.ok()) raise(st);
  }
  // tobytesfn / frombytesfn can refer back to the map, e.g. a lambda whose
  // globals hold it.
  int traverse_more(visitproc visit, void* arg) {
    Py_VISIT(tobytesfn.ptr());
    Py_VISIT(frombytesfn.ptr());
    return 0;
  }
  void clear_more() {
    tobytesfn = nb::none();
    frombytesfn = nb::none();
  }

  void refresh_plain() {
    plain = open && reader.in_memory() && reader.header().codec == Codec::none && !zero_copy &&
            (!frombytesfn.is_valid() || frombytesfn.is_none());
  }

  Decompressor& decompressor() {
    if (!dec) dec.emplace(unwrap(Decompressor::make(reader.header().codec)));
    return *dec;
  }

  // The decoded value at index position i, as bytes (or a memoryview when
  // zero-copy is requested and possible), passed through frombytesfn.
  nb::object read_value(std::size_t i, bool want_view) {
    nb::object v;
    const Codec codec = reader.header().codec;
    if (reader.in_memory() && codec == Codec::none && !want_view) {
      auto p = reader.payload_span(i);
      if (!p.ok()) raise(p.status());
      v = nb::steal(
          PyBytes_FromStringAndSize(reinterpret_cast<const char*>(p->data()), static_cast<Py_ssize_t>(p->size())));
    } else if (codec == Codec::none) {
      auto p = reader.payload(i);
      if (!p.ok()) raise(p.status());
      if (want_view) {
        v = memoryview_of(std::move(*p));
      } else {
        v = nb::steal(
            PyBytes_FromStringAndSize(reinterpret_cast<const char*>(p->data()), static_cast<Py_ssize_t>(p->size())));
      }
    } else {
      scratch.clear();
      Status st = reader.value_append(i, scratch, &decompressor());
      if (!st.ok()) raise(st);
      v = nb::steal(PyBytes_FromStringAndSize(reinterpret_cast<const char*>(scratch.data()),
                                              static_cast<Py_ssize_t>(scratch.size())));
      if (scratch.capacity() > (1u << 24)) scratch = {};
      if (want_view && v.is_valid()) v = nb::steal(PyMemoryView_FromObject(v.ptr()));
    }
    if (!v.is_valid()) throw nb::python_error();
    if (!frombytesfn.is_none()) v = frombytesfn(v);
    return v;
  }
  // mb[key] and get(): a memoryview when zero_copy is set.
  nb::object lookup(std::size_t pos) { return read_value(pos, zero_copy); }
  // Iteration and todict(): bytes.
  nb::object value(std::size_t pos) { return read_value(pos, false); }

  using MapBase::position;
  std::size_t position(nb::handle index) const { return position(nb::cast<Py_ssize_t>(index)); }

  // The mb[key] slot, with a fast path: in memory, uncompressed, bytes out, no frombytesfn.
  PyObject* item(std::size_t pos) {
    if (!plain) return MapBase::item(pos);
    auto p = reader.payload_span(pos);
    if (!p.ok()) return set_error(p.status());
    return PyBytes_FromStringAndSize(reinterpret_cast<const char*>(p->data()), static_cast<Py_ssize_t>(p->size()));
  }

  // mb[key] = value: the same number of stored bytes (see overwrite_mapbuffer_item).
  int assign(std::size_t pos, PyObject* obj) {
    try {
      nb::object v = nb::borrow(obj);
      if (!tobytesfn.is_none()) v = tobytesfn(v);
      const Buffer b = require_buffer(v, "value must be bytes-like, got %s");
      const Status st = overwrite_mapbuffer_item(reader, pos, b.span(), level);
      if (!st.ok()) {
        set_error(st);
        return -1;
      }
      return 0;
    } catch (nb::python_error& e) {
      e.restore();
    }
    return -1;
  }
};

void init_mapbuffer(PyMapBuffer* self, nb::handle data, nb::handle compress, nb::handle tobytesfn,
                    nb::handle frombytesfn, bool check_crc, bool compute_crc, nb::handle index_cache,
                    std::optional<int> level, bool zero_copy, std::optional<std::uint64_t> max_output,
                    nb::handle storage_options, double timeout, int retries, std::optional<std::uint64_t> first_read,
                    std::optional<std::uint64_t> coalesce_gap, std::optional<bool> partial_index) {
  // Made aside and moved in at the end: nanobind does not destroy an
  // instance whose __init__ raised, so nothing may be held by `self` before.
  PyMapBuffer mb;
  mb.tobytesfn = nb::borrow(tobytesfn);
  mb.frombytesfn = nb::borrow(frombytesfn);
  mb.compute_crc = compute_crc;
  mb.zero_copy = zero_copy;
  mb.level = level;
  mb.max_output = max_output;
  mb.write_codec = codec_from_arg(compress);
  mb.partial = partial_index;
  mb.index_cache = nb::none();
  std::optional<IndexCache> cache;
  if (!index_cache.is_none()) {
    mb.index_cache = absolute_path(index_cache);
    cache.emplace(path_string(mb.index_cache));
  }
  MapBufferReadOptions opts;
  opts.check_crc = check_crc;
  if (max_output) opts.decompress.max_output = static_cast<std::size_t>(*max_output);
  if (partial_index) opts.partial_index_threshold = *partial_index ? 0 : UINT64_MAX;
  if (cache) opts.partial_index_threshold = UINT64_MAX;  // the cache file holds the whole index
  const nb::object opened =
      remote_data(data, {nb::borrow(storage_options), timeout, retries, first_read, coalesce_gap});
  mb.open_data(
      opened, [&](nb::handle d) { return build_bytes(d, mb.write_codec, level, compute_crc, tobytesfn); },
      [&](Buffer b) -> Result<MapBufferReader> {
        SEGPACK_ASSIGN_OR_RETURN(MapBufferReader r, MapBufferReader::open(std::move(b), opts));
        if (cache) SEGPACK_RETURN_IF_ERROR(cache->store(r));
        return r;
      },
      [&](std::shared_ptr<PySliceSource> s) {
        return cache ? cache->open_source(std::move(s), opts) : MapBufferReader::open_source(std::move(s), opts);
      });
  mb.refresh_plain();
  new (self) PyMapBuffer(std::move(mb));
}

struct PyMapBufferWriter {
  std::optional<MapBufferFileWriter> w;
  nb::object tobytesfn;
  std::string path;  // as given, for repr
  Codec codec = Codec::none;
  std::size_t items = 0;       // added so far, or committed
  const char* state = "open";  // "committed", "aborted", "failed" (commit raised): closed
};

// tobytesfn may refer back to the writer (a closure over it): let the cycle
// collector see and break that reference.
int writer_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  if (!nb::inst_ready(self)) return 0;
  Py_VISIT(nb::inst_ptr<PyMapBufferWriter>(self)->tobytesfn.ptr());
  return 0;
}

int writer_clear(PyObject* self) {
  if (nb::inst_ready(self)) nb::inst_ptr<PyMapBufferWriter>(self)->tobytesfn = nb::none();
  return 0;
}

PyType_Slot writer_slots[] = {
    {Py_tp_traverse, reinterpret_cast<void*>(writer_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(writer_clear)},
    {0, nullptr},
};

// The writer is taken out before the GIL is released: another thread that
// calls add(), commit() or abort() meanwhile finds it closed instead of
// racing with the commit.
void commit_writer(PyMapBufferWriter& self) {
  if (!self.w) throw nb::value_error("MapBufferWriter is closed");
  MapBufferFileWriter w = std::move(*self.w);
  self.w.reset();
  self.items = w.size();
  self.state = "failed";
  Status st;
  {
    nb::gil_scoped_release nogil;
    st = w.commit();
  }
  check(st);
  self.state = "committed";
}

void abort_writer(PyMapBufferWriter& self) {
  if (self.w) {
    self.items = self.w->size();
    self.state = "aborted";
  }
  self.w.reset();
}

}  // namespace

void bind_mapbuffer(nb::module_& m) {
  nb::class_<PyMapBuffer> cls(
      m, "MapBuffer", nb::type_slots(map_slots<PyMapBuffer>),
      "A serialized map of u64 keys to bytes, read without parsing (the mapbuffer package's format).\n\n"
      "MapBuffer(data) opens serialized data (bytes-like, a file, a path or a range reader) or\n"
      "builds a map from a dict. It reads as a mapping: m[key], key in m, len(m), iteration, get,\n"
      "keys, values, items; m[key] = value overwrites a value in place when it has the same stored\n"
      "size. Keys are ints in [0, 2**64), values bytes (see zero_copy, frombytesfn and tobytesfn).\n"
      "A missing key raises KeyError, a key that is not an integer TypeError, any use of a closed\n"
      "map ValueError, corrupt data a segpack.ValidationError subclass (TruncatedError,\n"
      "ChecksumError, DecompressionError, ...).");
  cls.def("__init__", &init_mapbuffer, nb::arg("data") = nb::none(), nb::arg("compress") = nb::none(),
          nb::arg("tobytesfn") = nb::none(), nb::arg("frombytesfn") = nb::none(), nb::arg("check_crc") = true,
          nb::arg("compute_crc") = true, nb::arg("index_cache") = nb::none(), nb::kw_only(),
          nb::arg("level") = nb::none(), nb::arg("zero_copy") = false, nb::arg("max_output") = nb::none(),
          nb::arg("storage_options") = nb::none(), nb::arg("timeout") = 30.0, nb::arg("retries") = 3,
          nb::arg("first_read") = nb::none(), nb::arg("coalesce_gap") = nb::none(),
          nb::arg("partial_index") = nb::none(),
          nb::sig("def __init__(self, data: _typeshed.SupportsItems[" SEGPACK_PY_KEY
                  ", typing.Any] | collections.abc.Iterable[tuple[" SEGPACK_PY_KEY
                  ", typing.Any]] | " SEGPACK_PY_MAP_SOURCE " | None = None, compress: " SEGPACK_PY_CODEC
                  " = None, tobytesfn: " SEGPACK_PY_TOBYTESFN " = None, frombytesfn: " SEGPACK_PY_FROMBYTESFN
                  " = None, check_crc: bool = True, compute_crc: bool = True, index_cache: " SEGPACK_PY_PATH
                  " | None = None, *, level: int | None = None, "
                  "zero_copy: bool = False, max_output: int | None = None, "
                  "storage_options: dict[str, typing.Any] | None = None, timeout: float = 30.0, retries: int = 3, "
                  "first_read: int | None = None, coalesce_gap: int | None = None, "
                  "partial_index: bool | None = None) -> None"),
          "Opens serialized data, or builds a new map from a dict.\n\n"
          "data: a dict (or any object with items() and keys()) of int keys to bytes-like values, built\n"
          "  into a new map (compress, level, compute_crc and tobytesfn apply); serialized data, bytes-like\n"
          "  (bytes, bytearray, memoryview, numpy uint8 array, mmap; used without a copy); a path or an\n"
          "  open binary file (memory-mapped); an object whose __getitem__ takes a slice and returns\n"
          "  bytes (a range reader: header and index are read once, then one read per item); a URL\n"
          "  'proto://...' (http(s), s3, file, memory, any fsspec protocol) or an fsspec file object,\n"
          "  read through segpack.remote.RemoteFile (few requests: see README, Remote files); None: empty.\n"
          "compress: the codec of a built map: None, 'gzip', 'br', 'zstd' or 'lzma'.\n"
          "tobytesfn: applied to each value written (built maps, m[key] = value); must return bytes-like.\n"
          "frombytesfn: applied to each value read by m[key], get(), values(), items() and todict().\n"
          "check_crc: check each item's crc32c as it is read (format version 1 maps).\n"
          "compute_crc: write crc32c checksums (format version 1); False writes format version 0.\n"
          "level: the codec's compression level (None: mapbuffer's default for the codec).\n"
          "zero_copy: m[key] and get() return read-only memoryviews over the data (uncompressed maps).\n"
          "max_output: the most bytes one item may decompress to (LimitExceededError beyond).\n"
          "index_cache: path of a local file caching the header and index (mapbuffer's format: 16 + 16N\n"
          "  bytes). A map over a range reader reads its index from there instead of fetching it when the\n"
          "  file holds the data's own header (one 16-byte read checks it), and fetches it and rewrites the\n"
          "  file otherwise; other maps only write it, when it is absent or differs. Replaced atomically.\n"
          "storage_options: passed to fsspec for a URL (e.g. S3 credentials and endpoint, HTTP headers).\n"
          "timeout: seconds per request of a URL; retries: attempts after the first on transient errors.\n"
          "first_read: bytes of the first request of a URL (header + index in one request when they fit;\n"
          "  default 64 KiB). coalesce_gap: get_many fetches items closer than this many bytes as one range.\n"
          "partial_index: range readers and URLs: read only the top of the index when opening (64 KiB with\n"
          "  the header: 12 levels of the Eytzinger tree) and the rest in 4 KiB blocks as lookups reach them\n"
          "  (cached, at most 16 MiB; get_many advances all its keys together, a few batched reads). None:\n"
          "  when the index is larger than 1 MiB (65,536 keys); True: always; False: never. keys(),\n"
          "  items(), todict(), index() and validate() read the whole index first. Ignored with index_cache.\n"
          "\n"
          "data may also be (key, value) pairs to build from: a list or tuple of 2-tuples, or an iterator,\n"
          "generator or other iterable of them (an object with __getitem__ other than a list or tuple is a\n"
          "range reader, and a bytes-like object is a map's bytes). Duplicate keys raise ValueError.\n"
          "\n"
          "Raises TypeError for data of another type or a value that is not bytes-like, ValueError for a\n"
          "key outside [0, 2**64), UnsupportedCompressionType for an unknown codec, OSError when a file\n"
          "cannot be opened or mapped, segpack.RemoteError when a URL cannot be read, and a ValidationError\n"
          "subclass when the header or index is invalid.");
  bind_map_methods(
      cls, m,
      {.value_type = "typing.Any",
       .value = "bytes (a memoryview when zero_copy is set), or frombytesfn's result when one is set",
       .iter_value = "bytes, or frombytesfn's result when one is set",
       .get_sig = "def get(self, label: " SEGPACK_PY_KEY ", default: typing.Any = None) -> typing.Any",
       .data_type = SEGPACK_PY_MAP_SOURCE,
       .errors = "\nA corrupt item raises a ValidationError subclass (ChecksumError, DecompressionError, ...).",
       .validate = "Checks everything: header, offsets, Eytzinger order, every crc, that every item decodes.\n"
                   "Returns True or raises a ValidationError subclass naming the item."});
  cls.def(
         "view",
         [](PyMapBuffer& self, nb::handle key) -> nb::object {
           self.require_open();
           const std::size_t pos = find_key_or_raise(self.reader, key, self.source.get());
           nb::object saved = self.frombytesfn;
           self.frombytesfn = nb::none();
           nb::object v;
           try {
             v = self.read_value(pos, true);
           } catch (...) {
             self.frombytesfn = saved;
             throw;
           }
           self.frombytesfn = saved;
           return v;
         },
         nb::arg("label"), nb::sig("def view(self, label: " SEGPACK_PY_KEY ") -> memoryview"),
         "Returns the value stored under `label` as a read-only memoryview: zero-copy over the buffer or\n"
         "mapping for uncompressed maps (it keeps the mapping alive, even after close()); a view of the\n"
         "decompressed bytes otherwise. frombytesfn is not applied.\n\n"
         "Raises KeyError when the key is not stored, TypeError when it is not an integer, ValueError\n"
         "when the MapBuffer is closed, a ValidationError subclass when the item is corrupt.")
      .def(
          "getindex",
          [](PyMapBuffer& self, nb::handle i) {
            self.require_open();
            return self.lookup(self.position(i));
          },
          nb::sig("def getindex(self, index: int, /) -> typing.Any"),
          "Returns the value at position `index` of the index (negative: from the end), as m[key] does.\n\n"
          "Raises IndexError when out of range, ValueError when the MapBuffer is closed, a ValidationError\n"
          "subclass when the item is corrupt.")
      .def(
          "setindex",
          [](PyMapBuffer& self, nb::handle i, nb::handle value) {
            self.require_open();
            std::size_t pos = self.position(i);
            auto e = self.reader.entry(pos);
            if (!e.ok()) self.raise(e.status());
            nb::object key = nb::steal(PyLong_FromUnsignedLongLong(e->first));
            nb::object me = nb::find(self);
            if (PyObject_SetItem(me.ptr(), key.ptr(), value.ptr()) != 0) throw nb::python_error();
          },
          nb::sig("def setindex(self, index: int, value: typing.Any, /) -> None"),
          "Overwrites the value at position `index` of the index, as m[key] = value does (same stored\n"
          "size), and returns None.\n\n"
          "Raises IndexError when out of range, TypeError when the value is not bytes-like (after tobytesfn),\n"
          "ValueError when the MapBuffer is closed, its data is read-only (bytes, a mapped file) or the new\n"
          "value's stored size differs.")
      .def(
          "size",
          [](PyMapBuffer& self, nb::handle key) {
            self.require_open();
            const std::size_t pos = find_key_or_raise(self.reader, key, self.source.get());
            auto r = self.reader.item_range(pos);
            if (!r.ok()) self.raise(r.status());
            if (!r->second) {
              auto p = self.reader.payload(pos);
              if (!p.ok()) self.raise(p.status());
              return static_cast<std::uint64_t>(p->size());
            }
            std::uint64_t n = *r->second - r->first;
            return n - (self.reader.header().version == 1 ? 4 : 0);
          },
          nb::arg("label"), nb::sig("def size(self, label: " SEGPACK_PY_KEY ") -> int"),
          "Returns the stored (possibly compressed) size in bytes of the value under `label`, without its crc.\n\n"
          "Raises KeyError when the key is not stored, TypeError when it is not an integer, ValueError\n"
          "when the MapBuffer is closed.")
      .def(
          "index",
          [](PyMapBuffer& self) {
            self.require_open();
            self.prepare_walk();
            return pairs_array(self.reader.index_bytes(), self.reader.size());
          },
          nb::sig("def index(self) -> " SEGPACK_PY_U64_ARRAY),
          "Returns the index as a read-only N x 2 numpy uint64 view (key, offset of the item), in index\n"
          "order; it keeps the data alive.\n\nRaises ValueError when the MapBuffer is closed.")
      .def(
          "datasize",
          [](PyMapBuffer& self) -> nb::object {
            self.require_open();
            auto d = self.reader.datasize();
            if (!d) return nb::none();
            return nb::int_(*d);
          },
          nb::sig("def datasize(self) -> int | None"),
          "Returns the size in bytes of the data section (every stored item), or None when it is not known\n"
          "(an empty map).\n\nRaises ValueError when the MapBuffer is closed.")
      .def_prop_ro(
          "compress",
          [](PyMapBuffer& self) {
            self.require_open();
            return codec_to_py(self.reader.header().codec);
          },
          nb::for_getter(nb::sig("def compress(self) -> str | None")),
          "The codec of the stored values: None, 'gzip', 'br', 'zstd' or 'lzma'.\n\n"
          "Raises ValueError when the MapBuffer is closed.")
      .def_prop_ro(
          "format_version",
          [](PyMapBuffer& self) {
            self.require_open();
            return self.reader.header().version;
          },
          "The format version: 1 (values carry a crc32c) or 0 (no checksums).\n\n"
          "Raises ValueError when the MapBuffer is closed.")
      .def_prop_ro(
          "partial_index",
          [](PyMapBuffer& self) {
            self.require_open();
            return self.reader.partial_index();
          },
          "True while only part of the index is in memory (a range reader or URL opened in partial-index\n"
          "mode, before something read the whole index); False otherwise.\n\n"
          "Raises ValueError when the MapBuffer is closed.")
      .def_prop_rw(
          "check_crc", [](PyMapBuffer& self) { return self.reader.options().check_crc; },
          [](PyMapBuffer& self, bool on) { self.reader = self.reader.with_check_crc(on); },
          "Whether reads check each item's crc32c (format version 1); settable.")
      .def_prop_rw(
          "zero_copy", [](PyMapBuffer& self) { return self.zero_copy; },
          [](PyMapBuffer& self, bool on) {
            self.zero_copy = on;
            self.refresh_plain();
          },
          "Whether m[key] and get() return read-only memoryviews (zero-copy for uncompressed maps) instead\n"
          "of bytes; settable.")
      .def_prop_ro(
          "compute_crc", [](PyMapBuffer& self) { return self.compute_crc; },
          "Whether maps built by this object (dict2buf()) carry crc32c checksums (format version 1).")
      .def_prop_rw(
          "tobytesfn", [](PyMapBuffer& self) { return self.tobytesfn; },
          [](PyMapBuffer& self, nb::object f) { self.tobytesfn = std::move(f); }, nb::arg("fn").none(),
          nb::for_getter(nb::sig("def tobytesfn(self) -> " SEGPACK_PY_TOBYTESFN)),
          nb::for_setter(nb::sig("def tobytesfn(self, fn: " SEGPACK_PY_TOBYTESFN ", /) -> None")),
          "The function applied to each value written (m[key] = value, dict2buf()), or None; settable.")
      .def_prop_rw(
          "frombytesfn", [](PyMapBuffer& self) { return self.frombytesfn; },
          [](PyMapBuffer& self, nb::object f) {
            self.frombytesfn = std::move(f);
            self.refresh_plain();
          },
          nb::arg("fn").none(), nb::for_getter(nb::sig("def frombytesfn(self) -> " SEGPACK_PY_FROMBYTESFN)),
          nb::for_setter(nb::sig("def frombytesfn(self, fn: " SEGPACK_PY_FROMBYTESFN ", /) -> None")),
          "The function applied to each value read (m[key], get(), values(), items(), todict()), or None;\n"
          "settable.")
      .def(
          "get_many",
          [](PyMapBuffer& self, nb::handle keys, nb::handle dflt, int threads, bool zero_copy,
             std::optional<std::uint64_t> max_output_size) -> nb::object {
            self.require_open();
            GetManyOptions o;
            if (!dflt.is_none()) {
              const Buffer d = require_buffer(dflt, "get_many: default must be bytes-like or None");
              o.default_value.emplace(d.data(), d.data() + d.size());
            }
            BatchKeys keys_in(keys);
            std::vector<std::uint64_t>& ks = keys_in.values;
            if (keys_in.any_invalid()) {
              // Keys that cannot exist: KeyError, or stand-ins known to be absent.
              if (!o.default_value) keys_in.reject_invalid();
              std::uint64_t absent = 0;
              for (;;) {  // at most N + 1 probes
                auto p = self.reader.lookup(absent);
                if (!p.ok()) self.raise(p.status());
                if (!*p) break;
                ++absent;
              }
              for (std::size_t i = 0; i < ks.size(); ++i) {
                if (keys_in.invalid(i)) ks[i] = absent;
              }
            }
            o.zero_copy = zero_copy;
            o.parallel.threads = threads_from(threads);
            if (max_output_size) o.limits.max_output_size = *max_output_size;
            const MapBufferReader reader = self.reader;  // close() from another thread cannot pull it away
            Result<BufferWithSegments> r = BufferWithSegments();
            {
              nb::gil_scoped_release nogil;
              r = get_many(reader, ks, o);
            }
            if (!r.ok()) {
              if (r.status().code() == ErrorCode::not_found) {
                keys_in.raise_first_missing([&](std::uint64_t k) {
                  auto p = reader.lookup(k);
                  return !p.ok() || p->has_value();  // a read error: the core's error is raised below
                });
              }
              self.raise(r.status());
            }
            return wrap_bws(std::move(r).value());
          },
          nb::arg("keys"), nb::arg("default") = nb::none(), nb::arg("threads") = -1, nb::arg("zero_copy") = false,
          nb::arg("max_output_size") = nb::none(),
          nb::sig("def get_many(self, keys: collections.abc.Iterable[" SEGPACK_PY_KEY
                  "], default: " SEGPACK_PY_BYTES_LIKE " | None = None, threads: int = -1, zero_copy: bool = False, "
                  "max_output_size: int | None = None) -> BufferWithSegments"),
          "Returns the values of many keys as ONE BufferWithSegments, segment i = the value of keys[i].\n\n"
          "keys: a numpy integer array (read without per-key Python work) or any iterable of ints.\n"
          "Lookups, crc checks and decompression run on the library's thread pool without the GIL.\n"
          "default: bytes-like value for missing keys (None: a missing key raises KeyError).\n"
          "zero_copy: segments point into the map's own memory (uncompressed in-memory maps).\n"
          "threads: < 0 every pool worker, 0 or 1 the calling thread, n at most n.\n"
          "max_output_size: the most bytes the whole result may hold (LimitExceededError beyond).\n"
          "frombytesfn is not applied.\n\n"
          "Raises KeyError naming the first missing key, TypeError for a key that is not an integer,\n"
          "ValueError when the MapBuffer is closed, a ValidationError subclass naming a corrupt item.")
      .def(
          "tobytes",
          [](PyMapBuffer& self) -> nb::object {
            self.require_open();
            if (self.pyobj.is_valid() && !self.pyobj.is_none() && !self.source) return self.pyobj;
            if (self.source) {
              auto all = self.source->read_to_end(0);
              if (!all.ok()) self.raise(all.status());
              return nb::bytes(reinterpret_cast<const char*>(all->data()), all->size());
            }
            return memoryview_of(self.reader.buffer());
          },
          nb::sig("def tobytes(self) -> " SEGPACK_PY_BUFFER),
          "Returns the serialized map: the object it was built as or opened on (bytes for a built map), the\n"
          "whole content of a range reader as bytes, or a read-only memoryview over a memory-mapped file.\n\n"
          "Raises ValueError when the MapBuffer is closed; a range reader's own error when reading fails.")
      .def(
          "dict2buf",
          [](PyMapBuffer& self, nb::handle data, nb::handle compress, nb::handle tobytesfn) {
            Codec c = compress.is_none() ? self.write_codec : codec_from_arg(compress);
            nb::handle fn = tobytesfn.is_none() ? nb::handle(self.tobytesfn) : tobytesfn;
            return build_bytes(data, c, self.level, self.compute_crc, fn);
          },
          nb::arg("data"), nb::arg("compress") = nb::none(), nb::arg("tobytesfn") = nb::none(),
          nb::sig("def dict2buf(self, data: _typeshed.SupportsItems[" SEGPACK_PY_KEY
                  ", typing.Any], compress: " SEGPACK_PY_CODEC " = None, tobytesfn: " SEGPACK_PY_TOBYTESFN
                  " = None) -> bytes"),
          "Returns a new serialized map built from the dict `data`, as MapBuffer(data) would build it,\n"
          "with this map's codec, level, compute_crc and tobytesfn unless `compress` or `tobytesfn` is given.\n"
          "Works on a closed map too.\n\n"
          "Raises TypeError for a value that is not bytes-like, ValueError for a key outside [0, 2**64),\n"
          "UnsupportedCompressionType for an unknown codec, CompressionError when compression fails.");

  // ---- streaming writer
  nb::class_<PyMapBufferWriter>(
      m, "MapBufferWriter",
      "Writes a MapBuffer file item by item without holding the values in memory; the file appears\n"
      "atomically at commit() (a temporary file renamed over the path), never half-written.\n"
      "As a context manager it commits when the with block ends normally and aborts on an exception.",
      nb::type_slots(writer_slots))
      .def(
          "__init__",
          [](PyMapBufferWriter* self, nb::object path, nb::handle compress, std::optional<int> level, bool compute_crc,
             nb::object tobytesfn) {
            new (self) PyMapBufferWriter();
            MapBufferWriteOptions opts;
            opts.codec = codec_from_arg(compress);
            opts.level = level;
            opts.version = compute_crc ? 1 : 0;
            nb::object p = nb::steal(PyOS_FSPath(path.ptr()));
            if (!p.is_valid()) throw nb::python_error();
            auto w = MapBufferFileWriter::create(path_string(p), opts);
            if (!w.ok()) throw_status(w.status());
            self->w.emplace(std::move(*w));
            self->tobytesfn = std::move(tobytesfn);
            self->path = nb::cast<std::string>(nb::repr(p));
            self->codec = opts.codec;
          },
          nb::arg("path"), nb::arg("compress") = nb::none(), nb::kw_only(), nb::arg("level") = nb::none(),
          nb::arg("compute_crc") = true, nb::arg("tobytesfn") = nb::none(),
          nb::sig("def __init__(self, path: " SEGPACK_PY_PATH ", compress: " SEGPACK_PY_CODEC
                  " = None, *, level: int | None = None, compute_crc: bool = True, tobytesfn: " SEGPACK_PY_TOBYTESFN
                  " = None) -> None"),
          "Starts a MapBuffer file at `path` (created at commit()).\n\n"
          "compress: the codec: None, 'gzip', 'br', 'zstd' or 'lzma'; level: its level (None: default).\n"
          "compute_crc: write crc32c checksums (format version 1); False writes format version 0.\n"
          "tobytesfn: applied to each value added; must return bytes-like.\n\n"
          "Raises UnsupportedCompressionType for an unknown codec, ValueError for a level out of range,\n"
          "OSError when the temporary file beside `path` cannot be created.")
      .def(
          "add",
          [](PyMapBufferWriter& self, nb::handle key, nb::handle value) {
            if (!self.w) throw nb::value_error("MapBufferWriter is closed");
            std::uint64_t k = key_for_write(key);
            nb::object v = nb::borrow(value);
            if (!self.tobytesfn.is_none()) v = self.tobytesfn(v);
            const Buffer b = require_buffer(v, "value must be bytes-like (or pass tobytesfn=)");
            // tobytesfn (or __index__) may have committed or aborted the writer.
            if (!self.w) throw nb::value_error("MapBufferWriter is closed");
            check(self.w->add(k, b.span()));
          },
          nb::arg("key"), nb::arg("value"),
          nb::sig("def add(self, key: " SEGPACK_PY_KEY ", value: typing.Any) -> None"),
          "Adds one item (compressed and spooled to the temporary file at once) and returns None.\n\n"
          "Raises ValueError when the writer is closed (committed or aborted) or the key is outside\n"
          "[0, 2**64); TypeError when the key is not an integer or the value not bytes-like (after\n"
          "tobytesfn); CompressionError or OSError when compressing or writing fails. A key added twice\n"
          "is reported by commit().")
      .def(
          "__len__", [](PyMapBufferWriter& self) { return self.w ? self.w->size() : 0; },
          "len(w): the number of items added so far (0 once committed or aborted).")
      .def(
          "commit", [](PyMapBufferWriter& self) { commit_writer(self); },
          "Writes the index, makes the file appear at the path (atomically replacing any file there) and\n"
          "closes the writer; returns None.\n\n"
          "Raises ValueError when the writer is already closed or a key was added twice (the path is\n"
          "then left untouched), OSError when writing or renaming fails.")
      .def(
          "abort", [](PyMapBufferWriter& self) { abort_writer(self); },
          "Discards everything written and closes the writer; the path is left untouched. Returns None;\n"
          "aborting a closed writer does nothing.")
      .def(
          "__enter__", [](nb::handle self) { return nb::borrow(self); },
          nb::sig("def __enter__(self) -> typing_extensions.Self"), "Returns the writer itself.")
      .def(
          "__exit__",
          [](PyMapBufferWriter& self, nb::args exc) {
            if (!self.w) return false;
            if (exc.size() == 0 || exc[0].is_none()) {
              commit_writer(self);
            } else {
              abort_writer(self);
            }
            return false;
          },
          nb::sig("def __exit__(self, *args: object) -> typing.Literal[False]"),
          "Commits when the with block ended normally, aborts when it raised; returns False, so\n"
          "exceptions propagate. Raises what commit() raises.")

      .def(
          "__repr__",
          [](const PyMapBufferWriter& self) {
            // <segpack.MapBufferWriter 'out.mb' br, 12 items> / ..., committed 12 items>
            const std::size_t n = self.w ? self.w->size() : self.items;
            std::string s = "<segpack.MapBufferWriter " + self.path + " " + std::string(codec_name(self.codec)) + ", ";
            if (!self.w) s += std::string(self.state) + " ";
            return s + std::to_string(n) + (n == 1 ? " item>" : " items>");
          },
          "repr(w): the target path, codec, state and number of items.");
}

}  // namespace segpack::py
