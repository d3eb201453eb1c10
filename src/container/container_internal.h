// segpack — container: encoders shared by the writer (and nothing else).
// Included only from src/container/.
#pragma once

#include <cstdint>

#include "segpack/container.h"

namespace segpack::internal {

/// Writes the 64 header bytes, header crc included.
void encode_container_header(const ContainerHeader& h, std::uint8_t* out) noexcept;

/// Writes one 40-byte table entry (metadata_offset is not stored).
void encode_container_entry(const ContainerBufferInfo& e, std::uint8_t* out) noexcept;

/// log2 of a power of two.
inline std::uint8_t log2_of_pow2(std::uint64_t v) noexcept { return static_cast<std::uint8_t>(__builtin_ctzll(v)); }

/// True for a power of two in [1, kContainerMaxAlignment].
inline bool valid_alignment(std::uint64_t a) noexcept {
  return a != 0 && (a & (a - 1)) == 0 && a <= kContainerMaxAlignment;
}

}  // namespace segpack::internal
