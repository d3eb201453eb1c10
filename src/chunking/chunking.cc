// segpack — chunked arrays: the grid plan, chunking into per-chunk
// destinations or one buffer, and assembly (include/segpack/chunking.h).
#include "segpack/chunking.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <numeric>
#include <string>

#include "chunking_internal.h"
#include "segpack/internal/parallel.h"
#include "segpack/internal/transpose.h"

namespace segpack {

namespace {

std::string dims_text(std::span<const std::int64_t> v) {
  std::string s = "(";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(v[i]);
  }
  if (v.size() == 1) s += ",";
  return s + ")";
}

bool mul_ok(std::uint64_t a, std::uint64_t b, std::uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }

// Byte strides of a dense chunk of `cshape` in `order`.
void chunk_strides(const std::int64_t* cshape, std::size_t nd, std::size_t k, ChunkOrder order, std::int64_t* out) {
  std::int64_t s = static_cast<std::int64_t>(k);
  if (order == ChunkOrder::c) {
    for (std::size_t d = nd; d-- > 0;) {
      out[d] = s;
      s *= cshape[d];
    }
  } else {
    for (std::size_t d = 0; d < nd; ++d) {
      out[d] = s;
      s *= cshape[d];
    }
  }
}

// The stored shape of chunk i: full size when padded, else its extent.
void stored_shape(const ChunkLayout& L, std::size_t i, std::int64_t* out) {
  for (std::size_t d = 0; d < L.ndim(); ++d) out[d] = L.edges == EdgePolicy::pad ? L.chunk_size[d] : L.extent(i, d);
}

// rows x G runs of `n` bytes: run (r, j) from src + r*sstride + j*n to base[j] + offs[j] + r*dsteps[j].
// One run of n bytes; streaming stores when asked and the destination allows.
inline void copy_run(std::uint8_t* d, const std::uint8_t* s, std::int64_t n, bool stream) {
#if defined(__SSE2__)
  if (stream && n % 16 == 0 && reinterpret_cast<std::uintptr_t>(d) % 16 == 0) {
    auto* dv = reinterpret_cast<__m128i*>(d);
    const auto* sv = reinterpret_cast<const __m128i*>(s);
    for (std::int64_t v = 0; v < n / 16; ++v) _mm_stream_si128(dv + v, _mm_loadu_si128(sv + v));
    return;
  }
#endif
  std::memcpy(d, s, static_cast<std::size_t>(n));
}

template <std::int64_t N>
void copy_runs_n(const std::uint8_t* src, std::int64_t sstride, std::int64_t rows, std::int64_t G,
                 std::uint8_t* const* base, const std::int64_t* offs, const std::int64_t* dsteps, bool stream) {
#if defined(__SSE2__)
  if (stream) {
    // Non-temporal stores: the output is far larger than the caches and is
    // not read back here, so skip the read-for-ownership of every line.
    bool aligned = true;
    for (std::int64_t j = 0; j < G; ++j) {
      aligned &= (reinterpret_cast<std::uintptr_t>(base[j] + offs[j]) % 16 == 0) && (dsteps[j] % 16 == 0);
    }
    if (aligned) {
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::uint8_t* s = src + r * sstride;
        for (std::int64_t j = 0; j < G; ++j) {
          auto* d = reinterpret_cast<__m128i*>(base[j] + offs[j] + r * dsteps[j]);
          const auto* q = reinterpret_cast<const __m128i*>(s + j * N);
          for (std::int64_t v = 0; v < N / 16; ++v) _mm_stream_si128(d + v, _mm_loadu_si128(q + v));
        }
      }
      return;
    }
  }
#endif
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::uint8_t* s = src + r * sstride;
    for (std::int64_t j = 0; j < G; ++j) std::memcpy(base[j] + offs[j] + r * dsteps[j], s + j * N, N);
  }
}

void copy_runs(const std::uint8_t* src, std::int64_t sstride, std::int64_t rows, std::int64_t n, std::int64_t G,
               std::uint8_t* const* base, const std::int64_t* offs, const std::int64_t* dsteps, bool stream) {
  switch (n) {
    case 32: return copy_runs_n<32>(src, sstride, rows, G, base, offs, dsteps, stream);
    case 64: return copy_runs_n<64>(src, sstride, rows, G, base, offs, dsteps, stream);
    case 128: return copy_runs_n<128>(src, sstride, rows, G, base, offs, dsteps, stream);
    case 256: return copy_runs_n<256>(src, sstride, rows, G, base, offs, dsteps, stream);
    default:
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::uint8_t* s = src + r * sstride;
        for (std::int64_t j = 0; j < G; ++j) {
          std::memcpy(base[j] + offs[j] + r * dsteps[j], s + j * n, static_cast<std::size_t>(n));
        }
      }
  }
}

// n bytes to a destination block no other thread writes: non-temporal stores
// for the whole 64-byte lines inside it, ordinary ones for the partial lines
// at its ends.
void stream_bytes(std::uint8_t* d, const std::uint8_t* s, std::int64_t n) {
#if defined(__SSE2__)
  const std::int64_t head = std::min<std::int64_t>(n, (64 - reinterpret_cast<std::uintptr_t>(d) % 64) % 64);
  std::memcpy(d, s, static_cast<std::size_t>(head));
  d += head;
  s += head;
  n -= head;
  const std::int64_t lines = n / 64;
  auto* dv = reinterpret_cast<__m128i*>(d);
  const auto* sv = reinterpret_cast<const __m128i*>(s);
  for (std::int64_t v = 0; v < lines * 4; ++v) _mm_stream_si128(dv + v, _mm_loadu_si128(sv + v));
  d += lines * 64;
  s += lines * 64;
  n -= lines * 64;
#endif
  std::memcpy(d, s, static_cast<std::size_t>(n));
}

// The runs of the one chunk of a row group that the array's edge cuts short
// along the inner dimension: `rows` runs of n bytes, source rows `sstride`
// apart, destination rows `dstep` apart. With `gap_fill` (edges = pad and the
// chunk's rows back to back) the copy also writes each row's tail
// [n, dstep) with the fill value. When the destination rows are back to back,
// whole rows are gathered in an L1 buffer and streamed out as one block.
void copy_edge_rows(const std::uint8_t* src, std::int64_t sstride, std::int64_t rows, std::int64_t n, std::uint8_t* dst,
                    std::int64_t dstep, const std::uint8_t* gap_fill, std::size_t k, bool stream,
                    std::vector<std::uint8_t>& buf) {
  const bool packed = dstep == n || gap_fill != nullptr;
  if (!packed) {
    for (std::int64_t r = 0; r < rows; ++r) copy_run(dst + r * dstep, src + r * sstride, n, stream);
    return;
  }
  auto row_into = [&](std::uint8_t* d, const std::uint8_t* s) {
    std::memcpy(d, s, static_cast<std::size_t>(n));
    if (gap_fill != nullptr) internal::fill_pattern(d + n, static_cast<std::size_t>(dstep - n), gap_fill, k);
  };
  if (!stream || dstep > (std::int64_t{16} << 10)) {
    for (std::int64_t r = 0; r < rows; ++r) row_into(dst + r * dstep, src + r * sstride);
    return;
  }
  const std::int64_t per = (std::int64_t{16} << 10) / dstep;
  buf.resize(static_cast<std::size_t>(per * dstep));
  for (std::int64_t r0 = 0; r0 < rows; r0 += per) {
    const std::int64_t nr = std::min(per, rows - r0);
    for (std::int64_t r = 0; r < nr; ++r) row_into(buf.data() + r * dstep, src + (r0 + r) * sstride);
    stream_bytes(dst + r0 * dstep, buf.data(), nr * dstep);
  }
}

// ChunkOptions::prefault: the whole pages inside [p, p + n), faulted in by
// one call (no trap per page; the kernel still zeroes every page).
void prefault(std::uint8_t* p, std::uint64_t n) {
#if defined(MADV_POPULATE_WRITE)
  constexpr std::uintptr_t kPage = 4096;
  const auto lo = (reinterpret_cast<std::uintptr_t>(p) + kPage - 1) & ~(kPage - 1);
  const auto hi = (reinterpret_cast<std::uintptr_t>(p) + n) & ~(kPage - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_POPULATE_WRITE);  // best effort
#else
  (void)p;
  (void)n;
#endif
}

// Fills the part of padded chunk i that lies outside the array (the margin)
// with the fill value, leaving the part the copy will write alone.
// With `skip_inner_tail`, the tails of the innermost rows that hold array
// elements are left to the copy (copy_edge_rows fills them as it goes).
void fill_margin(std::uint8_t* dst, const ChunkLayout& L, std::size_t i, const std::vector<std::uint8_t>& fill,
                 bool skip_inner_tail = false) {
  const std::size_t nd = L.ndim();
  std::array<std::int64_t, kMaxChunkDims> cs{}, ext{};
  chunk_strides(L.chunk_size.data(), nd, L.itemsize, L.order, cs.data());
  // Dimensions in the chunk's memory order, outermost first.
  std::array<std::size_t, kMaxChunkDims> dims{};
  for (std::size_t j = 0; j < nd; ++j) dims[j] = L.order == ChunkOrder::c ? j : nd - 1 - j;
  for (std::size_t d = 0; d < nd; ++d) ext[d] = L.extent(i, d);
  // need[l]: some dimension at level l or deeper is cut short.
  std::array<bool, kMaxChunkDims + 1> need{};
  for (std::size_t l = nd; l-- > 0;) {
    need[l] = need[l + 1] || (ext[dims[l]] < L.chunk_size[dims[l]] && !(skip_inner_tail && l + 1 == nd));
  }
  auto rec = [&](auto&& self, std::uint8_t* p, std::size_t l) -> void {
    const std::size_t d = dims[l];
    if (l + 1 < nd && need[l + 1]) {
      for (std::int64_t x = 0; x < ext[d]; ++x) self(self, p + x * cs[d], l + 1);
    }
    const std::int64_t tail = L.chunk_size[d] - ext[d];
    if (tail > 0 && !(skip_inner_tail && l + 1 == nd)) {
      internal::fill_pattern(p + ext[d] * cs[d], static_cast<std::size_t>(tail * cs[d]), fill.data(), L.itemsize);
    }
  };
  rec(rec, dst, 0);
}

// The mismatched-order half of chunk_rows, for one row group: the source is
// contiguous along `inner`, the chunks along `ci`. Slabs of R rows along ci
// (R * k = 64, so every element along `inner` gives one whole destination
// line, written with streaming stores when `stream`); each slab's rows are
// first copied whole, Q consecutive rows of the innermost other dimension at
// a time, into a staging block of at most kStageBytes (L2), so the source is
// read in long sequential runs from few places at once, and the transpose
// kernel then reads the staging block instead of rows that are a power of two
// apart and share cache sets.
constexpr std::int64_t kStageBytes = std::int64_t{256} << 10;

//
// With `to_array` the same walk runs backwards (assembly): the chunks in
// `base` are read, transposed into the staging block, and its rows copied to
// the array rows at `row` (which is then the destination).
void transpose_group(std::uint8_t* row, const std::int64_t* sstr, std::size_t ci, std::size_t inner,
                     const std::size_t* rest, std::size_t mr, const std::int64_t* ext, std::int64_t G,
                     const std::int64_t* run, std::uint8_t* const* base, const std::int64_t* cstr, std::size_t nd,
                     std::int64_t cs_inner, std::int64_t k, bool stream, std::vector<std::uint8_t>& stage,
                     bool to_array = false) {
  std::int64_t rowbytes = 0;  // the group's source row, every chunk of it
  for (std::int64_t j = 0; j < G; ++j) rowbytes += run[j];
  // Assembling, slabs of 64 elements: each chunk is then read in runs of 64
  // elements from few places at once (a run of 64 / k elements, one line, is
  // too short for the prefetchers when 64 such streams interleave).
  const std::int64_t R = to_array ? std::max<std::int64_t>(64, 64 / k) : std::max<std::int64_t>(1, 64 / k);
  const std::size_t last = mr > 0 ? rest[mr - 1] : 0;
  const std::int64_t E = mr > 0 ? ext[last] : 1;
  std::int64_t Q = std::clamp<std::int64_t>(kStageBytes / std::max<std::int64_t>(1, R * rowbytes), 1, E);
  if (mr > 0 && sstr[last] != rowbytes) Q = 1;  // rows not back to back: one at a time
  // Staged row stride: a multiple of 64 that is not a multiple of 4 KiB.
  std::int64_t sst = (Q * rowbytes + 63) / 64 * 64;
  if (sst % 4096 == 0) sst += 64;
  stage.resize(static_cast<std::size_t>(sst * R + 64));
  std::uint8_t* st = stage.data() + (64 - reinterpret_cast<std::uintptr_t>(stage.data()) % 64) % 64;
  std::array<std::int64_t, kMaxChunkDims> idx{};
  for (std::int64_t a0 = 0; a0 < ext[ci]; a0 += R) {
    const std::int64_t ea = std::min(R, ext[ci] - a0);
    std::uint8_t* r = row + a0 * sstr[ci];
    for (std::size_t q = 0; q < mr; ++q) idx[q] = 0;
    for (;;) {
      const std::int64_t nq = std::min(Q, E - (mr > 0 ? idx[mr - 1] : 0));
      const std::int64_t span = (nq - 1) * (mr > 0 ? sstr[last] : 0) + rowbytes;
      const bool staged = span * ea <= kStageBytes;
      if (staged && !to_array) {
        for (std::int64_t a = 0; a < ea; ++a)
          std::memcpy(st + a * sst, r + a * sstr[ci], static_cast<std::size_t>(span));
      }
      for (std::int64_t q = 0; q < nq; ++q) {
        for (std::int64_t j = 0; j < G; ++j) {
          const std::int64_t* cs = &cstr[static_cast<std::size_t>(j) * nd];
          std::int64_t off = a0 * cs[ci];
          for (std::size_t u = 0; u < mr; ++u) off += idx[u] * cs[rest[u]];
          if (mr > 0) off += q * cs[last];
          const std::int64_t sin = q * (mr > 0 ? sstr[last] : 0) + j * cs_inner;
          const auto uk = static_cast<std::size_t>(k);
          if (to_array) {
            if (staged) {
              internal::transpose_tile(st + sin, sst, base[j] + off, cs[inner], run[j] / k, ea, uk, false);
            } else {
              internal::transpose_tile(r + sin, sstr[ci], base[j] + off, cs[inner], run[j] / k, ea, uk, false);
            }
          } else if (staged) {
            internal::transpose_tile(base[j] + off, cs[inner], st + sin, sst, ea, run[j] / k, uk, stream);
          } else {
            internal::transpose_tile(base[j] + off, cs[inner], r + sin, sstr[ci], ea, run[j] / k, uk, stream);
          }
        }
      }
      if (staged && to_array) {
        for (std::int64_t a = 0; a < ea; ++a) {
          if (stream) {
            stream_bytes(r + a * sstr[ci], st + a * sst, span);
          } else {
            std::memcpy(r + a * sstr[ci], st + a * sst, static_cast<std::size_t>(span));
          }
        }
      }
      // Next block of rows: the innermost other dimension advances by nq.
      std::size_t q = mr;
      bool done = true;
      std::int64_t by = nq;
      while (q > 0) {
        --q;
        const std::size_t d = rest[q];
        r += by * sstr[d];
        idx[q] += by;
        if (idx[q] < ext[d]) {
          done = false;
          break;
        }
        r -= sstr[d] * ext[d];
        idx[q] = 0;
        by = 1;
      }
      if (done) break;
    }
  }
}

// How chunk_rows / assemble_rows walk an array (strides `strides`) in its
// memory order: `inner` is its contiguous dimension, the chunks' innermost is
// `ci` (they differ: `mismatch`); the chunks are taken in row groups (the G
// chunks that differ only along `inner`).
struct RowPlan {
  std::size_t ci = 0, inner = 0;
  bool mismatch = false;
  std::array<std::size_t, kMaxChunkDims> outer{};  ///< the other dimensions, outermost (largest |stride|) first
  std::size_t m = 0;
  std::array<std::size_t, kMaxChunkDims> rest{};  ///< `outer` without ci
  std::size_t mr = 0;
  std::vector<std::uint32_t> pos;  ///< list position of every grid point, by its F-linear index
  std::int64_t G = 0, f_inner = 1;
  std::size_t groups = 0;
};

// False when the layout does not qualify: no contiguous dimension, or the
// other dimensions interleaved with the rows.
bool plan_rows(const std::int64_t* strides, const ChunkLayout& L, RowPlan& P) {
  const std::size_t nd = L.ndim(), n = L.count();
  const auto k = static_cast<std::int64_t>(L.itemsize);
  if (n == 0 || n > UINT32_MAX) return false;
  P.ci = L.order == ChunkOrder::c ? nd - 1 : 0;
  P.inner = P.ci;
  if (strides[P.ci] != k) {
    P.inner = nd;
    for (std::size_t d = 0; d < nd; ++d) {
      if (strides[d] == k && L.shape[d] > 1) P.inner = d;
    }
    if (P.inner == nd || L.shape[P.ci] <= 1) return false;
  }
  P.mismatch = P.inner != P.ci;
  for (std::size_t d = 0; d < nd; ++d) {
    if (d != P.inner) P.outer[P.m++] = d;
  }
  auto mag = [&](std::size_t d) { return strides[d] < 0 ? -strides[d] : strides[d]; };
  std::stable_sort(P.outer.begin(), P.outer.begin() + P.m,
                   [&](std::size_t a, std::size_t b) { return mag(a) > mag(b); });
  for (std::size_t j = 0; j < P.m; ++j) {
    if (mag(P.outer[j]) < L.shape[P.inner] * k && L.shape[P.outer[j]] > 1) return false;  // interleaved with the rows
    if (P.outer[j] != P.ci) P.rest[P.mr++] = P.outer[j];
  }
  P.pos.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t f = 0;
    for (std::size_t d = nd; d-- > 0;) f = f * static_cast<std::size_t>(L.grid_shape[d]) + L.grid_coords[i * nd + d];
    P.pos[f] = static_cast<std::uint32_t>(i);
  }
  P.G = L.grid_shape[P.inner];
  P.groups = n / static_cast<std::size_t>(P.G);
  for (std::size_t d = 0; d < P.inner; ++d) P.f_inner *= L.grid_shape[d];
  return true;
}

// The list positions of row group gi's chunks, along `inner`, into ids[0..G).
void group_chunks(const ChunkLayout& L, const RowPlan& P, std::size_t gi, std::size_t* ids) {
  std::int64_t f0 = 0, mul = 1;
  std::size_t r = gi;  // F-linear over the grid dimensions but `inner`
  for (std::size_t d = 0; d < L.ndim(); ++d) {
    if (d != P.inner) {
      f0 += static_cast<std::int64_t>(r % static_cast<std::size_t>(L.grid_shape[d])) * mul;
      r /= static_cast<std::size_t>(L.grid_shape[d]);
    }
    mul *= L.grid_shape[d];
  }
  for (std::int64_t j = 0; j < P.G; ++j) ids[j] = P.pos[static_cast<std::size_t>(f0 + j * P.f_inner)];
}

// The odometer over the outer dimensions but the innermost (the hot loop):
// moves `row` to the next row block; false after the last.
template <class Byte>
bool next_rows(const RowPlan& P, const std::int64_t* strides, const std::int64_t* ext, std::int64_t* idx, Byte*& row) {
  if (P.m <= 1) return false;
  for (std::size_t q = P.m - 1; q-- > 0;) {
    const std::size_t d = P.outer[q];
    row += strides[d];
    if (++idx[q] < ext[d]) return true;
    row -= strides[d] * ext[d];
    idx[q] = 0;
  }
  return false;
}

// The fast path of chunk_into when the source's innermost dimension is
// contiguous and is also the chunks' innermost one: the source is walked in
// its memory order, one "row group" at a time (the chunks that differ only in
// that dimension), each source row cut into runs that go to the group's
// chunks; reads are long sequential streams, writes one stream per chunk.
// Returns false (nothing done) when the layout does not qualify.
bool chunk_rows(const ArrayView& src, const ChunkLayout& L, std::span<std::uint8_t* const> dests,
                const std::vector<std::uint8_t>& fill, const ParallelOptions& parallel, bool fresh) {
  const std::size_t nd = L.ndim();
  const auto k = static_cast<std::int64_t>(L.itemsize);
  RowPlan P;
  if (!plan_rows(src.strides.data(), L, P)) return false;
  const std::size_t ci = P.ci, inner = P.inner, m = P.m;
  const std::int64_t G = P.G;
  const auto& outer = P.outer;
  // Outputs much larger than the last-level cache are written with streaming stores.
  const bool stream = L.total_bytes >= (std::uint64_t{64} << 20);
  // edges = pad, matching orders, chunk rows back to back: the copy of an
  // edge chunk's rows writes their fill tails too (no separate pass over
  // those lines); fill_margin does the rest of the margin.
  bool gap_by_copy = false;
  if (!P.mismatch && m > 0 && L.edges == EdgePolicy::pad) {
    std::array<std::int64_t, kMaxChunkDims> full{};
    chunk_strides(L.chunk_size.data(), nd, L.itemsize, L.order, full.data());
    gap_by_copy = full[outer[m - 1]] == L.chunk_size[inner] * k;
  }
  auto work = [&](std::size_t, std::size_t begin, std::size_t end) {
    std::vector<std::int64_t> cstr(static_cast<std::size_t>(G) * nd), run(static_cast<std::size_t>(G));
    std::vector<std::uint8_t*> base(static_cast<std::size_t>(G));
    std::vector<std::size_t> ids(static_cast<std::size_t>(G));
    std::vector<std::int64_t> offsets, steps;
    std::vector<std::uint8_t> stage, edge_buf;
    std::array<std::int64_t, kMaxChunkDims> start{}, ext{}, idx{}, cshape{};
    for (std::size_t gi = begin; gi < end; ++gi) {
      group_chunks(L, P, gi, ids.data());
      for (std::int64_t j = 0; j < G; ++j) {
        const std::size_t i = ids[static_cast<std::size_t>(j)];
        stored_shape(L, i, cshape.data());
        chunk_strides(cshape.data(), nd, L.itemsize, L.order, &cstr[static_cast<std::size_t>(j) * nd]);
        base[static_cast<std::size_t>(j)] = dests[i];
        if (fresh) prefault(dests[i], L.segments[i].length);
        run[static_cast<std::size_t>(j)] = L.extent(i, inner) * k;
        bool partial = false;
        for (std::size_t d = 0; d < nd; ++d) partial |= L.extent(i, d) != cshape[d];
        if (partial) fill_margin(dests[i], L, i, fill, gap_by_copy);
        if (j == 0) {
          for (std::size_t d = 0; d < nd; ++d) {
            start[d] = L.bboxes[i * 2 * nd + d];
            ext[d] = L.extent(i, d);
          }
        }
      }
      const std::int64_t cs_inner = L.chunk_size[inner] * k;
      const std::uint8_t* row = src.data;
      for (std::size_t d = 0; d < nd; ++d) {
        if (d != inner) row += start[d] * src.strides[d];
      }
      if (P.mismatch) {
        // The source is only read (to_array is false).
        transpose_group(const_cast<std::uint8_t*>(row), src.strides.data(), ci, inner, P.rest.data(), P.mr, ext.data(),
                        G, run.data(), base.data(), cstr.data(), nd, cs_inner, k, stream, stage);
        continue;
      }
      for (std::size_t j = 0; j < m; ++j) idx[j] = 0;
      // The innermost of the other dimensions is the hot loop; the rest is an odometer.
      const std::size_t dl = m > 0 ? outer[m - 1] : inner;
      const std::int64_t rows = m > 0 ? ext[dl] : 1;
      const std::int64_t rstride = m > 0 ? src.strides[dl] : 0;
      bool uniform = true;
      for (std::int64_t j = 0; j < G; ++j) uniform &= run[static_cast<std::size_t>(j)] == cs_inner;
      std::vector<std::int64_t>& offs = offsets;
      std::vector<std::int64_t>& dsteps = steps;
      offs.assign(static_cast<std::size_t>(G), 0);
      dsteps.resize(static_cast<std::size_t>(G));
      for (std::int64_t j = 0; j < G; ++j)
        dsteps[static_cast<std::size_t>(j)] = m > 0 ? cstr[static_cast<std::size_t>(j) * nd + dl] : 0;
      for (;;) {
        for (std::int64_t j = 0; j < G; ++j) {
          std::int64_t off = 0;
          const std::int64_t* cs = &cstr[static_cast<std::size_t>(j) * nd];
          for (std::size_t q = 0; q + 1 < m; ++q) off += idx[q] * cs[outer[q]];
          offs[static_cast<std::size_t>(j)] = off;
        }
        if (uniform) {
          copy_runs(row, rstride, rows, cs_inner, G, base.data(), offs.data(), dsteps.data(), stream);
        } else {
          // Only the last chunk of a group can be cut short by the edge (the grid starts at 0).
          const std::int64_t Gu = G - 1;
          const auto ul = static_cast<std::size_t>(Gu);
          if (Gu > 0) copy_runs(row, rstride, rows, cs_inner, Gu, base.data(), offs.data(), dsteps.data(), stream);
          copy_edge_rows(row + Gu * cs_inner, rstride, rows, run[ul], base[ul] + offs[ul], dsteps[ul],
                         gap_by_copy ? fill.data() : nullptr, L.itemsize, stream, edge_buf);
        }
        if (!next_rows(P, src.strides.data(), ext.data(), idx.data(), row)) break;
      }
    }
#if defined(__SSE2__)
    if (stream) _mm_sfence();  // order the streaming stores before the pool's hand-off
#endif
  };
  internal::parallel_run(P.groups, L.total_bytes, parallel, work);
  return true;
}

// rows x G runs of N bytes, the inverse of copy_runs_n: run (r, j) from
// base[j] + offs[j] + r*ssteps[j] to dst + r*dstride + j*N. With `stream`
// (and 16-byte aligned destination rows) the destination, written front to
// back, gets non-temporal stores.
template <std::int64_t N>
void gather_runs_n(std::uint8_t* dst, std::int64_t dstride, std::int64_t rows, std::int64_t G,
                   std::uint8_t* const* base, const std::int64_t* offs, const std::int64_t* ssteps, bool stream) {
#if defined(__SSE2__)
  if (stream && reinterpret_cast<std::uintptr_t>(dst) % 16 == 0 && dstride % 16 == 0) {
    for (std::int64_t r = 0; r < rows; ++r) {
      auto* d = reinterpret_cast<__m128i*>(dst + r * dstride);
      for (std::int64_t j = 0; j < G; ++j) {
        const auto* q = reinterpret_cast<const __m128i*>(base[j] + offs[j] + r * ssteps[j]);
        for (std::int64_t v = 0; v < N / 16; ++v) _mm_stream_si128(d + j * (N / 16) + v, _mm_loadu_si128(q + v));
      }
    }
    return;
  }
#endif
  for (std::int64_t r = 0; r < rows; ++r) {
    std::uint8_t* d = dst + r * dstride;
    for (std::int64_t j = 0; j < G; ++j) std::memcpy(d + j * N, base[j] + offs[j] + r * ssteps[j], N);
  }
}

void gather_runs(std::uint8_t* dst, std::int64_t dstride, std::int64_t rows, std::int64_t G, std::uint8_t* const* base,
                 const std::int64_t* offs, const std::int64_t* ssteps, const std::int64_t* run, std::int64_t n,
                 bool stream) {
  bool uniform = true;
  for (std::int64_t j = 0; j < G; ++j) uniform &= run[j] == n;
  if (uniform) {
    switch (n) {
      case 32: return gather_runs_n<32>(dst, dstride, rows, G, base, offs, ssteps, stream);
      case 64: return gather_runs_n<64>(dst, dstride, rows, G, base, offs, ssteps, stream);
      case 128: return gather_runs_n<128>(dst, dstride, rows, G, base, offs, ssteps, stream);
      case 256: return gather_runs_n<256>(dst, dstride, rows, G, base, offs, ssteps, stream);
      default: break;
    }
  }
  for (std::int64_t r = 0; r < rows; ++r) {
    std::uint8_t* d = dst + r * dstride;
    for (std::int64_t j = 0; j < G; ++j) {
      std::memcpy(d + j * n, base[j] + offs[j] + r * ssteps[j], static_cast<std::size_t>(run[j]));
    }
  }
}

// The fast path of assemble_into for the whole array when the destination's
// contiguous dimension is the chunks' innermost one: chunk_rows in reverse.
// The destination is written in its memory order, one row group at a time,
// every destination row assembled front to back from the runs of the group's
// chunks. Returns false (nothing done) when the layout does not qualify.
bool assemble_rows(const MutableArrayView& dst, const ChunkLayout& L, std::span<const ByteSpan> chunks,
                   const ParallelOptions& parallel) {
  const std::size_t nd = L.ndim();
  const auto k = static_cast<std::int64_t>(L.itemsize);
  RowPlan P;
  if (!plan_rows(dst.strides.data(), L, P)) return false;
  const std::size_t inner = P.inner, m = P.m;
  const std::int64_t G = P.G;
  const bool stream = L.total_bytes >= (std::uint64_t{64} << 20);
  const std::int64_t cs_inner = L.chunk_size[inner] * k;
  auto work = [&](std::size_t, std::size_t begin, std::size_t end) {
    const auto uG = static_cast<std::size_t>(G);
    std::vector<std::int64_t> cstr(uG * nd), run(uG), offs(uG), ssteps(uG);
    std::vector<std::uint8_t*> base(uG);
    std::vector<std::size_t> ids(uG);
    std::vector<std::uint8_t> stage;
    std::array<std::int64_t, kMaxChunkDims> start{}, ext{}, idx{}, cshape{};
    for (std::size_t gi = begin; gi < end; ++gi) {
      group_chunks(L, P, gi, ids.data());
      for (std::size_t j = 0; j < uG; ++j) {
        const std::size_t i = ids[j];
        stored_shape(L, i, cshape.data());
        chunk_strides(cshape.data(), nd, L.itemsize, L.order, &cstr[j * nd]);
        base[j] = const_cast<std::uint8_t*>(chunks[i].data());  // only read
        run[j] = L.extent(i, inner) * k;
        if (j == 0) {
          for (std::size_t d = 0; d < nd; ++d) {
            start[d] = L.bboxes[i * 2 * nd + d];
            ext[d] = L.extent(i, d);
          }
        }
      }
      std::uint8_t* row = dst.data;
      for (std::size_t d = 0; d < nd; ++d) {
        if (d != inner) row += start[d] * dst.strides[d];
      }
      if (P.mismatch) {
        transpose_group(row, dst.strides.data(), P.ci, inner, P.rest.data(), P.mr, ext.data(), G, run.data(),
                        base.data(), cstr.data(), nd, cs_inner, k, stream, stage, /*to_array=*/true);
        continue;
      }
      const std::size_t dl = m > 0 ? P.outer[m - 1] : inner;
      const std::int64_t rows = m > 0 ? ext[dl] : 1;
      const std::int64_t rstride = m > 0 ? dst.strides[dl] : 0;
      for (std::size_t j = 0; j < uG; ++j) ssteps[j] = m > 0 ? cstr[j * nd + dl] : 0;
      for (std::size_t j = 0; j < m; ++j) idx[j] = 0;
      for (;;) {
        for (std::size_t j = 0; j < uG; ++j) {
          std::int64_t off = 0;
          for (std::size_t q = 0; q + 1 < m; ++q) off += idx[q] * cstr[j * nd + P.outer[q]];
          offs[j] = off;
        }
        gather_runs(row, rstride, rows, G, base.data(), offs.data(), ssteps.data(), run.data(), cs_inner, stream);
        if (!next_rows(P, dst.strides.data(), ext.data(), idx.data(), row)) break;
      }
    }
#if defined(__SSE2__)
    if (stream) _mm_sfence();
#endif
  };
  internal::parallel_run(P.groups, L.total_bytes, parallel, work);
  return true;
}

}  // namespace

Result<ChunkLayout> plan_chunks(std::span<const std::int64_t> shape, std::span<const std::int64_t> chunk_size,
                                std::size_t itemsize, const ChunkOptions& opts) {
  const std::size_t nd = shape.size();
  if (nd == 0 || nd > kMaxChunkDims) {
    return invalid_argument("arrays of 1 to " + std::to_string(kMaxChunkDims) + " dimensions can be chunked, not " +
                            std::to_string(nd));
  }
  if (chunk_size.size() != nd) {
    return invalid_argument("chunk_size " + dims_text(chunk_size) + " has " + std::to_string(chunk_size.size()) +
                            " values for an array of " + std::to_string(nd) + " dimensions");
  }
  if (itemsize == 0) return invalid_argument("the item size is 0");
  if (!opts.fill.empty() && opts.fill.size() != itemsize) {
    return invalid_argument("the fill value has " + std::to_string(opts.fill.size()) + " bytes, not the item size " +
                            std::to_string(itemsize));
  }
  for (std::size_t d = 0; d < nd; ++d) {
    if (chunk_size[d] < 1) {
      return invalid_argument("chunk_size " + dims_text(chunk_size) + " must be positive in every dimension");
    }
    if (shape[d] < 0) return invalid_argument("negative shape " + dims_text(shape));
  }
  if (opts.edges == EdgePolicy::error) {
    for (std::size_t d = 0; d < nd; ++d) {
      if (shape[d] % chunk_size[d] != 0) {
        return invalid_argument("chunk_size " + dims_text(chunk_size) + " must evenly divide the image shape " +
                                dims_text(shape) + " (or choose edges='truncate' or 'pad')");
      }
    }
  }
  ChunkLayout L;
  L.shape.assign(shape.begin(), shape.end());
  L.chunk_size.assign(chunk_size.begin(), chunk_size.end());
  L.itemsize = itemsize;
  L.order = opts.order;
  L.grid = opts.grid;
  L.edges = opts.edges;
  L.grid_shape.resize(nd);
  std::uint64_t n = 1;
  for (std::size_t d = 0; d < nd; ++d) {
    L.grid_shape[d] = shape[d] / chunk_size[d] + (shape[d] % chunk_size[d] != 0);
    if (!mul_ok(n, static_cast<std::uint64_t>(L.grid_shape[d]), &n) || n > (std::uint64_t{1} << 40)) {
      return resource_exhausted("too many chunks for shape " + dims_text(shape));
    }
  }
  if (n == 0) return L;
  // Every grid point, in the requested order.
  std::vector<std::int64_t> coords(n * nd);
  {
    std::array<std::int64_t, kMaxChunkDims> g{};
    for (std::uint64_t i = 0; i < n; ++i) {
      std::copy_n(g.begin(), nd, coords.begin() + static_cast<std::ptrdiff_t>(i * nd));
      if (opts.grid == GridOrder::c) {
        for (std::size_t d = nd; d-- > 0;) {
          if (++g[d] < L.grid_shape[d]) break;
          g[d] = 0;
        }
      } else {
        for (std::size_t d = 0; d < nd; ++d) {
          if (++g[d] < L.grid_shape[d]) break;
          g[d] = 0;
        }
      }
    }
  }
  if (opts.grid == GridOrder::morton) {
    // Compressed Morton code: bit b of every dimension that still has bit b, dimension 0 lowest.
    std::array<int, kMaxChunkDims> bits{};
    int total = 0;
    for (std::size_t d = 0; d < nd; ++d) {
      while ((std::int64_t{1} << bits[d]) < L.grid_shape[d]) ++bits[d];
      total += bits[d];
    }
    if (total > 64) return resource_exhausted("the grid is too large for a 64-bit Morton code");
    std::vector<std::uint64_t> code(n);
    for (std::uint64_t i = 0; i < n; ++i) {
      std::uint64_t c = 0;
      int out = 0;
      for (int b = 0; b < 64 && out < total; ++b) {
        for (std::size_t d = 0; d < nd; ++d) {
          if (b < bits[d]) c |= static_cast<std::uint64_t>((coords[i * nd + d] >> b) & 1) << out++;
        }
      }
      code[i] = c;
    }
    std::vector<std::uint64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    std::sort(perm.begin(), perm.end(), [&](std::uint64_t a, std::uint64_t b) { return code[a] < code[b]; });
    std::vector<std::int64_t> sorted(n * nd);
    for (std::uint64_t i = 0; i < n; ++i) {
      std::copy_n(coords.begin() + static_cast<std::ptrdiff_t>(perm[i] * nd), nd,
                  sorted.begin() + static_cast<std::ptrdiff_t>(i * nd));
    }
    coords.swap(sorted);
  }
  L.grid_coords = std::move(coords);
  L.bboxes.resize(n * 2 * nd);
  L.segments.resize(n);
  std::uint64_t off = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t bytes = itemsize;
    for (std::size_t d = 0; d < nd; ++d) {
      const std::int64_t start = L.grid_coords[i * nd + d] * chunk_size[d];
      const std::int64_t stop = std::min(shape[d], start + chunk_size[d]);
      L.bboxes[i * 2 * nd + d] = start;
      L.bboxes[i * 2 * nd + nd + d] = stop;
      const std::int64_t stored = opts.edges == EdgePolicy::pad ? chunk_size[d] : stop - start;
      if (!mul_ok(bytes, static_cast<std::uint64_t>(stored), &bytes)) {
        return resource_exhausted("the chunks of shape " + dims_text(shape) + " do not fit in 64 bits");
      }
    }
    L.segments[i] = {off, bytes};
    if (__builtin_add_overflow(off, bytes, &off)) {
      return resource_exhausted("the chunks of shape " + dims_text(shape) + " do not fit in 64 bits");
    }
  }
  L.total_bytes = off;
  return L;
}

Status chunk_into(const ArrayView& src, const ChunkLayout& L, std::span<std::uint8_t* const> dests,
                  const ChunkOptions& opts) {
  const std::size_t nd = L.ndim();
  if (src.shape != L.shape || src.strides.size() != nd || src.itemsize != L.itemsize) {
    return invalid_argument("the array (shape " + dims_text(src.shape) + ") does not match the chunk layout (shape " +
                            dims_text(L.shape) + ")");
  }
  if (dests.size() != L.count()) {
    return invalid_argument(std::to_string(dests.size()) + " destinations for " + std::to_string(L.count()) +
                            " chunks");
  }
  const std::size_t k = L.itemsize;
  std::vector<std::uint8_t> fill = opts.fill.empty() ? std::vector<std::uint8_t>(k, 0) : opts.fill;
  if (chunk_rows(src, L, dests, fill, opts.parallel, opts.prefault)) return Status::OK();
  auto work = [&](std::size_t, std::size_t begin, std::size_t end) {
    std::array<std::int64_t, kMaxChunkDims> cshape{}, cs{}, ext{};
    for (std::size_t i = begin; i < end; ++i) {
      stored_shape(L, i, cshape.data());
      chunk_strides(cshape.data(), nd, k, L.order, cs.data());
      const std::uint8_t* s = src.data;
      bool partial = false;
      for (std::size_t d = 0; d < nd; ++d) {
        s += L.bboxes[i * 2 * nd + d] * src.strides[d];
        ext[d] = L.extent(i, d);
        partial |= ext[d] != cshape[d];
      }
      std::uint8_t* dst = dests[i];
      if (opts.prefault) prefault(dst, L.segments[i].length);
      if (partial) fill_margin(dst, L, i, fill);
      internal::strided_copy(dst, cs.data(), s, src.strides.data(), ext.data(), nd, k);
    }
  };
  internal::parallel_run(L.count(), L.total_bytes, opts.parallel, work);
  return Status::OK();
}

Result<ChunkedArray> chunk_array(const ArrayView& src, std::span<const std::int64_t> chunk_size,
                                 const ChunkOptions& opts) {
  SEGPACK_ASSIGN_OR_RETURN(ChunkLayout L, plan_chunks(src.shape, chunk_size, src.itemsize, opts));
  if (L.total_bytes > SIZE_MAX) return resource_exhausted("the chunks do not fit in memory");
  SEGPACK_ASSIGN_OR_RETURN(Buffer buf, arena_buffer(static_cast<std::size_t>(L.total_bytes)));
  std::vector<std::uint8_t*> dests(L.count());
  std::uint8_t* base = buf.mutable_span().data();
  for (std::size_t i = 0; i < L.count(); ++i) dests[i] = base + L.segments[i].offset;
  SEGPACK_RETURN_IF_ERROR(chunk_into(src, L, dests, opts));
  std::vector<Segment> segs = L.segments;
  ChunkedArray out{BufferWithSegments::adopt(std::move(buf), std::move(segs)), std::move(L)};
  return out;
}

Status assemble_into(const MutableArrayView& dst, const ChunkLayout& L, std::span<const ByteSpan> chunks,
                     std::span<const std::int64_t> region_start, const ParallelOptions& parallel) {
  const std::size_t nd = L.ndim();
  if (dst.itemsize != L.itemsize) {
    return invalid_argument("the destination's item size " + std::to_string(dst.itemsize) + " is not the chunks' " +
                            std::to_string(L.itemsize));
  }
  if (dst.shape.size() != nd || dst.strides.size() != nd) {
    return invalid_argument("the destination has " + std::to_string(dst.shape.size()) + " dimensions, the array " +
                            std::to_string(nd));
  }
  std::vector<std::int64_t> r0(nd, 0), r1(L.shape);
  if (!region_start.empty()) {
    if (region_start.size() != nd) return invalid_argument("the region has the wrong number of dimensions");
    for (std::size_t d = 0; d < nd; ++d) {
      r0[d] = region_start[d];
      r1[d] = r0[d] + dst.shape[d];
      if (r0[d] < 0 || dst.shape[d] < 0 || r1[d] > L.shape[d]) {
        return invalid_argument("the region starting at " + dims_text(region_start) + " with shape " +
                                dims_text(dst.shape) + " is outside the array of shape " + dims_text(L.shape));
      }
    }
  } else if (dst.shape != L.shape) {
    return invalid_argument("the destination's shape " + dims_text(dst.shape) + " is not the array's " +
                            dims_text(L.shape));
  }
  if (chunks.size() != L.count()) {
    return invalid_argument(std::to_string(chunks.size()) + " chunks given, the grid has " + std::to_string(L.count()));
  }
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].size() != L.segments[i].length) {
      return invalid_argument("chunk " + std::to_string(i) + " has " + std::to_string(chunks[i].size()) +
                              " bytes, expected " + std::to_string(L.segments[i].length));
    }
  }
  if (region_start.empty() && assemble_rows(dst, L, chunks, parallel)) return Status::OK();
  const std::size_t k = L.itemsize;
  auto work = [&](std::size_t, std::size_t begin, std::size_t end) {
    std::array<std::int64_t, kMaxChunkDims> cshape{}, cs{}, ext{};
    for (std::size_t i = begin; i < end; ++i) {
      const std::int64_t* box = &L.bboxes[i * 2 * nd];
      bool empty = false;
      const std::uint8_t* s = chunks[i].data();
      std::uint8_t* d = dst.data;
      stored_shape(L, i, cshape.data());
      chunk_strides(cshape.data(), nd, k, L.order, cs.data());
      for (std::size_t j = 0; j < nd; ++j) {
        const std::int64_t lo = std::max(box[j], r0[j]);
        const std::int64_t hi = std::min(box[nd + j], r1[j]);
        if (hi <= lo) {
          empty = true;
          break;
        }
        ext[j] = hi - lo;
        s += (lo - box[j]) * cs[j];
        d += (lo - r0[j]) * dst.strides[j];
      }
      if (!empty) internal::strided_copy(d, dst.strides.data(), s, cs.data(), ext.data(), nd, k);
    }
  };
  std::uint64_t bytes = k;
  for (std::size_t d = 0; d < nd; ++d) bytes *= static_cast<std::uint64_t>(dst.shape[d]);
  internal::parallel_run(L.count(), bytes, parallel, work);
  return Status::OK();
}

}  // namespace segpack
