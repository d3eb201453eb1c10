// segpack — container reading over a RangeSource (a remote file): the header,
// payload and table in at most two source calls, then the buffers asked for
// in one batch, copied or decoded with their crcs checked in the same pass.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "container_internal.h"
#include "segpack/container.h"
#include "segpack/crc32c.h"
#include "segpack/internal/bytes.h"
#include "segpack/internal/parallel.h"
#include "segpack/remote.h"

namespace segpack {

namespace {

constexpr auto kFormat = ErrorCategory::format;
constexpr std::uint64_t kPage = 4096;

std::string num(std::uint64_t v) { return std::to_string(v); }

}  // namespace

namespace internal {

Result<std::vector<Buffer>> read_stored(RangeSource& source, std::mutex& mu, std::span<const ContainerBufferInfo> infos,
                                        std::span<const std::size_t> indices) {
  std::vector<ByteRange> ranges(indices.size());
  for (std::size_t j = 0; j < indices.size(); ++j) {
    const ContainerBufferInfo& b = infos[indices[j]];
    ranges[j] = {b.offset, b.stored_length};
  }
  std::lock_guard<std::mutex> lock(mu);
  CoalesceOptions co;
  co.gap = source.coalesce_gap();
  return read_ranges(source, ranges, co);
}

Status copy_checked(std::span<const ContainerBufferInfo> infos, std::span<const std::size_t> indices,
                    std::span<const std::size_t> positions, std::span<const Buffer> stored, std::vector<Buffer>& out,
                    const ParallelOptions& parallel) {
  // Layout: each buffer at a multiple of its alignment (up to a page) inside
  // one page-aligned block. The sizes were read from the source: bounded by it.
  std::vector<std::uint64_t> at(positions.size());
  std::uint64_t end = 0;
  for (std::size_t t = 0; t < positions.size(); ++t) {
    const std::uint64_t a = std::min(infos[indices[positions[t]]].alignment, kPage);
    end = (end + a - 1) / a * a;
    at[t] = end;
    end += stored[positions[t]].size();
  }
  const std::uint64_t alloc = std::max<std::uint64_t>((end + kPage - 1) / kPage * kPage, kPage);
  void* p = std::aligned_alloc(kPage, static_cast<std::size_t>(alloc));
  if (p == nullptr) return resource_exhausted("cannot allocate " + num(end) + " bytes for the buffers read");
  std::shared_ptr<const void> owner(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  auto* base = static_cast<std::uint8_t*>(p);
  FirstError err;
  auto copy = [&](std::size_t, std::size_t begin, std::size_t stop) {
    constexpr std::size_t kPiece = 256 * 1024;  // copied, then its crc taken while in cache
    for (std::size_t t = begin; t < stop; ++t) {
      if (err.skip(t)) continue;
      const std::size_t j = positions[t];
      const ByteSpan src = stored[j].span();
      std::uint8_t* dst = base + at[t];
      std::uint32_t crc = 0;
      for (std::size_t off = 0; off < src.size(); off += kPiece) {
        const std::size_t n = std::min(kPiece, src.size() - off);
        std::memcpy(dst + off, src.data() + off, n);
        crc = crc32c_extend(crc, dst + off, n);
      }
      const ContainerBufferInfo& b = infos[indices[j]];
      if (crc != b.crc32c) {
        err.record(t, crc_mismatch(indices[j], b.crc32c, crc));
        continue;
      }
      out[j] = Buffer(dst, src.size(), owner, /*writable=*/true);
    }
  };
  parallel_run(positions.size(), end, parallel, copy);
  return err.take();
}

}  // namespace internal

Result<ContainerReader> ContainerReader::open_source(std::shared_ptr<RangeSource> source, ContainerReadOptions opts) {
  if (!source) return invalid_argument("null range source");
  const std::optional<std::uint64_t> known = source->size();
  if (known && *known < kContainerHeaderSize) {
    return out_of_range("container of " + num(*known) + " bytes is shorter than its 64-byte header", kFormat);
  }
  const std::uint64_t first = std::max<std::uint64_t>(opts.first_read, kContainerHeaderSize);
  SEGPACK_ASSIGN_OR_RETURN(Buffer head, source->read(0, known ? std::min(first, *known) : kContainerHeaderSize));
  if (head.size() < kContainerHeaderSize) {
    return out_of_range("truncated container: " + num(head.size()) + " bytes, no complete header", kFormat);
  }
  // Without a size from the source, the header's own length bounds every read
  // (the source reports what it does not have); its crc is checked first.
  const std::uint64_t size = known ? *known : internal::load_le<std::uint64_t>(head.data() + 16);
  SEGPACK_ASSIGN_OR_RETURN(ContainerHeader h, parse_container_header(head.span().first(kContainerHeaderSize), size));
  // Payload and table: from the first read, or the rest in one read_many.
  const ByteRange want[2] = {{h.payload_offset, h.payload_length}, {h.table_offset, h.table_length}};
  Buffer part[2];
  std::vector<ByteRange> missing;
  std::vector<int> which;
  for (int k = 0; k < 2; ++k) {
    if (range_ok(want[k].offset, want[k].length, head.size())) {
      part[k] =
          head.slice_unchecked(static_cast<std::size_t>(want[k].offset), static_cast<std::size_t>(want[k].length));
    } else {
      missing.push_back(want[k]);
      which.push_back(k);
    }
  }
  if (!missing.empty()) {
    SEGPACK_ASSIGN_OR_RETURN(std::vector<Buffer> got, source->read_many(missing));
    for (std::size_t m = 0; m < missing.size(); ++m) {
      if (m >= got.size() || got[m].size() != missing[m].length) {
        return out_of_range("truncated container: the source returned " + num(m < got.size() ? got[m].size() : 0) +
                                " bytes for [" + num(missing[m].offset) + ", +" + num(missing[m].length) + ")",
                            kFormat);
      }
      part[which[m]] = std::move(got[m]);
    }
  }
  SEGPACK_ASSIGN_OR_RETURN(ContainerReader r, assemble(h, std::move(part[0]), std::move(part[1]), opts));
  r.source_ = std::move(source);
  r.source_mu_ = std::make_shared<std::mutex>();
  return r;
}

}  // namespace segpack
