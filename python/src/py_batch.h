// The batch side of the Python API: the items of a batch call, and the
// `threads=` rule shared by the batch functions and the maps' get_many.
#pragma once

#include <nanobind/nanobind.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/codec.h"
#include "segpack/zstd.h"

namespace nb = nanobind;

namespace segpack::py {

/// The items of a batch call as spans, with whatever keeps them alive.
struct BatchInput {
  std::vector<ByteSpan> spans;
  std::vector<Buffer> holds;  // buffer exports of non-bytes items
  nb::object keep;            // the BufferWithSegments / collection / tuple snapshot
};
/// Accepts a BufferWithSegments, a BufferWithSegmentsCollection or a sequence
/// of bytes-like objects (python-zstandard's TypeErrors otherwise).
BatchInput batch_input(nb::handle obj);

/// BatchOptions::threads from a Python `threads=` argument (python-zstandard's
/// rule): < 0 every worker of the pool, 0 or 1 the calling thread, n at most n.
inline std::size_t threads_from(int threads) {
  if (threads < 0) return 0;
  if (threads == 0) return 1;
  return static_cast<std::size_t>(threads);
}

/// multi_compress_to_buffer: every item of `data` (batch_input) compressed on
/// the pool without the GIL, as a BufferWithSegmentsCollection. zstd errors
/// are raised as their ZstdError twins.
nb::object multi_compress(nb::handle data, Codec codec, std::optional<int> level, int threads,
                          const ZstdCompressParams& zstd = {});
/// multi_decompress_to_buffer: every frame decoded into one buffer.
nb::object multi_decompress(nb::handle frames, nb::handle decompressed_sizes, Codec codec, int threads,
                            std::optional<std::uint64_t> max_output_size, const ZstdDecompressParams& zstd = {});

}  // namespace segpack::py
