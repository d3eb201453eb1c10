// segpack internal — CRC-32C kernels shared between src/crc32c/ and its kernels/. May change.
//
// Every kernel works on the *raw* CRC register: the caller applies the standard
// pre/post inversion (public crc -> ~crc -> kernel -> ~result). With the raw
// register the update is linear, which is what lets the SSE4.2 kernel run three
// independent streams and combine them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace segpack::internal {

/// Reflected Castagnoli polynomial 0x1EDC6F41 (bit i = coefficient of x^(31-i)).
inline constexpr std::uint32_t kPolyReflected = 0x82F63B78u;

/// `value * x` mod P (reflected: a right shift, reducing the bit that leaves x^31).
constexpr std::uint32_t mul_x(std::uint32_t value) noexcept {
  return (value >> 1) ^ ((value & 1u) ? kPolyReflected : 0u);
}

/// `a * b` mod P for reflected 32-bit polynomials (bit-serial; meant for constants).
constexpr std::uint32_t gf_mul(std::uint32_t a, std::uint32_t b) noexcept {
  std::uint32_t r = 0;
  for (int i = 0; i < 32; ++i, b = mul_x(b))
    if (a & (0x80000000u >> i)) r ^= b;  // a's coefficient of x^i
  return r;
}

/// x^n mod P, reflected (square-and-multiply, so cheap even for large n).
constexpr std::uint32_t xpow_mod(std::uint64_t n) noexcept {
  std::uint32_t result = 0x80000000u;  // x^0
  std::uint32_t base = 0x40000000u;    // x^1
  for (; n != 0; n >>= 1, base = gf_mul(base, base))
    if (n & 1u) result = gf_mul(result, base);
  return result;
}

/// Raw register of `value * x^n mod P` (`value` reflected).
constexpr std::uint32_t mul_xpow(std::uint32_t value, std::uint64_t n) noexcept { return gf_mul(value, xpow_mod(n)); }

static_assert(xpow_mod(32) == kPolyReflected, "x^32 mod P is P without its x^32 term");
static_assert(mul_xpow(1u, 8) == 0xF26B8303u, "CRC-32C table entry 1");

// Kernels: return the raw register after feeding `size` bytes into `state`.
std::uint32_t crc32c_extend_portable(std::uint32_t state, const std::uint8_t* data, std::size_t size) noexcept;

#if SEGPACK_ARCH_X86
/// Requires SSE4.2 and PCLMULQDQ (checked by the dispatcher).
std::uint32_t crc32c_extend_sse42(std::uint32_t state, const std::uint8_t* data, std::size_t size) noexcept;
#endif

#if SEGPACK_ARCH_ARM64
/// Requires the ARMv8 CRC32 extension (checked by the dispatcher).
std::uint32_t crc32c_extend_arm64(std::uint32_t state, const std::uint8_t* data, std::size_t size) noexcept;
#endif

#if SEGPACK_HAVE_ISAL
/// ISA-L crc32_iscsi (it dispatches on the CPU itself; always usable when linked).
std::uint32_t crc32c_extend_isal(std::uint32_t state, const std::uint8_t* data, std::size_t size) noexcept;
#endif

}  // namespace segpack::internal
