// segpack — the run-time choice of transpose kernel (include/segpack/internal/transpose.h).
#include "segpack/internal/transpose.h"

#include <atomic>

#include "chunking_internal.h"
#include "segpack/internal/cpu.h"

namespace segpack::internal {

namespace {

TransposeIsa best() noexcept {
#if SEGPACK_ARCH_X86
  if (cpu_features().x86_avx2) return TransposeIsa::avx2;
  return TransposeIsa::sse2;
#else
  return TransposeIsa::portable;
#endif
}

// The kernel in use; chosen on first call unless forced.
std::atomic<int> g_forced{-1};

}  // namespace

std::string_view transpose_isa_name(TransposeIsa isa) noexcept {
  switch (isa) {
    case TransposeIsa::portable: return "portable";
    case TransposeIsa::sse2: return "sse2";
    case TransposeIsa::avx2: return "avx2";
  }
  return "unknown";
}

bool transpose_isa_available(TransposeIsa isa) noexcept {
  switch (isa) {
    case TransposeIsa::portable: return true;
#if SEGPACK_ARCH_X86
    case TransposeIsa::sse2: return true;
    case TransposeIsa::avx2: return cpu_features().x86_avx2;
#endif
    default: return false;
  }
}

std::vector<TransposeIsa> transpose_available_isas() {
  std::vector<TransposeIsa> out;
  for (TransposeIsa isa : {TransposeIsa::portable, TransposeIsa::sse2, TransposeIsa::avx2}) {
    if (transpose_isa_available(isa)) out.push_back(isa);
  }
  return out;
}

TransposeIsa transpose_isa() noexcept {
  const int f = g_forced.load(std::memory_order_relaxed);
  if (f >= 0) return static_cast<TransposeIsa>(f);
  static const TransposeIsa chosen = best();
  return chosen;
}

bool force_transpose_isa(TransposeIsa isa) noexcept {
  if (!transpose_isa_available(isa)) return false;
  g_forced.store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

void reset_transpose_isa() noexcept { g_forced.store(-1, std::memory_order_relaxed); }

void transpose_tile(std::uint8_t* dst, std::int64_t dsb, const std::uint8_t* src, std::int64_t ssa, std::int64_t ea,
                    std::int64_t eb, std::size_t k, bool stream) noexcept {
  switch (transpose_isa()) {
#if SEGPACK_ARCH_X86
    case TransposeIsa::avx2:
      if (transpose_tile_avx2(dst, dsb, src, ssa, ea, eb, k, stream)) return;
      break;
    case TransposeIsa::sse2:
      if (transpose_tile_sse2(dst, dsb, src, ssa, ea, eb, k, stream)) return;
      break;
#endif
    default: break;
  }
  transpose_block(dst, dsb, src, ssa, ea, eb, k);
}

}  // namespace segpack::internal
