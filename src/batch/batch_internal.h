// segpack internal — the machinery shared by the batch functions and
// MapBufferReader::get_many: per-thread codec contexts, the dispatch rule
// (pool or calling thread), first-error collection, and decoding a list of
// spans into one BufferWithSegments. May change.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>

#include "segpack/batch.h"
#include "segpack/codec.h"
#include "segpack/result.h"
#include "segpack/segments.h"
#include "segpack/thread_pool.h"

namespace segpack::batch_internal {

/// This thread's decompression context for `codec` (and zstd parameters),
/// made on first use and kept for the life of the thread (one per pool
/// worker, reused across calls; codec_internal::local_decompressor).
Result<Decompressor*> local_decompressor(Codec codec, const ZstdDecompressParams& zstd = {});
/// This thread's compression context for (codec, level, zstd parameters).
Result<Compressor*> local_compressor(Codec codec, int level, const ZstdCompressParams& zstd = {});

/// Runs fn over [0, n) on the pool chosen by `opts`, or on the calling thread
/// when opts.threads == 1, n <= 1 or `work_bytes` < opts.inline_below_bytes.
void run(std::size_t n, std::uint64_t work_bytes, const BatchOptions& opts, ChunkFn fn);

/// Keeps the error of the lowest failing item across workers. Workers skip
/// items above the lowest failure recorded so far (`skip(i)`) but still run
/// the ones below it, so the error reported is that of the lowest failing
/// item whatever the scheduling.
class FirstError {
 public:
  void record(std::size_t index, Status st);
  /// True when an item below `index` has already failed.
  bool skip(std::size_t index) const noexcept { return index > lowest_.load(std::memory_order_relaxed); }
  bool failed() const noexcept { return lowest_.load(std::memory_order_relaxed) != SIZE_MAX; }
  std::size_t lowest() const noexcept { return lowest_.load(std::memory_order_relaxed); }
  /// OK, or the recorded error.
  Status take() { return std::move(status_); }

 private:
  std::atomic<std::size_t> lowest_{SIZE_MAX};
  std::mutex mu_;
  Status status_;
};

/// A malloc'd block handed to a Buffer (writable, freed with the last owner).
/// Errors: resource_exhausted when the allocation fails.
Result<Buffer> allocate(std::size_t size);

/// Names item i in an error message ("error decompressing item 7").
using Label = std::function<std::string(std::size_t)>;

/// compress_batch with a custom label for errors.
Result<BufferWithSegments> compress_spans(std::span<const ByteSpan> items, Codec codec, std::optional<int> level,
                                          const BatchOptions& opts, const Label& label,
                                          const ZstdCompressParams& zstd = {});

/// decompress_batch with a custom label for errors. Items with raw[i] != 0
/// (when `raw` is not empty) are copied as they are, not decoded.
Result<BufferWithSegments> decompress_spans(std::span<const ByteSpan> frames, Codec codec,
                                            std::span<const std::uint64_t> sizes, const BatchOptions& opts,
                                            const Label& label, std::span<const std::uint8_t> raw = {},
                                            const ZstdDecompressParams& zstd = {});

}  // namespace segpack::batch_internal
