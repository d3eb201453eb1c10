#include "segpack/intmap.h"

#include <algorithm>
#include <cstring>

#include "segpack/internal/parallel.h"
#include "segpack/eytzinger.h"
#include "segpack/internal/atomic_file.h"
#include "segpack/internal/bytes.h"
#include "segpack/internal/limits.h"
#include "segpack/internal/sort.h"

namespace segpack {

using internal::load_le;
using internal::store_le;

namespace {
constexpr char kMagic[4] = {'i', 'n', 't', 'm'};
constexpr std::uint8_t kWidthU64 = 3;

Status check_header(ByteSpan b, std::uint32_t* count) {
  if (b.size() < kIntMapHeaderSize) {
    return out_of_range("IntMap of " + std::to_string(b.size()) + " bytes is shorter than its 10-byte header");
  }
  if (std::memcmp(b.data(), kMagic, 4) != 0) return corrupt("not an IntMap: magic is not b'intm'");
  if (b[4] != 0) return unsupported("IntMap format version " + std::to_string(b[4]) + " is not supported (0)");
  if (b[5] != kWidthU64) {
    return unsupported("IntMap value width code " + std::to_string(b[5]) + " is not supported (3 = u64)");
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
                        " bytes but the buffer has " + std::to_string(buf.size()) + " (truncated?)");
  }
  if (buf.size() > want) {
    return corrupt("IntMap of " + std::to_string(n) + " pairs has " + std::to_string(buf.size() - want) +
                   " trailing bytes");
  }
  IntMapReader r;
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
  if (!source) return invalid_argument("null range source");
  std::optional<std::uint64_t> total = source->size();
  if (total && *total < kIntMapHeaderSize) {
    return out_of_range("IntMap of " + std::to_string(*total) + " bytes is shorter than its 10-byte header");
  }
  SEGPACK_ASSIGN_OR_RETURN(Buffer head, source->read(0, kIntMapHeaderSize));
  std::uint32_t n = 0;
  SEGPACK_RETURN_IF_ERROR(check_header(head.span(), &n));
  const std::uint64_t want = kIntMapHeaderSize + 16 * std::uint64_t{n};
  if (total && *total < want) {
    return out_of_range("IntMap of " + std::to_string(n) + " pairs needs " + std::to_string(want) +
                        " bytes but the source has " + std::to_string(*total) + " (truncated?)");
  }
  if (total && *total > want) {
    return corrupt("IntMap of " + std::to_string(n) + " pairs has " + std::to_string(*total - want) +
                   " trailing bytes");
  }
  if (!total && want > max_bytes) {
    return resource_exhausted("IntMap of " + std::to_string(n) + " pairs exceeds max_bytes " +
                              std::to_string(max_bytes));
  }
  // One read for everything: the pairs are the whole file.
  SEGPACK_ASSIGN_OR_RETURN(Buffer all, total ? source->read(0, want) : source->read_to_end(0));
  return open(std::move(all));
}

std::uint64_t IntMapReader::key_at(std::size_t i) const noexcept {
  return load_le<std::uint64_t>(buf_.data() + kIntMapHeaderSize + 16 * i);
}
std::uint64_t IntMapReader::value_at(std::size_t i) const noexcept {
  return load_le<std::uint64_t>(buf_.data() + kIntMapHeaderSize + 16 * i + 8);
}

std::optional<std::size_t> IntMapReader::find(std::uint64_t key) const noexcept {
  const std::uint8_t* base = buf_.data() + kIntMapHeaderSize;
  std::size_t p = eytzinger_find_strided(base, n_, 16, key);
  return p < n_ ? std::optional<std::size_t>(p) : std::nullopt;
}

Result<std::uint64_t> IntMapReader::get(std::uint64_t key) const {
  auto p = find(key);
  if (!p) return not_found("key " + std::to_string(key) + " not found");
  return value_at(*p);
}

Status IntMapReader::validate() const {
  std::size_t bad = 0;
  const std::uint8_t* base = buf_.data() + kIntMapHeaderSize;
  if (!eytzinger_is_ordered(n_, [base](std::size_t i) { return load_le<std::uint64_t>(base + 16 * i); }, &bad)) {
    return corrupt("keys are not in Eytzinger order (or repeat): position " + std::to_string(bad) + " (key " +
                   std::to_string(key_at(bad)) + ")");
  }
  return Status::OK();
}

Status IntMapReader::set_value_at(std::size_t i, std::uint64_t value) {
  if (!buf_.writable()) return invalid_argument("cannot assign: the IntMap's buffer is read-only");
  if (i >= n_) return out_of_range("position " + std::to_string(i) + " >= " + std::to_string(n_));
  store_le<std::uint64_t>(buf_.mutable_span().data() + kIntMapHeaderSize + 16 * i + 8, value);
  return Status::OK();
}

Status build_intmap_into(std::span<const std::pair<std::uint64_t, std::uint64_t>> pairs,
                         const std::function<MutableByteSpan(std::size_t)>& alloc) {
  const std::size_t n = pairs.size();
  SEGPACK_RETURN_IF_ERROR(internal::check_item_count(n, "an IntMap", "pairs"));
  std::vector<std::pair<std::uint64_t, std::uint64_t>> sorted(pairs.begin(), pairs.end());
  SEGPACK_RETURN_IF_ERROR(internal::sort_unique_keys(std::span(sorted), [](const auto& kv) { return kv.first; }));
  const std::size_t total = kIntMapHeaderSize + 16 * n;
  MutableByteSpan out = alloc(total);
  if (out.size() != total) return resource_exhausted("could not allocate " + std::to_string(total) + " bytes");
  std::uint8_t* o = out.data();
  std::memcpy(o, kMagic, 4);
  o[4] = 0;
  o[5] = kWidthU64;
  store_le<std::uint32_t>(o + 6, static_cast<std::uint32_t>(n));
  eytzinger_walk_in_order(n, [&](std::size_t i, std::size_t p) {
    store_le<std::uint64_t>(o + kIntMapHeaderSize + 16 * p, sorted[i].first);
    store_le<std::uint64_t>(o + kIntMapHeaderSize + 16 * p + 8, sorted[i].second);
    return true;
  });
  return Status::OK();
}

Result<std::vector<std::uint8_t>> build_intmap(std::span<const std::pair<std::uint64_t, std::uint64_t>> pairs) {
  std::vector<std::uint8_t> out;
  SEGPACK_RETURN_IF_ERROR(build_intmap_into(pairs, [&](std::size_t n) {
    out.resize(n);
    return MutableByteSpan(out);
  }));
  return out;
}

Result<IntMapFileWriter> IntMapFileWriter::create(const std::string& path) {
  if (path.empty()) return invalid_argument("empty path");
  IntMapFileWriter w;
  w.path_ = path;
  return w;
}

Status IntMapFileWriter::add(std::uint64_t key, std::uint64_t value) {
  if (done_) return invalid_argument("add() after commit()");
  SEGPACK_RETURN_IF_ERROR(internal::check_item_count(std::uint64_t{pairs_.size()} + 1, "an IntMap", "pairs"));
  pairs_.emplace_back(key, value);
  return Status::OK();
}

Status IntMapFileWriter::commit() {
  if (done_) return invalid_argument("commit() called twice");
  done_ = true;
  SEGPACK_ASSIGN_OR_RETURN(auto bytes, build_intmap(pairs_));
  pairs_ = {};
  return write_file_atomic(path_, bytes);
}

}  // namespace segpack

// ---------------------------------------------------------------- batch lookups


namespace segpack {

Status IntMapReader::get_many(std::span<const std::uint64_t> keys, std::span<std::uint64_t> out,
                              std::optional<std::uint64_t> default_value, const ParallelOptions& parallel,
                              std::vector<std::uint8_t>* found) const {
  if (out.size() != keys.size()) {
    return invalid_argument("get_many: " + std::to_string(keys.size()) + " keys but room for " +
                            std::to_string(out.size()) + " values");
  }
  if (found != nullptr) found->assign(keys.size(), 0);
  internal::FirstError err;
  auto work = [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end && !err.skip(i); ++i) {
      const std::optional<std::size_t> pos = find(keys[i]);
      if (pos) {
        out[i] = value_at(*pos);
        if (found != nullptr) (*found)[i] = 1;
      } else if (default_value) {
        out[i] = *default_value;
      } else {
        return err.record(i, Status(ErrorCode::not_found, "key " + std::to_string(keys[i]) + " not found"));
      }
    }
  };
  // ~100 ns per lookup, counted as 128 bytes of work for the inline rule.
  internal::parallel_run(keys.size(), std::uint64_t{keys.size()} * 128, parallel, work);
  return err.take();
}

}  // namespace segpack
