#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "../batch/batch_internal.h"
#include "segpack/batch.h"
#include "segpack/crc32c.h"
#include "segpack/eytzinger.h"
#include "segpack/internal/atomic_file.h"
#include "segpack/internal/bytes.h"
#include "segpack/mapbuffer.h"

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

// Sorted ranks of the keys; fails on duplicates. `key_of(i)` gives item i's key.
template <class KeyOf>
Result<std::vector<std::uint32_t>> sorted_order(std::size_t n, KeyOf&& key_of) {
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    return invalid_argument("a MapBuffer holds at most 2^32-1 items, got " + std::to_string(n));
  }
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(n);
  for (std::size_t i = 0; i < n; ++i) keyed[i] = {key_of(i), static_cast<std::uint32_t>(i)};
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && keyed[i].first == keyed[i - 1].first) {
      return invalid_argument("duplicate key " + std::to_string(keyed[i].first));
    }
    order[i] = keyed[i].second;
  }
  return order;
}

// Item indices in Eytzinger (file) order.
template <class KeyOf>
Result<std::vector<std::uint32_t>> file_order(std::size_t n, KeyOf&& key_of) {
  SEGPACK_ASSIGN_OR_RETURN(auto sorted, sorted_order(n, key_of));
  std::vector<std::uint64_t> perm(n);
  eytzinger_permutation(perm);
  std::vector<std::uint32_t> out(n);
  for (std::size_t p = 0; p < n; ++p) out[p] = sorted[perm[p]];
  return out;
}

}  // namespace

namespace {

// One item on its way to the file: key and stored payload (before the crc).
struct Rec {
  std::uint64_t key;
  const std::uint8_t* ptr;
  std::uint64_t size;
};

// Sorts by key on the pool: two halves in parallel, then one merge.
void sort_records(std::vector<Rec>& recs) {
  auto by_key = [](const Rec& a, const Rec& b) { return a.key < b.key; };
  const std::size_t n = recs.size();
  if (n < (std::size_t{1} << 16)) {
    std::sort(recs.begin(), recs.end(), by_key);
    return;
  }
  const std::size_t mid = n / 2;
  auto halves = [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t h = begin; h < end; ++h) {
      if (h == 0) std::sort(recs.begin(), recs.begin() + static_cast<std::ptrdiff_t>(mid), by_key);
      else std::sort(recs.begin() + static_cast<std::ptrdiff_t>(mid), recs.end(), by_key);
    }
  };
  default_pool()->parallel_for(2, 1, 2, halves);
  std::inplace_merge(recs.begin(), recs.begin() + static_cast<std::ptrdiff_t>(mid), recs.end(), by_key);
}

}  // namespace

Status build_mapbuffer_into(std::span<const MapBufferItem> items, const MapBufferWriteOptions& opts,
                            const std::function<MutableByteSpan(std::size_t)>& alloc) {
  SEGPACK_RETURN_IF_ERROR(check_write_options(opts));
  const std::size_t n = items.size();
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    return invalid_argument("a MapBuffer holds at most 2^32-1 items, got " + std::to_string(n));
  }
  const std::size_t crc_bytes = opts.version == 1 ? 4 : 0;
  const std::size_t data_start = kMapBufferHeaderSize + 16 * n;

  // Compressed maps: every item compressed on the pool first (each item is
  // compressed on its own, so input order gives the same bytes).
  const bool compressed = opts.codec != Codec::none;
  BufferWithSegments packed;
  if (compressed) {
    std::vector<ByteSpan> values(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = items[i].value;
    auto r = batch_internal::compress_spans(values, opts.codec, opts.level, BatchOptions{},
                                            [&](std::size_t i) { return "key " + std::to_string(items[i].key); });
    if (!r.ok()) return r.status();
    packed = std::move(r).value();
  } else if (opts.level && *opts.level != 0) {
    return invalid_argument("codec none takes no level");
  }

  // Records carry key, pointer and size, read sequentially from the input,
  // so nothing below goes back to `items` in random order.
  std::vector<Rec> recs(n);
  for (std::size_t i = 0; i < n; ++i) {
    const ByteSpan v = compressed ? packed[i] : items[i].value;
    recs[i] = {items[i].key, v.data(), v.size()};
  }
  sort_records(recs);
  for (std::size_t i = 1; i < n; ++i) {
    if (recs[i].key == recs[i - 1].key) return invalid_argument("duplicate key " + std::to_string(recs[i].key));
  }

  // File (Eytzinger) order, then offsets by a sequential prefix sum.
  std::vector<Rec> file(n);
  {
    std::vector<std::uint64_t> perm(n);
    eytzinger_permutation(perm);
    for (std::size_t p = 0; p < n; ++p) file[p] = recs[perm[p]];
  }
  std::vector<Rec>().swap(recs);
  std::vector<std::uint64_t> offsets(n);
  std::uint64_t offset = data_start;
  for (std::size_t p = 0; p < n; ++p) {
    offsets[p] = offset;
    offset += file[p].size + crc_bytes;
  }
  const std::size_t total = static_cast<std::size_t>(offset);
  MutableByteSpan out = alloc(total);
  if (out.size() != total) return resource_exhausted("could not allocate " + std::to_string(total) + " bytes");
  std::uint8_t* o = out.data();
  write_header(o, opts, static_cast<std::uint32_t>(n));
  auto write = [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t p = begin; p < end; ++p) {
      const Rec& r = file[p];
      std::uint8_t* at = o + offsets[p];
      store_le<std::uint64_t>(o + kMapBufferHeaderSize + 16 * p, r.key);
      store_le<std::uint64_t>(o + kMapBufferHeaderSize + 16 * p + 8, offsets[p]);
      if (r.size != 0) std::memcpy(at, r.ptr, static_cast<std::size_t>(r.size));
      if (crc_bytes) store_le<std::uint32_t>(at + r.size, crc32c(at, static_cast<std::size_t>(r.size)));
    }
  };
  // Data bytes plus a per-item cost (a cache miss) for the inline rule.
  batch_internal::run(n, total + std::uint64_t{n} * 64, BatchOptions{}, write);
  return Status::OK();
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
  if (m.entries.size() >= std::numeric_limits<std::uint32_t>::max()) {
    return invalid_argument("a MapBuffer holds at most 2^32-1 items");
  }
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
  SEGPACK_ASSIGN_OR_RETURN(auto order, file_order(n, [&](std::size_t i) { return m.entries[i].key; }));
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
  std::vector<std::uint8_t> chunk;
  constexpr std::uint64_t kChunk = 4 << 20;
  for (std::size_t p = 0; p < n; ++p) {
    const auto& e = m.entries[order[p]];
    for (std::uint64_t done = 0; done < e.length;) {
      std::uint64_t take = std::min(kChunk, e.length - done);
      chunk.resize(take);
      SEGPACK_RETURN_IF_ERROR(m.scratch.read_at(e.offset + done, chunk));
      SEGPACK_RETURN_IF_ERROR(out.write(chunk));
      done += take;
    }
  }
  m.entries = {};
  return out.commit();
}

}  // namespace segpack
