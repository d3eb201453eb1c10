// segpack internal — the 2-D tile transpose behind chunking when the source's
// and the chunks' innermost dimensions differ, with one kernel per instruction
// set chosen at run time (src/chunking/transpose.cc). May change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace segpack::internal {

/// The instruction sets the transpose has kernels for. `portable` is the
/// baseline build (no run-time check); `sse2` and `avx2` are x86 only.
enum class TransposeIsa : std::uint8_t { portable, sse2, avx2 };

/// "portable", "sse2" or "avx2".
std::string_view transpose_isa_name(TransposeIsa isa) noexcept;

/// True when this build has the kernel and this CPU can run it.
bool transpose_isa_available(TransposeIsa isa) noexcept;

/// Every available kernel, portable first.
std::vector<TransposeIsa> transpose_available_isas();

/// The kernel transpose_tile uses: the best available one, or the forced one.
TransposeIsa transpose_isa() noexcept;

/// Forces `isa` for every later transpose_tile call (tests run every kernel
/// through the whole chunking path this way). Returns false, and changes
/// nothing, when `isa` is not available. Not synchronised with running calls.
bool force_transpose_isa(TransposeIsa isa) noexcept;

/// Goes back to the best available kernel.
void reset_transpose_isa() noexcept;

/// Transposes an (ea x eb) box of k-byte elements:
/// dst + a*k + b*dsb <- src + a*ssa + b*k for a < ea, b < eb.
/// Item sizes 1, 2, 4 and 8 have SIMD kernels; others are copied element by
/// element. With `stream`, destination lines that the box fills whole may be
/// written with non-temporal stores (the caller issues the store fence).
void transpose_tile(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa, std::int64_t ea,
                    std::int64_t eb, std::size_t k, bool stream) noexcept;

}  // namespace segpack::internal
