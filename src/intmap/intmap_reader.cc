// segpack — IntMapReader: opening (header and exact size checked) and lookups.
#include <algorithm>
#include <cstring>
#include <span>

#include "segpack/internal/bytes.h"
#include "segpack/internal/eytzinger.h"
#include "segpack/internal/lazy_index.h"
#include "segpack/intmap.h"
#include "segpack/source.h"

namespace segpack {

using internal::load_le;

namespace {

Status check_header(ByteSpan b, std::uint32_t* count) {
  if (b.size() < kIntMapHeaderSize) {
    return out_of_range("IntMap of " + std::to_string(b.size()) + " bytes is shorter than its 10-byte header",
                        ErrorCategory::format);
  }
  if (std::memcmp(b.data(), kIntMapMagic.data(), kIntMapMagic.size()) != 0) {
    return corrupt("not an IntMap: magic is not b'intm'", ErrorCategory::format);
  }
  if (b[4] != 0)
    return unsupported("IntMap format version " + std::to_string(b[4]) + " is not supported (0)",
                       ErrorCategory::format);
  if (b[5] != kIntMapWidthU64) {
    return unsupported("IntMap value width code " + std::to_string(b[5]) + " is not supported (3 = u64)",
                       ErrorCategory::format);
  }
  *count = load_le<std::uint32_t>(b.data() + 6);
  return Status::OK();
}

}  // namespace

Result<IntMapReader> IntMapReader::open(Buffer buf) {
  std::uint32_t n = 0;
  SEGPACK_RETURN_IF_ERROR(check_header(buf.span(), &n));
  const std::uint64_t want = kIntMapHeaderSize + 16 * std::uint64_t{n};
  if (buf.size() < want) {
    return out_of_range("IntMap of " + std::to_string(n) + " pairs needs " + std::to_string(want) +
                            " bytes but the buffer has " + std::to_string(buf.size()) + " (truncated?)",
                        ErrorCategory::format);
  }
  if (buf.size() > want) {
    return corrupt(
        "IntMap of " + std::to_string(n) + " pairs has " + std::to_string(buf.size() - want) + " trailing bytes",
        ErrorCategory::format);
  }
  IntMapReader r;
  r.header_ = buf.slice_unchecked(0, kIntMapHeaderSize);
  r.buf_ = std::move(buf);
  r.n_ = n;
  return r;
}

Result<IntMapReader> IntMapReader::open_file(const std::string& path) {
  SEGPACK_ASSIGN_OR_RETURN(Buffer b, map_file(path));
  auto r = open(std::move(b));
  if (!r.ok()) return r.status().with_context(path);
  return r;
}

Result<IntMapReader> IntMapReader::open_source(std::shared_ptr<RangeSource> source, std::uint64_t max_bytes) {
  IntMapReadOptions opts;
  opts.max_bytes = max_bytes;
  opts.partial_index_threshold = UINT64_MAX;
  return open_source(std::move(source), opts);
}

Result<IntMapReader> IntMapReader::open_source(std::shared_ptr<RangeSource> source, const IntMapReadOptions& opts) {
  if (!source) return invalid_argument("null range source");
  std::optional<std::uint64_t> total = source->size();
  if (total && *total < kIntMapHeaderSize) {
    return out_of_range("IntMap of " + std::to_string(*total) + " bytes is shorter than its 10-byte header",
                        ErrorCategory::format);
  }
  // The first read: the header, and the top of the tree when the size is
  // known (a partial-index reader needs no more to open).
  const std::uint64_t first =
      total ? std::min<std::uint64_t>(*total, kIntMapHeaderSize + opts.partial_index_prefix) : kIntMapHeaderSize;
  SEGPACK_ASSIGN_OR_RETURN(Buffer head, source->read(0, first));
  std::uint32_t n = 0;
  SEGPACK_RETURN_IF_ERROR(check_header(head.span(), &n));
  const std::uint64_t pair_bytes = 16 * std::uint64_t{n};
  const std::uint64_t want = kIntMapHeaderSize + pair_bytes;
  if (total && *total < want) {
    return out_of_range("IntMap of " + std::to_string(n) + " pairs needs " + std::to_string(want) +
                            " bytes but the source has " + std::to_string(*total) + " (truncated?)",
                        ErrorCategory::format);
  }
  if (total && *total > want) {
    return corrupt("IntMap of " + std::to_string(n) + " pairs has " + std::to_string(*total - want) + " trailing bytes",
                   ErrorCategory::format);
  }
  if (!total && want > opts.max_bytes) {
    return resource_exhausted("IntMap of " + std::to_string(n) + " pairs exceeds max_bytes " +
                              std::to_string(opts.max_bytes));
  }
  if (total && pair_bytes > opts.partial_index_threshold && pair_bytes > opts.partial_index_prefix) {
    // Partial-index mode: the largest complete top of the tree in the first read.
    std::uint64_t top = 1;
    while (2 * top + 1 <= opts.partial_index_prefix / 16 && 2 * top + 1 <= n) top = 2 * top + 1;
    if (head.size() < kIntMapHeaderSize + 16 * top) {
      return out_of_range("source returned a short first read (truncated)", ErrorCategory::format);
    }
    IntMapReader r;
    r.header_ = head.slice_unchecked(0, kIntMapHeaderSize);
    r.n_ = n;
    r.lazy_ = std::make_shared<internal::LazyIndex>(source, kIntMapHeaderSize, n,
                                                    head.slice_unchecked(kIntMapHeaderSize, 16 * top),
                                                    opts.partial_index_block, opts.partial_index_cache);
    return r;
  }
  if (head.size() == want) return open(std::move(head));
  // One more read for everything: the pairs are the whole file.
  SEGPACK_ASSIGN_OR_RETURN(Buffer all, total ? source->read(0, want) : source->read_to_end(0));
  return open(std::move(all));
}

const std::uint8_t* IntMapReader::pairs_() const noexcept {
  if (!lazy_) return buf_.data() + kIntMapHeaderSize;
  return lazy_->loaded() ? lazy_->whole().data() : nullptr;
}

Buffer IntMapReader::pair_bytes() const noexcept {
  if (lazy_) return lazy_->whole();
  return buf_.empty() ? Buffer() : buf_.slice_unchecked(kIntMapHeaderSize, 16 * n_);
}

bool IntMapReader::partial_index() const noexcept { return lazy_ && !lazy_->loaded(); }

Status IntMapReader::load_index() const { return lazy_ ? lazy_->load_all() : Status::OK(); }

std::pair<std::uint64_t, std::uint64_t> IntMapReader::index_block_reads() const noexcept {
  if (!lazy_) return {0, 0};
  return {lazy_->block_batches(), lazy_->blocks_fetched()};
}

Result<std::pair<std::uint64_t, std::uint64_t>> IntMapReader::entry(std::size_t i) const {
  if (i >= n_) return out_of_range("index position " + std::to_string(i) + " >= " + std::to_string(n_));
  if (const std::uint8_t* base = pairs_(); base != nullptr) {
    return std::make_pair(load_le<std::uint64_t>(base + 16 * i), load_le<std::uint64_t>(base + 16 * i + 8));
  }
  SEGPACK_ASSIGN_OR_RETURN(internal::IndexEntry e, lazy_->entry(i));
  return std::make_pair(e.key, e.offset);
}

std::uint64_t IntMapReader::key_at(std::size_t i) const noexcept {
  if (const std::uint8_t* base = pairs_(); base != nullptr) return load_le<std::uint64_t>(base + 16 * i);
  const Result<internal::IndexEntry> e = lazy_->entry(i);
  return e.ok() ? e->key : 0;
}
std::uint64_t IntMapReader::value_at(std::size_t i) const noexcept {
  if (const std::uint8_t* base = pairs_(); base != nullptr) return load_le<std::uint64_t>(base + 16 * i + 8);
  const Result<internal::IndexEntry> e = lazy_->entry(i);
  return e.ok() ? e->offset : 0;
}

std::optional<std::size_t> IntMapReader::find(std::uint64_t key) const noexcept {
  std::size_t p = n_;
  if (const std::uint8_t* base = pairs_(); base != nullptr) {
    p = internal::eytzinger_find_strided(base, n_, 16, key);
  } else if (const Result<std::vector<std::size_t>> all = lazy_->find_many(std::span(&key, 1), false); all.ok()) {
    p = (*all)[0];
  }
  return p < n_ ? std::optional<std::size_t>(p) : std::nullopt;
}

Result<std::optional<std::size_t>> IntMapReader::lookup(std::uint64_t key) const {
  SEGPACK_ASSIGN_OR_RETURN(auto all, lookup_many(std::span(&key, 1)));
  return all[0];
}

Result<std::vector<std::optional<std::size_t>>> IntMapReader::lookup_many(std::span<const std::uint64_t> keys) const {
  std::vector<std::optional<std::size_t>> out(keys.size());
  if (!partial_index()) {
    for (std::size_t j = 0; j < keys.size(); ++j) out[j] = find(keys[j]);
    return out;
  }
  SEGPACK_ASSIGN_OR_RETURN(std::vector<std::size_t> p, lazy_->find_many(keys, false));
  for (std::size_t j = 0; j < keys.size(); ++j) {
    if (p[j] < n_) out[j] = p[j];
  }
  return out;
}

Result<std::uint64_t> IntMapReader::get(std::uint64_t key) const {
  SEGPACK_ASSIGN_OR_RETURN(std::optional<std::size_t> p, lookup(key));
  if (!p) return not_found("key " + std::to_string(key) + " not found");
  SEGPACK_ASSIGN_OR_RETURN(auto kv, entry(*p));
  return kv.second;
}

Status IntMapReader::validate() const {
  SEGPACK_RETURN_IF_ERROR(load_index());
  std::size_t bad = 0;
  const std::uint8_t* base = pairs_();
  auto key_at_position = [base](std::size_t i) { return load_le<std::uint64_t>(base + 16 * i); };
  if (!internal::eytzinger_is_ordered(n_, key_at_position, &bad)) {
    return corrupt("keys are not in Eytzinger order (or repeat): position " + std::to_string(bad) + " (key " +
                       std::to_string(key_at(bad)) + ")",
                   ErrorCategory::format);
  }
  return Status::OK();
}

}  // namespace segpack
