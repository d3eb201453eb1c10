// segpack — MapBuffer writing: the in-memory builders, same-length
// overwrites in place, and the streaming file writer.
#include <algorithm>
#include <cstring>
#include <string>

#include "segpack/crc32c.h"
#include "segpack/internal/atomic_file.h"
#include "segpack/internal/batch.h"
#include "segpack/internal/bytes.h"
#include "segpack/internal/eytzinger.h"
#include "segpack/internal/limits.h"
#include "segpack/internal/parallel.h"
#include "segpack/internal/sort.h"
#include "segpack/mapbuffer.h"
#include "segpack/segments.h"

namespace segpack {

using internal::store_le;

namespace {

Status check_write_options(const MapBufferWriteOptions& opts) {
  if (opts.version != 0 && opts.version != 1) {
    return invalid_argument("MapBuffer format version must be 0 or 1, got " + std::to_string(opts.version));
  }
  return Status::OK();
}

void write_header(std::uint8_t* out, const MapBufferWriteOptions& opts, std::uint32_t n) {
  std::memcpy(out, kMapBufferMagic.data(), kMapBufferMagic.size());
  out[7] = static_cast<std::uint8_t>(opts.version);
  auto tag = codec_tag(opts.codec);
  std::memcpy(out + 8, tag.data(), 4);
  store_le<std::uint32_t>(out + 12, n);
}

// rank_at[p]: which sorted item is stored at file (Eytzinger) position p.
std::vector<std::uint32_t> ranks_in_file_order(std::size_t n) {
  std::vector<std::uint32_t> rank_at(n);
  internal::eytzinger_walk_in_order(n, [&](std::size_t i, std::size_t p) {
    rank_at[p] = static_cast<std::uint32_t>(i);
    return true;
  });
  return rank_at;
}

}  // namespace

Status build_mapbuffer_in_place(std::span<MapBufferItem> items, const MapBufferWriteOptions& opts,
                                const std::function<MutableByteSpan(std::size_t)>& alloc) {
  SEGPACK_RETURN_IF_ERROR(check_write_options(opts));
  const std::size_t n = items.size();
  SEGPACK_RETURN_IF_ERROR(internal::check_item_count(n, "a MapBuffer", "items"));
  const std::size_t crc_bytes = opts.version == 1 ? 4 : 0;
  const std::size_t data_start = kMapBufferHeaderSize + 16 * n;

  // Compressed maps: every item compressed on the pool first (each item is
  // compressed on its own, so input order gives the same bytes); the items
  // then point at their compressed form.
  BufferWithSegments packed;
  if (opts.codec != Codec::none) {
    std::vector<ByteSpan> values(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = items[i].value;
    auto r = internal::compress_spans(values, opts.codec, opts.level, ParallelOptions{},
                                      [&](std::size_t i) { return "key " + std::to_string(items[i].key); });
    if (!r.ok()) return r.status();
    packed = std::move(r).value();
    for (std::size_t i = 0; i < n; ++i) items[i].value = packed[i];
  } else if (opts.level && *opts.level != 0) {
    return invalid_argument("codec none takes no level");
  }

  SEGPACK_RETURN_IF_ERROR(internal::sort_unique_keys(items, [](const MapBufferItem& x) { return x.key; }));
  const std::vector<std::uint32_t> rank_at = ranks_in_file_order(n);
  // Index and values in file order, on the pool, in fixed chunks of
  // positions: each chunk's byte count first (their sum sizes the output),
  // then each chunk writes its keys, offsets and values from its own start
  // offset. Values are read from random places of the input, so they are
  // prefetched a few positions ahead.
  const std::size_t chunks = std::min<std::size_t>(n, 256);
  auto chunk_begin = [&](std::size_t c) { return c * n / chunks; };
  std::vector<std::uint64_t> chunk_offset(chunks + 1, 0);
  auto count = [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t c = begin; c < end; ++c) {
      std::uint64_t bytes = 0;
      const std::size_t last = chunk_begin(c + 1);
      for (std::size_t p = chunk_begin(c); p < last; ++p) {
        if (p + 16 < last) __builtin_prefetch(&items[rank_at[p + 16]]);
        bytes += items[rank_at[p]].value.size() + crc_bytes;
      }
      chunk_offset[c + 1] = bytes;
    }
  };
  // A per-item cost (a cache miss) for the inline rule.
  internal::parallel_run(chunks, std::uint64_t{n} * 64, ParallelOptions{}, count);
  chunk_offset[0] = data_start;
  for (std::size_t c = 0; c < chunks; ++c) chunk_offset[c + 1] += chunk_offset[c];
  const std::uint64_t total = chunk_offset[chunks];
  MutableByteSpan out = alloc(static_cast<std::size_t>(total));
  if (out.size() != total) return resource_exhausted("could not allocate " + std::to_string(total) + " bytes");
  std::uint8_t* o = out.data();
  write_header(o, opts, static_cast<std::uint32_t>(n));
  std::uint8_t* index = o + kMapBufferHeaderSize;
  auto write = [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t c = begin; c < end; ++c) {
      std::uint64_t offset = chunk_offset[c];
      const std::size_t last = chunk_begin(c + 1);
      for (std::size_t p = chunk_begin(c); p < last; ++p) {
        // Two prefetch distances: the item record (items are in key order,
        // positions are not), then the value it points at.
        if (p + 16 < last) __builtin_prefetch(&items[rank_at[p + 16]]);
        if (p + 8 < last) {
          const ByteSpan ahead = items[rank_at[p + 8]].value;
          __builtin_prefetch(ahead.data());
          if (ahead.size() > 1) __builtin_prefetch(ahead.data() + ahead.size() - 1);
        }
        const MapBufferItem& it = items[rank_at[p]];
        store_le<std::uint64_t>(index + 16 * p, it.key);
        store_le<std::uint64_t>(index + 16 * p + 8, offset);
        std::uint8_t* at = o + offset;
        if (!it.value.empty()) std::memcpy(at, it.value.data(), it.value.size());
        if (crc_bytes) store_le<std::uint32_t>(at + it.value.size(), crc32c(at, it.value.size()));
        offset += it.value.size() + crc_bytes;
      }
    }
  };
  internal::parallel_run(chunks, total + std::uint64_t{n} * 64, ParallelOptions{}, write);  // data bytes too
  return Status::OK();
}

Status build_mapbuffer_into(std::span<const MapBufferItem> items, const MapBufferWriteOptions& opts,
                            const std::function<MutableByteSpan(std::size_t)>& alloc) {
  std::vector<MapBufferItem> copy(items.begin(), items.end());
  return build_mapbuffer_in_place(copy, opts, alloc);
}

Result<std::vector<std::uint8_t>> build_mapbuffer(std::span<const MapBufferItem> items,
                                                  const MapBufferWriteOptions& opts) {
  std::vector<std::uint8_t> out;
  SEGPACK_RETURN_IF_ERROR(build_mapbuffer_into(items, opts, [&](std::size_t n) {
    out.resize(n);
    return MutableByteSpan(out);
  }));
  return out;
}

Status overwrite_mapbuffer_item(const MapBufferReader& map, std::size_t i, ByteSpan value, std::optional<int> level) {
  const Buffer& whole = map.buffer();
  if (!map.in_memory() || !whole.writable()) {
    return invalid_argument("cannot overwrite: the MapBuffer's buffer is read-only");
  }
  SEGPACK_ASSIGN_OR_RETURN(auto range, map.item_range(i));
  const MapBufferHeader& header = map.header();
  const std::uint64_t stored_len = *range.second - range.first;
  std::vector<std::uint8_t> stored;
  if (header.codec == Codec::none) {
    stored.assign(value.begin(), value.end());
  } else {
    SEGPACK_ASSIGN_OR_RETURN(auto c, Compressor::make(header.codec, level));
    SEGPACK_RETURN_IF_ERROR(c.compress_append(value, stored));
  }
  const std::size_t new_len = stored.size() + (header.version == 1 ? 4 : 0);
  if (new_len != stored_len) {
    return invalid_argument("can only overwrite data of exactly the same length: item " + std::to_string(i) + " (key " +
                            std::to_string(map.key_at(i)) + ") stores " + std::to_string(stored_len) +
                            " bytes, the new value needs " + std::to_string(new_len));
  }
  if (header.version == 1) {
    std::uint32_t c = crc32c(stored.data(), stored.size());
    stored.resize(stored.size() + 4);
    store_le<std::uint32_t>(stored.data() + stored.size() - 4, c);
  }
  std::memcpy(whole.mutable_span().data() + range.first, stored.data(), stored.size());
  return Status::OK();
}

// ---------------------------------------------------------------- streaming writer

struct MapBufferFileWriter::Impl {
  struct Entry {
    std::uint64_t key;
    std::uint64_t offset;  // in the scratch file
    std::uint64_t length;  // stored bytes (payload + crc)
  };
  std::string path;
  MapBufferWriteOptions opts;
  std::optional<Compressor> comp;
  internal::AtomicFile scratch;
  std::vector<Entry> entries;
  std::vector<std::uint8_t> tmp;
  bool done = false;

  explicit Impl(internal::AtomicFile s) : scratch(std::move(s)) {}
};

MapBufferFileWriter::MapBufferFileWriter(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
MapBufferFileWriter::MapBufferFileWriter(MapBufferFileWriter&&) noexcept = default;
MapBufferFileWriter& MapBufferFileWriter::operator=(MapBufferFileWriter&&) noexcept = default;
MapBufferFileWriter::~MapBufferFileWriter() = default;

Result<MapBufferFileWriter> MapBufferFileWriter::create(const std::string& path, const MapBufferWriteOptions& opts) {
  SEGPACK_RETURN_IF_ERROR(check_write_options(opts));
  std::optional<Compressor> comp;
  if (opts.codec != Codec::none) {
    SEGPACK_ASSIGN_OR_RETURN(auto c, Compressor::make(opts.codec, opts.level));
    comp.emplace(std::move(c));
  } else if (opts.level && *opts.level != 0) {
    return invalid_argument("codec none takes no level");
  }
  SEGPACK_ASSIGN_OR_RETURN(auto scratch, internal::AtomicFile::scratch(path));
  auto impl = std::make_unique<Impl>(std::move(scratch));
  impl->path = path;
  impl->opts = opts;
  impl->comp = std::move(comp);
  return MapBufferFileWriter(std::move(impl));
}

std::size_t MapBufferFileWriter::size() const noexcept { return impl_ ? impl_->entries.size() : 0; }

Status MapBufferFileWriter::add(std::uint64_t key, ByteSpan value) {
  if (!impl_ || impl_->done) return invalid_argument("add() after commit()");
  Impl& m = *impl_;
  SEGPACK_RETURN_IF_ERROR(internal::check_item_count(std::uint64_t{m.entries.size()} + 1, "a MapBuffer", "items"));
  ByteSpan payload = value;
  if (m.comp) {
    m.tmp.clear();
    Status st = m.comp->compress_append(value, m.tmp);
    if (!st.ok()) return st.with_context("key " + std::to_string(key));
    payload = ByteSpan(m.tmp);
  }
  const std::uint64_t offset = m.scratch.size();
  SEGPACK_RETURN_IF_ERROR(m.scratch.write(payload));
  std::uint64_t length = payload.size();
  if (m.opts.version == 1) {
    std::uint8_t c[4];
    store_le<std::uint32_t>(c, crc32c(payload));
    SEGPACK_RETURN_IF_ERROR(m.scratch.write(ByteSpan(c, 4)));
    length += 4;
  }
  m.entries.push_back({key, offset, length});
  return Status::OK();
}

Status MapBufferFileWriter::commit() {
  if (!impl_ || impl_->done) return invalid_argument("commit() called twice");
  Impl& m = *impl_;
  m.done = true;
  const std::size_t n = m.entries.size();
  SEGPACK_RETURN_IF_ERROR(internal::check_item_count(n, "a MapBuffer", "items"));
  SEGPACK_RETURN_IF_ERROR(
      internal::sort_unique_keys(std::span<Impl::Entry>(m.entries), [](const Impl::Entry& e) { return e.key; }));
  const std::vector<std::uint32_t> order = ranks_in_file_order(n);
  SEGPACK_ASSIGN_OR_RETURN(auto out, internal::AtomicFile::create(m.path));
  std::vector<std::uint8_t> head(kMapBufferHeaderSize + 16 * n);
  write_header(head.data(), m.opts, static_cast<std::uint32_t>(n));
  std::uint64_t offset = head.size();
  for (std::size_t p = 0; p < n; ++p) {
    const auto& e = m.entries[order[p]];
    store_le<std::uint64_t>(head.data() + kMapBufferHeaderSize + 16 * p, e.key);
    store_le<std::uint64_t>(head.data() + kMapBufferHeaderSize + 16 * p + 8, offset);
    offset += e.length;
  }
  SEGPACK_RETURN_IF_ERROR(out.write(head));
  head = {};
  // Values are copied in file order from a mapping of the scratch file: one
  // pread per item would cost a system call each.
  SEGPACK_ASSIGN_OR_RETURN(Buffer scratch, m.scratch.map_contents());
  for (std::size_t p = 0; p < n; ++p) {
    const auto& e = m.entries[order[p]];
    if (!range_ok(e.offset, e.length, scratch.size())) return internal_error("scratch file shorter than written");
    SEGPACK_RETURN_IF_ERROR(out.write(ByteSpan(scratch.data() + e.offset, static_cast<std::size_t>(e.length))));
  }
  m.entries = {};
  return out.commit();
}

}  // namespace segpack
