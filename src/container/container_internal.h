// segpack — container: encoders shared by the writer (and nothing else).
// Included only from src/container/.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "segpack/container.h"
#include "segpack/source.h"

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

/// data_loss "buffer i: crc32c mismatch (table ..., data ...)".
Status crc_mismatch(std::size_t i, std::uint32_t want, std::uint32_t got);

/// The stored bytes of buffers `indices` read from `source` under `mu`: ONE
/// read_many call over their ranges coalesced by source.coalesce_gap().
/// Element j is exactly infos[indices[j]].stored_length bytes. Errors: the
/// source's, out_of_range when it answers with another length.
Result<std::vector<Buffer>> read_stored(RangeSource& source, std::mutex& mu, std::span<const ContainerBufferInfo> infos,
                                        std::span<const std::size_t> indices);

/// For each position j in `positions` (an uncompressed buffer indices[j] whose
/// stored bytes are stored[j]): copies them into one new page-aligned writable
/// allocation (each at a multiple of min(alignment, 4096)), computing the
/// crc32c of each piece right after it is copied, in parallel over buffers,
/// and sets out[j]. Errors: data_loss naming the lowest bad buffer,
/// resource_exhausted when the memory cannot be allocated.
Status copy_checked(std::span<const ContainerBufferInfo> infos, std::span<const std::size_t> indices,
                    std::span<const std::size_t> positions, std::span<const Buffer> stored, std::vector<Buffer>& out,
                    const ParallelOptions& parallel);

}  // namespace segpack::internal
