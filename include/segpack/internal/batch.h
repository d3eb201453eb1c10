// segpack internal — the batch codecs with a caller-chosen label for errors,
// shared by the batch functions, get_many and the MapBuffer builder. May change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "segpack/batch.h"
#include "segpack/codec.h"
#include "segpack/result.h"
#include "segpack/segments.h"
#include "segpack/thread_pool.h"
#include "segpack/zstd.h"

namespace segpack::internal {

/// Names item i in an error message ("error decompressing item 7").
using Label = std::function<std::string(std::size_t)>;

/// compress_batch with a custom label for errors.
Result<BufferWithSegments> compress_spans(std::span<const ByteSpan> items, Codec codec, std::optional<int> level,
                                          const ParallelOptions& opts, const Label& label,
                                          const ZstdCompressParams& zstd = {});

/// decompress_batch with a custom label for errors. Items with raw[i] != 0
/// (when `raw` is not empty) are copied as they are, not decoded.
Result<BufferWithSegments> decompress_spans(std::span<const ByteSpan> frames, Codec codec,
                                            std::span<const std::uint64_t> sizes, const BatchOptions& opts,
                                            const Label& label, std::span<const std::uint8_t> raw = {},
                                            const ZstdDecompressParams& zstd = {});

}  // namespace segpack::internal
