// segpack — MapBufferReader: opening (header and bounds checked once),
// lookups, item bounds and crc checks, validation.
#include <cstring>
#include <string>

#include "segpack/crc32c.h"
#include "segpack/internal/bytes.h"
#include "segpack/internal/eytzinger.h"
#include "segpack/internal/lazy_index.h"
#include "segpack/internal/text.h"
#include "segpack/mapbuffer.h"
#include "segpack/source.h"

namespace segpack {

using internal::escape_bytes;
using internal::hex32;
using internal::load_le;

namespace {

std::string item_name(std::size_t i, std::uint64_t key) {
  return "item " + std::to_string(i) + " (key " + std::to_string(key) + ")";
}

}  // namespace

Result<MapBufferHeader> parse_mapbuffer_header(ByteSpan bytes) {
  if (bytes.size() < kMapBufferHeaderSize) {
    return out_of_range("MapBuffer of " + std::to_string(bytes.size()) + " bytes is shorter than its " +
                            std::to_string(kMapBufferHeaderSize) + "-byte header",
                        ErrorCategory::format);
  }
  if (std::memcmp(bytes.data(), kMapBufferMagic.data(), kMapBufferMagic.size()) != 0) {
    return corrupt("not a MapBuffer: magic is b'" + escape_bytes(bytes.first(7)) + "', expected b'mapbufr'",
                   ErrorCategory::format);
  }
  MapBufferHeader h;
  h.version = bytes[7];
  if (h.version != 0 && h.version != 1) {
    return unsupported("MapBuffer format version " + std::to_string(h.version) + " is not supported (0 or 1)",
                       ErrorCategory::format);
  }
  auto codec = codec_from_tag(bytes.subspan(8, 4));
  if (!codec.ok()) return codec.status().with_context("MapBuffer header");
  h.codec = *codec;
  h.count = load_le<std::uint32_t>(bytes.data() + 12);
  return h;
}

Result<MapBufferReader> MapBufferReader::open_parts(Buffer header, Buffer index, Buffer whole,
                                                    std::shared_ptr<RangeSource> source,
                                                    std::optional<std::uint64_t> total, MapBufferReadOptions opts,
                                                    std::shared_ptr<internal::LazyIndex> lazy) {
  SEGPACK_ASSIGN_OR_RETURN(MapBufferHeader h, parse_mapbuffer_header(header.span()));
  MapBufferReader r;
  r.header_ = h;
  r.opts_ = opts;
  r.n_ = h.count;
  r.header_bytes_ = std::move(header);
  r.index_ = std::move(index);
  r.whole_ = std::move(whole);
  r.source_ = std::move(source);
  r.total_ = total;
  r.lazy_ = std::move(lazy);
  const std::uint64_t data_start = kMapBufferHeaderSize + 16 * std::uint64_t{r.n_};
  if (r.n_ == 0) {
    if (total && *total != kMapBufferHeaderSize) {
      return corrupt(
          "empty MapBuffer has " + std::to_string(*total - kMapBufferHeaderSize) + " trailing bytes after its header",
          ErrorCategory::format);
    }
    return r;
  }
  if (r.offset_at(0) != data_start) {
    return corrupt("first offset is " + std::to_string(r.offset_at(0)) + ", expected " + std::to_string(data_start) +
                       " (16 + 16 * " + std::to_string(r.n_) + ")",
                   ErrorCategory::format);
  }
  if (r.lazy_) return r;  // the last offset is checked when its item is read
  std::uint64_t last = r.offset_at(r.n_ - 1);
  if (total && last > *total) {
    return out_of_range("last item starts at " + std::to_string(last) + ", past the end of a " +
                            std::to_string(*total) + "-byte buffer (truncated?)",
                        ErrorCategory::format);
  }
  return r;
}

Result<MapBufferReader> MapBufferReader::open(Buffer buf, MapBufferReadOptions opts) {
  SEGPACK_ASSIGN_OR_RETURN(MapBufferHeader h, parse_mapbuffer_header(buf.span()));
  const std::uint64_t index_bytes = 16 * std::uint64_t{h.count};
  if (!range_ok(kMapBufferHeaderSize, index_bytes, buf.size())) {
    return out_of_range("index of " + std::to_string(h.count) + " entries needs " +
                            std::to_string(kMapBufferHeaderSize + index_bytes) + " bytes but the buffer has " +
                            std::to_string(buf.size()) + " (truncated, or a corrupt count)",
                        ErrorCategory::format);
  }
  Buffer header = buf.slice_unchecked(0, kMapBufferHeaderSize);
  Buffer index = buf.slice_unchecked(kMapBufferHeaderSize, index_bytes);
  std::uint64_t total = buf.size();
  return open_parts(std::move(header), std::move(index), std::move(buf), nullptr, total, opts);
}

Result<MapBufferReader> MapBufferReader::open_file(const std::string& path, MapBufferReadOptions opts) {
  SEGPACK_ASSIGN_OR_RETURN(Buffer b, map_file(path));
  auto r = open(std::move(b), opts);
  if (!r.ok()) return r.status().with_context(path);
  return r;
}

Result<MapBufferReader> MapBufferReader::open_source(std::shared_ptr<RangeSource> source, MapBufferReadOptions opts) {
  if (!source) return invalid_argument("null range source");
  std::optional<std::uint64_t> total = source->size();
  if (total && *total < kMapBufferHeaderSize) {
    return out_of_range("MapBuffer of " + std::to_string(*total) + " bytes is shorter than its 16-byte header",
                        ErrorCategory::format);
  }
  SEGPACK_ASSIGN_OR_RETURN(Buffer header, source->read(0, kMapBufferHeaderSize));
  SEGPACK_ASSIGN_OR_RETURN(MapBufferHeader h, parse_mapbuffer_header(header.span()));
  const std::uint64_t index_bytes = 16 * std::uint64_t{h.count};
  if (total) {
    if (!range_ok(kMapBufferHeaderSize, index_bytes, *total)) {
      return out_of_range("index of " + std::to_string(h.count) + " entries needs " +
                              std::to_string(kMapBufferHeaderSize + index_bytes) + " bytes but the source has " +
                              std::to_string(*total),
                          ErrorCategory::format);
    }
  } else if (index_bytes > opts.max_index_bytes) {
    return resource_exhausted("index of " + std::to_string(h.count) + " entries (" + std::to_string(index_bytes) +
                              " bytes) exceeds max_index_bytes " + std::to_string(opts.max_index_bytes));
  }
  Buffer index;
  if (index_bytes > opts.partial_index_threshold && index_bytes > opts.partial_index_prefix) {
    // Partial-index mode: the largest complete top of the tree that fits the prefix.
    std::uint64_t top = 1;
    while (2 * top + 1 <= opts.partial_index_prefix / 16 && 2 * top + 1 <= h.count) top = 2 * top + 1;
    SEGPACK_ASSIGN_OR_RETURN(Buffer prefix, source->read(kMapBufferHeaderSize, 16 * top));
    if (prefix.size() != 16 * top) {
      return out_of_range("source returned a short index (truncated)", ErrorCategory::format);
    }
    auto lazy = std::make_shared<internal::LazyIndex>(source, kMapBufferHeaderSize, h.count, std::move(prefix),
                                                      opts.partial_index_block, opts.partial_index_cache);
    return open_parts(std::move(header), Buffer(), Buffer(), std::move(source), total, opts, std::move(lazy));
  }
  if (index_bytes > 0) {
    SEGPACK_ASSIGN_OR_RETURN(index, source->read(kMapBufferHeaderSize, index_bytes));
    if (index.size() != index_bytes) {
      return out_of_range("source returned a short index (truncated)", ErrorCategory::format);
    }
  } else if (!total) {
    // An empty map must end right after its header.
    SEGPACK_ASSIGN_OR_RETURN(Buffer rest, source->read_to_end(kMapBufferHeaderSize));
    if (!rest.empty()) {
      return corrupt("empty MapBuffer has " + std::to_string(rest.size()) + " trailing bytes after its header",
                     ErrorCategory::format);
    }
  }
  return open_parts(std::move(header), std::move(index), Buffer(), std::move(source), total, opts);
}

MapBufferReader MapBufferReader::with_check_crc(bool on) const {
  MapBufferReader r = *this;
  r.opts_.check_crc = on;
  return r;
}

const std::uint8_t* MapBufferReader::full_index_() const noexcept {
  if (!lazy_) return index_.data();
  return lazy_->loaded() ? lazy_->whole().data() : nullptr;
}

const Buffer& MapBufferReader::index_bytes() const noexcept { return lazy_ ? lazy_->whole() : index_; }

bool MapBufferReader::partial_index() const noexcept { return lazy_ && !lazy_->loaded(); }

Status MapBufferReader::load_index() const { return lazy_ ? lazy_->load_all() : Status::OK(); }

std::pair<std::uint64_t, std::uint64_t> MapBufferReader::index_block_reads() const noexcept {
  if (!lazy_) return {0, 0};
  return {lazy_->block_batches(), lazy_->blocks_fetched()};
}

Result<std::pair<std::uint64_t, std::uint64_t>> MapBufferReader::entry(std::size_t i) const {
  if (i >= n_) return out_of_range("index position " + std::to_string(i) + " >= " + std::to_string(n_));
  if (const std::uint8_t* base = full_index_(); !partial_index()) {
    return std::make_pair(load_le<std::uint64_t>(base + 16 * i), load_le<std::uint64_t>(base + 16 * i + 8));
  }
  SEGPACK_ASSIGN_OR_RETURN(internal::IndexEntry e, lazy_->entry(i));
  return std::make_pair(e.key, e.offset);
}

std::uint64_t MapBufferReader::key_at(std::size_t i) const noexcept {
  if (const std::uint8_t* base = full_index_(); !partial_index()) return load_le<std::uint64_t>(base + 16 * i);
  const Result<internal::IndexEntry> e = lazy_->entry(i);
  return e.ok() ? e->key : 0;
}

std::uint64_t MapBufferReader::offset_at(std::size_t i) const noexcept {
  if (const std::uint8_t* base = full_index_(); !partial_index()) return load_le<std::uint64_t>(base + 16 * i + 8);
  const Result<internal::IndexEntry> e = lazy_->entry(i);
  return e.ok() ? e->offset : 0;
}

std::size_t MapBufferReader::eytzinger_find_(std::uint64_t key) const noexcept {
  if (const std::uint8_t* base = full_index_(); !partial_index())
    return internal::eytzinger_find_strided(base, n_, 16, key);
  const Result<std::vector<std::size_t>> p = lazy_->find_many(std::span<const std::uint64_t>(&key, 1));
  return p.ok() ? (*p)[0] : n_;
}

Result<std::optional<std::size_t>> MapBufferReader::lookup(std::uint64_t key) const {
  if (!partial_index()) return find(key);
  SEGPACK_ASSIGN_OR_RETURN(auto all, lookup_many(std::span<const std::uint64_t>(&key, 1)));
  return all[0];
}

Result<std::vector<std::optional<std::size_t>>> MapBufferReader::lookup_many(
    std::span<const std::uint64_t> keys) const {
  std::vector<std::optional<std::size_t>> out(keys.size());
  if (!partial_index()) {
    for (std::size_t j = 0; j < keys.size(); ++j) out[j] = find(keys[j]);
    return out;
  }
  SEGPACK_ASSIGN_OR_RETURN(std::vector<std::size_t> p, lazy_->find_many(keys));
  for (std::size_t j = 0; j < keys.size(); ++j) {
    if (p[j] < n_) out[j] = p[j];
  }
  return out;
}

std::optional<std::uint64_t> MapBufferReader::datasize() const noexcept {
  if (!total_) return std::nullopt;
  return *total_ - kMapBufferHeaderSize - 16 * std::uint64_t{n_};
}

Result<std::pair<std::uint64_t, std::optional<std::uint64_t>>> MapBufferReader::item_range(std::size_t i) const {
  if (i >= n_) return out_of_range("index position " + std::to_string(i) + " >= " + std::to_string(n_));
  const std::uint64_t data_start = kMapBufferHeaderSize + 16 * std::uint64_t{n_};
  SEGPACK_ASSIGN_OR_RETURN(auto here, entry(i));
  const std::uint64_t begin = here.second;
  std::optional<std::uint64_t> end = total_;
  if (i + 1 < n_) {
    SEGPACK_ASSIGN_OR_RETURN(auto next, entry(i + 1));
    end = next.second;
  }
  if (begin < data_start) {
    return corrupt(item_name(i, here.first) + " starts at " + std::to_string(begin) +
                       ", inside the header or index (data starts at " + std::to_string(data_start) + ")",
                   ErrorCategory::format);
  }
  if (total_ && begin > *total_) {
    return out_of_range(item_name(i, here.first) + " starts at " + std::to_string(begin) + ", past the end (" +
                            std::to_string(*total_) + " bytes)",
                        ErrorCategory::format);
  }
  if (end) {
    if (*end < begin) {
      return corrupt(item_name(i, here.first) + ": offsets decrease (" + std::to_string(begin) + " then " +
                         std::to_string(*end) + ")",
                     ErrorCategory::format);
    }
    if (total_ && *end > *total_) {
      return out_of_range(item_name(i, here.first) + " ends at " + std::to_string(*end) + ", past the end (" +
                              std::to_string(*total_) + " bytes)",
                          ErrorCategory::format);
    }
    if (header_.version == 1 && *end - begin < 4) {
      return corrupt(
          item_name(i, here.first) + " is " + std::to_string(*end - begin) + " bytes, shorter than its 4-byte crc32c",
          ErrorCategory::format);
    }
  }
  return std::make_pair(begin, end);
}

namespace {

// Splits a v1 stored item into payload + crc and checks the crc when asked.
Result<ByteSpan> strip_crc(ByteSpan stored, int version, bool check, std::size_t i, std::uint64_t key) {
  if (version == 0) return stored;
  if (stored.size() < 4) {
    return corrupt(
        item_name(i, key) + " is " + std::to_string(stored.size()) + " bytes, shorter than its 4-byte crc32c",
        ErrorCategory::format);
  }
  ByteSpan payload = stored.first(stored.size() - 4);
  if (check) {
    std::uint32_t want = load_le<std::uint32_t>(stored.data() + payload.size());
    std::uint32_t got = crc32c(payload);
    if (want != got) {
      return data_loss(
          item_name(i, key) + " failed its crc32c check: stored " + hex32(want) + ", computed " + hex32(got),
          ErrorCategory::format);
    }
  }
  return payload;
}

}  // namespace

Result<ByteSpan> MapBufferReader::payload_span(std::size_t i) const {
  if (!in_memory()) return invalid_argument("payload_span needs an in-memory MapBuffer");
  // Hot path of every lookup: the same checks as item_range(), inline.
  const std::uint64_t data_start = kMapBufferHeaderSize + 16 * std::uint64_t{n_};
  const std::uint64_t total = whole_.size();
  if (i < n_) {
    const std::uint64_t begin = offset_at(i);
    const std::uint64_t end = (i + 1 < n_) ? offset_at(i + 1) : total;
    const std::uint64_t crc_bytes = header_.version == 1 ? 4 : 0;
    if (begin >= data_start && begin <= end && end <= total && end - begin >= crc_bytes) {
      const std::uint8_t* p = whole_.data() + begin;
      const std::size_t len = static_cast<std::size_t>(end - begin - crc_bytes);
      if (crc_bytes && opts_.check_crc) {
        const std::uint32_t want = load_le<std::uint32_t>(p + len);
        const std::uint32_t got = crc32c(p, len);
        if (want != got) {
          return data_loss(
              item_name(i, key_at(i)) + " failed its crc32c check: stored " + hex32(want) + ", computed " + hex32(got),
              ErrorCategory::format);
        }
      }
      return ByteSpan(p, len);
    }
  }
  // Something is off: let item_range() name it.
  auto range = item_range(i);
  if (!range.ok()) return range.status();
  return internal_error("payload_span: inconsistent bounds check");
}

Result<Buffer> MapBufferReader::payload(std::size_t i) const {
  SEGPACK_ASSIGN_OR_RETURN(auto range, item_range(i));
  Buffer stored;
  if (in_memory()) {
    stored = whole_.slice_unchecked(range.first, *range.second - range.first);
  } else if (range.second) {
    SEGPACK_ASSIGN_OR_RETURN(stored, source_->read(range.first, *range.second - range.first));
    if (stored.size() != *range.second - range.first) {
      return out_of_range("source returned a short item", ErrorCategory::format);
    }
  } else {
    SEGPACK_ASSIGN_OR_RETURN(stored, source_->read_to_end(range.first));
  }
  return payload_of_stored(i, std::move(stored));
}

Result<Buffer> MapBufferReader::payload_of_stored(std::size_t i, Buffer stored) const {
  SEGPACK_ASSIGN_OR_RETURN(ByteSpan p, strip_crc(stored.span(), header_.version, opts_.check_crc, i, key_at(i)));
  return stored.slice_unchecked(0, p.size());
}

Status MapBufferReader::value_append(std::size_t i, std::vector<std::uint8_t>& out, Decompressor* dec) const {
  Buffer owned;
  ByteSpan p;
  if (in_memory()) {
    SEGPACK_ASSIGN_OR_RETURN(p, payload_span(i));
  } else {
    SEGPACK_ASSIGN_OR_RETURN(owned, payload(i));
    p = owned.span();
  }
  if (header_.codec == Codec::none) {
    out.insert(out.end(), p.begin(), p.end());
    return Status::OK();
  }
  std::optional<Decompressor> local;
  if (dec == nullptr || dec->codec() != header_.codec) {
    SEGPACK_ASSIGN_OR_RETURN(auto d, Decompressor::make(header_.codec));
    local.emplace(std::move(d));
    dec = &*local;
  }
  Status st = dec->decompress_append(p, out, opts_.decompress);
  if (!st.ok()) return st.with_context(item_name(i, key_at(i)));
  return st;
}

Result<std::vector<std::uint8_t>> MapBufferReader::get(std::uint64_t key) const {
  auto pos = find(key);
  if (!pos) return not_found("key " + std::to_string(key) + " not found");
  std::vector<std::uint8_t> out;
  SEGPACK_RETURN_IF_ERROR(value_append(*pos, out));
  return out;
}

Status MapBufferReader::validate_structure() const {
  // The header, the index bounds and the first/last offsets were checked by open().
  SEGPACK_RETURN_IF_ERROR(load_index());
  for (std::size_t i = 0; i < n_; ++i) {
    auto r = item_range(i);
    if (!r.ok()) return r.status();
  }
  std::size_t bad = 0;
  const std::uint8_t* base = full_index_();
  auto key_at_position = [base](std::size_t p) { return load_le<std::uint64_t>(base + 16 * p); };
  if (!internal::eytzinger_is_ordered(n_, key_at_position, &bad)) {
    return corrupt("keys are not in Eytzinger order (or repeat): position " + std::to_string(bad) + " (key " +
                       std::to_string(key_at(bad)) + ")",
                   ErrorCategory::format);
  }
  if (header_.version == 1) {
    const MapBufferReader checked = with_check_crc(true);  // crcs are always verified here
    for (std::size_t i = 0; i < n_; ++i) {
      if (in_memory()) {
        auto p = checked.payload_span(i);
        if (!p.ok()) return p.status();
      } else {
        auto p = checked.payload(i);
        if (!p.ok()) return p.status();
      }
    }
  }
  return Status::OK();
}

Status MapBufferReader::validate() const {
  SEGPACK_RETURN_IF_ERROR(validate_structure());
  if (header_.codec == Codec::none) return Status::OK();
  SEGPACK_ASSIGN_OR_RETURN(auto dec, Decompressor::make(header_.codec));
  std::vector<std::uint8_t> scratch;
  for (std::size_t i = 0; i < n_; ++i) {
    scratch.clear();
    SEGPACK_RETURN_IF_ERROR(value_append(i, scratch, &dec));
  }
  return Status::OK();
}

}  // namespace segpack
