// Python chunked arrays: the kernels of include/segpack/chunking.h behind
// segpack.chunk / segpack.tobytes / segpack.frombytes (python/segpack/chunking.py
// parses the arguments and hands the arrays over as (address, shape, strides,
// itemsize), so every numpy dtype works, datetime64 and structured included).
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bindings.h"
#include "py_buffers.h"
#include "py_errors.h"
#include "py_segments.h"
#include "py_sig.h"
#include "segpack/chunking.h"

namespace segpack::py {

namespace {

ChunkOrder order_of(const std::string& s) {
  if (s == "C") return ChunkOrder::c;
  if (s == "F") return ChunkOrder::f;
  throw nb::value_error(("order must be 'C' or 'F', not '" + s + "'").c_str());
}

GridOrder grid_of(const std::string& s) {
  if (s == "F") return GridOrder::f;
  if (s == "C") return GridOrder::c;
  if (s == "morton") return GridOrder::morton;
  throw nb::value_error(("grid must be 'F', 'C' or 'morton', not '" + s + "'").c_str());
}

EdgePolicy edges_of(const std::string& s) {
  if (s == "error") return EdgePolicy::error;
  if (s == "truncate") return EdgePolicy::truncate;
  if (s == "pad") return EdgePolicy::pad;
  throw nb::value_error(("edges must be 'error', 'truncate' or 'pad', not '" + s + "'").c_str());
}

std::size_t threads_of(int threads) { return threads < 0 ? 0 : (threads == 0 ? 1 : static_cast<std::size_t>(threads)); }

ArrayView view_of(std::uintptr_t address, std::vector<std::int64_t> shape, std::vector<std::int64_t> strides,
                  std::size_t itemsize) {
  if (shape.size() != strides.size()) throw nb::value_error("shape and strides differ in length");
  return ArrayView{reinterpret_cast<const std::uint8_t*>(address), std::move(shape), std::move(strides), itemsize};
}

nb::bytes int64_bytes(const std::vector<std::int64_t>& v) {
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::int64_t));
}

ChunkOptions options_of(const std::string& order, const std::string& grid, const std::string& edges, nb::bytes fill,
                        int threads) {
  ChunkOptions o;
  o.order = order_of(order);
  o.grid = grid_of(grid);
  o.edges = edges_of(edges);
  const auto* f = static_cast<const std::uint8_t*>(fill.data());
  o.fill.assign(f, f + fill.size());
  o.parallel.threads = threads_of(threads);
  return o;
}

}  // namespace

void bind_chunking(nb::module_& m) {
  m.def(
      "chunk_strided",
      [](std::uintptr_t address, std::vector<std::int64_t> shape, std::vector<std::int64_t> strides,
         std::size_t itemsize, std::vector<std::int64_t> chunk_size, const std::string& order, const std::string& grid,
         const std::string& edges, nb::bytes fill, int threads) {
        const ArrayView v = view_of(address, std::move(shape), std::move(strides), itemsize);
        const ChunkOptions o = options_of(order, grid, edges, fill, threads);
        Result<ChunkedArray> r = [&] {
          nb::gil_scoped_release release;
          return chunk_array(v, chunk_size, o);
        }();
        ChunkedArray c = unwrap(std::move(r));
        return nb::make_tuple(wrap_bws(std::move(c.chunks)), int64_bytes(c.layout.grid_coords),
                              int64_bytes(c.layout.bboxes), nb::tuple(nb::cast(c.layout.grid_shape)));
      },
      nb::arg("address"), nb::arg("shape"), nb::arg("strides"), nb::arg("itemsize"), nb::arg("chunk_size"),
      nb::arg("order"), nb::arg("grid"), nb::arg("edges"), nb::arg("fill"), nb::arg("threads"),
      nb::sig("def chunk_strided(address: int, shape: collections.abc.Sequence[int], strides: "
              "collections.abc.Sequence[int], "
              "itemsize: int, chunk_size: collections.abc.Sequence[int], order: str, grid: str, edges: str, "
              "fill: bytes, threads: int) -> tuple[BufferWithSegments, bytes, bytes, tuple[int, ...]]"),
      "Internal: use segpack.chunk. Cuts the strided array at `address` (kept alive by the caller)\n"
      "into chunks in one new buffer, without the GIL.\n\n"
      "Returns (chunks, grid coordinates as int64 bytes, bounding boxes as int64 bytes, grid shape).\n"
      "Raises ValueError for bad chunk sizes, order, grid, edges or fill.");
  m.def(
      "tobytes_strided",
      [](std::uintptr_t address, std::vector<std::int64_t> shape, std::vector<std::int64_t> strides,
         std::size_t itemsize, std::vector<std::int64_t> chunk_size, const std::string& order, int threads) {
        const ArrayView v = view_of(address, std::move(shape), std::move(strides), itemsize);
        ChunkOptions o;
        o.order = order_of(order);
        o.parallel.threads = threads_of(threads);
        o.prefault = true;  // every chunk is a new bytes object: fresh pages
        ChunkLayout L = unwrap(plan_chunks(v.shape, chunk_size, itemsize, o));
        nb::list out;
        std::vector<std::uint8_t*> dests(L.count());
        for (std::size_t i = 0; i < L.count(); ++i) {
          PyObject* b = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(L.segments[i].length));
          if (b == nullptr) throw nb::python_error();
          dests[i] = reinterpret_cast<std::uint8_t*>(PyBytes_AS_STRING(b));
          out.append(nb::steal(b));
        }
        Status st;
        {
          nb::gil_scoped_release release;
          st = chunk_into(v, L, dests, o);
        }
        check(st);
        return out;
      },
      nb::arg("address"), nb::arg("shape"), nb::arg("strides"), nb::arg("itemsize"), nb::arg("chunk_size"),
      nb::arg("order"), nb::arg("threads"),
      nb::sig("def tobytes_strided(address: int, shape: collections.abc.Sequence[int], strides: "
              "collections.abc.Sequence[int], itemsize: int, chunk_size: collections.abc.Sequence[int], order: str, "
              "threads: int) -> list[bytes]"),
      "Internal: use segpack.tobytes. Every chunk (grid in Fortran order, edges='error') as its own\n"
      "bytes object, written in place without the GIL.\n\n"
      "Returns the list of bytes. Raises ValueError for bad chunk sizes or order.");
  m.def(
      "assemble_strided",
      [](std::uintptr_t address, std::vector<std::int64_t> dst_shape, std::vector<std::int64_t> dst_strides,
         std::size_t itemsize, std::vector<std::int64_t> shape, std::vector<std::int64_t> chunk_size,
         const std::string& order, const std::string& grid, const std::string& edges,
         std::vector<std::int64_t> region_start, nb::handle chunks, int threads) {
        ChunkOptions o;
        o.order = order_of(order);
        o.grid = grid_of(grid);
        o.edges = edges_of(edges);
        const ChunkLayout L = unwrap(plan_chunks(shape, chunk_size, itemsize, o));
        std::vector<ByteSpan> spans;
        std::vector<Buffer> held;
        if (nb::isinstance<PyBufferWithSegments>(chunks)) {
          const BufferWithSegments& b = ready_ptr<PyBufferWithSegments>(chunks)->bws;
          for (std::size_t i = 0; i < b.size(); ++i) spans.push_back(b[i]);
        } else {
          nb::sequence seq = nb::borrow<nb::sequence>(chunks);
          const std::size_t n = nb::len(seq);
          held.reserve(n);
          for (std::size_t i = 0; i < n; ++i) {
            held.push_back(require_buffer(seq[i], "chunk %zu must be a bytes-like object, not %s", i));
            spans.push_back(held.back().span());
          }
        }
        const MutableArrayView dst{reinterpret_cast<std::uint8_t*>(address), std::move(dst_shape),
                                   std::move(dst_strides), itemsize};
        ParallelOptions p;
        p.threads = threads_of(threads);
        Status st;
        {
          nb::gil_scoped_release release;
          st = assemble_into(dst, L, spans, region_start, p);
        }
        check(st);
      },
      nb::arg("address"), nb::arg("dst_shape"), nb::arg("dst_strides"), nb::arg("itemsize"), nb::arg("shape"),
      nb::arg("chunk_size"), nb::arg("order"), nb::arg("grid"), nb::arg("edges"), nb::arg("region_start"),
      nb::arg("chunks"), nb::arg("threads"),
      nb::sig("def assemble_strided(address: int, dst_shape: collections.abc.Sequence[int], dst_strides: "
              "collections.abc.Sequence[int], itemsize: int, shape: collections.abc.Sequence[int], chunk_size: "
              "collections.abc.Sequence[int], order: str, grid: str, edges: str, region_start: "
              "collections.abc.Sequence[int], chunks: collections.abc.Sequence[" SEGPACK_PY_BYTES_LIKE
              "] | BufferWithSegments, threads: int) -> None"),
      "Internal: use segpack.frombytes. Writes the chunks of an array of `shape` into the writable\n"
      "strided destination at `address` (the whole array, or the box at region_start), without the GIL.\n\n"
      "Returns None. Raises ValueError for a layout, chunk count or chunk size that does not match,\n"
      "TypeError for a chunk that is not bytes-like.");
}

}  // namespace segpack::py
