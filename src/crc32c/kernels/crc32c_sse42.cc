// segpack — CRC-32C with the SSE4.2 crc32 instruction (x86-64 only; this is the
// only file built with -msse4.2 -mpclmul, and it is only called after the CPU
// check in src/common/cpu.cc).
//
// The crc32 instruction has a latency of ~3 cycles but a throughput of one per
// cycle, so a single dependency chain runs at a third of the possible speed.
// Large inputs are therefore cut into blocks of 3 * L bytes, whose three
// thirds are checksummed as independent streams and then combined:
//
//   raw(A ++ B ++ C) = raw(A) * x^(16L) ^ raw(B) * x^(8L) ^ raw(C)   (mod P)
//
// (the raw register is linear; stream A starts from the incoming register,
// B and C from zero). A multiplication c * x^(8k) mod P is one carry-less
// multiply by the constant K = x^(8k-33) mod P followed by one crc32 of the
// 64-bit product: with the reflected bit order, clmul(c, K) represents
// c*K*x, and crc32_u64(0, v) computes v*x^32 mod P.
#include <nmmintrin.h>  // SSE4.2
#include <wmmintrin.h>  // PCLMULQDQ

#include <cstring>

#include "../crc32c_internal.h"
#include "segpack/internal/bytes.h"

namespace segpack::internal {
namespace {

// Block geometry: each of the three streams covers L bytes, L a multiple of
// kGrain up to kMaxStream. Long inputs use L = kMaxStream (streams in distinct
// 4 KiB pages, which suits the hardware prefetchers); the remainder and
// medium inputs use one block with the largest L that fits, so they pay for a
// single combine.
constexpr std::size_t kGrain = 64;
constexpr std::size_t kMaxStream = 16384;
constexpr std::size_t kMaxShift = 2 * kMaxStream;

// kShift[j] = x^(8*64*j - 33) mod P: multiplies a register by x^(8*64*j),
// i.e. shifts it over 64*j bytes (see the file comment). Entry 0 is unused.
struct ShiftTable {
  std::uint32_t k[kMaxShift / kGrain + 1];
};
constexpr ShiftTable make_shift_table() noexcept {
  ShiftTable t{};
  const std::uint32_t step = xpow_mod(8 * kGrain);  // one more grain
  t.k[1] = xpow_mod(8 * kGrain - 33);
  for (std::size_t j = 2; j <= kMaxShift / kGrain; ++j) t.k[j] = gf_mul(t.k[j - 1], step);
  return t;
}
constexpr ShiftTable kShift = make_shift_table();
static_assert(kShift.k[kMaxShift / kGrain] == xpow_mod(8 * kMaxShift - 33));

// a * x^(8*sa) ^ b * x^(8*sb) as the xor of both 64-bit carry-less products
// (still to be reduced with one crc32).
inline std::uint64_t clmul2(std::uint32_t a, std::uint32_t ka, std::uint32_t b, std::uint32_t kb) noexcept {
  const __m128i va =
      _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(a)), _mm_cvtsi32_si128(static_cast<int>(ka)), 0x00);
  const __m128i vb =
      _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(b)), _mm_cvtsi32_si128(static_cast<int>(kb)), 0x00);
  return static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_xor_si128(va, vb)));
}

// One block of 3*L bytes at p; L is a multiple of kGrain, at most kMaxStream.
inline std::uint64_t three_way(std::uint64_t c0, const std::uint8_t* p, std::size_t L) noexcept {
  std::uint64_t c1 = 0, c2 = 0;
  for (std::size_t line = 0; line < L; line += kGrain) {
    for (std::size_t i = line; i < line + kGrain; i += 8) {
      c0 = _mm_crc32_u64(c0, load_le<std::uint64_t>(p + i));
      c1 = _mm_crc32_u64(c1, load_le<std::uint64_t>(p + L + i));
      c2 = _mm_crc32_u64(c2, load_le<std::uint64_t>(p + 2 * L + i));
    }
  }
  const std::uint64_t folded = clmul2(static_cast<std::uint32_t>(c0), kShift.k[2 * L / kGrain],
                                      static_cast<std::uint32_t>(c1), kShift.k[L / kGrain]);
  return _mm_crc32_u64(0, folded) ^ c2;
}

}  // namespace

std::uint32_t crc32c_extend_sse42(std::uint32_t state, const std::uint8_t* p, std::size_t n) noexcept {
  if (n >= 16) {
    // Align the word loads to 8 bytes.
    while ((reinterpret_cast<std::uintptr_t>(p) & 7u) != 0) {
      state = _mm_crc32_u8(state, *p++);
      --n;
    }
    std::uint64_t c = state;
    while (n >= 3 * kGrain) {
      const std::size_t per_stream = n / (3 * kGrain) * kGrain;
      const std::size_t L = per_stream < kMaxStream ? per_stream : kMaxStream;
      c = three_way(c, p, L);
      p += 3 * L;
      n -= 3 * L;
    }
    while (n >= 8) {
      c = _mm_crc32_u64(c, load_le<std::uint64_t>(p));
      p += 8;
      n -= 8;
    }
    state = static_cast<std::uint32_t>(c);
  }
  while (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, sizeof w);
    state = _mm_crc32_u32(state, w);
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    state = _mm_crc32_u8(state, *p++);
    --n;
  }
  return state;
}

}  // namespace segpack::internal
