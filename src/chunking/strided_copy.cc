// segpack — the one strided copy every chunking path uses (see chunking_internal.h).
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "chunking_internal.h"
#include "segpack/chunking.h"
#include "segpack/internal/transpose.h"

namespace segpack::internal {

namespace {

struct Dim {
  std::int64_t e, ds, ss;
};

template <std::size_t K>
inline void copy_elem(std::uint8_t* d, const std::uint8_t* s) noexcept {
  std::memcpy(d, s, K);
}

// Innermost strided loop: e elements.
template <std::size_t K>
void strided_row(std::uint8_t* d, std::int64_t ds, const std::uint8_t* s, std::int64_t ss, std::int64_t e) noexcept {
  for (std::int64_t i = 0; i < e; ++i) copy_elem<K>(d + i * ds, s + i * ss);
}

void strided_row_any(std::uint8_t* d, std::int64_t ds, const std::uint8_t* s, std::int64_t ss, std::int64_t e,
                     std::size_t k) noexcept {
  for (std::int64_t i = 0; i < e; ++i) std::memcpy(d + i * ds, s + i * ss, k);
}

// 2-D transpose of an (ea x eb) box: dst(a, b) = dst + a*K + b*dsb,
// src(a, b) = src + a*ssa + b*K. Tiles small enough that the rows of both
// sides stay in L1.
// Transposes an R x R block of K-byte elements held in R 64-bit words
// (R = 8 / K; word r = row r, element c at bits [8*K*c, 8*K*(c+1)) on a
// little-endian machine): after it, word c holds column c. Swaps ever larger
// sub-blocks: elements, then pairs, then quads.
template <std::size_t K>
inline void transpose_words(std::uint64_t* x) noexcept {
  constexpr std::size_t R = 8 / K;
  constexpr std::uint64_t kMask[3] = {0x00FF00FF00FF00FFull, 0x0000FFFF0000FFFFull, 0x00000000FFFFFFFFull};
  for (std::size_t level = (K == 1 ? 0 : K == 2 ? 1 : 2), span = 1; level < 3; ++level, span *= 2) {
    const unsigned shift = 8u << level;
    for (std::size_t r = 0; r < R; ++r) {
      if (r & span) continue;
      const std::uint64_t t = ((x[r] >> shift) ^ x[r + span]) & kMask[level];
      x[r + span] ^= t;
      x[r] ^= t << shift;
    }
  }
}

template <std::size_t K>
void transpose2d(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa, std::int64_t ea,
                 std::int64_t eb) noexcept {
#if defined(__SSE2__)
  if constexpr (K == 4) {
    // 4 x 4 blocks through SSE registers (bit-exact: loads, shuffles and
    // stores only). Columns outermost, so every destination line is written
    // whole before the next one.
    std::int64_t b0 = 0;
    for (; b0 + 4 <= eb; b0 += 4) {
      std::int64_t a0 = 0;
      for (; a0 + 4 <= ea; a0 += 4) {
        const std::uint8_t* s = src + a0 * ssa + b0 * 4;
        __m128 r0 = _mm_loadu_ps(reinterpret_cast<const float*>(s));
        __m128 r1 = _mm_loadu_ps(reinterpret_cast<const float*>(s + ssa));
        __m128 r2 = _mm_loadu_ps(reinterpret_cast<const float*>(s + 2 * ssa));
        __m128 r3 = _mm_loadu_ps(reinterpret_cast<const float*>(s + 3 * ssa));
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        std::uint8_t* d = dst + b0 * dsb + a0 * 4;
        _mm_storeu_ps(reinterpret_cast<float*>(d), r0);
        _mm_storeu_ps(reinterpret_cast<float*>(d + dsb), r1);
        _mm_storeu_ps(reinterpret_cast<float*>(d + 2 * dsb), r2);
        _mm_storeu_ps(reinterpret_cast<float*>(d + 3 * dsb), r3);
      }
      for (std::int64_t b = b0; b < b0 + 4; ++b) {
        for (std::int64_t a = a0; a < ea; ++a) copy_elem<K>(dst + b * dsb + a * 4, src + a * ssa + b * 4);
      }
    }
    for (std::int64_t b = b0; b < eb; ++b) {
      for (std::int64_t a = 0; a < ea; ++a) copy_elem<K>(dst + b * dsb + a * 4, src + a * ssa + b * 4);
    }
    return;
  }
#endif
  if constexpr ((K == 1 || K == 2) && std::endian::native == std::endian::little) {
    // Register blocks of R x R elements, 64-bit loads and stores.
    constexpr std::int64_t R = 8 / K;
    constexpr auto kk = static_cast<std::int64_t>(K);
    // Columns outermost, so every destination line is completed before the next.
    std::int64_t b0 = 0;
    for (; b0 + R <= eb; b0 += R) {
      std::int64_t a0 = 0;
      for (; a0 + R <= ea; a0 += R) {
        std::uint64_t x[R];
        for (std::int64_t r = 0; r < R; ++r) std::memcpy(&x[r], src + (a0 + r) * ssa + b0 * kk, 8);
        transpose_words<K>(x);
        for (std::int64_t c = 0; c < R; ++c) std::memcpy(dst + (b0 + c) * dsb + a0 * kk, &x[c], 8);
      }
      for (std::int64_t b = b0; b < b0 + R; ++b) {
        for (std::int64_t a = a0; a < ea; ++a) copy_elem<K>(dst + b * dsb + a * kk, src + a * ssa + b * kk);
      }
    }
    for (std::int64_t b = b0; b < eb; ++b) {
      for (std::int64_t a = 0; a < ea; ++a) copy_elem<K>(dst + b * dsb + a * kk, src + a * ssa + b * kk);
    }
    return;
  }
  // Few source rows at a time (TA: their lines stay in L1 even when the rows
  // are a power of two apart and share one cache set), long in b.
  constexpr std::int64_t TA = 8, TB = 256;
  for (std::int64_t a0 = 0; a0 < ea; a0 += TA) {
    const std::int64_t a1 = std::min(ea, a0 + TA);
    for (std::int64_t b0 = 0; b0 < eb; b0 += TB) {
      const std::int64_t b1 = std::min(eb, b0 + TB);
      for (std::int64_t b = b0; b < b1; ++b) {
        std::uint8_t* d = dst + b * dsb;
        const std::uint8_t* s = src + b * static_cast<std::int64_t>(K);
        for (std::int64_t a = a0; a < a1; ++a) copy_elem<K>(d + a * static_cast<std::int64_t>(K), s + a * ssa);
      }
    }
  }
}

void transpose2d_any(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa, std::int64_t ea,
                     std::int64_t eb, std::size_t k) noexcept {
  const auto kk = static_cast<std::int64_t>(k);
  constexpr std::int64_t T = 16;
  for (std::int64_t a0 = 0; a0 < ea; a0 += T) {
    const std::int64_t a1 = std::min(ea, a0 + T);
    for (std::int64_t b0 = 0; b0 < eb; b0 += T) {
      const std::int64_t b1 = std::min(eb, b0 + T);
      for (std::int64_t b = b0; b < b1; ++b) {
        for (std::int64_t a = a0; a < a1; ++a) std::memcpy(dst + a * kk + b * dsb, src + a * ssa + b * kk, k);
      }
    }
  }
}

enum class Kind { run, transpose, strided };

// Calls body(d, s) for every index of the outer dimensions dims[0..n).
template <class F>
void for_outer(const Dim* dims, std::size_t n, std::uint8_t* d, const std::uint8_t* s, F&& body) {
  if (n == 0) {
    body(d, s);
    return;
  }
  std::array<std::int64_t, kMaxChunkDims> idx{};
  for (;;) {
    body(d, s);
    std::size_t j = n;
    for (;;) {
      if (j == 0) return;
      --j;
      d += dims[j].ds;
      s += dims[j].ss;
      if (++idx[j] < dims[j].e) break;
      d -= dims[j].ds * dims[j].e;
      s -= dims[j].ss * dims[j].e;
      idx[j] = 0;
    }
  }
}

template <std::size_t K>
void copy_k(std::uint8_t* dst, const std::uint8_t* src, Dim* dims, std::size_t n, std::size_t k) noexcept {
  const auto kk = static_cast<std::int64_t>(k);
  const Dim in = dims[n - 1];
  if (in.ds == kk && in.ss == kk) {
    const std::size_t run = static_cast<std::size_t>(in.e) * k;
    for_outer(dims, n - 1, dst, src, [&](std::uint8_t* d, const std::uint8_t* s) { std::memcpy(d, s, run); });
    return;
  }
  if (in.ds == kk && n >= 2) {
    // The source's innermost dimension, if it is contiguous: transpose tiles.
    std::size_t t = n;
    for (std::size_t i = 0; i + 1 < n; ++i) {
      if (dims[i].ss == kk) t = i;
    }
    if (t != n) {
      const Dim b = dims[t];
      std::array<Dim, kMaxChunkDims> outer{};
      std::size_t m = 0;
      for (std::size_t i = 0; i + 1 < n; ++i) {
        if (i != t) outer[m++] = dims[i];
      }
      for_outer(outer.data(), m, dst, src, [&](std::uint8_t* d, const std::uint8_t* s) {
        transpose_tile(d, b.ds, s, in.ss, in.e, b.e, k, false);
      });
      return;
    }
  }
  for_outer(dims, n - 1, dst, src, [&](std::uint8_t* d, const std::uint8_t* s) {
    if constexpr (K != 0) {
      strided_row<K>(d, in.ds, s, in.ss, in.e);
    } else {
      strided_row_any(d, in.ds, s, in.ss, in.e, k);
    }
  });
}

}  // namespace

void strided_copy(std::uint8_t* dst, const std::int64_t* ds, const std::uint8_t* src, const std::int64_t* ss,
                  const std::int64_t* ext, std::size_t nd, std::size_t k) noexcept {
  std::array<Dim, kMaxChunkDims> dims{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < nd; ++i) {
    if (ext[i] == 0) return;
    if (ext[i] == 1) continue;
    Dim dm{ext[i], ds[i], ss[i]};
    if (dm.ds < 0) {  // walk the destination forwards
      dst += (dm.e - 1) * dm.ds;
      src += (dm.e - 1) * dm.ss;
      dm.ds = -dm.ds;
      dm.ss = -dm.ss;
    }
    dims[n++] = dm;
  }
  if (n == 0) {
    std::memcpy(dst, src, k);
    return;
  }
  // Outermost first: by destination stride, then source stride.
  std::stable_sort(dims.begin(), dims.begin() + n, [](const Dim& a, const Dim& b) {
    if (a.ds != b.ds) return a.ds > b.ds;
    return (a.ss < 0 ? -a.ss : a.ss) > (b.ss < 0 ? -b.ss : b.ss);
  });
  // Merge an outer dimension into the next inner one when both sides are contiguous across them.
  std::size_t m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (m > 0) {
      Dim& inner = dims[i];
      const Dim& outer = dims[m - 1];
      if (outer.ds == inner.ds * inner.e && outer.ss == inner.ss * inner.e) {
        inner.e *= outer.e;
        dims[m - 1] = inner;
        continue;
      }
    }
    dims[m++] = dims[i];
  }
  switch (k) {
    case 1: return copy_k<1>(dst, src, dims.data(), m, k);
    case 2: return copy_k<2>(dst, src, dims.data(), m, k);
    case 4: return copy_k<4>(dst, src, dims.data(), m, k);
    case 8: return copy_k<8>(dst, src, dims.data(), m, k);
    case 16: return copy_k<16>(dst, src, dims.data(), m, k);
    default: return copy_k<0>(dst, src, dims.data(), m, k);
  }
}

void transpose_block(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa, std::int64_t ea,
                     std::int64_t eb, std::size_t k) noexcept {
  switch (k) {
    case 1: return transpose2d<1>(dst, dsb, src, ssa, ea, eb);
    case 2: return transpose2d<2>(dst, dsb, src, ssa, ea, eb);
    case 4: return transpose2d<4>(dst, dsb, src, ssa, ea, eb);
    case 8: return transpose2d<8>(dst, dsb, src, ssa, ea, eb);
    case 16: return transpose2d<16>(dst, dsb, src, ssa, ea, eb);
    default: return transpose2d_any(dst, dsb, src, ssa, ea, eb, k);
  }
}

void fill_pattern(std::uint8_t* dst, std::size_t n, const std::uint8_t* pattern, std::size_t k) noexcept {
  if (n == 0) return;
  if (std::all_of(pattern, pattern + k, [](std::uint8_t b) { return b == 0; }) || k == 0) {
    std::memset(dst, 0, n);
    return;
  }
  std::memcpy(dst, pattern, k);
  std::size_t have = k;
  while (have < n) {  // doubling
    const std::size_t c = std::min(have, n - have);
    std::memcpy(dst + have, dst, c);
    have += c;
  }
}

}  // namespace segpack::internal
