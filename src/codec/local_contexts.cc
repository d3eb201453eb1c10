// segpack — the per-thread codec contexts behind the one-shot functions, the
// batch functions (one set per pool worker) and the MapBuffer readers. A
// context is made on a thread's first use of its codec and parameters and
// kept for the life of the thread.
#include <array>
#include <memory>
#include <new>
#include <vector>

#include "codec_internal.h"

namespace segpack::internal {
namespace {

struct LocalContexts {
  std::array<std::unique_ptr<Decompressor>, kAllCodecs.size()> dec;
  struct Entry {
    Codec codec;
    int level;
    ZstdCompressParams zstd;  // holds the dictionary, so its address cannot be reused while cached
    std::unique_ptr<Compressor> c;
  };
  std::vector<Entry> comp;  // few entries: most recently made last
};

LocalContexts& contexts() {
  thread_local LocalContexts t;
  return t;
}

constexpr std::size_t kMaxCachedCompressors = 8;

}  // namespace

Result<Decompressor*> local_decompressor(Codec codec, const ZstdDecompressParams& zstd) {
  if (static_cast<std::size_t>(codec) >= kAllCodecs.size()) return Decompressor::make(codec).status();
  auto& slot = contexts().dec[static_cast<std::size_t>(codec)];
  if (slot) {
    SEGPACK_RETURN_IF_ERROR(ContextAccess::configure(*slot, zstd));
    return slot.get();
  }
  SEGPACK_ASSIGN_OR_RETURN(Decompressor d, Decompressor::make(codec, zstd));
  try {
    slot = std::make_unique<Decompressor>(std::move(d));
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory keeping a decompression context");
  }
  return slot.get();
}

Result<Compressor*> local_compressor(Codec codec, int level, const ZstdCompressParams& zstd) {
  auto& cache = contexts().comp;
  for (auto& e : cache) {
    if (e.codec == codec && e.level == level && e.zstd == zstd) return e.c.get();
  }
  SEGPACK_ASSIGN_OR_RETURN(Compressor c, Compressor::make(codec, level, zstd));
  try {
    auto kept = std::make_unique<Compressor>(std::move(c));
    if (cache.size() >= kMaxCachedCompressors) cache.erase(cache.begin());
    cache.push_back({codec, level, zstd, std::move(kept)});
  } catch (const std::bad_alloc&) {
    return resource_exhausted("out of memory keeping a compression context");
  }
  return cache.back().c.get();
}

}  // namespace segpack::internal
