// segpack — AVX2 transpose kernels (the only file built with -mavx2; called
// only when the CPU check says AVX2): 16x32 bytes and 8x16 u16 (two
// 128-bit-lane transposes side by side), 8x8 u32, 4x4 u64.
#include <immintrin.h>

#include "../chunking_internal.h"
#include "tile_loop.h"

namespace segpack::internal {

namespace {

inline __m256i load(const std::uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

inline void store(std::uint8_t* p, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }

inline void store128(std::uint8_t* p, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }

// One 64-byte line from L1 to a 64-byte aligned destination, non-temporal.
inline void stream_line(std::uint8_t* d, const std::uint8_t* s) {
  const auto* v = reinterpret_cast<const __m256i*>(s);
  _mm256_stream_si256(reinterpret_cast<__m256i*>(d), _mm256_load_si256(v));
  _mm256_stream_si256(reinterpret_cast<__m256i*>(d) + 1, _mm256_load_si256(v + 1));
}

// N = 16 / K rows of 32 bytes of K-byte elements: the shuffles transpose
// each 128-bit lane on its own, so afterwards row c holds column c in its low
// lane and column c + N in its high lane.
template <int K>
void lanes_block(std::uint8_t* d, std::int64_t dsb, const std::uint8_t* s, std::int64_t ssa) {
  constexpr int N = 16 / K;
  __m256i x[N];
  for (int i = 0; i < N; ++i) x[i] = load(s + i * ssa);
  if constexpr (K == 1) {
    tile::perfect_shuffles<N>(x, _mm256_unpacklo_epi8, _mm256_unpackhi_epi8);
  } else {
    tile::perfect_shuffles<N>(x, _mm256_unpacklo_epi16, _mm256_unpackhi_epi16);
  }
  for (int c = 0; c < N; ++c) {
    store128(d + c * dsb, _mm256_castsi256_si128(x[c]));
    store128(d + (c + N) * dsb, _mm256_extracti128_si256(x[c], 1));
  }
}

// 8 x 8 elements of 4 bytes.
inline void block_u32(std::uint8_t* d, std::int64_t dsb, const std::uint8_t* s, std::int64_t ssa) {
  __m256i r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = load(s + i * ssa);
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {  // rows 4i..4i+3: 2x2 blocks of pairs
    u[4 * i] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int c = 0; c < 4; ++c) {  // the 4x4 quarters across lanes
    store(d + c * dsb, _mm256_permute2x128_si256(u[c], u[4 + c], 0x20));
    store(d + (c + 4) * dsb, _mm256_permute2x128_si256(u[c], u[4 + c], 0x31));
  }
}

// 4 x 4 elements of 8 bytes.
inline void block_u64(std::uint8_t* d, std::int64_t dsb, const std::uint8_t* s, std::int64_t ssa) {
  const __m256i r0 = load(s), r1 = load(s + ssa), r2 = load(s + 2 * ssa), r3 = load(s + 3 * ssa);
  const __m256i t0 = _mm256_unpacklo_epi64(r0, r1), t1 = _mm256_unpackhi_epi64(r0, r1);
  const __m256i t2 = _mm256_unpacklo_epi64(r2, r3), t3 = _mm256_unpackhi_epi64(r2, r3);
  store(d, _mm256_permute2x128_si256(t0, t2, 0x20));
  store(d + dsb, _mm256_permute2x128_si256(t1, t3, 0x20));
  store(d + 2 * dsb, _mm256_permute2x128_si256(t0, t2, 0x31));
  store(d + 3 * dsb, _mm256_permute2x128_si256(t1, t3, 0x31));
}

}  // namespace

bool transpose_tile_avx2(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa,
                         std::int64_t ea, std::int64_t eb, std::size_t k, bool stream) noexcept {
  switch (k) {
    case 1: tile::run<1, 16, 32>(dst, dsb, src, ssa, ea, eb, stream, lanes_block<1>, stream_line); return true;
    case 2: tile::run<2, 8, 16>(dst, dsb, src, ssa, ea, eb, stream, lanes_block<2>, stream_line); return true;
    case 4: tile::run<4, 8, 8>(dst, dsb, src, ssa, ea, eb, stream, block_u32, stream_line); return true;
    case 8: tile::run<8, 4, 4>(dst, dsb, src, ssa, ea, eb, stream, block_u64, stream_line); return true;
    default: return false;
  }
}

}  // namespace segpack::internal
