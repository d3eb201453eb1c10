// segpack — MapBuffer: a serialized map of u64 keys to byte strings.
//
// Byte-compatible with the `mapbuffer` Python package (format versions 0 and
// 1; docs/FORMAT.md has every byte):
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
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "segpack/batch.h"
#include "segpack/buffer.h"
#include "segpack/codec.h"
#include "segpack/result.h"
#include "segpack/segments.h"
#include "segpack/source.h"

namespace segpack {

inline constexpr std::size_t kMapBufferHeaderSize = 16;
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
};

/// Options for MapBufferReader::get_many.
struct GetManyOptions {
  /// Missing keys: not_found naming the first missing key (nullopt), or this
  /// value in their place.
  std::optional<std::vector<std::uint8_t>> default_value;
  /// Uncompressed in-memory maps: return segments that point into the map's
  /// own buffer (no copy; the result keeps the buffer alive) instead of one
  /// new buffer. Ignored for compressed maps, range sources, and when a
  /// missing key takes a non-empty default value.
  bool zero_copy = false;
  /// Threads, inline threshold, pool (see thread_pool.h).
  ParallelOptions parallel;
  /// Output budget and per-item cap (see batch.h); the reader's own
  /// DecompressOptions::max_output also caps each item of a compressed map.
  DecodeLimits limits;
};

/// The decoded 16-byte header.
struct MapBufferHeader {
  int version = 1;
  Codec codec = Codec::none;
  std::uint32_t count = 0;
};

/// Parses and checks a 16-byte header. Errors: out_of_range (fewer than 16
/// bytes), corrupt (bad magic), unsupported (version other than 0/1, unknown tag).
Result<MapBufferHeader> parse_mapbuffer_header(ByteSpan bytes);

/// Reader over a whole MapBuffer in memory (bytes, a memory map, ...) or over
/// a RangeSource (header and index fetched once; then one read per item).
/// Thread-safe for concurrent const use once opened (in-memory readers).
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
  /// (16N bytes, bounded by the source size or opts.max_index_bytes) once.
  static Result<MapBufferReader> open_source(std::shared_ptr<RangeSource> source, MapBufferReadOptions opts = {});

  MapBufferReader() = default;

  /// Number of keys.
  std::size_t size() const noexcept { return n_; }
  const MapBufferHeader& header() const noexcept { return header_; }
  /// The raw 16 header bytes.
  ByteSpan header_bytes() const noexcept { return header_bytes_.span(); }
  const MapBufferReadOptions& options() const noexcept { return opts_; }
  void set_check_crc(bool on) noexcept { opts_.check_crc = on; }
  /// True when the whole buffer is in memory (open / open_file).
  bool in_memory() const noexcept { return source_ == nullptr; }
  /// The whole buffer (in-memory readers; empty otherwise).
  const Buffer& buffer() const noexcept { return whole_; }
  /// The 16N index bytes.
  const Buffer& index_bytes() const noexcept { return index_; }

  /// Key and offset at index position i. Precondition: i < size().
  std::uint64_t key_at(std::size_t i) const noexcept;
  std::uint64_t offset_at(std::size_t i) const noexcept;

  /// Index position of `key`, or nullopt. Reads only the index.
  std::optional<std::size_t> find(std::uint64_t key) const noexcept {
    std::size_t p = eytzinger_find_(key);
    return p < n_ ? std::optional<std::size_t>(p) : std::nullopt;
  }

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

  /// Decoded value of item i appended to `out` (decompressed with `dec` if
  /// given — it must be for header().codec — or a temporary context).
  Status value_append(std::size_t i, std::vector<std::uint8_t>& out, Decompressor* dec = nullptr) const;
  /// Decoded value of `key`. Errors: not_found, and those of value_append.
  Result<std::vector<std::uint8_t>> get(std::uint64_t key) const;

  /// Decoded values of many keys, in the order of `keys`, as one buffer cut
  /// into segments: lookups, crc checks and decompression run in parallel on
  /// the library's pool (options.parallel), each item decoded straight into its
  /// slot of one allocation when its size is known. For range sources the
  /// items are fetched one by one on the calling thread, then decoded in
  /// parallel. `found`, when given, receives one flag per key (1 = present).
  /// Errors (all-or-nothing, naming the key): not_found (without a default),
  /// those of payload_span / payload, decompression errors, resource_exhausted
  /// (options.limits).
  Result<BufferWithSegments> get_many(std::span<const std::uint64_t> keys, const GetManyOptions& options = {},
                                      std::vector<std::uint8_t>* found = nullptr) const;

  /// Full validation: validate_structure(), then for compressed maps that
  /// every item decodes within the decompression limits. Errors name the item.
  Status validate() const;
  /// Header, offsets (start, monotonic, in bounds), the Eytzinger order
  /// (strictly increasing keys) and the v1 crc of every item; no decoding.
  Status validate_structure() const;

  /// Same-length overwrite of item i in a writable in-memory buffer: the new
  /// value is compressed with the map's codec (level `level` or the default)
  /// and must occupy exactly the stored length; v1 crc is rewritten.
  /// Errors: invalid_argument (read-only buffer, different length).
  Status overwrite(std::size_t i, ByteSpan value, std::optional<int> level = std::nullopt);

 private:
  std::size_t eytzinger_find_(std::uint64_t key) const noexcept;
  static Result<MapBufferReader> open_parts(Buffer header, Buffer index, Buffer whole,
                                            std::shared_ptr<RangeSource> source,
                                            std::optional<std::uint64_t> total, MapBufferReadOptions opts);

  MapBufferHeader header_;
  MapBufferReadOptions opts_;
  std::size_t n_ = 0;
  Buffer header_bytes_;
  Buffer index_;  // 16N bytes
  Buffer whole_;  // in-memory readers
  std::shared_ptr<RangeSource> source_;
  std::optional<std::uint64_t> total_;  // total byte size when known
};

/// Options for writing.
struct MapBufferWriteOptions {
  Codec codec = Codec::none;
  /// Compression level; nullopt = codec_default_level(codec).
  std::optional<int> level;
  /// Format version: 1 writes a crc32c after each item, 0 writes none.
  int version = kMapBufferFormatVersion;
};

/// One key and its value, for the builders.
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

/// Streaming writer: items are compressed and appended to a scratch file as
/// they arrive (memory use: 24 bytes per item, not the values); commit()
/// writes the final file in Eytzinger order to a temporary file next to
/// `path` and renames it over `path`. A writer destroyed without commit(), or
/// a commit() that fails, leaves `path` untouched and no temporary file.
class MapBufferFileWriter {
 public:
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
