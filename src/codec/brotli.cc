// segpack — brotli (mapbuffer's "br"): quality 5, lgwin 22, generic mode by
// default, as Python's brotli.compress. libbrotli 1.0 has no reset for its
// states, so each call makes its own (one-shot encoder, streaming decoder).
#include <brotli/decode.h>
#include <brotli/encode.h>

#include <algorithm>
#include <limits>

#include "codec_internal.h"

namespace segpack::internal {
namespace {

constexpr int kBrotliLgwin = 22;

class BrotliCompressor final : public CompressBackend {
 public:
  explicit BrotliCompressor(int quality) noexcept : quality_(quality) {}

  std::size_t bound(std::size_t n) const noexcept override {
    // 0 means "does not fit in size_t".
    const std::size_t b = BrotliEncoderMaxCompressedSize(n);
    return b == 0 ? std::numeric_limits<std::size_t>::max() : b;
  }

  Result<std::size_t> compress(ByteSpan in, MutableByteSpan out) override {
    std::size_t n = out.size();
    if (!BrotliEncoderCompress(quality_, kBrotliLgwin, BROTLI_MODE_GENERIC, in.size(), in.data(), &n, out.data())) {
      return internal_error("brotli: BrotliEncoderCompress failed (quality " + std::to_string(quality_) + ")");
    }
    return n;
  }

 private:
  int quality_;
};

struct BrotliStateDeleter {
  void operator()(BrotliDecoderState* s) const noexcept { BrotliDecoderDestroyInstance(s); }
};

class BrotliDecompressor final : public DecompressBackend {
 public:
  Status decompress(ByteSpan in, OutBuf& out) override {
    std::unique_ptr<BrotliDecoderState, BrotliStateDeleter> s(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr));
    if (!s) return resource_exhausted("brotli: out of memory creating a decoder");
    if (out.exact()) out.reserve(std::min(out.limit(), plausible_output(in.size())));
    std::size_t avail_in = in.size();
    const std::uint8_t* next_in = in.data();
    while (true) {
      const OutBuf::Window w = out.window();
      std::size_t avail_out = w.size;
      std::uint8_t* next_out = w.ptr;
      const BrotliDecoderResult r =
          BrotliDecoderDecompressStream(s.get(), &avail_in, &next_in, &avail_out, &next_out, nullptr);
      if (!out.commit(w.size - avail_out)) return out.overflow();
      switch (r) {
        case BROTLI_DECODER_RESULT_SUCCESS:
          if (avail_in != 0) {
            return corrupt("brotli: " + std::to_string(avail_in) + " trailing bytes after the end of the stream");
          }
          return Status::OK();
        case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: continue;
        case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
          return corrupt("brotli: truncated stream (input ends before the last meta-block)");
        case BROTLI_DECODER_RESULT_ERROR:
        default: {
          const BrotliDecoderErrorCode e = BrotliDecoderGetErrorCode(s.get());
          const std::string what = BrotliDecoderErrorString(e);
          if (e <= BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES && e >= BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES) {
            return resource_exhausted("brotli: out of memory while decoding (" + what + ")");
          }
          return corrupt("brotli: stream is corrupt (" + what + ")");
        }
      }
    }
  }
};

}  // namespace

Result<std::unique_ptr<CompressBackend>> make_brotli_compressor(int level) {
  return std::unique_ptr<CompressBackend>(new BrotliCompressor(level));
}

Result<std::unique_ptr<DecompressBackend>> make_brotli_decompressor() {
  return std::unique_ptr<DecompressBackend>(new BrotliDecompressor());
}

}  // namespace segpack::internal
