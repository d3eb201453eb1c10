// segpack — CRC-32C with the ARMv8 CRC32 extension (aarch64 only; this is the
// only file built with -march=armv8-a+crc+crypto, and it is only called after
// the HWCAP check in src/common/cpu.cc). A simple single-stream loop.
#include <arm_acle.h>

#include <cstring>

#include "../crc32c_internal.h"

namespace segpack::internal {

std::uint32_t crc32c_extend_arm64(std::uint32_t state, const std::uint8_t* p, std::size_t n) noexcept {
  // Align the word loads to 8 bytes.
  while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7u) != 0) {
    state = __crc32cb(state, *p++);
    --n;
  }
  while (n >= 32) {
    std::uint64_t w[4];
    std::memcpy(w, p, sizeof w);  // the CRC instructions expect little-endian data (aarch64 Linux/Apple)
    state = __crc32cd(state, w[0]);
    state = __crc32cd(state, w[1]);
    state = __crc32cd(state, w[2]);
    state = __crc32cd(state, w[3]);
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    state = __crc32cd(state, w);
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, sizeof w);
    state = __crc32cw(state, w);
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    state = __crc32cb(state, *p++);
    --n;
  }
  return state;
}

}  // namespace segpack::internal
