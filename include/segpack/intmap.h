// segpack — IntMap: a serialized map of u64 keys to u64 values.
//
// Byte-compatible with mapbuffer's IntMap (docs/FORMAT.md):
//   HEADER(10) = "intm" | version u8 (0) | value width code u8 (3 = u64) | N u32le
//   PAIRS(16N) = N x (key u64le, value u64le), keys in Eytzinger order.
// The whole structure is the index, so open() checks the size exactly (10 +
// 16N): truncation and trailing bytes are caught in O(1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/result.h"
#include "segpack/source.h"
#include "segpack/thread_pool.h"

namespace segpack {

inline constexpr std::size_t kIntMapHeaderSize = 10;

/// Reader over an IntMap in memory, in a memory-mapped file or behind a range source.
class IntMapReader {
 public:
  /// Errors: out_of_range (shorter than the header or than 10+16N), corrupt
  /// (bad magic, trailing bytes), unsupported (version != 0, width != 3).
  static Result<IntMapReader> open(Buffer buf);
  static Result<IntMapReader> open_file(const std::string& path);
  /// Reads the header, then the 10+16N bytes once (bounded by the source size
  /// when known, else by `max_bytes`).
  static Result<IntMapReader> open_source(std::shared_ptr<RangeSource> source,
                                          std::uint64_t max_bytes = std::uint64_t{1} << 32);

  IntMapReader() = default;

  std::size_t size() const noexcept { return n_; }
  int version() const noexcept { return 0; }
  ByteSpan header_bytes() const noexcept { return buf_.span().first(kIntMapHeaderSize); }
  const Buffer& buffer() const noexcept { return buf_; }

  std::uint64_t key_at(std::size_t i) const noexcept;
  std::uint64_t value_at(std::size_t i) const noexcept;
  std::optional<std::size_t> find(std::uint64_t key) const noexcept;
  /// Errors: not_found.
  Result<std::uint64_t> get(std::uint64_t key) const;
  /// Values of many keys into `out` (out.size() == keys.size()), looked up in
  /// parallel on the library's pool for large batches. Missing keys: not_found
  /// naming the first (when `default_value` is nullopt), or `default_value`.
  /// `found`, when given, receives one flag per key (1 = present).
  /// Errors: invalid_argument (sizes differ), not_found.
  Status get_many(std::span<const std::uint64_t> keys, std::span<std::uint64_t> out,
                  std::optional<std::uint64_t> default_value = std::nullopt, const ParallelOptions& parallel = {},
                  std::vector<std::uint8_t>* found = nullptr) const;
  /// Checks the Eytzinger order (strictly increasing keys). Errors: corrupt naming the position.
  Status validate() const;
  /// Overwrites value i in a writable buffer. Errors: invalid_argument (read-only).
  Status set_value_at(std::size_t i, std::uint64_t value);

 private:
  Buffer buf_;
  std::size_t n_ = 0;
};

/// Builds an IntMap from (key, value) pairs in any order into memory from
/// `alloc(total)`. Errors: invalid_argument (duplicate key, > 2^32-1 pairs).
Status build_intmap_into(std::span<const std::pair<std::uint64_t, std::uint64_t>> pairs,
                         const std::function<MutableByteSpan(std::size_t)>& alloc);
Result<std::vector<std::uint8_t>> build_intmap(std::span<const std::pair<std::uint64_t, std::uint64_t>> pairs);

/// Streaming writer for IntMap files: collects pairs (16 bytes each — the
/// pairs are the file), then commit() writes atomically (temp file + rename).
class IntMapFileWriter {
 public:
  static Result<IntMapFileWriter> create(const std::string& path);
  Status add(std::uint64_t key, std::uint64_t value);
  std::size_t size() const noexcept { return pairs_.size(); }
  /// Errors: invalid_argument (duplicate key), io_error.
  Status commit();

 private:
  std::string path_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs_;
  bool done_ = false;
};

}  // namespace segpack
