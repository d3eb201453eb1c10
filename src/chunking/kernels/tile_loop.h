// segpack internal (src/chunking/kernels only) — the loop every SIMD transpose
// kernel shares: full RB x CB register blocks, the margins element by element.
// Included by each kernel file, so it is compiled with that file's ISA flags.
#pragma once

#include <cstdint>
#include <cstring>

namespace segpack::internal::tile {

/// Non-temporal stores are used only when every destination line the box
/// touches is one whole 64-byte aligned column: ea * K == 64, 64-byte aligned
/// columns.
inline bool can_stream(const std::uint8_t* dst, std::int64_t dsb, std::int64_t ea, std::int64_t k) noexcept {
  return reinterpret_cast<std::uintptr_t>(dst) % 64 == 0 && dsb % 64 == 0 && ea * k == 64;
}

/// dst + a*K + b*dsb <- src + a*ssa + b*K. `block(d, dsb, s, ssa)` moves one
/// RB x CB block (RB rows of the source, CB columns) with ordinary stores;
/// `line(d, s)` copies one 64-byte line from L1 with non-temporal stores.
/// When streaming, the CB columns of a block row are transposed into an L1
/// buffer first and each finished line is then streamed out whole, so only
/// one destination line is open in the write-combining buffers at a time (a
/// line left half-written there is flushed as a slow partial write).
template <std::int64_t K, std::int64_t RB, std::int64_t CB, class Block, class Line>
inline void run(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa, std::int64_t ea,
                std::int64_t eb, bool stream, Block&& block, Line&& line) noexcept {
  const std::int64_t fa = ea - ea % RB, fb = eb - eb % CB;
  if (stream && can_stream(dst, dsb, ea, K)) {
    alignas(64) std::uint8_t buf[CB * 64];
    for (std::int64_t b0 = 0; b0 < fb; b0 += CB) {
      for (std::int64_t a0 = 0; a0 < ea; a0 += RB) block(buf + a0 * K, 64, src + a0 * ssa + b0 * K, ssa);
      for (std::int64_t c = 0; c < CB; ++c) line(dst + (b0 + c) * dsb, buf + c * 64);
    }
  } else {
    for (std::int64_t b0 = 0; b0 < fb; b0 += CB) {
      for (std::int64_t a0 = 0; a0 < fa; a0 += RB) block(dst + b0 * dsb + a0 * K, dsb, src + a0 * ssa + b0 * K, ssa);
      for (std::int64_t b = b0; b < b0 + CB; ++b) {
        for (std::int64_t a = fa; a < ea; ++a) std::memcpy(dst + b * dsb + a * K, src + a * ssa + b * K, K);
      }
    }
  }
  for (std::int64_t b = fb; b < eb; ++b) {
    for (std::int64_t a = 0; a < ea; ++a) std::memcpy(dst + b * dsb + a * K, src + a * ssa + b * K, K);
  }
}

/// log2(N) perfect shuffles of N rows held in registers V: row i with row
/// i + N/2, `lo` / `hi` interleaving the two rows' low / high halves at the
/// element size. Each shuffle rotates the bits of the (row, column) index by
/// one place, so together they transpose the block (within each 128-bit lane).
template <int N, class V, class Lo, class Hi>
inline void perfect_shuffles(V* x, Lo&& lo, Hi&& hi) noexcept {
  V y[N];
  for (int r = 1; r < N; r *= 2) {
    for (int i = 0; i < N / 2; ++i) {
      y[2 * i] = lo(x[i], x[i + N / 2]);
      y[2 * i + 1] = hi(x[i], x[i + N / 2]);
    }
    for (int i = 0; i < N; ++i) x[i] = y[i];
  }
}

}  // namespace segpack::internal::tile
