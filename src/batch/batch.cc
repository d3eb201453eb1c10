// segpack — batch compression / decompression on the persistent pool.
#include "segpack/batch.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "segpack/internal/batch.h"
#include "segpack/internal/codec_contexts.h"
#include "segpack/internal/limits.h"
#include "segpack/internal/parallel.h"

namespace segpack {

namespace internal {

namespace {

// A malloc'd block handed to a Buffer (writable, freed with the last owner).
Result<Buffer> allocate(std::size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) return resource_exhausted("cannot allocate " + std::to_string(size) + " bytes for a batch output");
  std::shared_ptr<const void> owner(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  return Buffer(static_cast<const std::uint8_t*>(p), size, std::move(owner), /*writable=*/true);
}

Status labelled(const Label& label, std::size_t i, const Status& st) { return st.with_context(label(i)); }

// One attempt of decompress_spans. With trust_declared, sizes the streams
// declare are used for the one-allocation layout; *declared_failed reports
// whether the lowest failing item was laid out by such a size (gzip's ISIZE
// is wrong for multi-member streams and only mod 2^32: the caller retries).
Result<BufferWithSegments> decompress_pass(std::span<const ByteSpan> frames, Codec codec,
                                           std::span<const std::uint64_t> sizes, const BatchOptions& opts,
                                           const Label& label, std::span<const std::uint8_t> raw,
                                           const ZstdDecompressParams& zstd, bool trust_declared,
                                           bool* declared_failed) {
  const std::size_t n = frames.size();
  std::uint64_t in_bytes = 0;
  for (const ByteSpan& f : frames) in_bytes += f.size();

  // Phase 1: the size of every item, where known and trustworthy (0 = unknown
  // is encoded as known[i] == 0). Cheap: header parsing only.
  std::vector<std::uint64_t> size(n, 0);
  std::vector<std::uint8_t> known(n, 0);  // 1: given or exact; 2: declared by the stream
  FirstError err;
  auto find_sizes = [&](std::size_t, std::size_t begin, std::size_t end) {
    auto dec = local_decompressor(codec, zstd);
    if (!dec.ok()) {
      err.record(begin, dec.status());
      return;
    }
    for (std::size_t i = begin; i < end; ++i) {
      if (!raw.empty() && raw[i]) {
        size[i] = frames[i].size();
        known[i] = 1;
      } else if (!sizes.empty() && sizes[i] != 0) {
        size[i] = sizes[i];
        known[i] = 1;
      } else if (codec == Codec::none) {
        size[i] = frames[i].size();
        known[i] = 1;
      } else if (!trust_declared) {
        continue;
      } else if (const auto d = (*dec)->declared_size(frames[i]); d && *d <= plausible_output(frames[i].size())) {
        size[i] = *d;
        known[i] = 2;
      }
    }
  };
  parallel_run(n, n * 64, opts.parallel, find_sizes);  // ~ header cost, not data size
  SEGPACK_RETURN_IF_ERROR(err.take());

  const std::uint64_t budget = opts.limits.max_output_size;
  std::uint64_t known_total = 0;
  std::vector<std::size_t> unknown;
  for (std::size_t i = 0; i < n; ++i) {
    if (!known[i]) {
      unknown.push_back(i);
      continue;
    }
    if (size[i] > opts.limits.max_item_size && !(!raw.empty() && raw[i])) {
      return labelled(label, i,
                      resource_exhausted("item of " + std::to_string(size[i]) + " bytes is over the limit of " +
                                         std::to_string(opts.limits.max_item_size) + " bytes per item"));
    }
    if (size[i] > budget - known_total) {
      return labelled(label, i,
                      resource_exhausted("the batch output would exceed max_output_size (" + std::to_string(budget) +
                                         " bytes): this item declares " + std::to_string(size[i]) + " bytes"));
    }
    known_total += size[i];
  }

  // Phase 2: items of unknown size into their own growing buffers, bounded by
  // what is left of the budget.
  std::vector<std::vector<std::uint8_t>> side(unknown.size());
  if (!unknown.empty()) {
    std::atomic<std::uint64_t> used{0};
    auto decode_unknown = [&](std::size_t, std::size_t begin, std::size_t end) {
      auto dec = local_decompressor(codec, zstd);
      for (std::size_t u = begin; u < end; ++u) {
        const std::size_t i = unknown[u];
        if (err.skip(i)) return;
        if (!dec.ok()) return err.record(i, labelled(label, i, dec.status()));
        const std::uint64_t left = budget - known_total - std::min(budget - known_total, used.load());
        DecompressOptions o;
        o.max_output = static_cast<std::size_t>(
            std::min<std::uint64_t>({left, opts.limits.max_item_size, std::numeric_limits<std::size_t>::max()}));
        Status st = (*dec)->decompress_append(frames[i], side[u], o);
        if (st.ok() && used.fetch_add(side[u].size()) + side[u].size() > budget - known_total) {
          st = resource_exhausted("the batch output exceeds max_output_size (" + std::to_string(budget) + " bytes)");
        }
        if (!st.ok()) {
          std::vector<std::uint8_t>().swap(side[u]);  // a failed item contributes nothing below
          err.record(i, labelled(label, i, st));
        }
      }
    };
    std::uint64_t unknown_in = 0;
    for (std::size_t i : unknown) unknown_in += frames[i].size();
    parallel_run(unknown.size(), unknown_in * 4, opts.parallel, decode_unknown);
    // On an error, go on: known items below the failing one must still be
    // tried, so the error reported is the lowest failing item's (the fill
    // below skips everything above it). Failed items have empty side buffers.
    for (std::size_t u = 0; u < unknown.size(); ++u) size[unknown[u]] = side[u].size();
  }

  // Phase 3: one allocation, every item decoded (or copied) into its slot.
  std::vector<Segment> segs(n);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    segs[i] = {total, size[i]};
    total += size[i];
  }
  if (total > std::numeric_limits<std::size_t>::max()) return resource_exhausted("batch output too large");
  SEGPACK_ASSIGN_OR_RETURN(Buffer out, allocate(static_cast<std::size_t>(total)));
  std::uint8_t* base = out.mutable_span().data();
  std::vector<std::size_t> side_of;  // item -> index into side, for unknown items
  if (!unknown.empty()) {
    side_of.assign(n, SIZE_MAX);
    for (std::size_t u = 0; u < unknown.size(); ++u) side_of[unknown[u]] = u;
  }
  auto fill = [&](std::size_t, std::size_t begin, std::size_t end) {
    auto dec = local_decompressor(codec, zstd);
    for (std::size_t i = begin; i < end && !err.skip(i); ++i) {
      MutableByteSpan slot(base + segs[i].offset, static_cast<std::size_t>(segs[i].length));
      if (!side_of.empty() && side_of[i] != SIZE_MAX) {
        std::vector<std::uint8_t>& v = side[side_of[i]];
        if (!v.empty()) std::memcpy(slot.data(), v.data(), v.size());
        std::vector<std::uint8_t>().swap(v);
        continue;
      }
      if (!raw.empty() && raw[i]) {
        if (!slot.empty()) std::memcpy(slot.data(), frames[i].data(), slot.size());
        continue;
      }
      if (!dec.ok()) return err.record(i, labelled(label, i, dec.status()));
      Status st = (*dec)->decompress_exact(frames[i], slot);
      if (!st.ok()) err.record(i, labelled(label, i, st));
    }
  };
  parallel_run(n, in_bytes + total, opts.parallel, fill);
  if (err.failed()) {
    *declared_failed = known[err.lowest()] == 2;
    return err.take();
  }
  return BufferWithSegments::adopt(std::move(out), std::move(segs));
}

}  // namespace

Result<BufferWithSegments> decompress_spans(std::span<const ByteSpan> frames, Codec codec,
                                            std::span<const std::uint64_t> sizes, const BatchOptions& opts,
                                            const Label& label, std::span<const std::uint8_t> raw,
                                            const ZstdDecompressParams& zstd) {
  const std::size_t n = frames.size();
  if (!raw.empty() && raw.size() != n) return internal_error("decompress_spans: raw flags of the wrong length");
  if (!sizes.empty() && sizes.size() != n) {
    return invalid_argument("decompressed_sizes size mismatch; expected " + std::to_string(n) + " entries, got " +
                            std::to_string(sizes.size()));
  }
  SEGPACK_RETURN_IF_ERROR(local_decompressor(codec, zstd).status());  // bad codec or parameters: fail before any work
  bool declared_failed = false;
  Result<BufferWithSegments> r = decompress_pass(frames, codec, sizes, opts, label, raw, zstd, true, &declared_failed);
  // zstd checks a frame's declared size itself, so a mismatch there is a real
  // error; gzip's ISIZE is only a hint: decode again without trusting it.
  if (!r.ok() && declared_failed && codec != Codec::zstd) {
    r = decompress_pass(frames, codec, sizes, opts, label, raw, zstd, false, &declared_failed);
  }
  return r;
}

Result<BufferWithSegments> compress_spans(std::span<const ByteSpan> items, Codec codec, std::optional<int> level,
                                          const ParallelOptions& opts, const Label& label,
                                          const ZstdCompressParams& zstd) {
  const int lvl = level.value_or(codec_default_level(codec));
  SEGPACK_ASSIGN_OR_RETURN(Compressor * probe, local_compressor(codec, lvl, zstd));
  const std::size_t n = items.size();

  // One block holding a worst-case slot per item; compacted afterwards.
  std::vector<std::size_t> slot(n + 1, 0);
  std::uint64_t in_bytes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t b = probe->bound(items[i].size());
    if (b == std::numeric_limits<std::size_t>::max() || slot[i] > std::numeric_limits<std::size_t>::max() - b) {
      return resource_exhausted(label(i) + ": the batch is too large", ErrorCategory::encode);
    }
    slot[i + 1] = slot[i] + b;
    in_bytes += items[i].size();
  }
  std::unique_ptr<std::uint8_t, void (*)(std::uint8_t*)> block(
      static_cast<std::uint8_t*>(std::malloc(slot[n] == 0 ? 1 : slot[n])), [](std::uint8_t* p) { std::free(p); });
  if (!block) {
    return resource_exhausted("cannot allocate " + std::to_string(slot[n]) + " bytes for a batch output",
                              ErrorCategory::encode);
  }
  std::uint8_t* base = block.get();
  std::vector<std::size_t> produced(n, 0);
  FirstError err;
  auto work = [&](std::size_t, std::size_t begin, std::size_t end) {
    auto c = local_compressor(codec, lvl, zstd);
    for (std::size_t i = begin; i < end && !err.skip(i); ++i) {
      if (!c.ok()) return err.record(i, c.status().with_context(label(i)));
      auto r = (*c)->compress_into(items[i], MutableByteSpan(base + slot[i], slot[i + 1] - slot[i]));
      if (!r.ok()) return err.record(i, r.status().with_context(label(i)));
      produced[i] = *r;
    }
  };
  parallel_run(n, in_bytes, opts, work);
  SEGPACK_RETURN_IF_ERROR(err.take());

  // Compact the slots in order (each moves left or stays), then give the
  // slack back: glibc's realloc shrinks in place (or remaps), without a copy.
  std::vector<Segment> segs(n);
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (w != slot[i] && produced[i] != 0) std::memmove(base + w, base + slot[i], produced[i]);
    segs[i] = {w, produced[i]};
    w += produced[i];
  }
  std::uint8_t* p = block.release();
  if (w < slot[n]) {
    if (void* q = std::realloc(p, w == 0 ? 1 : w)) p = static_cast<std::uint8_t*>(q);
  }
  std::shared_ptr<const void> owner(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  return BufferWithSegments::adopt(Buffer(p, w, std::move(owner), /*writable=*/true), std::move(segs));
}

}  // namespace internal

Result<BufferWithSegments> compress_batch(std::span<const ByteSpan> items, Codec codec, std::optional<int> level,
                                          const BatchOptions& opts, const ZstdCompressParams& zstd) {
  return internal::compress_spans(
      items, codec, level, opts.parallel, [](std::size_t i) { return "error compressing item " + std::to_string(i); },
      zstd);
}

Result<BufferWithSegments> decompress_batch(std::span<const ByteSpan> frames, Codec codec,
                                            std::span<const std::uint64_t> sizes, const BatchOptions& opts,
                                            const ZstdDecompressParams& zstd) {
  return internal::decompress_spans(
      frames, codec, sizes, opts, [](std::size_t i) { return "error decompressing item " + std::to_string(i); }, {},
      zstd);
}

}  // namespace segpack
