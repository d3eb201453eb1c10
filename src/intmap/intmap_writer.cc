// segpack — IntMap writing: the builders, the streaming file writer, and
// in-place value updates.
#include <cstring>

#include "segpack/internal/bytes.h"
#include "segpack/internal/eytzinger.h"
#include "segpack/internal/limits.h"
#include "segpack/internal/sort.h"
#include "segpack/intmap.h"

namespace segpack {

using internal::store_le;

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
  std::memcpy(o, kIntMapMagic.data(), kIntMapMagic.size());
  o[4] = 0;
  o[5] = kIntMapWidthU64;
  store_le<std::uint32_t>(o + 6, static_cast<std::uint32_t>(n));
  internal::eytzinger_walk_in_order(n, [&](std::size_t i, std::size_t p) {
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

Status set_intmap_value(const IntMapReader& map, std::size_t i, std::uint64_t value) {
  const Buffer& buf = map.buffer();
  if (!buf.writable()) return invalid_argument("cannot assign: the IntMap's buffer is read-only");
  if (i >= map.size()) return out_of_range("position " + std::to_string(i) + " >= " + std::to_string(map.size()));
  store_le<std::uint64_t>(buf.mutable_span().data() + kIntMapHeaderSize + 16 * i + 8, value);
  return Status::OK();
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
