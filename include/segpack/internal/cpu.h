// segpack internal — what this CPU can run, probed once per process. Every
// ISA-specific kernel (crc32c today, chunking next) is chosen from here.
// May change.
#pragma once

namespace segpack::internal {

/// Instruction-set extensions the run-time dispatchers care about. A field is
/// true only when the library was built for that architecture and the CPU
/// (and, where it matters, the OS) supports the extension.
struct CpuFeatures {
  bool x86_sse42 = false;    ///< SSE4.2 (the crc32 instruction)
  bool x86_pclmul = false;   ///< PCLMULQDQ (carry-less multiply)
  bool x86_avx2 = false;     ///< AVX2 (with the OS saving the 256-bit registers)
  bool arm64_crc32 = false;  ///< ARMv8 CRC32 extension
};

/// This CPU's features, probed on first call (thread-safe) and cached.
const CpuFeatures& cpu_features() noexcept;

}  // namespace segpack::internal
