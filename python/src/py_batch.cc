// The batch functions multi_compress_to_buffer / multi_decompress_to_buffer
// (python-zstandard's API, any codec) and the size of the library's pool.
#include "py_batch.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "py_buffers.h"
#include "py_codecs.h"
#include "py_errors.h"
#include "py_segments.h"
#include "py_sig.h"
#include "py_zstd.h"
#include "segpack/batch.h"
#include "segpack/segments.h"
#include "segpack/thread_pool.h"

namespace segpack::py {

namespace {

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

// set_num_threads' argument: an int in [0, kMaxPoolSize] (TypeError / ValueError otherwise).
std::size_t pool_size_from(nb::handle n) {
  constexpr long long kMaxPoolSize = 1024;  // set_default_pool_size's limit
  if (PyBool_Check(n.ptr()) || !PyIndex_Check(n.ptr())) {
    PyErr_Format(PyExc_TypeError, "set_num_threads: n must be an int (0: automatic), not %s",
                 Py_TYPE(n.ptr())->tp_name);
    throw nb::python_error();
  }
  nb::object i = nb::steal(PyNumber_Index(n.ptr()));
  if (!i.is_valid()) throw nb::python_error();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (v == -1 && PyErr_Occurred()) throw nb::python_error();
  if (overflow < 0 || (overflow == 0 && v < 0)) {
    const std::string got = nb::cast<std::string>(nb::repr(i));
    throw nb::value_error(("set_num_threads: n must be >= 0 (0: automatic, the number of cores), got " + got).c_str());
  }
  if (overflow > 0 || v > kMaxPoolSize) {
    const std::string got = nb::cast<std::string>(nb::repr(i));
    throw nb::value_error(
        ("set_num_threads: n must be at most " + std::to_string(kMaxPoolSize) + " workers, got " + got).c_str());
  }
  return static_cast<std::size_t>(v);
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
  if (std::optional<BufferWithSegments> f = foreign_bws(obj)) {  // python-zstandard's, read in place
    in.spans.reserve(f->size());
    for (std::size_t i = 0; i < f->size(); ++i) in.spans.push_back((*f)[i]);
    in.holds.push_back(f->data());
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

nb::object multi_compress(nb::handle data, Codec codec, std::optional<int> level, int threads,
                          const ZstdCompressParams& zstd) {
  BatchInput in = batch_input(data);
  if (in.spans.empty()) throw nb::value_error("no source elements found");
  BatchOptions opts;
  opts.parallel.threads = threads_from(threads);
  Result<BufferWithSegments> r = BufferWithSegments();
  {
    nb::gil_scoped_release nogil;
    r = compress_batch(in.spans, codec, level, opts, zstd);
  }
  return result_collection(unwrap_codec(std::move(r), codec));
}

nb::object multi_decompress(nb::handle frames, nb::handle decompressed_sizes, Codec codec, int threads,
                            std::optional<std::uint64_t> max_output_size, const ZstdDecompressParams& zstd) {
  BatchInput in = batch_input(frames);
  if (in.spans.empty()) throw nb::value_error("no source elements found");
  std::vector<std::uint64_t> sizes = sizes_from(decompressed_sizes, in.spans.size());
  BatchOptions opts;
  opts.parallel.threads = threads_from(threads);
  if (max_output_size) opts.limits.max_output_size = *max_output_size;
  Result<BufferWithSegments> r = BufferWithSegments();
  {
    nb::gil_scoped_release nogil;
    r = decompress_batch(in.spans, codec, sizes, opts, zstd);
  }
  return result_collection(unwrap_codec(std::move(r), codec));
}

void bind_batch(nb::module_& m) {
  m.def(
      "multi_compress_to_buffer",
      [](nb::handle data, nb::handle codec, std::optional<int> level, int threads) {
        return multi_compress(data, codec_from_arg(codec), level, threads);
      },
      nb::arg("data"), nb::arg("codec").none() = "zstd", nb::arg("level") = nb::none(), nb::arg("threads") = -1,
      nb::sig("def multi_compress_to_buffer(data: " SEGPACK_PY_BATCH_INPUT ", codec: " SEGPACK_PY_CODEC
              " = 'zstd', level: int | None = None, threads: int = -1) -> BufferWithSegmentsCollection"),
      "Compresses every item of `data` (a list or tuple of bytes-like objects, a BufferWithSegments or a\n"
      "BufferWithSegmentsCollection) on the library's thread pool, without the GIL.\n\n"
      "Returns a BufferWithSegmentsCollection holding one buffer: segment i = item i compressed (one\n"
      "whole stream or frame per item). level: the codec's level (None: its default). threads: < 0\n"
      "every pool worker, 0 or 1 the calling thread, n at most n.\n\n"
      "Raises TypeError for input of another type or an item that is not bytes-like, ValueError when\n"
      "there is no item or the level is out of range, UnsupportedCompressionType for an unknown codec,\n"
      "CompressionError naming the item that failed.");
  m.def(
      "multi_decompress_to_buffer",
      [](nb::handle frames, nb::handle decompressed_sizes, nb::handle codec, int threads,
         std::optional<std::uint64_t> max_output_size) {
        return multi_decompress(frames, decompressed_sizes, codec_from_arg(codec), threads, max_output_size);
      },
      nb::arg("frames"), nb::arg("decompressed_sizes") = nb::none(), nb::arg("codec").none() = "zstd",
      nb::arg("threads") = -1, nb::arg("max_output_size") = nb::none(),
      nb::sig("def multi_decompress_to_buffer(frames: " SEGPACK_PY_BATCH_INPUT
              ", decompressed_sizes: " SEGPACK_PY_BYTES_LIKE
              " | collections.abc.Iterable[int] | None = None, codec: " SEGPACK_PY_CODEC
              " = 'zstd', threads: int = -1, max_output_size: int | None = None) -> BufferWithSegmentsCollection"),
      "Decompresses every frame (whole streams of `codec`) on the library's thread pool, without the\n"
      "GIL, into ONE buffer.\n\n"
      "Returns a BufferWithSegmentsCollection holding that buffer: segment i = frame i decompressed.\n"
      "decompressed_sizes: each item's size, as native u64s (bytes-like, e.g. a numpy uint64 array) or\n"
      "a list of ints; 0 = read it from the frame. max_output_size caps the whole output (None: 1 GiB).\n"
      "threads: < 0 every pool worker, 0 or 1 the calling thread, n at most n.\n\n"
      "Raises TypeError for input of another type or an item that is not bytes-like, ValueError when\n"
      "there is no frame or decompressed_sizes does not have one entry per frame,\n"
      "UnsupportedCompressionType for an unknown codec, DecompressionError naming the first item that\n"
      "is corrupt, truncated or not of its stated size, LimitExceededError beyond max_output_size.");
  m.def(
      "set_num_threads", [](nb::handle n) { check(set_default_pool_size(pool_size_from(n))); }, nb::arg("n").none(),
      nb::sig("def set_num_threads(n: int) -> None"),
      "Sets the number of workers of the library's thread pool (0: automatic, the number of cores or\n"
      "SEGPACK_NUM_THREADS) and returns None; the pool is remade at its next use.\n\n"
      "Raises TypeError when n is not an int (bool included), ValueError for a negative n or one above 1024.");
  m.def(
      "get_num_threads", []() { return default_pool_size(); },
      "Returns the number of workers of the library's thread pool, the calling thread included.");
}

}  // namespace segpack::py
