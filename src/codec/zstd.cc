// segpack — zstd: one ZSTD_CCtx / ZSTD_DCtx per context object, reused across
// calls. Frames are written like python-zstandard's ZstdCompressor().compress:
// content size in the header, no checksum.
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <limits>

#include "codec_internal.h"

namespace segpack::internal {
namespace {

std::string zstd_error(std::size_t code) { return ZSTD_getErrorName(code); }

// Sum of the content sizes the frames declare (skippable frames count 0);
// ZSTD_CONTENTSIZE_UNKNOWN when a frame has none, ZSTD_CONTENTSIZE_ERROR when
// `in` is not a sequence of whole frames. Stable-API twin of the experimental
// ZSTD_findDecompressedSize. Walks the block headers; decodes nothing.
unsigned long long declared_total(ByteSpan in) noexcept {
  unsigned long long total = 0;
  std::size_t pos = 0;
  while (pos < in.size()) {
    const unsigned long long n = ZSTD_getFrameContentSize(in.data() + pos, in.size() - pos);
    if (n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR) return n;
    const std::size_t frame = ZSTD_findFrameCompressedSize(in.data() + pos, in.size() - pos);
    if (ZSTD_isError(frame) || frame == 0) return ZSTD_CONTENTSIZE_ERROR;
    if (n >= ZSTD_CONTENTSIZE_ERROR - total) return ZSTD_CONTENTSIZE_ERROR;
    total += n;
    pos += frame;
  }
  return pos == 0 ? ZSTD_CONTENTSIZE_ERROR : total;
}

class ZstdCompressor final : public CompressBackend {
 public:
  explicit ZstdCompressor(ZSTD_CCtx* c) noexcept : c_(c) {}
  ~ZstdCompressor() override { ZSTD_freeCCtx(c_); }

  std::size_t bound(std::size_t n) const noexcept override {
    const std::size_t b = ZSTD_compressBound(n);
    return ZSTD_isError(b) ? std::numeric_limits<std::size_t>::max() : b;
  }

  Result<std::size_t> compress(ByteSpan in, MutableByteSpan out) override {
    // ZSTD_compress2 resets the session and keeps the parameters set in make.
    const std::size_t r = ZSTD_compress2(c_, out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(r)) {
      if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) {
        return resource_exhausted("zstd: out of memory while compressing");
      }
      return internal_error("zstd: compression failed (" + zstd_error(r) + ")");
    }
    return r;
  }

 private:
  ZSTD_CCtx* c_;
};

class ZstdDecompressor final : public DecompressBackend {
 public:
  explicit ZstdDecompressor(ZSTD_DCtx* d) noexcept : d_(d) {}
  ~ZstdDecompressor() override { ZSTD_freeDCtx(d_); }

  Status decompress(ByteSpan in, OutBuf& out) override {
    if (out.fixed()) {
      // The caller's span is the whole budget: decode in one call, no copies.
      const std::size_t r = ZSTD_decompressDCtx(d_, out.data(), out.capacity(), in.data(), in.size());
      if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) return out.overflow();
        return frame_error(r, false);
      }
      out.set_produced(r);
      return Status::OK();
    }
    // Sum of the frames' declared sizes (skippable frames count 0). Untrusted:
    // one allocation only when it fits the limit and a plausible expansion.
    const unsigned long long declared = declared_total(in);
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
      // zstd checks every frame's content size, so a larger claim fails anyway.
      if (declared > out.limit()) return out.declared_over_limit(declared);
      if (declared <= plausible_output(in.size())) {
        out.reserve(static_cast<std::size_t>(declared));
        const std::size_t r = ZSTD_decompressDCtx(d_, out.data(), out.capacity(), in.data(), in.size());
        if (ZSTD_isError(r)) return frame_error(r, false);
        out.set_produced(r);
        return Status::OK();
      }
    }
    return stream(in, out);
  }

  std::optional<std::uint64_t> declared_size(ByteSpan in) const noexcept override {
    const unsigned long long n = declared_total(in);
    if (n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR) return std::nullopt;
    return n;
  }

 private:
  Status frame_error(std::size_t code, bool after_frame) const {
    const ZSTD_ErrorCode e = ZSTD_getErrorCode(code);
    if (e == ZSTD_error_frameParameter_windowTooLarge) {
      return resource_exhausted("zstd: frame needs a window larger than the decoder allows (" + zstd_error(code) +
                                ")");
    }
    if (e == ZSTD_error_memory_allocation) return resource_exhausted("zstd: out of memory while decoding");
    if (after_frame) return corrupt("zstd: trailing bytes after the last frame (" + zstd_error(code) + ")");
    return corrupt("zstd: frame is corrupt (" + zstd_error(code) + ")");
  }

  // Streaming decode with output growth: concatenated and skippable frames.
  Status stream(ByteSpan in, OutBuf& out) {
    ZSTD_DCtx_reset(d_, ZSTD_reset_session_only);
    if (out.exact()) out.reserve(std::min(out.limit(), plausible_output(in.size())));
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    bool at_frame_end = false;  // the last call completed a frame
    while (true) {
      const OutBuf::Window w = out.window();
      ZSTD_outBuffer ob{w.ptr, w.size, 0};
      const std::size_t r = ZSTD_decompressStream(d_, &ob, &ib);
      if (ZSTD_isError(r)) return frame_error(r, at_frame_end && ob.pos == 0);
      if (!out.commit(ob.pos)) return out.overflow();
      if (r == 0) {
        at_frame_end = true;
        if (ib.pos == ib.size) return Status::OK();
        continue;
      }
      at_frame_end = false;
      if (ib.pos == ib.size && ob.pos < ob.size) {
        // All input consumed, output space left over, frame not finished.
        return corrupt("zstd: truncated frame (input ends inside a frame)");
      }
    }
  }

  ZSTD_DCtx* d_;
};

}  // namespace

Result<std::unique_ptr<CompressBackend>> make_zstd_compressor(int level) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  if (!c) return resource_exhausted("zstd: ZSTD_createCCtx failed");
  std::unique_ptr<CompressBackend> b(new ZstdCompressor(c));
  for (auto [param, value] : {std::pair{ZSTD_c_compressionLevel, level}, std::pair{ZSTD_c_contentSizeFlag, 1},
                              std::pair{ZSTD_c_checksumFlag, 0}}) {
    const std::size_t r = ZSTD_CCtx_setParameter(c, param, value);
    if (ZSTD_isError(r)) return internal_error("zstd: setting a compression parameter failed (" + zstd_error(r) + ")");
  }
  return b;
}

Result<std::unique_ptr<DecompressBackend>> make_zstd_decompressor() {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  if (!d) return resource_exhausted("zstd: ZSTD_createDCtx failed");
  return std::unique_ptr<DecompressBackend>(new ZstdDecompressor(d));
}

}  // namespace segpack::internal
