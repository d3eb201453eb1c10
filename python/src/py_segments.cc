// Python BufferSegment, BufferSegments, BufferWithSegments,
// BufferWithSegmentsCollection (python-zstandard's API and messages, plus
// slicing, equality, numpy export, pickling) and the batch functions
// multi_compress_to_buffer / multi_decompress_to_buffer.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <memory>
#include <vector>

#include "py_common.h"
#include "py_segments.h"
#include "py_zstd.h"
#include "segpack/batch.h"
#include "segpack/segments.h"
#include "segpack/thread_pool.h"

namespace segpack::py {

namespace {

const std::uint8_t kEmpty[1] = {0};

nb::bytes bytes_of(ByteSpan s) { return nb::bytes(reinterpret_cast<const char*>(s.data()), s.size()); }

// An instance made with __new__ but never __init__ (nanobind leaves it
// uninitialised): sets TypeError and returns false.
bool check_ready(PyObject* self) {
  if (nb::inst_ready(self)) return true;
  PyErr_Format(PyExc_TypeError, "%s object is not initialized", Py_TYPE(self)->tp_name);
  return false;
}

// The C++ object behind `h`, or TypeError when it was never initialised.
template <class T>
T* ready_ptr(nb::handle h) {
  if (!check_ready(h.ptr())) throw nb::python_error();
  return nb::inst_ptr<T>(h);
}

int fill_readonly(PyObject* self, Py_buffer* view, int flags, const std::uint8_t* p, std::size_t n) {
  return PyBuffer_FillInfo(view, self, const_cast<std::uint8_t*>(n == 0 ? kEmpty : p), static_cast<Py_ssize_t>(n),
                           /*readonly=*/1, flags);
}
void release_noop(PyObject*, Py_buffer*) {}

// ---------------------------------------------------------------- BufferSegment

int segment_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  if (!check_ready(self)) return -1;
  auto* s = nb::inst_ptr<PySegment>(self);
  return fill_readonly(self, view, flags, s->buf.data(), s->buf.size());
}
PyType_Slot segment_slots[] = {{Py_bf_getbuffer, reinterpret_cast<void*>(segment_getbuffer)},
                               {Py_bf_releasebuffer, reinterpret_cast<void*>(release_noop)},
                               {0, nullptr}};

// ---------------------------------------------------------------- BufferSegments

struct PySegmentsTable {
  Buffer records;  // owner keeps the segment table alive
  std::size_t count = 0;
};
int segments_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  if (!check_ready(self)) return -1;
  auto* s = nb::inst_ptr<PySegmentsTable>(self);
  return fill_readonly(self, view, flags, s->records.data(), s->records.size());
}
PyType_Slot segments_slots[] = {{Py_bf_getbuffer, reinterpret_cast<void*>(segments_getbuffer)},
                                {Py_bf_releasebuffer, reinterpret_cast<void*>(release_noop)},
                                {0, nullptr}};

// ---------------------------------------------------------------- BufferWithSegments

int bws_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  if (!check_ready(self)) return -1;
  auto* b = nb::inst_ptr<PyBufferWithSegments>(self);
  return fill_readonly(self, view, flags, b->bws.data().data(), b->bws.data().size());
}
PyType_Slot bws_slots[] = {{Py_bf_getbuffer, reinterpret_cast<void*>(bws_getbuffer)},
                           {Py_bf_releasebuffer, reinterpret_cast<void*>(release_noop)},
                           {0, nullptr}};

Buffer require_buffer(nb::handle obj, const char* what) {
  std::optional<Buffer> b = buffer_from_object(obj.ptr());
  if (!b) {
    PyErr_Format(PyExc_TypeError, "%s must be a bytes-like object, not %s", what, Py_TYPE(obj.ptr())->tp_name);
    throw nb::python_error();
  }
  return std::move(*b);
}

BufferWithSegments make_bws(Buffer data, ByteSpan records) {
  auto r = BufferWithSegments::from_records(std::move(data), records);
  if (r.ok()) return std::move(r).value();
  const Status& st = r.status();
  if (st.code() == ErrorCode::invalid_argument) throw nb::value_error("segments array size is not a multiple of 16");
  throw nb::value_error(("offset within segments array references memory outside buffer (" + st.message() + ")").c_str());
}

nb::object segment_object(const BufferWithSegments& b, std::size_t i) {
  return nb::cast(PySegment{b.segment(i), b.segments()[i].offset});
}

// Python index -> position, negative indexes counted from the end.
std::size_t normalize_index(nb::handle idx, std::size_t n) {
  if (!PyIndex_Check(idx.ptr())) {
    PyErr_Format(PyExc_TypeError, "sequence index must be integer, not '%s'", Py_TYPE(idx.ptr())->tp_name);
    throw nb::python_error();
  }
  const Py_ssize_t v = PyNumber_AsSsize_t(idx.ptr(), PyExc_IndexError);
  if (v == -1 && PyErr_Occurred()) throw nb::python_error();
  const Py_ssize_t i = v < 0 ? v + static_cast<Py_ssize_t>(n) : v;
  if (i < 0 || static_cast<std::size_t>(i) >= n) {
    PyErr_Format(PyExc_IndexError, "offset must be less than %zu", n);
    throw nb::python_error();
  }
  return static_cast<std::size_t>(i);
}

// Positions selected by a slice object.
std::vector<std::size_t> slice_positions(nb::handle sl, std::size_t n) {
  Py_ssize_t start = 0, stop = 0, step = 0;
  if (PySlice_Unpack(sl.ptr(), &start, &stop, &step) < 0) throw nb::python_error();
  const Py_ssize_t len = PySlice_AdjustIndices(static_cast<Py_ssize_t>(n), &start, &stop, step);
  std::vector<std::size_t> out(static_cast<std::size_t>(len));
  for (Py_ssize_t k = 0; k < len; ++k) out[static_cast<std::size_t>(k)] = static_cast<std::size_t>(start + k * step);
  return out;
}

// Zero-copy numpy view of one column (0: offsets, 1: lengths) of the segment table.
nb::object column(nb::handle self, const BufferWithSegments& b, int which) {
  const std::size_t n = b.size();
  const std::uint64_t* base = n == 0 ? reinterpret_cast<const std::uint64_t*>(kEmpty)
                                     : reinterpret_cast<const std::uint64_t*>(b.segments().data()) + which;
  size_t shape[1] = {n};
  int64_t strides[1] = {2};  // in elements: one 16-byte record
  nb::ndarray<nb::numpy, const std::uint64_t, nb::ndim<1>> arr(base, 1, shape, self, strides);
  return nb::cast(arr, nb::rv_policy::reference);
}

nb::list memoryview_list(nb::handle self, const BufferWithSegments& b, nb::list out) {
  nb::object whole = nb::steal(PyMemoryView_FromObject(self.ptr()));
  if (!whole.is_valid()) throw nb::python_error();
  for (const Segment& s : b.segments()) {
    nb::object sl = nb::steal(PySlice_New(nb::int_(s.offset).ptr(), nb::int_(s.offset + s.length).ptr(), nullptr));
    nb::object mv = nb::steal(PyObject_GetItem(whole.ptr(), sl.ptr()));
    if (!mv.is_valid()) throw nb::python_error();
    out.append(mv);
  }
  return out;
}

nb::list bytes_list(const BufferWithSegments& b, nb::list out) {
  for (std::size_t i = 0; i < b.size(); ++i) {
    const ByteSpan s = b[i];
    out.append(bytes_of(s));
  }
  return out;
}

// pickle support: the backing bytes (compacted when the segments cover less
// than half of them) and the segment records.
nb::object bws_reduce(nb::handle self, const BufferWithSegments& b, int protocol) {
  nb::object cls = nb::borrow(reinterpret_cast<PyObject*>(Py_TYPE(self.ptr())));
  const std::uint64_t covered = b.total_length();
  if (covered * 2 < b.data().size()) {
    std::vector<std::uint8_t> bytes = b.concatenated();
    std::vector<Segment> segs(b.size());
    std::uint64_t off = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
      segs[i] = {off, b.segments()[i].length};
      off += segs[i].length;
    }
    nb::bytes data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    nb::bytes recs(reinterpret_cast<const char*>(segs.data()), segs.size() * sizeof(Segment));
    return nb::make_tuple(cls, nb::make_tuple(data, recs));
  }
  nb::bytes recs(reinterpret_cast<const char*>(b.segment_records().data()), b.segment_records().size());
  nb::object data;
  if (protocol >= 5) {
    data = nb::module_::import_("pickle").attr("PickleBuffer")(self);
  } else {
    data = bytes_of(b.data().span());
  }
  return nb::make_tuple(cls, nb::make_tuple(data, recs));
}

// ---------------------------------------------------------------- iteration

struct SegmentIter {
  nb::object src;  // a BufferWithSegments or a collection
  std::size_t i = 0;
};

nb::object item_of(nb::handle src, std::size_t i) {
  if (nb::isinstance<PyBufferWithSegments>(src)) return segment_object(ready_ptr<PyBufferWithSegments>(src)->bws, i);
  const auto& c = ready_ptr<PyCollection>(src)->c;
  const auto [p, j] = c.locate(i);
  return segment_object(c.part(p), j);
}
std::size_t count_of(nb::handle src) {
  if (nb::isinstance<PyBufferWithSegments>(src)) return ready_ptr<PyBufferWithSegments>(src)->bws.size();
  return ready_ptr<PyCollection>(src)->c.size();
}

// ---------------------------------------------------------------- batch inputs

std::vector<std::uint64_t> sizes_from(nb::handle obj, std::size_t n) {
  std::vector<std::uint64_t> sizes;
  if (obj.is_none()) return sizes;
  if (std::optional<Buffer> b = buffer_from_object(obj.ptr())) {
    if (b->size() != n * 8) {
      PyErr_Format(PyExc_ValueError, "decompressed_sizes size mismatch; expected %zu, got %zu", n * 8, b->size());
      throw nb::python_error();
    }
    sizes.resize(n);
    if (n != 0) std::memcpy(sizes.data(), b->data(), n * 8);
    return sizes;
  }
  for (nb::handle v : nb::iter(obj)) {
    unsigned long long x = PyLong_AsUnsignedLongLong(v.ptr());
    if (x == static_cast<unsigned long long>(-1) && PyErr_Occurred()) throw nb::python_error();
    sizes.push_back(x);
  }
  if (sizes.size() != n) {
    PyErr_Format(PyExc_ValueError, "decompressed_sizes has %zu entries for %zu frames", sizes.size(), n);
    throw nb::python_error();
  }
  return sizes;
}

nb::object result_collection(BufferWithSegments out) {
  nb::object part = nb::cast(PyBufferWithSegments{std::move(out)});
  auto c = BufferWithSegmentsCollection::make({ready_ptr<PyBufferWithSegments>(part)->bws});
  return nb::cast(PyCollection{unwrap(std::move(c))});
}

}  // namespace

BatchInput batch_input(nb::handle obj) {
  BatchInput in;
  in.keep = nb::borrow(obj);
  if (nb::isinstance<PyBufferWithSegments>(obj)) {
    const BufferWithSegments& b = ready_ptr<PyBufferWithSegments>(obj)->bws;
    in.spans.reserve(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) in.spans.push_back(b[i]);
    return in;
  }
  if (nb::isinstance<PyCollection>(obj)) {
    in.spans = ready_ptr<PyCollection>(obj)->c.spans();
    return in;
  }
  if (PyUnicode_Check(obj.ptr()) || PyObject_CheckBuffer(obj.ptr()) || !PySequence_Check(obj.ptr())) {
    throw nb::type_error("argument must be list or BufferWithSegments");
  }
  // A snapshot of the items (new references): the list may change while the
  // GIL is released, the tuple cannot.
  in.keep = nb::steal(PySequence_Tuple(obj.ptr()));
  if (!in.keep.is_valid()) throw nb::python_error();
  const Py_ssize_t n = PyTuple_GET_SIZE(in.keep.ptr());
  in.spans.reserve(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* o = PyTuple_GET_ITEM(in.keep.ptr(), i);
    if (PyBytes_CheckExact(o)) {
      in.spans.emplace_back(reinterpret_cast<const std::uint8_t*>(PyBytes_AS_STRING(o)),
                            static_cast<std::size_t>(PyBytes_GET_SIZE(o)));
      continue;
    }
    std::optional<Buffer> b;
    try {
      b = buffer_from_object(o);
    } catch (nb::python_error&) {  // e.g. a non-contiguous array: name the item
      PyErr_Format(PyExc_TypeError, "item %zd not a bytes like object (it exports no C-contiguous buffer)", i);
      throw nb::python_error();
    }
    if (!b) {
      PyErr_Format(PyExc_TypeError, "item %zd not a bytes like object", i);
      throw nb::python_error();
    }
    in.spans.push_back(b->span());
    in.holds.push_back(std::move(*b));
  }
  return in;
}

nb::object wrap_bws(BufferWithSegments b) { return nb::cast(PyBufferWithSegments{std::move(b)}); }

nb::object multi_compress(nb::handle data, Codec codec, std::optional<int> level, int threads,
                          const ZstdCompressParams& zstd) {
  BatchInput in = batch_input(data);
  if (in.spans.empty()) throw nb::value_error("no source elements found");
  BatchOptions opts;
  opts.threads = static_cast<std::size_t>(threads_from(threads));
  Result<BufferWithSegments> r = BufferWithSegments();
  {
    nb::gil_scoped_release nogil;
    r = compress_batch(in.spans, codec, level, opts, zstd);
  }
  return result_collection(unwrap_codec(std::move(r), ErrorContext::compress, codec));
}

nb::object multi_decompress(nb::handle frames, nb::handle decompressed_sizes, Codec codec, int threads,
                            std::optional<std::uint64_t> max_output_size, const ZstdDecompressParams& zstd) {
  BatchInput in = batch_input(frames);
  if (in.spans.empty()) throw nb::value_error("no source elements found");
  std::vector<std::uint64_t> sizes = sizes_from(decompressed_sizes, in.spans.size());
  BatchOptions opts;
  opts.threads = static_cast<std::size_t>(threads_from(threads));
  if (max_output_size) opts.max_output_size = *max_output_size;
  Result<BufferWithSegments> r = BufferWithSegments();
  {
    nb::gil_scoped_release nogil;
    r = decompress_batch(in.spans, codec, sizes, opts, zstd);
  }
  return result_collection(unwrap_codec(std::move(r), ErrorContext::decompress, codec));
}

void bind_segments(nb::module_& m) {
  nb::class_<PySegment>(m, "BufferSegment", nb::type_slots(segment_slots),
                        "A zero-copy view of one segment of a BufferWithSegments (read-only buffer protocol). "
                        "Keeps the backing memory alive.")
      .def("__init__",
           [](PySegment* self, nb::handle data, std::uint64_t offset) {
             new (self) PySegment{require_buffer(data, "data"), offset};
           },
           nb::arg("data"), nb::arg("offset") = 0,
           "A segment over all of `data` (no copy), reporting `offset` (used by pickle; segments normally come "
           "from a BufferWithSegments).")
      .def_prop_ro("offset", [](const PySegment& s) { return s.offset; },
                   "Byte offset of this segment within its parent buffer.")
      .def("__len__", [](const PySegment& s) { return s.buf.size(); })
      .def("tobytes", [](const PySegment& s) {
        return bytes_of(s.buf.span());
      }, "A bytes copy of the segment.")
      .def("__bytes__", [](const PySegment& s) {
        return bytes_of(s.buf.span());
      })
      .def("__eq__", [](const PySegment& s, nb::handle other) -> nb::object {
        std::optional<Buffer> o = buffer_from_object(other.ptr());
        if (!o) return nb::borrow(Py_NotImplemented);
        return nb::bool_(o->size() == s.buf.size() &&
                         (s.buf.size() == 0 || std::memcmp(o->data(), s.buf.data(), s.buf.size()) == 0));
      }, nb::arg("other").none())
      .def("__hash__", [](const PySegment& s) {
        nb::bytes b(reinterpret_cast<const char*>(s.buf.data()), s.buf.size());
        return nb::hash(b);
      })
      .def("__repr__", [](const PySegment& s) {
        return "<BufferSegment offset=" + std::to_string(s.offset) + " len=" + std::to_string(s.buf.size()) + ">";
      })
      .def("__reduce__", [](nb::handle self) {
        const PySegment& s = *ready_ptr<PySegment>(self);
        nb::bytes data(reinterpret_cast<const char*>(s.buf.data()), s.buf.size());
        nb::object cls = nb::borrow(reinterpret_cast<PyObject*>(Py_TYPE(self.ptr())));
        return nb::make_tuple(cls, nb::make_tuple(data, s.offset));
      });

  nb::class_<PySegmentsTable>(m, "BufferSegments", nb::type_slots(segments_slots),
                              "The (offset, length) records of a BufferWithSegments: 16 bytes each, two native "
                              "u64s (buffer protocol).")
      .def("__init__",
           [](PySegmentsTable* self, nb::handle data) {
             Buffer b = require_buffer(data, "data");
             if (b.size() % 16 != 0) throw nb::value_error("segments array size is not a multiple of 16");
             const std::size_t n = b.size() / 16;
             new (self) PySegmentsTable{std::move(b), n};
           },
           nb::arg("data"), "Records from bytes (used by pickle; normally from BufferWithSegments.segments()).")
      .def("__len__", [](const PySegmentsTable& t) { return t.count; }, "Number of segments.")
      .def("__reduce__", [](nb::handle self) {
        const PySegmentsTable& t = *ready_ptr<PySegmentsTable>(self);
        nb::bytes data(reinterpret_cast<const char*>(t.records.data()), t.records.size());
        nb::object cls = nb::borrow(reinterpret_cast<PyObject*>(Py_TYPE(self.ptr())));
        return nb::make_tuple(cls, nb::make_tuple(data));
      });

  nb::class_<PyBufferWithSegments>(
      m, "BufferWithSegments", nb::type_slots(bws_slots),
      "A buffer holding many items: `data` (any bytes-like object, not copied; kept alive) cut by `segments` "
      "(16-byte native (offset, length) u64 records, copied and bounds-checked). Overlapping, unsorted and "
      "gapped segments are allowed.")
      .def("__init__",
           [](PyBufferWithSegments* self, nb::handle data, nb::handle segments) {
             Buffer d = require_buffer(data, "data");
             Buffer recs = require_buffer(segments, "segments");
             new (self) PyBufferWithSegments{make_bws(std::move(d), recs.span())};
           },
           nb::arg("data"), nb::arg("segments"))
      .def_prop_ro("size", [](const PyBufferWithSegments& b) { return b.bws.data().size(); },
                   "Total size in bytes of the backing buffer.")
      .def("__len__", [](const PyBufferWithSegments& b) { return b.bws.size(); })
      .def("__getitem__",
           [](nb::handle self, nb::handle idx) -> nb::object {
             const BufferWithSegments& b = ready_ptr<PyBufferWithSegments>(self)->bws;
             if (PySlice_Check(idx.ptr())) {
               std::vector<std::size_t> pos = slice_positions(idx, b.size());
               return wrap_bws(unwrap(b.select(pos)));
             }
             return segment_object(b, normalize_index(idx, b.size()));
           })
      .def("__iter__", [](nb::handle self) { return SegmentIter{nb::borrow(self), 0}; })
      .def("segments", [](const PyBufferWithSegments& b) {
        auto holder = std::make_shared<BufferWithSegments>(b.bws);
        const ByteSpan r = holder->segment_records();
        return PySegmentsTable{Buffer(r.data(), r.size(), holder), holder->size()};
      }, "The segment records as a BufferSegments object.")
      .def("tobytes", [](const PyBufferWithSegments& b) {
        return bytes_of(b.bws.data().span());
      }, "A bytes copy of the whole backing buffer.")
      .def("offsets", [](nb::handle self) { return column(self, ready_ptr<PyBufferWithSegments>(self)->bws, 0); },
           "Every segment's offset as a read-only numpy uint64 array (a view: no copy).")
      .def("lengths", [](nb::handle self) { return column(self, ready_ptr<PyBufferWithSegments>(self)->bws, 1); },
           "Every segment's length as a read-only numpy uint64 array (a view: no copy).")
      .def("memoryviews",
           [](nb::handle self) {
             return memoryview_list(self, ready_ptr<PyBufferWithSegments>(self)->bws, nb::list());
           },
           "Every segment as a read-only memoryview, in one call (no copies).")
      .def("tolist", [](const PyBufferWithSegments& b) { return bytes_list(b.bws, nb::list()); },
           "Every segment as bytes.")
      .def("concat", [](const PyBufferWithSegments& b) {
        std::vector<std::uint8_t> v = b.bws.concatenated();
        return bytes_of(v);
      }, "The segments joined in order, as bytes.")
      .def("__reduce_ex__", [](nb::handle self, int protocol) {
        return bws_reduce(self, ready_ptr<PyBufferWithSegments>(self)->bws, protocol);
      })
      .def("__repr__", [](const PyBufferWithSegments& b) {
        return "<BufferWithSegments segments=" + std::to_string(b.bws.size()) +
               " size=" + std::to_string(b.bws.data().size()) + ">";
      });

  nb::class_<SegmentIter>(m, "_SegmentIterator")
      .def("__iter__", [](nb::handle self) { return nb::borrow(self); })
      .def("__next__", [](SegmentIter& it) -> nb::object {
        if (it.i >= count_of(it.src)) throw nb::stop_iteration();
        return item_of(it.src, it.i++);
      });

  nb::class_<PyCollection>(m, "BufferWithSegmentsCollection",
                           "Several BufferWithSegments seen as one sequence of segments.")
      .def("__init__",
           [](PyCollection* self, nb::args args) {
             if (args.size() == 0) throw nb::value_error("must pass at least 1 argument");
             std::vector<BufferWithSegments> parts;
             for (nb::handle a : args) {
               if (!nb::isinstance<PyBufferWithSegments>(a)) {
                 throw nb::type_error("arguments must be BufferWithSegments instances");
               }
               parts.push_back(ready_ptr<PyBufferWithSegments>(a)->bws);
               if (parts.back().empty()) throw nb::value_error("ZstdBufferWithSegments cannot be empty");
             }
             new (self) PyCollection{unwrap(BufferWithSegmentsCollection::make(std::move(parts)))};
           })
      .def("__len__", [](const PyCollection& c) { return c.c.size(); })
      .def("size", [](const PyCollection& c) { return c.c.total_length(); },
           "Total bytes of all segments (a method, as in python-zstandard).")
      .def("__getitem__",
           [](nb::handle self, nb::handle idx) -> nb::object {
             const BufferWithSegmentsCollection& c = ready_ptr<PyCollection>(self)->c;
             if (PySlice_Check(idx.ptr())) {
               nb::list out;
               for (std::size_t i : slice_positions(idx, c.size())) out.append(item_of(self, i));
               return out;
             }
             return item_of(self, normalize_index(idx, c.size()));
           })
      .def("__iter__", [](nb::handle self) { return SegmentIter{nb::borrow(self), 0}; })
      .def("buffers",
           [](const PyCollection& c) {
             nb::list out;
             for (std::size_t p = 0; p < c.c.part_count(); ++p) out.append(wrap_bws(c.c.part(p)));
             return out;
           },
           "The member BufferWithSegments objects.")
      .def("memoryviews",
           [](const PyCollection& c) {
             nb::list out;
             for (std::size_t p = 0; p < c.c.part_count(); ++p) memoryview_list(wrap_bws(c.c.part(p)), c.c.part(p), out);
             return out;
           },
           "Every segment as a read-only memoryview, in one call (no copies).")
      .def("tolist",
           [](const PyCollection& c) {
             nb::list out;
             for (std::size_t p = 0; p < c.c.part_count(); ++p) bytes_list(c.c.part(p), out);
             return out;
           },
           "Every segment as bytes.")
      .def("__reduce__",
           [](nb::handle self) {
             const PyCollection& c = *ready_ptr<PyCollection>(self);
             nb::list parts;
             for (std::size_t p = 0; p < c.c.part_count(); ++p) parts.append(wrap_bws(c.c.part(p)));
             nb::object cls = nb::borrow(reinterpret_cast<PyObject*>(Py_TYPE(self.ptr())));
             return nb::make_tuple(cls, nb::tuple(parts));
           })
      .def("__repr__", [](const PyCollection& c) {
        return "<BufferWithSegmentsCollection buffers=" + std::to_string(c.c.part_count()) +
               " segments=" + std::to_string(c.c.size()) + ">";
      });

  // ---- batch codecs
  m.def(
      "multi_compress_to_buffer",
      [](nb::handle data, nb::handle codec, std::optional<int> level, int threads) {
        return multi_compress(data, codec_from_arg(codec), level, threads);
      },
      nb::arg("data"), nb::arg("codec").none() = "zstd", nb::arg("level") = nb::none(), nb::arg("threads") = -1,
      "Compresses every item of `data` (a list of bytes-like objects, a BufferWithSegments or a collection) "
      "on the library's thread pool, without the GIL. Returns a BufferWithSegmentsCollection holding one "
      "buffer (segment i = item i). threads: < 0 every pool worker, 0 or 1 the calling thread, n at most n.");
  m.def(
      "multi_decompress_to_buffer",
      [](nb::handle frames, nb::handle decompressed_sizes, nb::handle codec, int threads,
         std::optional<std::uint64_t> max_output_size) {
        return multi_decompress(frames, decompressed_sizes, codec_from_arg(codec), threads, max_output_size);
      },
      nb::arg("frames"), nb::arg("decompressed_sizes") = nb::none(), nb::arg("codec").none() = "zstd",
      nb::arg("threads") = -1, nb::arg("max_output_size") = nb::none(),
      "Decompresses every frame on the library's thread pool, without the GIL, into ONE buffer (segment i = "
      "item i), returned as a BufferWithSegmentsCollection. decompressed_sizes: native u64 per frame (bytes-like, "
      "numpy array or list of ints; 0 = read from the frame). max_output_size caps the whole output "
      "(default 1 GiB).");
  m.def("set_num_threads", [](std::size_t n) { check(set_default_pool_size(n)); }, nb::arg("n"),
        "Sets the number of workers of the library's thread pool (0: automatic, the number of cores or "
        "SEGPACK_NUM_THREADS).");
  m.def("get_num_threads", []() { return default_pool_size(); },
        "Number of workers of the library's thread pool, the calling thread included.");
}

}  // namespace segpack::py
