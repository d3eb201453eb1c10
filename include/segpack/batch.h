// segpack — batch compression and decompression of many items at once.
//
// Both functions run on the library's persistent pool (thread_pool.h) with one
// codec context per worker thread, reused across calls; items are claimed
// dynamically, so uneven items balance themselves. The output is ONE
// allocation holding every item in input order, cut by segments; empty items
// are kept as empty segments. Small batches run on the calling thread.
//
// Decompression and untrusted sizes: when every item's decompressed size is
// known (given by the caller, or declared by the stream — the zstd frame
// header, a single-member gzip trailer — and plausible for the input size)
// the output is allocated once and each item is decoded straight into its
// slot. Other items are decoded into growing buffers first and copied in.
// Either way the output never exceeds DecodeLimits::max_output_size bytes, and
// a stream that lies about its size cannot make the batch allocate more than
// that (peak memory is at most about twice the budget while items of unknown
// size are gathered into the single output).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "segpack/buffer.h"
#include "segpack/codec.h"
#include "segpack/result.h"
#include "segpack/segments.h"
#include "segpack/thread_pool.h"

namespace segpack {

/// Default output budget of one batch decompression: 1 GiB.
inline constexpr std::uint64_t kDefaultBatchMaxOutput = std::uint64_t{1} << 30;

/// What bounds the output of a batch decompression (decompress_batch,
/// get_many): untrusted sizes never make a batch allocate beyond these.
struct DecodeLimits {
  /// Total output budget for the batch (resource_exhausted naming the item
  /// that crosses it). Also caps any single item.
  std::uint64_t max_output_size = kDefaultBatchMaxOutput;
  /// Cap on any one item's decompressed size (resource_exhausted naming the
  /// item), like DecompressOptions::max_output.
  std::uint64_t max_item_size = std::uint64_t{1} << 32;
};

/// Options of one batch call: how its work runs, and (decompression only)
/// what limits its output. One struct, so a call site sets only what it
/// changes (`o.parallel.threads = 1; o.limits.max_output_size = n;`).
struct BatchOptions {
  /// Threads, inline threshold, pool (see thread_pool.h).
  ParallelOptions parallel;
  /// Output limits; ignored by compress_batch.
  DecodeLimits limits;
};

/// Compresses every item with `codec` at `level` (nullopt: the codec's
/// default level). Returns one buffer whose segment i is item i compressed.
/// `zstd` (Codec::zstd only): frame parameters and an optional dictionary,
/// digested once and shared by every worker (zstd.h); item i's frame is what
/// ZSTD_compress2 with those parameters writes, as python-zstandard's.
/// Errors (all-or-nothing, the lowest failing item named as
/// "error compressing item N: ..."): invalid_argument (bad level or zstd
/// parameter), corrupt (a dictionary libzstd cannot use), internal,
/// resource_exhausted (out of memory).
Result<BufferWithSegments> compress_batch(std::span<const ByteSpan> items, Codec codec,
                                          std::optional<int> level = std::nullopt, const BatchOptions& opts = {},
                                          const ZstdCompressParams& zstd = {});

/// Decompresses every frame with `codec`. `sizes` is empty, or holds one
/// entry per frame: the exact decompressed size, or 0 for "unknown" (then the
/// stream's own declaration is used when it has one, else the item is decoded
/// into a growing buffer). Returns one buffer whose segment i is item i.
/// Errors (all-or-nothing, "error decompressing item N: ..."):
/// invalid_argument (sizes of the wrong length, bad zstd parameters),
/// corrupt (bad stream, empty input, trailing bytes, a size that differs from
/// the given one, a zstd frame naming another dictionary), resource_exhausted
/// (over opts.limits.max_output_size or max_item_size, or the decoder's limits,
/// e.g. zstd max_window_size).
/// `zstd` (Codec::zstd only): the dictionary (digested once, shared by every
/// worker) and max_window_size.
Result<BufferWithSegments> decompress_batch(std::span<const ByteSpan> frames, Codec codec,
                                            std::span<const std::uint64_t> sizes = {}, const BatchOptions& opts = {},
                                            const ZstdDecompressParams& zstd = {});

}  // namespace segpack
