// segpack — IntMap: a serialized map of u64 keys to u64 values.
//
// Byte-compatible with mapbuffer's IntMap (docs/format/intmap.md):
//   HEADER(10) = "intm" | version u8 (0) | value width code u8 (3 = u64) | N u32le
//   PAIRS(16N) = N x (key u64le, value u64le), keys in Eytzinger order.
// The whole structure is the index, so open() checks the size exactly (10 +
// 16N): truncation and trailing bytes are caught in O(1).
#pragma once

#include <array>
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

namespace segpack {

class RangeSource;  // segpack/source.h

/// Bytes of the header; the pairs follow it.
inline constexpr std::size_t kIntMapHeaderSize = 10;
/// The first four header bytes.
inline constexpr std::array<char, 4> kIntMapMagic = {'i', 'n', 't', 'm'};
/// The value width code of u64 values (the only width this library reads and writes).
inline constexpr std::uint8_t kIntMapWidthU64 = 3;

/// Reader over an IntMap in memory, in a memory-mapped file or behind a range
/// source (read once, whole, when opened). Never changes once opened:
/// thread-safe for concurrent const use. Lookups in bulk: get_many.h.
/// Writing values in place: set_intmap_value().
class IntMapReader {
 public:
  /// Errors: out_of_range (shorter than the header or than 10+16N), corrupt
  /// (bad magic, trailing bytes), unsupported (version != 0, width != 3).
  static Result<IntMapReader> open(Buffer buf);
  /// Memory-maps `path` read-only and opens it. Errors: io_error, then as open().
  static Result<IntMapReader> open_file(const std::string& path);
  /// Reads the header, then the 10+16N bytes once (bounded by the source size
  /// when known, else by `max_bytes`).
  static Result<IntMapReader> open_source(std::shared_ptr<RangeSource> source,
                                          std::uint64_t max_bytes = std::uint64_t{1} << 32);

  IntMapReader() = default;

  /// Number of pairs.
  std::size_t size() const noexcept { return n_; }
  /// Format version (always 0).
  int version() const noexcept { return 0; }
  /// The raw 10 header bytes.
  ByteSpan header_bytes() const noexcept { return buf_.span().first(kIntMapHeaderSize); }
  /// The whole map (header and pairs).
  const Buffer& buffer() const noexcept { return buf_; }

  /// Key and value at index position i. Precondition: i < size().
  std::uint64_t key_at(std::size_t i) const noexcept;
  std::uint64_t value_at(std::size_t i) const noexcept;
  /// Index position of `key`, or nullopt.
  std::optional<std::size_t> find(std::uint64_t key) const noexcept;
  /// Value of `key`. Errors: not_found.
  Result<std::uint64_t> get(std::uint64_t key) const;
  /// Checks the Eytzinger order (strictly increasing keys). Errors: corrupt naming the position.
  Status validate() const;

 private:
  Buffer buf_;
  std::size_t n_ = 0;
};

// ---------------------------------------------------------------- writing

/// Builds an IntMap from (key, value) pairs in any order into memory from
/// `alloc(total)`. Errors: invalid_argument (duplicate key, > 2^32-1 pairs).
Status build_intmap_into(std::span<const std::pair<std::uint64_t, std::uint64_t>> pairs,
                         const std::function<MutableByteSpan(std::size_t)>& alloc);
/// Same, into a new vector.
Result<std::vector<std::uint8_t>> build_intmap(std::span<const std::pair<std::uint64_t, std::uint64_t>> pairs);

/// Overwrites the value at index position i of `map` in place, in its buffer
/// (seen by every reader and Buffer sharing that memory; not synchronised
/// with concurrent reads of the same value). Errors: invalid_argument (the
/// buffer is read-only), out_of_range (i >= map.size()).
Status set_intmap_value(const IntMapReader& map, std::size_t i, std::uint64_t value);

/// Streaming writer for IntMap files: collects pairs (16 bytes each — the
/// pairs are the file), then commit() writes atomically (temp file + rename).
class IntMapFileWriter {
 public:
  /// Nothing is written before commit(). Errors: invalid_argument (empty path).
  static Result<IntMapFileWriter> create(const std::string& path);
  /// Adds one pair. Errors: invalid_argument (after commit, too many pairs).
  /// Duplicate keys are reported by commit().
  Status add(std::uint64_t key, std::uint64_t value);
  /// Number of pairs added.
  std::size_t size() const noexcept { return pairs_.size(); }
  /// Errors: invalid_argument (duplicate key), io_error.
  Status commit();

 private:
  std::string path_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs_;
  bool done_ = false;
};

}  // namespace segpack
