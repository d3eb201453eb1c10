// segpack — chunked N-d arrays: cut a strided array into a grid of chunks in
// one copy, and put chunks back together.
//
// An array is seen through an ArrayView: a pointer, a shape, byte strides (any
// sign, any layout) and an element size; elements are copied as opaque bytes,
// so every element type works. The grid starts at the origin; chunk g covers
// [g * chunk_size, min((g + 1) * chunk_size, shape)) in every dimension.
//
// Nothing here throws; errors are returned as Status / Result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/result.h"
#include "segpack/segments.h"
#include "segpack/thread_pool.h"

namespace segpack {

/// The largest number of dimensions the chunking functions accept.
inline constexpr std::size_t kMaxChunkDims = 32;

/// A read-only strided array. Borrowed: the memory must outlive every call
/// that uses the view. `strides` are in bytes and may be negative or zero.
struct ArrayView {
  const std::uint8_t* data = nullptr;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;
  std::size_t itemsize = 1;
};

/// A writable strided array (the destination of assembly). Borrowed, as ArrayView.
struct MutableArrayView {
  std::uint8_t* data = nullptr;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;
  std::size_t itemsize = 1;
};

/// Byte order of the elements inside one chunk.
enum class ChunkOrder : std::uint8_t {
  c,  ///< last dimension fastest (numpy's "C")
  f,  ///< first dimension fastest (numpy's "F")
};

/// The order in which chunks are listed.
enum class GridOrder : std::uint8_t {
  f,       ///< grid dimension 0 fastest (fastremap.tobytes' order)
  c,       ///< last grid dimension fastest
  morton,  ///< by the Z-order key of the grid coordinates, dimension 0 in the lowest bit
};

/// What happens where the chunk size does not divide the shape.
enum class EdgePolicy : std::uint8_t {
  error,     ///< invalid_argument (fastremap's rule)
  truncate,  ///< edge chunks hold only the elements inside the array
  pad,       ///< every chunk is full size; elements outside the array are the fill value
};

/// How to cut an array.
struct ChunkOptions {
  ChunkOrder order = ChunkOrder::c;
  GridOrder grid = GridOrder::f;
  EdgePolicy edges = EdgePolicy::error;
  /// One element's bytes for EdgePolicy::pad (empty: zero bytes). Its size
  /// must be the item size when not empty.
  std::vector<std::uint8_t> fill;
  /// Work is split over chunks on the library's pool.
  ParallelOptions parallel;
  /// The destinations are fresh memory (say, just-allocated Python bytes):
  /// the thread that writes a chunk first faults its pages in with one
  /// madvise(MADV_POPULATE_WRITE) call instead of one page fault per 4 KiB
  /// page. Linux only; a no-op elsewhere.
  bool prefault = false;
};

/// Where every chunk goes: the grid, each chunk's coordinates and box, and
/// its bytes in one output buffer. Chunk i (in grid order) is `segments[i]`.
struct ChunkLayout {
  std::vector<std::int64_t> shape;       ///< the array's shape
  std::vector<std::int64_t> chunk_size;  ///< the full chunk shape
  std::vector<std::int64_t> grid_shape;  ///< chunks per dimension (ceil(shape / chunk_size))
  std::size_t itemsize = 1;
  ChunkOrder order = ChunkOrder::c;
  GridOrder grid = GridOrder::f;
  EdgePolicy edges = EdgePolicy::error;
  /// count() * ndim() grid coordinates, chunk by chunk.
  std::vector<std::int64_t> grid_coords;
  /// count() * 2 * ndim(): per chunk, start[ndim] then stop[ndim], clipped to the array.
  std::vector<std::int64_t> bboxes;
  /// Offset and length of each chunk in one buffer of total_bytes, back to back.
  std::vector<Segment> segments;
  std::uint64_t total_bytes = 0;

  std::size_t ndim() const noexcept { return shape.size(); }
  std::size_t count() const noexcept { return segments.size(); }
  /// The extent of chunk i in dimension d (clipped to the array).
  std::int64_t extent(std::size_t i, std::size_t d) const noexcept {
    return bboxes[i * 2 * ndim() + ndim() + d] - bboxes[i * 2 * ndim() + d];
  }
};

/// Plans the chunks of an array of `shape` (elements of `itemsize` bytes).
/// Errors: invalid_argument when ndim is 0 or above kMaxChunkDims,
/// chunk_size has another length or a value below 1, a shape value is
/// negative, itemsize is 0, opts.fill has the wrong size, or (EdgePolicy::error)
/// a chunk size does not divide the shape; resource_exhausted when the output
/// size overflows 64 bits. A shape with a zero gives zero chunks.
Result<ChunkLayout> plan_chunks(std::span<const std::int64_t> shape, std::span<const std::int64_t> chunk_size,
                                std::size_t itemsize, const ChunkOptions& opts);

/// Copies every chunk of `src` (planned by plan_chunks for src's shape and
/// item size) to `dests[i]`, which must hold layout.segments[i].length
/// writable bytes. One copy per element, chunks spread over the pool.
/// Errors: invalid_argument when src does not match the layout or dests has
/// the wrong length. Input is not otherwise validated: src must be readable
/// over its whole shape.
Status chunk_into(const ArrayView& src, const ChunkLayout& layout, std::span<std::uint8_t* const> dests,
                  const ChunkOptions& opts);

/// A chunked array: every chunk in one buffer, and the layout.
struct ChunkedArray {
  BufferWithSegments chunks;
  ChunkLayout layout;
};

/// plan_chunks + chunk_into into ONE new buffer (segment i = chunk i). The
/// buffer comes from a recycling arena: a large block freed by a previous
/// result is reused, so repeated calls do not fault in fresh pages.
/// Errors: those of plan_chunks; resource_exhausted when memory runs out.
Result<ChunkedArray> chunk_array(const ArrayView& src, std::span<const std::int64_t> chunk_size,
                                 const ChunkOptions& opts);

/// A writable block of `size` bytes from the recycling arena, as a Buffer
/// whose owner gives the block back when released. Errors: resource_exhausted.
Result<Buffer> arena_buffer(std::size_t size);

/// Writes the chunks into `dst`. `chunks[i]` is chunk i of `layout` (its
/// size must be layout.segments[i].length). With an empty `region_start`,
/// dst has the layout's shape; otherwise dst receives the box
/// [region_start, region_start + dst.shape) of the array, and only the
/// chunks that intersect it are read.
/// Errors: invalid_argument for a chunk count, chunk size, item size or dst
/// shape that does not match, or a region outside the array.
Status assemble_into(const MutableArrayView& dst, const ChunkLayout& layout, std::span<const ByteSpan> chunks,
                     std::span<const std::int64_t> region_start, const ParallelOptions& parallel = {});

}  // namespace segpack
