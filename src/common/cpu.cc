// segpack — the CPU feature check behind every run-time kernel dispatcher.
#include "segpack/internal/cpu.h"

#if SEGPACK_ARCH_ARM64 && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1u << 7)  // linux/arch/arm64/include/uapi/asm/hwcap.h
#endif
#endif

namespace segpack::internal {

namespace {

CpuFeatures probe() noexcept {
  CpuFeatures f;
#if SEGPACK_ARCH_X86
  __builtin_cpu_init();
  f.x86_sse42 = __builtin_cpu_supports("sse4.2");
  f.x86_pclmul = __builtin_cpu_supports("pclmul");
  f.x86_avx2 = __builtin_cpu_supports("avx2");  // libgcc / compiler-rt also check the OS's XSAVE support
#endif
#if SEGPACK_ARCH_ARM64 && defined(__linux__)
  f.arm64_crc32 = (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#elif SEGPACK_ARCH_ARM64 && defined(__APPLE__)
  f.arm64_crc32 = true;  // every Apple arm64 CPU has the CRC32 extension
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() noexcept {
  static const CpuFeatures f = probe();  // what the CPU supports never changes while the process runs
  return f;
}

}  // namespace segpack::internal
