// segpack internal — per-thread codec contexts, shared by the one-shot codec
// functions, the batch codecs (one set per pool worker) and the map readers.
// Implemented in src/codec/local_contexts.cc. May change.
#pragma once

#include "segpack/codec.h"
#include "segpack/result.h"
#include "segpack/zstd.h"

namespace segpack::internal {

/// This thread's decompression context for `codec`, made on first use and
/// kept for the life of the thread (one per codec; the zstd one is
/// reconfigured when `zstd` differs from what it last used, which is cheap:
/// dictionaries are digested once, in the ZstdDictionary).
Result<Decompressor*> local_decompressor(Codec codec, const ZstdDecompressParams& zstd = {});
/// This thread's compression context for (codec, level, zstd parameters); a
/// few are kept per thread, the oldest dropped first.
Result<Compressor*> local_compressor(Codec codec, int level, const ZstdCompressParams& zstd = {});

}  // namespace segpack::internal
