// segpack — zstd: one ZSTD_CCtx / ZSTD_DCtx per context object, reused across
// calls. Frames are written like python-zstandard's ZstdCompressor().compress
// (the same parameters set the same way, then one ZSTD_compress2 per item):
// by default content size in the header, no checksum.
//
// Dictionaries. python-zstandard loads the dictionary into each context
// (ZSTD_CCtx_loadDictionary_advanced, by reference), so every context digests
// it on its first frame. segpack shares one digest per level instead
// (ZstdDictionary's CDict, made with ZSTD_createCDict_byReference): for items
// below 128 KiB libzstd compresses with the digest's own tables either way, so
// the frames are the same. From 128 KiB on (ZSTD_USE_CDICT_PARAMS_SRCSIZE_CUTOFF
// in libzstd) a CDict made for a level makes libzstd reload the raw content
// with size-specific parameters, which the context-loaded dictionary does not
// do: such items go through a second context that loads the dictionary itself,
// as python-zstandard does (the digest cost is then small next to the item).
// Explicit low-level parameters and dictionary types that libzstd's own
// detection would read differently also take that path for every item.
#include <zstd_errors.h>

#include <algorithm>
#include <limits>

#include "codec_internal.h"
#include "zstd_internal.h"

namespace segpack::internal {
namespace {

// Items from this size on use the context that loads the dictionary itself.
constexpr std::size_t kLocalDictFrom = std::size_t{128} << 10;
// The smallest window libzstd's decoder counts a frame as needing (1 << ZSTD_WINDOWLOG_ABSOLUTEMIN).
constexpr std::uint64_t kMinWindow = 1024;

std::string zstd_error(std::size_t code) { return ZSTD_getErrorName(code); }

// Sum of the content sizes the frames declare (skippable frames count 0);
// ZSTD_CONTENTSIZE_UNKNOWN when a frame has none, ZSTD_CONTENTSIZE_ERROR when
// `in` is not a sequence of whole frames. The twin of the experimental
// ZSTD_findDecompressedSize, with one header parse per frame: the block
// headers are walked here, as the format lays them out (RFC 8878 3.1.1.2),
// and nothing is decoded. It runs before every one-shot decode, so it is kept
// cheap for the one-frame case.
unsigned long long declared_total(ByteSpan in) noexcept {
  unsigned long long total = 0;
  std::size_t pos = 0;
  const std::size_t n = in.size();
  while (pos < n) {
    ZSTD_frameHeader h;
    if (ZSTD_getFrameHeader(&h, in.data() + pos, n - pos) != 0) return ZSTD_CONTENTSIZE_ERROR;
    if (h.frameType == ZSTD_skippableFrame) {
      // libzstd 1.5.4 leaves headerSize at 0 for skippable frames: use the
      // format's fixed 8-byte header (magic + size), so every frame advances.
      constexpr std::size_t kSkippableHeader = 8;
      if (n - pos < kSkippableHeader || h.frameContentSize > n - pos - kSkippableHeader) {
        return ZSTD_CONTENTSIZE_ERROR;
      }
      pos += kSkippableHeader + static_cast<std::size_t>(h.frameContentSize);
      continue;
    }
    if (h.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN) return ZSTD_CONTENTSIZE_UNKNOWN;
    std::size_t p = pos + h.headerSize;
    for (bool last = false; !last;) {
      if (n - p < 3) return ZSTD_CONTENTSIZE_ERROR;
      const std::uint32_t bh = in[p] | std::uint32_t{in[p + 1]} << 8 | std::uint32_t{in[p + 2]} << 16;
      last = (bh & 1) != 0;
      const std::uint32_t type = (bh >> 1) & 3;  // 0 raw, 1 RLE, 2 compressed, 3 reserved
      if (type == 3) return ZSTD_CONTENTSIZE_ERROR;
      const std::size_t body = type == 1 ? 1 : (bh >> 3);
      if (n - p - 3 < body) return ZSTD_CONTENTSIZE_ERROR;
      p += 3 + body;
    }
    if (h.checksumFlag) {
      if (n - p < 4) return ZSTD_CONTENTSIZE_ERROR;
      p += 4;
    }
    if (h.frameContentSize >= ZSTD_CONTENTSIZE_ERROR - total) return ZSTD_CONTENTSIZE_ERROR;
    total += h.frameContentSize;
    pos = p;
  }
  return pos == 0 ? ZSTD_CONTENTSIZE_ERROR : total;
}

// The largest window any frame of `in` asks for, as libzstd's streaming
// decoder counts it (at least 1 KiB), as far as the headers can be read;
// malformed frames are left to the decoder to report.
std::uint64_t largest_window(ByteSpan in) noexcept {
  std::uint64_t most = 0;
  std::size_t pos = 0;
  while (pos < in.size()) {
    ZSTD_frameHeader h;
    if (ZSTD_getFrameHeader(&h, in.data() + pos, in.size() - pos) != 0) break;
    if (h.frameType != ZSTD_skippableFrame) {
      most = std::max<std::uint64_t>({most, h.windowSize, kMinWindow});
    }
    const std::size_t frame = ZSTD_findFrameCompressedSize(in.data() + pos, in.size() - pos);
    if (ZSTD_isError(frame) || frame == 0) break;
    pos += frame;
  }
  return most;
}

Status compress_error(std::size_t r) {
  switch (ZSTD_getErrorCode(r)) {
    case ZSTD_error_memory_allocation: return resource_exhausted("zstd: out of memory while compressing");
    case ZSTD_error_dictionary_corrupted:
    case ZSTD_error_dictionary_wrong: return corrupt("zstd: the dictionary is corrupt (" + zstd_error(r) + ")");
    case ZSTD_error_parameter_unsupported:
    case ZSTD_error_parameter_outOfBound:
    case ZSTD_error_parameter_combination_unsupported:
      return invalid_argument("zstd: the compression parameters are not usable together (" + zstd_error(r) + ")");
    default: return internal_error("zstd: compression failed (" + zstd_error(r) + ")");
  }
}

class ZstdCompressor final : public CompressBackend {
 public:
  ZstdCompressor(int level, ZstdCompressParams params) : level_(level), params_(std::move(params)) {}
  ~ZstdCompressor() override {
    ZSTD_freeCCtx(main_);
    ZSTD_freeCCtx(local_);
  }

  Status init() {
    const ZstdDictionary* d = params_.dictionary.get();
    if (d != nullptr && d->impl().empty()) d = nullptr;  // an empty dictionary is none (python-zstandard)
    dict_ = d;
    const bool explicit_cparams = params_.window_log || params_.hash_log || params_.chain_log || params_.search_log ||
                                  params_.min_match || params_.target_length || params_.strategy ||
                                  params_.enable_ldm || params_.force_max_window;
    shared_ = dict_ != nullptr && !explicit_cparams && dict_->impl().auto_type_agrees();
    SEGPACK_ASSIGN_OR_RETURN(main_, make_context(/*local_dict=*/dict_ != nullptr && !shared_));
    return Status::OK();
  }

  std::size_t bound(std::size_t n) const noexcept override {
    const std::size_t b = ZSTD_compressBound(n);
    return ZSTD_isError(b) ? std::numeric_limits<std::size_t>::max() : b;
  }

  Result<std::size_t> compress(ByteSpan in, MutableByteSpan out) override {
    ZSTD_CCtx* c = main_;
    if (shared_ && in.size() >= kLocalDictFrom) {
      if (local_ == nullptr) {
        SEGPACK_ASSIGN_OR_RETURN(local_, make_context(/*local_dict=*/true));
      }
      c = local_;
    }
    // ZSTD_compress2 resets the session and keeps the parameters and the
    // dictionary; the source size is the pledged size, as in python-zstandard.
    const std::size_t r = ZSTD_compress2(c, out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(r)) {
      // A context that cannot load its dictionary says "allocation failed".
      if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation && c != main_shared() && dict_ != nullptr &&
          !dict_->impl().loads_for_compression(level_)) {
        return corrupt("zstd: the dictionary is corrupt (libzstd cannot load it for compression)");
      }
      return compress_error(r);
    }
    return r;
  }

 private:
  // A context with the parameters and the dictionary: the shared digest
  // (refCDict) or, with local_dict, the bytes for the context to digest.
  Result<ZSTD_CCtx*> make_context(bool local_dict) {
    ZSTD_CCtx* c = ZSTD_createCCtx();
    if (c == nullptr) return resource_exhausted("zstd: ZSTD_createCCtx failed");
    Status st = apply_zstd_params(c, level_, params_);
    if (st.ok() && dict_ != nullptr) {
      std::size_t r = 0;
      if (local_dict) {
        const ZstdDictionary::Impl& d = dict_->impl();
        r = ZSTD_CCtx_loadDictionary_advanced(c, d.bytes.data(), d.bytes.size(), ZSTD_dlm_byRef, d.content_type());
      } else {
        Result<const ZSTD_CDict*> cd = dict_->impl().cdict(level_);
        if (cd.ok()) {
          r = ZSTD_CCtx_refCDict(c, *cd);
        } else {
          st = cd.status();
        }
      }
      if (st.ok() && ZSTD_isError(r)) st = compress_error(r);
    }
    if (!st.ok()) {
      ZSTD_freeCCtx(c);
      return st;
    }
    return c;
  }

  // The context that uses the shared digest, if any.
  const ZSTD_CCtx* main_shared() const noexcept { return shared_ ? main_ : nullptr; }

  int level_;
  ZstdCompressParams params_;  // keeps the dictionary alive
  const ZstdDictionary* dict_ = nullptr;
  bool shared_ = false;
  ZSTD_CCtx* main_ = nullptr;
  ZSTD_CCtx* local_ = nullptr;  // shared_ only: large items, dictionary loaded by the context
};

class ZstdDecompressor final : public DecompressBackend {
 public:
  explicit ZstdDecompressor(ZSTD_DCtx* d) noexcept : d_(d) {}
  ~ZstdDecompressor() override { ZSTD_freeDCtx(d_); }

  Status configure(const ZstdDecompressParams& p) override {
    if (p == params_) return Status::OK();  // the per-call case: nothing to do
    SEGPACK_RETURN_IF_ERROR(validate(p));
    ZSTD_DCtx_reset(d_, ZSTD_reset_session_and_parameters);  // also drops the dictionary
    params_ = ZstdDecompressParams{};
    dict_ = nullptr;
    if (p.max_window_size != 0) {
      const std::size_t r = ZSTD_DCtx_setMaxWindowSize(d_, static_cast<std::size_t>(p.max_window_size));
      if (ZSTD_isError(r)) return invalid_argument("zstd: cannot set max_window_size (" + zstd_error(r) + ")");
    }
    if (p.dictionary != nullptr && !p.dictionary->impl().empty()) {
      SEGPACK_ASSIGN_OR_RETURN(const ZSTD_DDict* dd, p.dictionary->impl().ddict_ref());
      const std::size_t r = ZSTD_DCtx_refDDict(d_, dd);
      if (ZSTD_isError(r)) return internal_error("zstd: cannot use the dictionary (" + zstd_error(r) + ")");
      dict_ = p.dictionary.get();
    }
    params_ = p;
    return Status::OK();
  }

  Status decompress(ByteSpan in, OutBuf& out) override {
    if (params_.max_window_size != 0) {
      const std::uint64_t w = largest_window(in);
      if (w > params_.max_window_size) {
        return resource_exhausted("zstd: a frame needs a window of " + std::to_string(w) +
                                  " bytes, more than max_window_size (" + std::to_string(params_.max_window_size) +
                                  " bytes)");
      }
    }
    if (out.fixed()) {
      // The caller's span is the whole budget: decode in one call, no copies.
      const std::size_t r = ZSTD_decompressDCtx(d_, out.data(), out.capacity(), in.data(), in.size());
      if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) return out.overflow();
        return frame_error(r, false, in);
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
        if (ZSTD_isError(r)) return frame_error(r, false, in);
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
  Status frame_error(std::size_t code, bool after_frame, ByteSpan in) const {
    const ZSTD_ErrorCode e = ZSTD_getErrorCode(code);
    if (e == ZSTD_error_frameParameter_windowTooLarge) {
      return resource_exhausted("zstd: frame needs a window larger than the decoder allows (" + zstd_error(code) + ")");
    }
    if (e == ZSTD_error_memory_allocation) return resource_exhausted("zstd: out of memory while decoding");
    if (e == ZSTD_error_dictionary_wrong) {
      const unsigned wanted = ZSTD_getDictID_fromFrame(in.data(), in.size());
      std::string has = dict_ == nullptr ? std::string("no dictionary") : "dictionary " + std::to_string(dict_->id());
      return corrupt("zstd: the frame needs dictionary " + std::to_string(wanted) + ", the decoder has " + has + " (" +
                     zstd_error(code) + ")");
    }
    if (e == ZSTD_error_dictionary_corrupted)
      return corrupt("zstd: the dictionary is corrupt (" + zstd_error(code) + ")");
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
      if (ZSTD_isError(r)) return frame_error(r, at_frame_end && ob.pos == 0, in);
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
  ZstdDecompressParams params_;  // keeps the dictionary alive
  const ZstdDictionary* dict_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<CompressBackend>> make_zstd_compressor(int level, const ZstdCompressParams& params) {
  SEGPACK_RETURN_IF_ERROR(validate(params));
  auto b = std::make_unique<ZstdCompressor>(level, params);
  SEGPACK_RETURN_IF_ERROR(b->init());
  return std::unique_ptr<CompressBackend>(std::move(b));
}

Result<std::unique_ptr<DecompressBackend>> make_zstd_decompressor(const ZstdDecompressParams& params) {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  if (!d) return resource_exhausted("zstd: ZSTD_createDCtx failed");
  std::unique_ptr<DecompressBackend> b(new ZstdDecompressor(d));
  SEGPACK_RETURN_IF_ERROR(b->configure(params));
  return b;
}

}  // namespace segpack::internal

namespace segpack::internal {

std::optional<std::uint64_t> zstd_declared_size(ByteSpan in) noexcept {
  const unsigned long long n = declared_total(in);
  if (n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR) return std::nullopt;
  return n;
}

}  // namespace segpack::internal
