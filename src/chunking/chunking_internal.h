// segpack internal (src/chunking only) — the strided copy kernel and the
// recycling arena behind chunk_array.
#pragma once

#include <cstddef>
#include <cstdint>

namespace segpack::internal {

/// Copies the box of extents `ext[0..nd)` from `src` (byte strides `ss`) to
/// `dst` (byte strides `ds`), elements of `k` bytes. One pass: dimensions
/// contiguous in both are merged into memcpy runs; when the innermost
/// dimensions of the two sides differ, 2-D tiles are transposed in cache.
void strided_copy(std::uint8_t* dst, const std::int64_t* ds, const std::uint8_t* src, const std::int64_t* ss,
                  const std::int64_t* ext, std::size_t nd, std::size_t k) noexcept;

/// The 2-D transpose of an (ea x eb) box of k-byte elements:
/// dst + a*k + b*dsb <- src + a*ssa + b*k, in register blocks (1- and 2-byte
/// elements) or L1-sized tiles.
void transpose_block(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa, std::int64_t ea,
                     std::int64_t eb, std::size_t k) noexcept;

#if SEGPACK_ARCH_X86
/// The per-ISA kernels behind transpose_tile (include/segpack/internal/transpose.h):
/// false, nothing done, for an item size they have no kernel for.
bool transpose_tile_sse2(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa,
                         std::int64_t ea, std::int64_t eb, std::size_t k, bool stream) noexcept;
/// Requires AVX2 (checked by the dispatcher).
bool transpose_tile_avx2(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa,
                         std::int64_t ea, std::int64_t eb, std::size_t k, bool stream) noexcept;
#endif

/// Fills `n` bytes at `dst` with copies of the `k`-byte `pattern` (n is a multiple of k).
void fill_pattern(std::uint8_t* dst, std::size_t n, const std::uint8_t* pattern, std::size_t k) noexcept;

}  // namespace segpack::internal
