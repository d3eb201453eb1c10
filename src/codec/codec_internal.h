// segpack internal — the codec backends behind Compressor / Decompressor, and
// the bounded output buffer every decoder writes through. May change.
//
// Every backend decodes into an OutBuf. The OutBuf owns the policy for
// untrusted sizes: it never grows beyond its limit (max_output or the expected
// size), grows geometrically with the bytes actually produced, and only makes
// a single up-front reservation when the caller says a hint is trustworthy
// (see plausible_output() in segpack/internal/limits.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/codec.h"
#include "segpack/internal/codec_contexts.h"
#include "segpack/internal/limits.h"
#include "segpack/internal/text.h"
#include "segpack/result.h"
#include "segpack/zstd.h"

namespace segpack::internal {

/// The codec's name in error messages ("brotli" rather than mapbuffer's "br").
std::string_view display_name(Codec c) noexcept;

/// Output of one decompression call: either appended to a vector (growable up
/// to a limit) or a fixed caller-owned span (decompress_exact).
///
/// Decoders ask for a window() of free space, let the library write into it,
/// and commit() what was written. When the limit is reached the window is a
/// one-byte probe: a decoder that writes into it has more output than allowed,
/// and commit() returns false (then return overflow()).
class OutBuf {
 public:
  enum class LimitKind { max_output, expected };

  /// Appends to `vec`; the limit counts only the bytes of this call.
  OutBuf(std::vector<std::uint8_t>& vec, std::size_t limit, LimitKind kind, Codec codec, std::size_t in_size);
  /// Writes into exactly `span` (LimitKind::expected with limit span.size()).
  OutBuf(MutableByteSpan span, Codec codec);

  OutBuf(const OutBuf&) = delete;
  OutBuf& operator=(const OutBuf&) = delete;

  bool fixed() const noexcept { return vec_ == nullptr; }
  /// True when the output must be exactly limit() bytes (expected_size or a
  /// fixed span): then limit() is the caller's size, usable as a hint.
  bool exact() const noexcept { return kind_ == LimitKind::expected; }
  std::size_t limit() const noexcept { return limit_; }
  std::size_t produced() const noexcept { return produced_; }
  /// Bytes currently allocated for this call's output (>= produced()).
  std::size_t capacity() const noexcept { return cap_; }
  /// Start of this call's output. Invalidated by window()/reserve() growth.
  std::uint8_t* data() noexcept;

  /// Makes capacity() at least min(n, limit()) in one allocation. Only call
  /// with a size that passed plausible_output() (or is the caller's own span).
  void reserve(std::size_t n);
  /// Declares that [data(), data()+n) now holds output (n <= capacity()).
  void set_produced(std::size_t n) noexcept { produced_ = n; }

  struct Window {
    std::uint8_t* ptr;
    std::size_t size;
  };
  /// Free space after produced(); grows geometrically when none is left; at the
  /// limit returns a one-byte probe. Never empty.
  Window window();
  /// Records `n` bytes written into the last window. False when they went into
  /// the probe: the output is larger than limit().
  bool commit(std::size_t n) noexcept;

  /// The error for "more output than limit()": resource_exhausted naming
  /// max_output, or corrupt naming the expected size.
  Status overflow() const;
  /// The error for "a stream declares `declared` bytes, more than limit()".
  Status declared_over_limit(std::uint64_t declared) const;
  /// Checks the expected size and trims the vector to what was produced.
  Status finish();
  /// Restores the vector to its size before this call (on error).
  void abandon() noexcept;

  std::string_view codec_name() const noexcept { return display_name(codec_); }

 private:
  void grow_to(std::size_t new_cap);

  std::vector<std::uint8_t>* vec_ = nullptr;
  std::size_t base_ = 0;
  std::uint8_t* fixed_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t produced_ = 0;
  std::size_t limit_ = 0;
  std::size_t first_growth_ = 0;
  LimitKind kind_ = LimitKind::expected;
  Codec codec_;
  bool probing_ = false;
  std::uint8_t probe_[1] = {0};
};

/// One compression backend per codec and level.
class CompressBackend {
 public:
  virtual ~CompressBackend() = default;
  /// True upper bound of the compressed size; SIZE_MAX when it does not fit.
  virtual std::size_t bound(std::size_t n) const noexcept = 0;
  /// `out.size() >= bound(in.size())` is checked by the caller.
  virtual Result<std::size_t> compress(ByteSpan in, MutableByteSpan out) = 0;
};

/// One decompression backend per codec.
class DecompressBackend {
 public:
  virtual ~DecompressBackend() = default;
  /// Decodes all of `in` into `out`; `in` is non-empty for real codecs (the
  /// caller rejects empty input). Does not call out.finish().
  virtual Status decompress(ByteSpan in, OutBuf& out) = 0;
  virtual std::optional<std::uint64_t> declared_size(ByteSpan in) const noexcept { return std::nullopt; }
  /// Applies zstd decoding parameters (zstd only; others accept the defaults).
  virtual Status configure(const ZstdDecompressParams& p) {
    if (p == ZstdDecompressParams{}) return Status::OK();
    return invalid_argument("zstd decoding parameters given for a codec other than zstd");
  }
};

Result<std::unique_ptr<CompressBackend>> make_none_compressor();
Result<std::unique_ptr<CompressBackend>> make_gzip_compressor(int level);
Result<std::unique_ptr<CompressBackend>> make_brotli_compressor(int level);
Result<std::unique_ptr<CompressBackend>> make_zstd_compressor(int level, const ZstdCompressParams& params);
Result<std::unique_ptr<CompressBackend>> make_lzma_compressor(int level);

Result<std::unique_ptr<DecompressBackend>> make_none_decompressor();
Result<std::unique_ptr<DecompressBackend>> make_gzip_decompressor();
Result<std::unique_ptr<DecompressBackend>> make_brotli_decompressor();
Result<std::unique_ptr<DecompressBackend>> make_zstd_decompressor(const ZstdDecompressParams& params);
Result<std::unique_ptr<DecompressBackend>> make_lzma_decompressor();

// ---- per-thread contexts: declared in segpack/internal/codec_contexts.h,
// defined in local_contexts.cc.

/// Access to a Decompressor's backend for the per-thread cache.
struct ContextAccess {
  /// Applies zstd decoding parameters to an existing context (cheap).
  static Status configure(Decompressor& d, const ZstdDecompressParams& zstd);
};

/// The decompressed size zstd frames declare (the zstd Decompressor's
/// declared_size, without a context).
std::optional<std::uint64_t> zstd_declared_size(ByteSpan in) noexcept;

}  // namespace segpack::internal
