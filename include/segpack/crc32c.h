// segpack — CRC-32C (Castagnoli), as used by iSCSI, ext4, zarr and mapbuffer.
//
// crc32c() picks the fastest backend available on this CPU once, on first use
// (a cached CPU-feature check; thread-safe). Every backend computes the same
// function and is tested against the same published vectors;
// crc32c_extend_with() lets tests and benchmarks name one.
// No function here allocates (except crc32c_available_backends), throws or fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace segpack {

/// Implementations of CRC-32C.
enum class Crc32cBackend : std::uint8_t {
  portable,  ///< table-driven (slicing-by-8), any CPU
  sse42,     ///< x86-64 SSE4.2 crc32 instruction (segpack's own kernel)
  arm64,     ///< ARMv8 CRC extension (segpack's own kernel)
  isal,      ///< Intel ISA-L crc32_iscsi (folding with PCLMULQDQ), when linked
};

/// Name of a backend: "portable", "sse42", "arm64", "isal".
std::string_view crc32c_backend_name(Crc32cBackend b) noexcept;

/// True when `b` is compiled in and supported by this CPU.
bool crc32c_backend_available(Crc32cBackend b) noexcept;

/// All backends usable on this machine, portable first.
std::vector<Crc32cBackend> crc32c_available_backends();

/// The backend crc32c() uses (chosen once, at first call).
Crc32cBackend crc32c_active_backend() noexcept;

/// Extends a CRC-32C: `crc32c_extend(crc32c(a), b) == crc32c(a ++ b)`.
/// Start from 0 for a fresh checksum. Never fails; any length.
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) noexcept;

/// CRC-32C of a byte range (standard pre/post inversion: crc32c("123456789") == 0xE3069283).
inline std::uint32_t crc32c(const void* data, std::size_t size) noexcept { return crc32c_extend(0, data, size); }
inline std::uint32_t crc32c(std::span<const std::uint8_t> bytes) noexcept {
  return crc32c_extend(0, bytes.data(), bytes.size());
}

/// Same as crc32c_extend with a named backend. Precondition: crc32c_backend_available(b)
/// (otherwise the portable backend is used).
std::uint32_t crc32c_extend_with(Crc32cBackend b, std::uint32_t crc, const void* data, std::size_t size) noexcept;

}  // namespace segpack
