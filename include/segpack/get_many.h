// segpack — many lookups in one call: get_many over a MapBuffer or an IntMap.
//
// Lookups (and, for a MapBuffer, crc checks and decompression) run in
// parallel on the library's pool (thread_pool.h) for large batches, on the
// calling thread for small ones. Errors are all-or-nothing: the first key in
// `keys` order that fails is the one named.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "segpack/batch.h"
#include "segpack/intmap.h"
#include "segpack/mapbuffer.h"
#include "segpack/result.h"
#include "segpack/segments.h"
#include "segpack/thread_pool.h"

namespace segpack {

/// Options of get_many over a MapBuffer.
struct GetManyOptions {
  /// Missing keys: not_found naming the first missing key (nullopt), or this
  /// value in their place.
  std::optional<std::vector<std::uint8_t>> default_value;
  /// Uncompressed in-memory maps: return segments that point into the map's
  /// own buffer (no copy; the result keeps the buffer alive) instead of one
  /// new buffer. Ignored for compressed maps, range sources, and when a
  /// missing key takes a non-empty default value.
  bool zero_copy = false;
  /// Threads, inline threshold, pool (see thread_pool.h).
  ParallelOptions parallel;
  /// Range sources: items closer than this many bytes are fetched as one
  /// range (nullopt: the source's own coalesce_gap()). See remote.h.
  std::optional<std::uint64_t> coalesce_gap;
  /// Output budget and per-item cap (see batch.h); the reader's own
  /// DecompressOptions::max_output also caps each item of a compressed map.
  DecodeLimits limits;
};

/// Decoded values of many keys of `map`, in the order of `keys`, as one
/// buffer cut into segments: each item decoded straight into its slot of one
/// allocation when its size is known. For range sources the item ranges are
/// coalesced (options.coalesce_gap) and fetched with ONE
/// RangeSource::read_many call on the calling thread (read_ranges in
/// remote.h), then crc-checked and decoded in parallel.
/// `found`, when given, receives one flag per key (1 = present).
/// Errors (naming the key): not_found (without a default), those of
/// MapBufferReader::payload_span / payload, decompression errors,
/// resource_exhausted (options.limits).
Result<BufferWithSegments> get_many(const MapBufferReader& map, std::span<const std::uint64_t> keys,
                                    const GetManyOptions& options = {}, std::vector<std::uint8_t>* found = nullptr);

/// Values of many keys of `map` into `out` (out.size() == keys.size()).
/// Missing keys: not_found naming the first (when `default_value` is
/// nullopt), or `default_value`. `found`, when given, receives one flag per
/// key (1 = present). Errors: invalid_argument (sizes differ), not_found.
Status get_many(const IntMapReader& map, std::span<const std::uint64_t> keys, std::span<std::uint64_t> out,
                std::optional<std::uint64_t> default_value = std::nullopt, const ParallelOptions& parallel = {},
                std::vector<std::uint8_t>* found = nullptr);

}  // namespace segpack
