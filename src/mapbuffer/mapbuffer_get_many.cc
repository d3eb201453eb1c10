// segpack — get_many over a MapBuffer: many lookups, crc checks and decodes
// in one call, in parallel on the library's pool, into one allocation.
#include <algorithm>
#include <string>
#include <vector>

#include "segpack/get_many.h"
#include "segpack/internal/batch.h"
#include "segpack/internal/parallel.h"
#include "segpack/remote.h"
#include "segpack/source.h"

namespace segpack {

Result<BufferWithSegments> get_many(const MapBufferReader& map, std::span<const std::uint64_t> keys,
                                    const GetManyOptions& options, std::vector<std::uint8_t>* found) {
  const std::size_t n = keys.size();
  std::vector<ByteSpan> frames(n);
  std::vector<std::uint8_t> hit(n, 0);
  std::vector<Buffer> fetched;  // range sources: the stored items, kept alive until decoded
  const ByteSpan dflt = options.default_value ? ByteSpan(*options.default_value) : ByteSpan();
  auto label = [&](std::size_t i) { return "error reading key " + std::to_string(keys[i]); };
  auto missing = [&](std::size_t i) {
    return Status(ErrorCode::not_found, "key " + std::to_string(keys[i]) + " not found");
  };

  // Phase 1: positions and stored payloads (crc-checked when check_crc).
  // In memory this runs on the pool. Over a range source, the items' ranges
  // are fetched first with one batched read on the calling thread (its reads
  // may need the GIL); a missing key (without a default) fails before any read.
  const bool in_memory = map.in_memory();
  const Codec codec = map.header().codec;
  std::vector<std::uint8_t> prefetched(n, 0);
  // Range sources: every position first, all lookups together (a
  // partial-index reader fetches the index blocks they need in few batches).
  std::vector<std::optional<std::size_t>> where;
  if (!in_memory) {
    fetched.resize(n);
    auto w = map.lookup_many(keys);
    if (!w.ok()) return w.status().with_context("get_many: reading the index");
    where = std::move(*w);
  }
  auto lookup_one = [&](std::size_t i) -> Status {
    const std::optional<std::size_t> pos = in_memory ? map.find(keys[i]) : where[i];
    if (!pos) {
      if (!options.default_value) return missing(i);
      frames[i] = dflt;
      return Status::OK();
    }
    if (in_memory) {
      auto p = map.payload_span(*pos);
      if (!p.ok()) return p.status().with_context(label(i));
      frames[i] = *p;
    } else {
      // Fetched below in one batch; items it left out (a bad range, the last
      // item of a source of unknown size) are read here, and fail here.
      auto p = prefetched[i] ? map.payload_of_stored(*pos, std::move(fetched[i])) : map.payload(*pos);
      if (!p.ok()) return p.status().with_context(label(i));
      fetched[i] = std::move(*p);
      frames[i] = fetched[i].span();
    }
    hit[i] = 1;
    return Status::OK();
  };
  if (!in_memory) {
    std::vector<ByteRange> ranges;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < n; ++i) {
      const std::optional<std::size_t> pos = where[i];
      if (!pos) {
        if (!options.default_value) return missing(i);
        continue;
      }
      auto r = map.item_range(*pos);
      if (!r.ok() || !r->second) continue;
      ranges.push_back({r->first, *r->second - r->first});
      which.push_back(i);
    }
    CoalesceOptions co;
    co.gap = options.coalesce_gap.value_or(map.source()->coalesce_gap());
    auto got = read_ranges(*map.source(), ranges, co);
    if (!got.ok()) return got.status().with_context("get_many of " + std::to_string(ranges.size()) + " items");
    for (std::size_t j = 0; j < which.size(); ++j) {
      fetched[which[j]] = std::move((*got)[j]);
      prefetched[which[j]] = 1;
    }
  }
  internal::FirstError err;
  auto lookup = [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end && !err.skip(i); ++i) {
      if (Status st = lookup_one(i); !st.ok()) return err.record(i, std::move(st));
    }
  };
  if (in_memory) {
    // ~150 ns per lookup (search, a cache miss, a crc); counted as 256 bytes of work.
    internal::parallel_run(n, std::uint64_t{n} * 256, options.parallel, lookup);
  } else {
    lookup(0, 0, n);
  }
  SEGPACK_RETURN_IF_ERROR(err.take());
  if (found != nullptr) *found = hit;

  // Zero-copy: segments into the map's own buffer.
  if (options.zero_copy && in_memory && codec == Codec::none) {
    bool ok = true;
    std::vector<Segment> segs(n);
    for (std::size_t i = 0; i < n && ok; ++i) {
      if (hit[i]) {
        segs[i] = {static_cast<std::uint64_t>(frames[i].data() - map.buffer().data()), frames[i].size()};
      } else {
        ok = dflt.empty();  // an empty default fits anywhere; a non-empty one is not in the map
      }
    }
    if (ok) return BufferWithSegments::make(map.buffer(), std::move(segs));
  }

  // Missing keys' defaults are copied as they are; present items decoded.
  std::vector<std::uint8_t> raw(n);
  for (std::size_t i = 0; i < n; ++i) raw[i] = hit[i] ? 0 : 1;
  // The reader's own per-item decompression limit applies here as in get().
  BatchOptions batch{options.parallel, options.limits};
  if (codec != Codec::none) {  // stored values are copied, as get() does, whatever their size
    batch.limits.max_item_size =
        std::min<std::uint64_t>(batch.limits.max_item_size, map.options().decompress.max_output);
  }
  return internal::decompress_spans(frames, codec, {}, batch, label, raw);
}

}  // namespace segpack
