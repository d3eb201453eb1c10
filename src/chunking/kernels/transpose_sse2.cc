// segpack — SSE2 transpose kernels (the only file built with -msse2 on 32-bit
// x86; every x86-64 CPU has SSE2): 16x16 bytes, 8x8 u16, 4x4 u32, 2x2 u64.
#include <emmintrin.h>

#include "../chunking_internal.h"
#include "tile_loop.h"

namespace segpack::internal {

namespace {

inline __m128i load(const std::uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

inline void store(std::uint8_t* p, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }

// One 64-byte line from L1 to a 64-byte aligned destination, non-temporal.
inline void stream_line(std::uint8_t* d, const std::uint8_t* s) {
  for (int i = 0; i < 4; ++i) {
    _mm_stream_si128(reinterpret_cast<__m128i*>(d) + i, _mm_load_si128(reinterpret_cast<const __m128i*>(s) + i));
  }
}

// An N x N block (N = 16 / K rows of 16 bytes of K-byte elements).
template <int K>
void block(std::uint8_t* d, std::int64_t dsb, const std::uint8_t* s, std::int64_t ssa) {
  constexpr int N = 16 / K;
  __m128i x[N];
  for (int i = 0; i < N; ++i) x[i] = load(s + i * ssa);
  if constexpr (K == 1) {
    tile::perfect_shuffles<N>(x, _mm_unpacklo_epi8, _mm_unpackhi_epi8);
  } else if constexpr (K == 2) {
    tile::perfect_shuffles<N>(x, _mm_unpacklo_epi16, _mm_unpackhi_epi16);
  } else if constexpr (K == 4) {
    tile::perfect_shuffles<N>(x, _mm_unpacklo_epi32, _mm_unpackhi_epi32);
  } else {
    tile::perfect_shuffles<N>(x, _mm_unpacklo_epi64, _mm_unpackhi_epi64);
  }
  for (int i = 0; i < N; ++i) store(d + i * dsb, x[i]);
}

template <int K>
void tile_k(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa, std::int64_t ea,
            std::int64_t eb, bool stream) {
  tile::run<K, 16 / K, 16 / K>(dst, dsb, src, ssa, ea, eb, stream, block<K>, stream_line);
}

}  // namespace

bool transpose_tile_sse2(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa,
                         std::int64_t ea, std::int64_t eb, std::size_t k, bool stream) noexcept {
  switch (k) {
    case 1: tile_k<1>(dst, dsb, src, ssa, ea, eb, stream); return true;
    case 2: tile_k<2>(dst, dsb, src, ssa, ea, eb, stream); return true;
    case 4: tile_k<4>(dst, dsb, src, ssa, ea, eb, stream); return true;
    case 8: tile_k<8>(dst, dsb, src, ssa, ea, eb, stream); return true;
    default: return false;
  }
}

}  // namespace segpack::internal
