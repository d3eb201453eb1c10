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

// N rows of 16 bytes, element size 16 / N. `rounds` perfect shuffles of the
// rows (row i with row i + N/2) transpose the block: each one rotates the bits
// of the (row, column) index by one place.
template <int N, class Unpack>
inline void shuffle_transpose(__m128i* x, int rounds, Unpack&& unpack) {
  __m128i y[N];
  for (int r = 0; r < rounds; ++r) {
    for (int i = 0; i < N / 2; ++i) unpack(x[i], x[i + N / 2], y[2 * i], y[2 * i + 1]);
    for (int i = 0; i < N; ++i) x[i] = y[i];
  }
}

template <int N, class Unpack>
inline void block_n(std::uint8_t* d, std::int64_t dsb, const std::uint8_t* s, std::int64_t ssa, int rounds,
                    Unpack&& unpack) {
  __m128i x[N];
  for (int i = 0; i < N; ++i) x[i] = load(s + i * ssa);
  shuffle_transpose<N>(x, rounds, unpack);
  for (int i = 0; i < N; ++i) store(d + i * dsb, x[i]);
}

}  // namespace

bool transpose_tile_sse2(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa,
                         std::int64_t ea, std::int64_t eb, std::size_t k, bool stream) noexcept {
  switch (k) {
    case 1:
      tile::run<1, 16, 16>(
          dst, dsb, src, ssa, ea, eb, stream,
          [](auto d, auto ds, auto s, auto ss) {
            block_n<16>(d, ds, s, ss, 4, [](__m128i a, __m128i b, __m128i& lo, __m128i& hi) {
              lo = _mm_unpacklo_epi8(a, b);
              hi = _mm_unpackhi_epi8(a, b);
            });
          },
          stream_line);
      return true;
    case 2:
      tile::run<2, 8, 8>(
          dst, dsb, src, ssa, ea, eb, stream,
          [](auto d, auto ds, auto s, auto ss) {
            block_n<8>(d, ds, s, ss, 3, [](__m128i a, __m128i b, __m128i& lo, __m128i& hi) {
              lo = _mm_unpacklo_epi16(a, b);
              hi = _mm_unpackhi_epi16(a, b);
            });
          },
          stream_line);
      return true;
    case 4:
      tile::run<4, 4, 4>(
          dst, dsb, src, ssa, ea, eb, stream,
          [](auto d, auto ds, auto s, auto ss) {
            block_n<4>(d, ds, s, ss, 2, [](__m128i a, __m128i b, __m128i& lo, __m128i& hi) {
              lo = _mm_unpacklo_epi32(a, b);
              hi = _mm_unpackhi_epi32(a, b);
            });
          },
          stream_line);
      return true;
    case 8:
      tile::run<8, 2, 2>(
          dst, dsb, src, ssa, ea, eb, stream,
          [](auto d, auto ds, auto s, auto ss) {
            block_n<2>(d, ds, s, ss, 1, [](__m128i a, __m128i b, __m128i& lo, __m128i& hi) {
              lo = _mm_unpacklo_epi64(a, b);
              hi = _mm_unpackhi_epi64(a, b);
            });
          },
          stream_line);
      return true;
    default: return false;
  }
}

}  // namespace segpack::internal
