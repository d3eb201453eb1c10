// segpack — MapBuffer: a serialized map of u64 keys to byte strings.
//
// Byte-compatible with the `mapbuffer` Python package (format versions 0 and
// 1; docs/format/mapbuffer.md has every byte):
//
//   HEADER(16) = "mapbufr" | version u8 | codec tag [4] | N u32le
//   INDEX(16N) = N x (key u64le, offset u64le), keys in Eytzinger order
//   DATA       = items in index order; item i spans [off_i, off_{i+1}),
//                the last one runs to the end of the buffer.
//                v1: each item is payload ++ crc32c(payload) u32le.
//
// Readers validate the header in O(1) when opened (magic, version, codec, that
// the index fits, the first and last offsets) and check each item's bounds
// when it is read, so lookups stay O(log N) and never read outside the buffer
// whatever the input. validate() walks everything (order, offsets, crcs).
//
// Lookups of many keys at once (in parallel, into one buffer): get_many.h.
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
#include "segpack/codec.h"
#include "segpack/result.h"

namespace segpack {

class RangeSource;  // segpack/source.h
namespace internal {
class LazyIndex;  // segpack/internal/lazy_index.h
}

/// Bytes of the header; the index follows it.
inline constexpr std::size_t kMapBufferHeaderSize = 16;
/// The first seven header bytes.
inline constexpr std::array<char, 7> kMapBufferMagic = {'m', 'a', 'p', 'b', 'u', 'f', 'r'};
/// The newest format version written by default (1: crc32c per item).
inline constexpr int kMapBufferFormatVersion = 1;

/// Options for reading.
struct MapBufferReadOptions {
  /// Verify each v1 item's crc32c when it is read (data_loss on mismatch).
  bool check_crc = true;
  /// Limits for decompressing one item.
  DecompressOptions decompress;
  /// Largest index a range reader will fetch when the source size is unknown.
  std::uint64_t max_index_bytes = std::uint64_t{1} << 32;
  /// Range sources: an index larger than this many bytes is opened in
  /// partial-index mode — only the top levels of the Eytzinger tree
  /// (`partial_index_prefix` bytes) are read when opening, the rest in blocks
  /// of `partial_index_block` bytes as lookups reach them, kept in a cache of
  /// at most `partial_index_cache` bytes. UINT64_MAX: never; 0: whenever the
  /// index is larger than the prefix. In-memory readers ignore it.
  std::uint64_t partial_index_threshold = std::uint64_t{1} << 20;
  /// Bytes of index read when a partial-index reader opens: the largest
  /// complete top of the tree (2^L - 1 records) that fits. The default, with
  /// the 16-byte header, is exactly 64 KiB (12 levels).
  std::uint64_t partial_index_prefix = 65520;
  /// Bytes per block of index fetched on demand (rounded down to 16 * 2^j, at
  /// least 64). A lookup that reaches an unloaded node fetches the
  /// log2(block/16)+1 rows of that node's subtree in one read_many.
  std::uint64_t partial_index_block = 4096;
  /// Most bytes of index blocks a partial-index reader keeps (LRU).
  std::uint64_t partial_index_cache = std::uint64_t{16} << 20;
};

/// The decoded 16-byte header.
struct MapBufferHeader {
  /// Format version: 0 or 1.
  int version = 1;
  /// The codec every item is compressed with.
  Codec codec = Codec::none;
  /// Number of items.
  std::uint32_t count = 0;
};

/// Parses and checks a 16-byte header. Errors: out_of_range (fewer than 16
/// bytes), corrupt (bad magic), unsupported (version other than 0/1, unknown tag).
Result<MapBufferHeader> parse_mapbuffer_header(ByteSpan bytes);

/// Reader over a whole MapBuffer in memory (bytes, a memory map, ...) or over
/// a RangeSource (header and index fetched once; then one read per item; or,
/// for a large index, partial-index mode: see
/// MapBufferReadOptions::partial_index_threshold).
/// An in-memory reader never changes once opened and is thread-safe for
/// concurrent const use; one over a RangeSource is not (a source serves one
/// thread at a time). A partial-index reader's copies share its loaded
/// blocks (behind a mutex).
/// Writing in place: overwrite_mapbuffer_item().
class MapBufferReader {
 public:
  /// Opens an in-memory MapBuffer. The reader shares `buf`'s owner. O(1).
  /// Errors: see parse_mapbuffer_header; out_of_range when the index or an
  /// offset lies past the end; corrupt when the first offset is not 16+16N or
  /// an empty map has trailing bytes.
  static Result<MapBufferReader> open(Buffer buf, MapBufferReadOptions opts = {});
  /// Memory-maps `path` read-only and opens it. Errors: io_error, then as open().
  static Result<MapBufferReader> open_file(const std::string& path, MapBufferReadOptions opts = {});
  /// Opens over a range source: reads the header (16 bytes) and the index
  /// (16N bytes, bounded by the source size or opts.max_index_bytes) once;
  /// or, when the index is larger than opts.partial_index_threshold, the
  /// header and the top of the index only (partial-index mode; the check of
  /// the last offset then happens when that item is read, or in validate()).
  static Result<MapBufferReader> open_source(std::shared_ptr<RangeSource> source, MapBufferReadOptions opts = {});

  MapBufferReader() = default;

  /// Number of keys.
  std::size_t size() const noexcept { return n_; }
  /// The decoded header.
  const MapBufferHeader& header() const noexcept { return header_; }
  /// The raw 16 header bytes.
  ByteSpan header_bytes() const noexcept { return header_bytes_.span(); }
  /// The options the reader was opened with.
  const MapBufferReadOptions& options() const noexcept { return opts_; }
  /// A copy of this reader (sharing its buffer, index and source, O(1)) that
  /// verifies v1 crcs when items are read (`on`) or does not; this reader is
  /// unchanged.
  MapBufferReader with_check_crc(bool on) const;
  /// True when the whole buffer is in memory (open / open_file).
  bool in_memory() const noexcept { return source_ == nullptr; }
  /// The whole buffer (in-memory readers; empty otherwise).
  const Buffer& buffer() const noexcept { return whole_; }
  /// The 16N index bytes (empty for a partial-index reader until load_index()).
  const Buffer& index_bytes() const noexcept;
  /// True while only part of the index is in memory (partial-index mode,
  /// before load_index()).
  bool partial_index() const noexcept;
  /// Reads the whole index of a partial-index reader (one read; once, for
  /// every copy of the reader); does nothing otherwise. Errors: the source's,
  /// out_of_range when it returns a short index.
  Status load_index() const;
  /// Partial-index readers: read_many calls made for index blocks and blocks
  /// fetched so far (0 otherwise).
  std::pair<std::uint64_t, std::uint64_t> index_block_reads() const noexcept;
  /// The range source (source readers; null for in-memory ones).
  const std::shared_ptr<RangeSource>& source() const noexcept { return source_; }

  /// Key and offset at index position i. Precondition: i < size(). A
  /// partial-index reader fetches the record's block when it is not loaded,
  /// and returns 0 when that read fails: use entry() (or load_index() first)
  /// where the record may not have been loaded.
  std::uint64_t key_at(std::size_t i) const noexcept;
  std::uint64_t offset_at(std::size_t i) const noexcept;
  /// Key and offset at index position i, fetched if needed (partial-index
  /// readers). Errors: out_of_range (i >= size()), the source's.
  Result<std::pair<std::uint64_t, std::uint64_t>> entry(std::size_t i) const;

  /// Index position of `key`, or nullopt. Reads only the index. A
  /// partial-index reader reads the blocks it needs and returns nullopt when
  /// that fails: lookup() tells the two apart.
  std::optional<std::size_t> find(std::uint64_t key) const noexcept {
    std::size_t p = eytzinger_find_(key);
    return p < n_ ? std::optional<std::size_t>(p) : std::nullopt;
  }
  /// Index position of `key`, or nullopt; errors of reading index blocks
  /// (partial-index readers) are returned.
  Result<std::optional<std::size_t>> lookup(std::uint64_t key) const;
  /// lookup() of many keys: a partial-index reader advances all lookups
  /// together, one read_many per round of log2(block records)+1 tree levels.
  Result<std::vector<std::optional<std::size_t>>> lookup_many(std::span<const std::uint64_t> keys) const;

  /// Bytes of the data region (buffer size - 16 - 16N); nullopt when the
  /// source size is unknown.
  std::optional<std::uint64_t> datasize() const noexcept;

  /// [begin, end) of the stored item i (payload ++ crc for v1), checked:
  /// out_of_range / corrupt when the index points outside the buffer or the
  /// offsets decrease, or a v1 item is shorter than its crc.
  /// `end` is nullopt for the last item of a source of unknown size.
  Result<std::pair<std::uint64_t, std::optional<std::uint64_t>>> item_range(std::size_t i) const;

  /// Stored payload of item i (compressed if the map is; without the v1 crc),
  /// crc-checked when check_crc. Borrowed view into the in-memory buffer: valid
  /// while this reader (or a copy of its buffer()) is alive. In-memory only
  /// (invalid_argument otherwise). Errors: item_range errors, data_loss.
  Result<ByteSpan> payload_span(std::size_t i) const;
  /// Same as payload_span but returns an owning Buffer (for both kinds of
  /// reader: a slice of the mapping, or the bytes fetched from the source).
  Result<Buffer> payload(std::size_t i) const;
  /// The payload of item i given its stored bytes `stored` (read by the
  /// caller from item_range(i)): the v1 crc stripped and checked when
  /// check_crc. Errors: corrupt (shorter than the crc), data_loss.
  Result<Buffer> payload_of_stored(std::size_t i, Buffer stored) const;

  /// Decoded value of item i appended to `out` (decompressed with `dec` if
  /// given — it must be for header().codec — or a temporary context).
  Status value_append(std::size_t i, std::vector<std::uint8_t>& out, Decompressor* dec = nullptr) const;
  /// Decoded value of `key`. Errors: not_found, and those of value_append.
  Result<std::vector<std::uint8_t>> get(std::uint64_t key) const;

  /// Full validation: validate_structure(), then for compressed maps that
  /// every item decodes within the decompression limits. Errors name the item.
  Status validate() const;
  /// Header, offsets (start, monotonic, in bounds), the Eytzinger order
  /// (strictly increasing keys) and the v1 crc of every item; no decoding.
  Status validate_structure() const;

 private:
  std::size_t eytzinger_find_(std::uint64_t key) const noexcept;
  static Result<MapBufferReader> open_parts(Buffer header, Buffer index, Buffer whole,
                                            std::shared_ptr<RangeSource> source, std::optional<std::uint64_t> total,
                                            MapBufferReadOptions opts,
                                            std::shared_ptr<internal::LazyIndex> lazy = nullptr);
  // The whole index in memory (null for an empty one, or in partial-index mode before load_index()).
  const std::uint8_t* full_index_() const noexcept;

  MapBufferHeader header_;
  MapBufferReadOptions opts_;
  std::size_t n_ = 0;
  Buffer header_bytes_;
  Buffer index_;                               // 16N bytes (empty in partial-index mode)
  std::shared_ptr<internal::LazyIndex> lazy_;  // partial-index mode
  Buffer whole_;                               // in-memory readers
  std::shared_ptr<RangeSource> source_;
  std::optional<std::uint64_t> total_;  // total byte size when known
};

// ---------------------------------------------------------------- writing

/// Options for writing.
struct MapBufferWriteOptions {
  /// The codec every item is compressed with.
  Codec codec = Codec::none;
  /// Compression level; nullopt = codec_default_level(codec).
  std::optional<int> level;
  /// Format version: 1 writes a crc32c after each item, 0 writes none.
  int version = kMapBufferFormatVersion;
};

/// One key and its value, for the builders (the value is borrowed).
struct MapBufferItem {
  std::uint64_t key;
  ByteSpan value;
};

/// Builds a MapBuffer from items in any order into memory obtained from
/// `alloc(total_size)` (which must return a span of exactly that size, or an
/// empty span to abort with resource_exhausted). Byte-identical to the
/// mapbuffer package's output for the same map (codec none; compressed
/// items are identical wherever the same library and level are used).
/// Errors: invalid_argument (duplicate key, more than 2^32-1 items, bad
/// version or level), internal (compression failure).
Status build_mapbuffer_into(std::span<const MapBufferItem> items, const MapBufferWriteOptions& opts,
                            const std::function<MutableByteSpan(std::size_t)>& alloc);

/// Same, without copying the items: sorts `items` in place and, for a
/// compressed map, points their values at internal storage that is freed
/// before the call returns. For callers that filled the vector for this call:
/// afterwards the items are reordered and their value spans must not be read.
Status build_mapbuffer_in_place(std::span<MapBufferItem> items, const MapBufferWriteOptions& opts,
                                const std::function<MutableByteSpan(std::size_t)>& alloc);

/// Same, into a new vector.
Result<std::vector<std::uint8_t>> build_mapbuffer(std::span<const MapBufferItem> items,
                                                  const MapBufferWriteOptions& opts = {});

/// Same-length overwrite of item i (index position) of an in-memory map, in
/// place in its buffer: the new value is compressed with the map's codec
/// (level `level` or the default) and must occupy exactly the stored length;
/// the v1 crc is rewritten. The write is seen by every reader and Buffer
/// sharing that memory and is not synchronised with concurrent reads of the
/// item. Errors: invalid_argument (range reader or read-only buffer,
/// different length), the errors of item_range(), compression errors.
Status overwrite_mapbuffer_item(const MapBufferReader& map, std::size_t i, ByteSpan value,
                                std::optional<int> level = std::nullopt);

/// Streaming writer: items are compressed and appended to a scratch file as
/// they arrive (memory use: 24 bytes per item, not the values); commit()
/// writes the final file in Eytzinger order to a temporary file next to
/// `path` and renames it over `path`. A writer destroyed without commit(), or
/// a commit() that fails, leaves `path` untouched and no temporary file.
class MapBufferFileWriter {
 public:
  /// Errors: invalid_argument (bad version or level), io_error (scratch file).
  static Result<MapBufferFileWriter> create(const std::string& path, const MapBufferWriteOptions& opts = {});
  MapBufferFileWriter(MapBufferFileWriter&&) noexcept;
  MapBufferFileWriter& operator=(MapBufferFileWriter&&) noexcept;
  ~MapBufferFileWriter();

  /// Adds one item. Errors: invalid_argument (after commit, too many items),
  /// io_error, internal. Duplicate keys are reported by commit().
  Status add(std::uint64_t key, ByteSpan value);
  /// Number of items added.
  std::size_t size() const noexcept;
  /// Writes and publishes the file. Errors: invalid_argument (duplicate key), io_error.
  Status commit();

 private:
  struct Impl;
  explicit MapBufferFileWriter(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace segpack
