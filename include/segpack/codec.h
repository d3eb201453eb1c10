// segpack — compression codecs behind one interface.
//
// Five codecs, each from its system library: none, gzip (libdeflate, zlib
// for multi-member streams), brotli (libbrotli), zstd (libzstd), lzma (xz
// container, liblzma). Codecs are stateless functions plus reusable context
// objects (Compressor / Decompressor) for hot loops and worker threads. The
// one-shot functions (compress, decompress, compress_into, ...) reuse a
// context per thread, so they cost what a call on a kept context costs.
// zstd takes frame parameters and dictionaries (zstd.h).
//
// Untrusted input: decompression never allocates more than
// `DecompressOptions::max_output` bytes, and never allocates a size claimed by
// the input (a frame header, a gzip ISIZE) beyond what the input could
// plausibly expand to: outputs grow with the data actually produced.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/result.h"
#include "segpack/zstd.h"

namespace segpack {

namespace internal {
struct ContextAccess;
}

/// The codecs, in the order of their mapbuffer tags.
enum class Codec : std::uint8_t { none = 0, gzip, brotli, zstd, lzma };

/// All codecs, for tests and iteration.
inline constexpr std::array<Codec, 5> kAllCodecs = {Codec::none, Codec::gzip, Codec::brotli, Codec::zstd, Codec::lzma};

/// Canonical name: "none", "gzip", "br", "zstd", "lzma" (mapbuffer's names).
std::string_view codec_name(Codec c) noexcept;

/// The 4-byte mapbuffer header tag: "none", "gzip", "00br", "zstd", "lzma".
std::array<char, 4> codec_tag(Codec c) noexcept;

/// Parses a name, case-insensitively: "" / "none" / "raw" -> none, "gzip" / "gz",
/// "br" / "brotli", "zstd" / "zstandard", "lzma" / "xz". Errors: unsupported.
Result<Codec> codec_from_name(std::string_view name);

/// Parses a 4-byte header tag. Errors: unsupported (names the bytes, escaped).
Result<Codec> codec_from_tag(ByteSpan tag4);

/// mapbuffer's default level for each codec: gzip 9, brotli 5, zstd 3, lzma 6, none 0.
int codec_default_level(Codec c) noexcept;

/// Inclusive level range accepted by compress(): gzip 0..12 (libdeflate),
/// brotli 0..11, zstd ZSTD_minCLevel()..ZSTD_maxCLevel(), lzma 0..9, none 0..0.
std::pair<int, int> codec_level_range(Codec c) noexcept;

/// Options for decompression of untrusted data.
struct DecompressOptions {
  /// Hard cap on the decompressed size of one item: resource_exhausted beyond it.
  std::size_t max_output = std::size_t{1} << 32;
  /// When set, the output must be exactly this many bytes (corrupt otherwise);
  /// lets the decoder allocate once.
  std::optional<std::size_t> expected_size;
};

/// A reusable compression context for one codec and level. Not thread-safe:
/// use one per thread. Cheap to move.
class Compressor {
 public:
  /// `zstd` applies to Codec::zstd only (other codecs take the defaults).
  /// Errors: invalid_argument when `level` is outside codec_level_range(codec),
  /// or a zstd parameter is out of bounds (named) or given for another codec.
  static Result<Compressor> make(Codec codec, std::optional<int> level = std::nullopt,
                                 const ZstdCompressParams& zstd = {});

  Compressor(Compressor&&) noexcept;
  Compressor& operator=(Compressor&&) noexcept;
  ~Compressor();

  Codec codec() const noexcept { return codec_; }
  int level() const noexcept { return level_; }

  /// Upper bound of the compressed size of `n` input bytes.
  std::size_t bound(std::size_t n) const noexcept;

  /// Compresses `in` into `out`, which must hold at least bound(in.size()) bytes.
  /// Returns the number of bytes written. Errors: invalid_argument (out too small),
  /// internal (library failure). An empty input produces a valid (non-empty,
  /// except for none) compressed stream.
  Result<std::size_t> compress_into(ByteSpan in, MutableByteSpan out);

  /// Compresses `in`, appending to `out` (which is not cleared).
  Status compress_append(ByteSpan in, std::vector<std::uint8_t>& out);

 private:
  struct Impl;
  Compressor(Codec c, int level, std::unique_ptr<Impl> impl) noexcept;
  Codec codec_;
  int level_;
  std::unique_ptr<Impl> impl_;
};

/// A reusable decompression context. Not thread-safe: use one per thread.
class Decompressor {
 public:
  /// `zstd` applies to Codec::zstd only (dictionary, max_window_size).
  /// Errors: invalid_argument (bad zstd parameters, or given for another codec).
  static Result<Decompressor> make(Codec codec, const ZstdDecompressParams& zstd = {});

  Decompressor(Decompressor&&) noexcept;
  Decompressor& operator=(Decompressor&&) noexcept;
  ~Decompressor();

  Codec codec() const noexcept { return codec_; }

  /// Decompresses one whole item. The stream must end exactly at the end of
  /// `in`: trailing bytes are corrupt (zstd and gzip accept concatenated
  /// frames/members, as their command-line tools do).
  /// Errors: corrupt (bad stream, truncated, trailing bytes, a zstd frame
  /// naming another dictionary than the decoder's), resource_exhausted
  /// (over opts.max_output, or a zstd window over max_window_size), corrupt
  /// (size differs from opts.expected_size).
  Status decompress_append(ByteSpan in, std::vector<std::uint8_t>& out, const DecompressOptions& opts = {});

  /// Decompresses into exactly `out.size()` bytes (the known decompressed size).
  /// Errors as decompress_append; corrupt when the size differs.
  Status decompress_exact(ByteSpan in, MutableByteSpan out);

  /// The decompressed size the stream declares, when the format stores one
  /// (zstd frame header, single-member gzip ISIZE). Untrusted: a hint only.
  std::optional<std::uint64_t> declared_size(ByteSpan in) const noexcept;

 private:
  friend struct internal::ContextAccess;
  struct Impl;
  Decompressor(Codec c, std::unique_ptr<Impl> impl) noexcept;
  Codec codec_;
  std::unique_ptr<Impl> impl_;
};

// ---- one-shot functions. Each uses this thread's context for the codec and
// parameters (made on the thread's first call with them, then reused: a few
// compression contexts per thread, one decompression context per codec), so
// a loop of calls costs what the same loop on a kept Compressor /
// Decompressor costs. Errors: as Compressor::make + compress_append, and
// Decompressor::make + decompress_append.

/// Compresses `in` into a new vector.
Result<std::vector<std::uint8_t>> compress(Codec codec, ByteSpan in, std::optional<int> level = std::nullopt,
                                           const ZstdCompressParams& zstd = {});
/// Decompresses one whole item into a new vector.
Result<std::vector<std::uint8_t>> decompress(Codec codec, ByteSpan in, const DecompressOptions& opts = {},
                                             const ZstdDecompressParams& zstd = {});

/// Upper bound of the compressed size of `n` input bytes for compress_into
/// with the same arguments; SIZE_MAX when it does not fit or the arguments
/// are invalid (compress_into then reports why).
std::size_t compress_bound(Codec codec, std::size_t n, std::optional<int> level = std::nullopt,
                           const ZstdCompressParams& zstd = {}) noexcept;
/// Compresses `in` into `out`, which must hold compress_bound(...) bytes;
/// returns the number of bytes written.
Result<std::size_t> compress_into(Codec codec, ByteSpan in, MutableByteSpan out,
                                  std::optional<int> level = std::nullopt, const ZstdCompressParams& zstd = {});
/// Decompresses `in` into exactly `out.size()` bytes (Decompressor::decompress_exact).
Status decompress_into(Codec codec, ByteSpan in, MutableByteSpan out, const ZstdDecompressParams& zstd = {});
/// The decompressed size `in` declares, if its format stores one
/// (Decompressor::declared_size). Untrusted: a hint only.
std::optional<std::uint64_t> declared_size(Codec codec, ByteSpan in) noexcept;

}  // namespace segpack
