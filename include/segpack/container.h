// segpack — the object container: named binary buffers plus an opaque payload
// in one file that loads by mmap.
//
// Layout (docs/format/container.md has every byte; all little-endian):
//
//   HEADER (64)   magic "\x89SPKOBJ\n" | version u16 | flags u16 | buffer count u32 |
//                 file length, payload offset, payload length, table offset,
//                 table length (u64 each) | payload crc32c u32 | header crc32c u32
//   PAYLOAD       opaque bytes (the Python side puts its pickle stream here)
//   BUFFERS       in table order, each at a multiple of its alignment (default
//                 4096 for uncompressed buffers), zero padding between them
//   TABLE         N x 40-byte entries | metadata blobs, concatenated in buffer
//                 order | crc32c u32 of everything before it in the table
//
// A reader validates the header and the whole table when it is opened, in
// O(N): every offset and size through the one overflow-safe range_ok, buffers
// in file order without overlap, alignment, codec, the header and table crcs.
// After that an uncompressed buffer is handed out as a zero-copy view of the
// mapping (its crc is checked only when asked: verify), and a compressed one is
// decompressed, in parallel with others on the library's pool, and its crc
// checked against the raw bytes.
//
// Errors about the bytes of a container carry ErrorCategory::format (the
// decoder's own errors keep ErrorCategory::decode): out_of_range (truncated
// file, a region past the end, sizes that overflow), corrupt (bad magic,
// overlapping or misplaced regions, inconsistent sizes), data_loss (a crc),
// unsupported (format version, required flags, codec).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "segpack/batch.h"
#include "segpack/buffer.h"
#include "segpack/codec.h"
#include "segpack/result.h"
#include "segpack/source.h"
#include "segpack/thread_pool.h"

namespace segpack {

/// The eight magic bytes that start every container.
inline constexpr std::array<std::uint8_t, 8> kContainerMagic = {0x89, 'S', 'P', 'K', 'O', 'B', 'J', '\n'};
/// The format version written and read.
inline constexpr std::uint16_t kContainerVersion = 1;
/// Bytes of the fixed header.
inline constexpr std::size_t kContainerHeaderSize = 64;
/// Bytes of one buffer-table entry.
inline constexpr std::size_t kContainerEntrySize = 40;
/// The default alignment of uncompressed buffers (a page, so views of a mapping are page-aligned).
inline constexpr std::uint64_t kContainerDefaultAlignment = 4096;
/// The largest alignment a buffer may ask for (1 GiB).
inline constexpr std::uint64_t kContainerMaxAlignment = std::uint64_t{1} << 30;
/// Flag bits 0-7 name features a reader must understand (none are defined in
/// version 1: a set bit is unsupported); bits 8-15 are hints a reader may ignore.
inline constexpr std::uint16_t kContainerRequiredFlagsMask = 0x00FF;

/// The decoded 64-byte header.
struct ContainerHeader {
  std::uint16_t version = kContainerVersion;
  std::uint16_t flags = 0;
  std::uint32_t buffer_count = 0;
  std::uint64_t file_length = 0;
  std::uint64_t payload_offset = 0;
  std::uint64_t payload_length = 0;
  std::uint64_t table_offset = 0;
  std::uint64_t table_length = 0;
  std::uint32_t payload_crc32c = 0;
};

/// One buffer as the table describes it (validated when the table is parsed).
struct ContainerBufferInfo {
  /// File offset of the stored bytes.
  std::uint64_t offset = 0;
  /// Bytes stored in the file (compressed size, or raw size for codec none).
  std::uint64_t stored_length = 0;
  /// Bytes of the buffer once decoded.
  std::uint64_t raw_length = 0;
  /// crc32c of the raw (decoded) bytes.
  std::uint32_t crc32c = 0;
  /// How the stored bytes are encoded.
  Codec codec = Codec::none;
  /// The alignment of `offset` (a power of two, 1 .. kContainerMaxAlignment).
  /// A view's address has it too when the file is mapped or read by
  /// open_file, up to the page size (4096); over a caller's Buffer it has the
  /// alignment that Buffer gives it.
  std::uint64_t alignment = 1;
  /// Offset and length of this buffer's metadata blob inside the table's
  /// metadata region (computed from the lengths; the file stores lengths only).
  std::uint64_t metadata_offset = 0;
  std::uint32_t metadata_length = 0;
};

/// Parses and checks a 64-byte header against the real size of the file.
/// Checks, in this order: at least 64 bytes (out_of_range), magic (corrupt),
/// version (unsupported), header crc (data_loss), required flags
/// (unsupported), file length (out_of_range when the file is shorter:
/// truncated; corrupt when longer), payload and table inside the file and not
/// overlapping (out_of_range / corrupt). All errors: ErrorCategory::format.
Result<ContainerHeader> parse_container_header(ByteSpan bytes, std::uint64_t actual_file_length);

/// Parses and checks the table bytes (`table` = the header's table_length bytes
/// at table_offset). Checks the table crc (data_loss), that N entries and the
/// crc fit (out_of_range), that the metadata lengths add up (corrupt), and each
/// entry: known codec (unsupported), alignment (corrupt), offset a multiple of
/// it (corrupt), stored bytes inside [payload end, table_offset) (out_of_range,
/// overflow-safe), after the previous buffer's end (corrupt: overlap or out of
/// order), stored == raw length for codec none (corrupt). Needs only the header
/// and the table, not the file: works for tables of files larger than memory.
/// Allocates N entries, N bounded by table_length / 40. Errors name the buffer.
Result<std::vector<ContainerBufferInfo>> parse_container_table(const ContainerHeader& header, ByteSpan table);

/// Options for opening a container.
struct ContainerReadOptions {
  /// open_file: map the file (true) or read it into memory (false; the memory
  /// is page-aligned and writable, and the file is not kept open). A read
  /// checks the header and table first, then reads the rest in file order and
  /// checks each uncompressed buffer's crc in that same pass (data_loss naming
  /// the buffer), so read buffers are always verified.
  bool mmap = true;
  /// open_file with mmap: map it private and writable (copy-on-write): views
  /// are writable and their changes never reach the file nor other processes.
  bool copy_on_write = false;
  /// Check the crc of uncompressed buffers when they are handed out (reads
  /// every page of the buffer). Compressed buffers are always checked.
  bool verify = false;
  /// Check the payload's crc when the container is opened.
  bool check_payload_crc = true;
  /// Bounds on decompressed output (per buffer and per call). The defaults
  /// allow any size the table declares; decoders never allocate a declared
  /// size beyond what the stored bytes could plausibly expand to (codec.h).
  DecodeLimits limits{~std::uint64_t{0}, ~std::uint64_t{0}};
  /// Threads for decompression and crc checks.
  ParallelOptions parallel;
  /// open_source: bytes of its first read from offset 0 (the header, the
  /// payload and, for a small file, the table come in that one read).
  std::uint64_t first_read = std::uint64_t{1} << 16;
  /// open_source: buffers() copies uncompressed buffers out of the bytes the
  /// source returned into new writable memory, each crc computed in the copy
  /// pass (true), or hands out views of those bytes (writable when the
  /// source's are), each crc checked in place, in parallel (false: no copy).
  bool copy_fetched = true;
};

/// A validated container. Immutable once opened and thread-safe for concurrent
/// const use. It shares the owner of the file's bytes (a mapping, or memory):
/// every Buffer it returns does too, so views stay valid after the reader is
/// destroyed — the mapping goes away with the last of them.
class ContainerReader {
 public:
  /// Opens a container held in memory (bytes, a mapping...). The reader shares
  /// `file`'s owner; uncompressed views are writable when `file` is.
  /// Errors: those of parse_container_header and parse_container_table, and
  /// data_loss when check_payload_crc finds a bad payload.
  static Result<ContainerReader> open(Buffer file, ContainerReadOptions opts = {});
  /// Opens a file: mapped read-only and shared (default), mapped private and
  /// writable (copy_on_write), or read into memory (mmap = false).
  /// Errors: io_error naming the path, then as open().
  static Result<ContainerReader> open_file(const std::string& path, ContainerReadOptions opts = {});
  /// Opens a container behind a range source (a remote file, read through
  /// segpack's Python RemoteFile or any RangeSource), reading only what open()
  /// checks: the first `opts.first_read` bytes (capped at the source's size
  /// when it knows it) in one read(), then whatever part of the payload and
  /// table that read did not hold in ONE read_many() call — at most two
  /// calls, one when the first read covers them. Buffers are read when asked
  /// for (see buffers()). A source whose size() is unknown is read as long as
  /// the header claims (the source then reports a short file: out_of_range).
  /// opts.mmap, copy_on_write and verify do not apply: every buffer read from
  /// a source is checked. Errors: invalid_argument (null source), the
  /// source's (out_of_range for a short source, io_error), then as open().
  static Result<ContainerReader> open_source(std::shared_ptr<RangeSource> source, ContainerReadOptions opts = {});

  ContainerReader() = default;

  /// Number of buffers.
  std::size_t size() const noexcept { return infos_.size(); }
  const ContainerHeader& header() const noexcept { return header_; }
  const ContainerReadOptions& options() const noexcept { return opts_; }
  /// The whole file (shares the owner); empty for a reader over a source.
  const Buffer& file() const noexcept { return file_; }
  /// Bytes of the whole file (as checked against the file or source size).
  std::uint64_t file_size() const noexcept { return header_.file_length; }
  /// The source of a reader made by open_source, else null.
  const std::shared_ptr<RangeSource>& source() const noexcept { return source_; }
  /// Table entry i. Precondition: i < size().
  const ContainerBufferInfo& info(std::size_t i) const noexcept { return infos_[i]; }
  /// All table entries.
  std::span<const ContainerBufferInfo> infos() const noexcept { return infos_; }
  /// Metadata blob of buffer i (borrowed; valid while this reader or file() lives).
  /// Precondition: i < size().
  ByteSpan metadata(std::size_t i) const noexcept;
  /// The first buffer whose metadata blob equals `metadata` byte for byte
  /// (a name, for C++ users that store named buffers), or nullopt. O(N).
  std::optional<std::size_t> find(ByteSpan metadata) const noexcept;
  /// The payload, sharing the file's owner.
  Buffer payload() const noexcept;

  /// Buffer i: for codec none a zero-copy view of the file (crc checked only
  /// when options().verify), otherwise a new writable buffer with the decoded
  /// bytes (crc always checked). Errors: out_of_range (i >= size()), data_loss
  /// (crc, naming the buffer), corrupt (decodes to another size than the
  /// table's raw length), the decoder's errors (ErrorCategory::decode),
  /// resource_exhausted (over options().limits).
  Result<Buffer> buffer(std::size_t i) const;
  /// Buffers `indices` (all of them when empty), in that order: views as
  /// buffer() does, compressed buffers decoded in parallel (the buffers of one
  /// codec share one allocation, freed with the last of them), crcs checked in
  /// parallel. All-or-nothing; the error names the lowest failing buffer.
  /// Over a source (open_source): the stored bytes of all of them are read in
  /// ONE read_many() call (ranges closer than source()->coalesce_gap() merged,
  /// see read_ranges in remote.h), then uncompressed buffers are copied into
  /// one page-aligned writable allocation with each crc computed in the same
  /// pass (options().copy_fetched), or handed out as views of the bytes read
  /// with their crc checked in place; both in parallel. Compressed ones are
  /// decoded and checked as above. Calls that read the source are serialized. Errors then also: the source's
  /// (out_of_range for bytes it does not have, io_error).
  Result<std::vector<Buffer>> buffers(std::span<const std::size_t> indices = {}) const;

  /// Checks every buffer's crc (decoding the compressed ones, one at a time
  /// per worker) and the payload's, in parallel. Errors: data_loss naming the
  /// lowest bad buffer ("buffer 3: crc32c mismatch ..."), the decoder's errors.
  /// Over a source: reads every buffer again (as buffers() does).
  Status verify() const;
  /// Checks buffer i only. Errors as verify(), out_of_range for a bad index.
  Status verify_buffer(std::size_t i) const;

 private:
  static Result<ContainerReader> assemble(const ContainerHeader& h, Buffer payload, Buffer table,
                                          const ContainerReadOptions& opts);
  Status check_index(std::size_t i) const;
  Result<std::vector<Buffer>> decode(std::span<const std::size_t> indices, std::vector<Buffer> stored,
                                     bool from_source) const;
  ContainerHeader header_;
  ContainerReadOptions opts_;
  Buffer file_;     // the whole file (open, open_file), or empty (open_source)
  Buffer payload_;  // the payload
  Buffer table_;    // the table: entries, metadata blobs, crc
  std::vector<ContainerBufferInfo> infos_;
  std::shared_ptr<RangeSource> source_;    // open_source's, or null
  std::shared_ptr<std::mutex> source_mu_;  // one read of the source at a time
};

// ---------------------------------------------------------------- writing

/// How one buffer is stored.
struct ContainerBufferOptions {
  /// Codec of this buffer.
  Codec codec = Codec::none;
  /// Level; nullopt = codec_default_level(codec). Codec none takes none (or 0).
  std::optional<int> level;
  /// Alignment of the stored bytes (a power of two up to
  /// kContainerMaxAlignment); 0 = the writer's default: options.alignment for
  /// uncompressed buffers, 1 for compressed ones (they are copied anyway).
  std::uint64_t alignment = 0;
  /// Opaque metadata kept in the table (copied by add_buffer); the Python side
  /// keeps dtype and shape here. At most 2^32-1 bytes.
  ByteSpan metadata;
};

/// Options of a writer.
struct ContainerWriteOptions {
  /// Default alignment of uncompressed buffers.
  std::uint64_t alignment = kContainerDefaultAlignment;
  /// Threads for compression and crcs.
  ParallelOptions parallel;
  /// write_file: fsync the file before it is renamed into place. Without it
  /// the replacement is still atomic (readers and a crash of the writing
  /// process see the old file or the new one, whole), but a power loss or an
  /// OS crash soon after may lose the new file, or on some file systems leave
  /// an empty one; the fsync makes a dump cost 2-3x a plain write.
  bool durable = true;
};

/// Where write_to() sends the file, in order, in pieces: it returns an error
/// Status to stop the write (returned as is). For streams (the Python binding
/// writes to a file object through one).
using ContainerSink = std::function<Status(ByteSpan)>;

/// Collects buffers and a payload, then writes a container. Buffers are
/// compressed on the library's pool (compress_batch, one call per codec and
/// level) when the file is written; crcs of uncompressed buffers are computed
/// while they are written (one pass over each), those of compressed buffers in
/// parallel before.
class ContainerWriter {
 public:
  /// Errors: invalid_argument (alignment not a power of two up to 1 GiB).
  static Result<ContainerWriter> make(ContainerWriteOptions opts = {});

  /// Adds a buffer that the writer keeps alive (shares its owner). Returns its
  /// index. Errors: invalid_argument (bad alignment or level, more than
  /// 2^32-1 buffers, metadata over 4 GiB).
  Result<std::size_t> add_buffer(Buffer data, const ContainerBufferOptions& opts = {});
  /// Adds a borrowed buffer: `data` must stay valid and unchanged until the
  /// last write. Errors as above.
  Result<std::size_t> add_buffer(ByteSpan data, const ContainerBufferOptions& opts = {});
  /// Sets the payload (shares its owner); empty by default.
  void set_payload(Buffer payload) { payload_ = std::move(payload); }
  /// Sets a borrowed payload (valid until the last write).
  void set_payload(ByteSpan payload) { payload_ = Buffer(payload.data(), payload.size(), nullptr); }
  /// Number of buffers added.
  std::size_t size() const noexcept { return entries_.size(); }

  /// Writes the container to `path` atomically: a temporary file next to it,
  /// flushed (fsynced when options.durable) and renamed over `path`; on any
  /// error `path` is untouched and no temporary file is left. Errors:
  /// io_error, compression errors (ErrorCategory::encode), resource_exhausted.
  Status write_file(const std::string& path) const;
  /// Writes the container to `sink` in order. Errors: the sink's, compression errors.
  Status write_to(const ContainerSink& sink) const;
  /// The container as one byte vector (tests, small files).
  Result<std::vector<std::uint8_t>> to_bytes() const;

 private:
  struct Entry {
    Buffer data;
    Codec codec = Codec::none;
    int level = 0;
    std::uint64_t alignment = 1;
    std::vector<std::uint8_t> metadata;
  };
  explicit ContainerWriter(ContainerWriteOptions opts) : opts_(opts) {}
  ContainerWriteOptions opts_;
  std::vector<Entry> entries_;
  Buffer payload_;
};

}  // namespace segpack
