// Python BufferSegment, BufferSegments, BufferWithSegments,
// BufferWithSegmentsCollection (python-zstandard's API and messages, plus
// slicing, equality, numpy export, pickling).
#include "py_segments.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "py_buffers.h"
#include "py_errors.h"
#include "py_sig.h"
#include "segpack/segments.h"

namespace segpack::py {

namespace {

const std::uint8_t kEmpty[1] = {0};
constexpr const char* kNotBytes = "%s must be a bytes-like object, not %s";  // python-zstandard's TypeError

nb::bytes bytes_of(ByteSpan s) { return nb::bytes(reinterpret_cast<const char*>(s.data()), s.size()); }

// ---------------------------------------------------------------- BufferSegment

ByteSpan segment_bytes(const PySegment& s) { return s.buf.span(); }
using SegmentBuffer = ReadOnlyBuffer<PySegment, segment_bytes>;

// ---------------------------------------------------------------- BufferSegments

struct PySegmentsTable {
  Buffer records;  // owner keeps the segment table alive
  std::size_t count = 0;
};
ByteSpan segments_table_bytes(const PySegmentsTable& t) { return t.records.span(); }
using SegmentsTableBuffer = ReadOnlyBuffer<PySegmentsTable, segments_table_bytes>;

// ---------------------------------------------------------------- BufferWithSegments

ByteSpan bws_bytes(const PyBufferWithSegments& b) { return b.bws.data().span(); }
using BwsBuffer = ReadOnlyBuffer<PyBufferWithSegments, bws_bytes>;

BufferWithSegments make_bws(Buffer data, ByteSpan records) {
  auto r = BufferWithSegments::from_records(std::move(data), records);
  if (r.ok()) return std::move(r).value();
  const Status& st = r.status();
  if (st.code() == ErrorCode::invalid_argument) throw nb::value_error("segments array size is not a multiple of 16");
  throw nb::value_error(
      ("offset within segments array references memory outside buffer (" + st.message() + ")").c_str());
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

}  // namespace

nb::object wrap_bws(BufferWithSegments b) { return nb::cast(PyBufferWithSegments{std::move(b)}); }

std::optional<BufferWithSegments> foreign_bws(nb::handle obj) {
  if (nb::isinstance<PyBufferWithSegments>(obj) || !PyObject_CheckBuffer(obj.ptr()) ||
      !PyObject_HasAttrString(obj.ptr(), "segments")) {
    return std::nullopt;
  }
  nb::object table = obj.attr("segments")();
  Buffer records =
      require_buffer(table, "%s.segments() must return a bytes-like object, not %s", Py_TYPE(obj.ptr())->tp_name);
  return make_bws(require_buffer(obj, kNotBytes, "data"), records.span());
}

void bind_segments(nb::module_& m) {
  nb::class_<PySegment>(m, "BufferSegment", nb::type_slots(SegmentBuffer::slots),
                        "A zero-copy view of one segment of a BufferWithSegments (python-zstandard's type).\n\n"
                        "It exports the read-only buffer protocol (memoryview(s), bytes(s), numpy.frombuffer(s))\n"
                        "and keeps the backing memory alive; it compares equal to bytes of the same content.")
      .def(
          "__init__",
          [](PySegment* self, nb::handle data, std::uint64_t offset) {
            new (self) PySegment{require_buffer(data, kNotBytes, "data"), offset};
          },
          nb::arg("data"), nb::arg("offset") = 0,
          nb::sig("def __init__(self, data: " SEGPACK_PY_BYTES_LIKE ", offset: int = 0) -> None"),
          "A segment over all of `data` (no copy; kept alive), reporting `offset` (used by pickle;\n"
          "segments normally come from a BufferWithSegments).\n\n"
          "Raises TypeError when `data` is not bytes-like (C-contiguous).")
      .def_prop_ro(
          "offset", [](const PySegment& s) { return s.offset; },
          "Byte offset of this segment within its parent buffer.")
      .def(
          "__len__", [](const PySegment& s) { return s.buf.size(); }, "len(s): the segment's size in bytes.")
      .def(
          "tobytes", [](const PySegment& s) { return bytes_of(s.buf.span()); }, "Returns a bytes copy of the segment.")
      .def(
          "__bytes__", [](const PySegment& s) { return bytes_of(s.buf.span()); },
          "bytes(s): a bytes copy of the segment.")
      .def(
          "__eq__",
          [](const PySegment& s, nb::handle other) -> nb::object {
            std::optional<Buffer> o = buffer_from_object(other.ptr());
            if (!o) return nb::borrow(Py_NotImplemented);
            return nb::bool_(o->size() == s.buf.size() &&
                             (s.buf.size() == 0 || std::memcmp(o->data(), s.buf.data(), s.buf.size()) == 0));
          },
          nb::arg("other").none(), nb::sig("def __eq__(self, other: object) -> bool"),
          "s == other: True when `other` is bytes-like with the same content; NotImplemented for other types.")
      .def(
          "__hash__",
          [](const PySegment& s) {
            nb::bytes b(reinterpret_cast<const char*>(s.buf.data()), s.buf.size());
            return nb::hash(b);
          },
          "hash(s): the hash of the segment's content, as bytes of the same content hash.")
      .def("__repr__",
           [](const PySegment& s) {
             return "<BufferSegment offset=" + std::to_string(s.offset) + " len=" + std::to_string(s.buf.size()) + ">";
           })
      .def(
          "__reduce__",
          [](nb::handle self) {
            const PySegment& s = *ready_ptr<PySegment>(self);
            nb::bytes data(reinterpret_cast<const char*>(s.buf.data()), s.buf.size());
            nb::object cls = nb::borrow(reinterpret_cast<PyObject*>(Py_TYPE(self.ptr())));
            return nb::make_tuple(cls, nb::make_tuple(data, s.offset));
          },
          nb::sig("def __reduce__(self) -> tuple[typing.Any, ...]"),
          "Pickle support: the segment's bytes (a copy) and offset.");

  nb::class_<PySegmentsTable>(m, "BufferSegments", nb::type_slots(SegmentsTableBuffer::slots),
                              "The (offset, length) records of a BufferWithSegments (python-zstandard's type):\n"
                              "16 bytes each, two native u64s, exported as a read-only buffer.")
      .def(
          "__init__",
          [](PySegmentsTable* self, nb::handle data) {
            Buffer b = require_buffer(data, kNotBytes, "data");
            if (b.size() % 16 != 0) throw nb::value_error("segments array size is not a multiple of 16");
            const std::size_t n = b.size() / 16;
            new (self) PySegmentsTable{std::move(b), n};
          },
          nb::arg("data"), nb::sig("def __init__(self, data: " SEGPACK_PY_BYTES_LIKE ") -> None"),
          "Records from bytes-like data, kept without a copy (used by pickle; normally from\n"
          "BufferWithSegments.segments()).\n\n"
          "Raises TypeError when `data` is not bytes-like, ValueError when its size is not a multiple of 16.")
      .def(
          "__len__", [](const PySegmentsTable& t) { return t.count; }, "len(s): the number of segments.")
      .def(
          "__repr__",
          [](const PySegmentsTable& t) { return "<BufferSegments segments=" + std::to_string(t.count) + ">"; },
          "repr(s): the number of segments.")
      .def(
          "__reduce__",
          [](nb::handle self) {
            const PySegmentsTable& t = *ready_ptr<PySegmentsTable>(self);
            nb::bytes data(reinterpret_cast<const char*>(t.records.data()), t.records.size());
            nb::object cls = nb::borrow(reinterpret_cast<PyObject*>(Py_TYPE(self.ptr())));
            return nb::make_tuple(cls, nb::make_tuple(data));
          },
          nb::sig("def __reduce__(self) -> tuple[typing.Any, ...]"), "Pickle support: the records' bytes (a copy).");

  nb::class_<PyBufferWithSegments>(
      m, "BufferWithSegments", nb::type_slots(BwsBuffer::slots),
      "A buffer holding many items (python-zstandard's type): `data` (any bytes-like object, not\n"
      "copied; kept alive) cut by `segments` (16-byte native (offset, length) u64 records, copied\n"
      "and bounds-checked). Overlapping, unsorted and gapped segments are allowed.\n\n"
      "It is a sequence of BufferSegment (b[i], slices, iteration) and exports the whole backing\n"
      "buffer through the read-only buffer protocol.")
      .def(
          "__init__",
          [](PyBufferWithSegments* self, nb::handle data, nb::handle segments) {
            Buffer d = require_buffer(data, kNotBytes, "data");
            Buffer recs = require_buffer(segments, kNotBytes, "segments");
            new (self) PyBufferWithSegments{make_bws(std::move(d), recs.span())};
          },
          nb::arg("data"), nb::arg("segments"),
          nb::sig("def __init__(self, data: " SEGPACK_PY_BYTES_LIKE ", segments: " SEGPACK_PY_BYTES_LIKE ") -> None"),
          "Cuts `data` (kept alive, not copied) by `segments`: 16-byte records of two native u64s\n"
          "(offset, length), e.g. a numpy uint64 array of shape (N, 2) (copied).\n\n"
          "Raises TypeError when either is not bytes-like, ValueError when the records' size is not a\n"
          "multiple of 16 or a segment reaches past the end of `data`.")
      .def_prop_ro(
          "size", [](const PyBufferWithSegments& b) { return b.bws.data().size(); },
          "Total size in bytes of the backing buffer.")
      .def(
          "__len__", [](const PyBufferWithSegments& b) { return b.bws.size(); }, "len(b): the number of segments.")
      .def(
          "__getitem__",
          [](nb::handle self, nb::handle idx) -> nb::object {
            const BufferWithSegments& b = ready_ptr<PyBufferWithSegments>(self)->bws;
            if (PySlice_Check(idx.ptr())) {
              std::vector<std::size_t> pos = slice_positions(idx, b.size());
              return wrap_bws(unwrap(b.select(pos)));
            }
            return segment_object(b, normalize_index(idx, b.size()));
          },
          nb::sig(
              "def __getitem__(self, index: typing.SupportsIndex | slice, /) -> BufferSegment | BufferWithSegments"),
          "b[i]: segment i as a BufferSegment (zero-copy; negative i counts from the end);\n"
          "b[start:stop:step]: a new BufferWithSegments of those segments over the same data.\n\n"
          "Raises IndexError when i is out of range, TypeError when it is not an integer or slice.")
      .def(
          "__iter__",
          [](nb::handle self) {
            return SegmentIter{nb::borrow(self), 0};
          },
          nb::sig("def __iter__(self) -> collections.abc.Iterator[BufferSegment]"),
          "iter(b): every segment, in order, as a BufferSegment.")
      .def(
          "segments",
          [](const PyBufferWithSegments& b) {
            auto holder = std::make_shared<BufferWithSegments>(b.bws);
            const ByteSpan r = holder->segment_records();
            return PySegmentsTable{Buffer(r.data(), r.size(), holder), holder->size()};
          },
          "Returns the segment records as a BufferSegments object (buffer protocol, no copy).")
      .def(
          "tobytes", [](const PyBufferWithSegments& b) { return bytes_of(b.bws.data().span()); },
          "Returns a bytes copy of the whole backing buffer (gaps between segments included).")
      .def(
          "offsets", [](nb::handle self) { return column(self, ready_ptr<PyBufferWithSegments>(self)->bws, 0); },
          nb::sig("def offsets(self) -> " SEGPACK_PY_U64_ARRAY),
          "Returns every segment's offset as a read-only numpy uint64 array (a view: no copy).")
      .def(
          "lengths", [](nb::handle self) { return column(self, ready_ptr<PyBufferWithSegments>(self)->bws, 1); },
          nb::sig("def lengths(self) -> " SEGPACK_PY_U64_ARRAY),
          "Returns every segment's length as a read-only numpy uint64 array (a view: no copy).")
      .def(
          "memoryviews",
          [](nb::handle self) { return memoryview_list(self, ready_ptr<PyBufferWithSegments>(self)->bws, nb::list()); },
          nb::sig("def memoryviews(self) -> list[memoryview]"),
          "Returns every segment as a read-only memoryview, in one call (no copies).")
      .def(
          "tolist", [](const PyBufferWithSegments& b) { return bytes_list(b.bws, nb::list()); },
          nb::sig("def tolist(self) -> list[bytes]"), "Returns every segment as bytes (copies), in a list.")
      .def(
          "concat",
          [](const PyBufferWithSegments& b) {
            std::vector<std::uint8_t> v = b.bws.concatenated();
            return bytes_of(v);
          },
          "Returns the segments joined in order, as bytes.")
      .def(
          "__reduce_ex__",
          [](nb::handle self, int protocol) {
            return bws_reduce(self, ready_ptr<PyBufferWithSegments>(self)->bws, protocol);
          },
          nb::sig("def __reduce_ex__(self, protocol: typing.SupportsIndex, /) -> tuple[typing.Any, ...]"),
          "Pickle support: the backing data (out of band with protocol 5; compacted when the segments\n"
          "cover less than half of it) and the segment records.")
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
                           "Several BufferWithSegments seen as one sequence of segments (python-zstandard's type;\n"
                           "what multi_compress_to_buffer and multi_decompress_to_buffer return).")
      .def(
          "__init__",
          [](PyCollection* self, nb::args args) {
            if (args.size() == 0) throw nb::value_error("must pass at least 1 argument");
            std::vector<BufferWithSegments> parts;
            for (nb::handle a : args) {
              if (nb::isinstance<PyBufferWithSegments>(a)) {
                parts.push_back(ready_ptr<PyBufferWithSegments>(a)->bws);
              } else if (std::optional<BufferWithSegments> f = foreign_bws(a)) {  // python-zstandard's
                parts.push_back(std::move(*f));
              } else {
                throw nb::type_error("arguments must be BufferWithSegments instances");
              }
              if (parts.back().empty()) throw nb::value_error("ZstdBufferWithSegments cannot be empty");
            }
            new (self) PyCollection{unwrap(BufferWithSegmentsCollection::make(std::move(parts)))};
          },
          nb::sig("def __init__(self, *args: BufferWithSegments) -> None"),
          "The segments of every argument, in order (the buffers are shared, not copied).\n\n"
          "Raises ValueError when there is no argument or one is empty, TypeError when one is not a\n"
          "BufferWithSegments.")
      .def(
          "__len__", [](const PyCollection& c) { return c.c.size(); }, "len(c): the number of segments.")
      .def(
          "size", [](const PyCollection& c) { return c.c.total_length(); },
          "Returns the total bytes of all segments (a method, as in python-zstandard).")
      .def(
          "__getitem__",
          [](nb::handle self, nb::handle idx) -> nb::object {
            const BufferWithSegmentsCollection& c = ready_ptr<PyCollection>(self)->c;
            if (PySlice_Check(idx.ptr())) {
              nb::list out;
              for (std::size_t i : slice_positions(idx, c.size())) out.append(item_of(self, i));
              return out;
            }
            return item_of(self, normalize_index(idx, c.size()));
          },
          nb::sig(
              "def __getitem__(self, index: typing.SupportsIndex | slice, /) -> BufferSegment | list[BufferSegment]"),
          "c[i]: segment i as a BufferSegment (zero-copy; negative i counts from the end);\n"
          "c[start:stop:step]: a list of those segments.\n\n"
          "Raises IndexError when i is out of range, TypeError when it is not an integer or slice.")
      .def(
          "__iter__",
          [](nb::handle self) {
            return SegmentIter{nb::borrow(self), 0};
          },
          nb::sig("def __iter__(self) -> collections.abc.Iterator[BufferSegment]"),
          "iter(c): every segment, in order, as a BufferSegment.")
      .def(
          "buffers",
          [](const PyCollection& c) {
            nb::list out;
            for (std::size_t p = 0; p < c.c.part_count(); ++p) out.append(wrap_bws(c.c.part(p)));
            return out;
          },
          nb::sig("def buffers(self) -> list[BufferWithSegments]"),
          "Returns the member BufferWithSegments objects, in order.")
      .def(
          "memoryviews",
          [](const PyCollection& c) {
            nb::list out;
            for (std::size_t p = 0; p < c.c.part_count(); ++p) memoryview_list(wrap_bws(c.c.part(p)), c.c.part(p), out);
            return out;
          },
          nb::sig("def memoryviews(self) -> list[memoryview]"),
          "Returns every segment as a read-only memoryview, in one call (no copies).")
      .def(
          "tolist",
          [](const PyCollection& c) {
            nb::list out;
            for (std::size_t p = 0; p < c.c.part_count(); ++p) bytes_list(c.c.part(p), out);
            return out;
          },
          nb::sig("def tolist(self) -> list[bytes]"), "Returns every segment as bytes (copies), in a list.")
      .def(
          "__reduce__",
          [](nb::handle self) {
            const PyCollection& c = *ready_ptr<PyCollection>(self);
            nb::list parts;
            for (std::size_t p = 0; p < c.c.part_count(); ++p) parts.append(wrap_bws(c.c.part(p)));
            nb::object cls = nb::borrow(reinterpret_cast<PyObject*>(Py_TYPE(self.ptr())));
            return nb::make_tuple(cls, nb::tuple(parts));
          },
          nb::sig("def __reduce__(self) -> tuple[typing.Any, ...]"), "Pickle support: the member buffers.")
      .def("__repr__", [](const PyCollection& c) {
        return "<BufferWithSegmentsCollection buffers=" + std::to_string(c.c.part_count()) +
               " segments=" + std::to_string(c.c.size()) + ">";
      });
}

}  // namespace segpack::py
