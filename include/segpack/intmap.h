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
namespace internal {
class LazyIndex;  // segpack/internal/lazy_index.h
}

/// Bytes of the header; the pairs follow it.
inline constexpr std::size_t kIntMapHeaderSize = 10;
/// The first four header bytes.
inline constexpr std::array<char, 4> kIntMapMagic = {'i', 'n', 't', 'm'};
/// The value width code of u64 values (the only width this library reads and writes).
inline constexpr std::uint8_t kIntMapWidthU64 = 3;

/// Options of IntMapReader::open_source.
struct IntMapReadOptions {
  /// Most bytes read when the source size is unknown.
  std::uint64_t max_bytes = std::uint64_t{1} << 32;
  /// When the 16N pair bytes exceed this, the reader opens in partial-index
  /// mode, as a MapBuffer does (MapBufferReadOptions::partial_index_threshold):
  /// the header and the top levels of the Eytzinger tree (`partial_index_prefix`
  /// bytes) in the first read, the rest in blocks of `partial_index_block`
  /// bytes as lookups reach them, kept in a cache of at most
  /// `partial_index_cache` bytes. UINT64_MAX: never; 0: whenever the pairs
  /// are larger than the prefix.
  std::uint64_t partial_index_threshold = std::uint64_t{1} << 20;
  /// Bytes of pairs read with the header: the largest complete top of the tree that fits.
  std::uint64_t partial_index_prefix = 65520;
  /// Bytes per block of pairs fetched on demand (rounded down to 16 times a power of two).
  std::uint64_t partial_index_block = 4096;
  /// Most bytes of blocks kept (LRU).
  std::uint64_t partial_index_cache = std::uint64_t{16} << 20;
};

/// Reader over an IntMap in memory, in a memory-mapped file or behind a range
/// source (read whole when opened, or in partial-index mode: see
/// IntMapReadOptions). Never changes once opened: thread-safe for concurrent
/// const use (a partial-index reader's copies share its loaded blocks).
/// Lookups in bulk: get_many.h. Writing values in place: set_intmap_value().
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
  /// Reads the header and the pairs once, or, when the pairs are larger than
  /// opts.partial_index_threshold and the source size is known, the header
  /// and the top of the tree in one read (partial-index mode).
  static Result<IntMapReader> open_source(std::shared_ptr<RangeSource> source, const IntMapReadOptions& opts);

  IntMapReader() = default;

  /// Number of pairs.
  std::size_t size() const noexcept { return n_; }
  /// Format version (always 0).
  int version() const noexcept { return 0; }
  /// The raw 10 header bytes.
  ByteSpan header_bytes() const noexcept { return header_.span(); }
  /// The whole map (header and pairs); empty for a partial-index reader.
  const Buffer& buffer() const noexcept { return buf_; }

  /// The 16N pair bytes (empty for a partial-index reader until load_index()).
  Buffer pair_bytes() const noexcept;
  /// True while only part of the pairs is in memory (partial-index mode,
  /// before load_index()).
  bool partial_index() const noexcept;
  /// Reads all the pairs of a partial-index reader (one read; once, for every
  /// copy); does nothing otherwise. buffer() stays empty. Errors: the
  /// source's, out_of_range (format) when it returns fewer bytes.
  Status load_index() const;
  /// Partial-index readers: read_many calls made for blocks and blocks fetched (0 otherwise).
  std::pair<std::uint64_t, std::uint64_t> index_block_reads() const noexcept;

  /// Key and value at index position i. Precondition: i < size(). A
  /// partial-index reader fetches the pair's block when it is not loaded and
  /// returns 0 when that read fails: use entry() where that matters.
  std::uint64_t key_at(std::size_t i) const noexcept;
  std::uint64_t value_at(std::size_t i) const noexcept;
  /// Key and value at index position i, fetched if needed. Errors:
  /// out_of_range (i >= size()), the source's.
  Result<std::pair<std::uint64_t, std::uint64_t>> entry(std::size_t i) const;
  /// Index position of `key`, or nullopt (also when a partial-index reader
  /// fails to read a block: lookup() tells the two apart).
  std::optional<std::size_t> find(std::uint64_t key) const noexcept;
  /// Index position of `key`, or nullopt; errors of reading blocks are returned.
  Result<std::optional<std::size_t>> lookup(std::uint64_t key) const;
  /// lookup() of many keys: a partial-index reader advances all lookups
  /// together, one read_many per round of log2(block pairs)+1 tree levels.
  Result<std::vector<std::optional<std::size_t>>> lookup_many(std::span<const std::uint64_t> keys) const;
  /// Value of `key`. Errors: not_found, those of reading blocks.
  Result<std::uint64_t> get(std::uint64_t key) const;
  /// Checks the Eytzinger order (strictly increasing keys); a partial-index
  /// reader loads all its pairs first. Errors: corrupt naming the position.
  Status validate() const;

 private:
  // The pairs when all are in memory, else null.
  const std::uint8_t* pairs_() const noexcept;

  Buffer buf_;
  Buffer header_;
  std::size_t n_ = 0;
  std::shared_ptr<internal::LazyIndex> lazy_;  // partial-index mode
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
