// segpack — lzma: the .xz container (not legacy .lzma), preset 6 and a CRC64
// check by default, as Python's lzma.compress. Compression is single-call
// (lzma_stream_buffer_encode) because only that is covered by
// lzma_stream_buffer_bound. Decoding accepts concatenated streams and stream
// padding, like Python's lzma.decompress, but rejects trailing garbage.
#include <lzma.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "codec_internal.h"

namespace segpack::internal {
namespace {

// Memory the decoder may use (the dictionary dominates); preset 9 needs ~65 MiB.
constexpr std::uint64_t kLzmaMemlimit = std::uint64_t{256} << 20;
constexpr std::uint8_t kXzMagic[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};

std::string lzma_ret_name(lzma_ret r) {
  switch (r) {
    case LZMA_OK: return "LZMA_OK";
    case LZMA_STREAM_END: return "LZMA_STREAM_END";
    case LZMA_NO_CHECK: return "LZMA_NO_CHECK";
    case LZMA_UNSUPPORTED_CHECK: return "LZMA_UNSUPPORTED_CHECK";
    case LZMA_GET_CHECK: return "LZMA_GET_CHECK";
    case LZMA_MEM_ERROR: return "LZMA_MEM_ERROR";
    case LZMA_MEMLIMIT_ERROR: return "LZMA_MEMLIMIT_ERROR";
    case LZMA_FORMAT_ERROR: return "LZMA_FORMAT_ERROR";
    case LZMA_OPTIONS_ERROR: return "LZMA_OPTIONS_ERROR";
    case LZMA_DATA_ERROR: return "LZMA_DATA_ERROR";
    case LZMA_BUF_ERROR: return "LZMA_BUF_ERROR";
    case LZMA_PROG_ERROR: return "LZMA_PROG_ERROR";
    default: return "lzma_ret " + std::to_string(static_cast<int>(r));
  }
}

class LzmaCompressor final : public CompressBackend {
 public:
  explicit LzmaCompressor(const lzma_options_lzma& opt) noexcept : opt_(opt) {}

  std::size_t bound(std::size_t n) const noexcept override {
    const std::size_t b = lzma_stream_buffer_bound(n);  // 0: does not fit
    return b == 0 ? std::numeric_limits<std::size_t>::max() : b;
  }

  Result<std::size_t> compress(ByteSpan in, MutableByteSpan out) override {
    lzma_options_lzma opt = opt_;  // the encoder takes a non-const pointer
    // liblzma allocates and zeroes match-finder tables sized by the dictionary
    // on every call (8 MiB of dictionary at preset 6: about 1 ms, whatever the
    // input). A dictionary larger than the input finds nothing more, so it is
    // cut to the input (at least LZMA_DICT_SIZE_MIN): a standard .xz stream
    // whose header records the smaller dictionary, which decoders then need.
    if (in.size() < opt.dict_size) {
      opt.dict_size = std::max<std::uint32_t>(LZMA_DICT_SIZE_MIN, static_cast<std::uint32_t>(in.size()));
    }
    lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
    std::size_t out_pos = 0;
    const lzma_ret r = lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC64, nullptr, in.data(), in.size(), out.data(),
                                                 &out_pos, out.size());
    if (r == LZMA_OK) return out_pos;
    if (r == LZMA_MEM_ERROR) return resource_exhausted("lzma: out of memory while compressing");
    return internal_error("lzma: lzma_stream_buffer_encode failed (" + lzma_ret_name(r) + ")");
  }

 private:
  lzma_options_lzma opt_;
};

class LzmaDecompressor final : public DecompressBackend {
 public:
  ~LzmaDecompressor() override { lzma_end(&strm_); }

  Status decompress(ByteSpan in, OutBuf& out) override {
    if (out.exact()) out.reserve(std::min(out.limit(), plausible_output(in.size())));
    std::size_t pos = 0;
    bool first = true;
    while (true) {
      if (in.size() - pos < sizeof(kXzMagic) || std::memcmp(in.data() + pos, kXzMagic, sizeof(kXzMagic)) != 0) {
        if (first) return corrupt("lzma: not an xz stream (magic " + hex_bytes(in, 6) + ")");
        return corrupt("lzma: " + std::to_string(in.size() - pos) + " trailing bytes after the xz stream (" +
                       hex_bytes(in.subspan(pos), 4) + ")");
      }
      first = false;
      SEGPACK_RETURN_IF_ERROR(decode_one_stream(in, pos, out));
      // Stream Padding: NUL bytes in multiples of four, between or after streams.
      std::size_t pad = 0;
      while (pos + pad < in.size() && in[pos + pad] == 0) ++pad;
      if (pad % 4 != 0) {
        return corrupt("lzma: " + std::to_string(pad) + " bytes of stream padding (must be a multiple of 4)");
      }
      pos += pad;
      if (pos == in.size()) return Status::OK();
    }
  }

 private:
  // Decodes the xz stream starting at `pos`, advancing `pos` past it.
  Status decode_one_stream(ByteSpan in, std::size_t& pos, OutBuf& out) {
    lzma_ret r = lzma_stream_decoder(&strm_, kLzmaMemlimit, 0);  // reuses strm_'s memory
    if (r == LZMA_MEM_ERROR) return resource_exhausted("lzma: out of memory creating a decoder");
    if (r != LZMA_OK) return internal_error("lzma: lzma_stream_decoder failed (" + lzma_ret_name(r) + ")");
    strm_.next_in = in.data() + pos;
    strm_.avail_in = in.size() - pos;
    while (true) {
      const OutBuf::Window w = out.window();
      strm_.next_out = w.ptr;
      strm_.avail_out = w.size;
      const std::size_t in_before = strm_.avail_in;
      r = lzma_code(&strm_, LZMA_RUN);
      pos += in_before - strm_.avail_in;
      if (!out.commit(w.size - strm_.avail_out)) return out.overflow();
      switch (r) {
        case LZMA_STREAM_END: return Status::OK();
        case LZMA_OK:
          if (strm_.avail_in == 0 && strm_.avail_out != 0) {
            return corrupt("lzma: truncated stream (input ends inside the xz stream)");
          }
          continue;
        case LZMA_BUF_ERROR: return corrupt("lzma: truncated stream (input ends inside the xz stream)");
        case LZMA_MEMLIMIT_ERROR:
          return resource_exhausted("lzma: decoding needs " + std::to_string(lzma_memusage(&strm_) >> 20) +
                                    " MiB, more than the " + std::to_string(kLzmaMemlimit >> 20) + " MiB limit");
        case LZMA_MEM_ERROR: return resource_exhausted("lzma: out of memory while decoding");
        case LZMA_FORMAT_ERROR: return corrupt("lzma: not an xz stream (" + lzma_ret_name(r) + ")");
        case LZMA_OPTIONS_ERROR: return unsupported("lzma: unsupported xz options (" + lzma_ret_name(r) + ")");
        case LZMA_DATA_ERROR: return corrupt("lzma: stream is corrupt (" + lzma_ret_name(r) + ")");
        default: return internal_error("lzma: lzma_code returned " + lzma_ret_name(r));
      }
    }
  }

  lzma_stream strm_ = LZMA_STREAM_INIT;
};

}  // namespace

Result<std::unique_ptr<CompressBackend>> make_lzma_compressor(int level) {
  lzma_options_lzma opt;
  if (lzma_lzma_preset(&opt, static_cast<std::uint32_t>(level))) {
    return internal_error("lzma: lzma_lzma_preset(" + std::to_string(level) + ") failed");
  }
  return std::unique_ptr<CompressBackend>(new LzmaCompressor(opt));
}

Result<std::unique_ptr<DecompressBackend>> make_lzma_decompressor() {
  return std::unique_ptr<DecompressBackend>(new LzmaDecompressor());
}

}  // namespace segpack::internal
