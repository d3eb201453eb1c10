// segpack — gzip: libdeflate compresses and decodes the common single-member
// case in one call; zlib's inflate streams everything else (several members,
// a wrong ISIZE hint, sizes beyond what we allocate up front) and produces the
// precise error messages.
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <limits>

#include "codec_internal.h"
#include "segpack/internal/bytes.h"

namespace segpack::internal {
namespace {

// 10-byte header + 8-byte trailer: the smallest member libdeflate accepts.
constexpr std::size_t kGzipMinSize = 18;

bool has_gzip_magic(ByteSpan in, std::size_t pos) noexcept {
  return in.size() - pos >= 2 && in[pos] == 0x1f && in[pos + 1] == 0x8b;
}

class GzipCompressor final : public CompressBackend {
 public:
  explicit GzipCompressor(libdeflate_compressor* c) noexcept : c_(c) {}
  ~GzipCompressor() override { libdeflate_free_compressor(c_); }

  std::size_t bound(std::size_t n) const noexcept override {
    if (n > std::numeric_limits<std::size_t>::max() / 2) return std::numeric_limits<std::size_t>::max();
    return libdeflate_gzip_compress_bound(c_, n);
  }

  Result<std::size_t> compress(ByteSpan in, MutableByteSpan out) override {
    static const std::uint8_t kEmpty = 0;
    const void* src = in.empty() ? &kEmpty : in.data();
    const std::size_t n = libdeflate_gzip_compress(c_, src, in.size(), out.data(), out.size());
    if (n == 0) return internal_error("gzip: libdeflate did not fit its own bound");
    return n;
  }

 private:
  libdeflate_compressor* c_;
};

class GzipDecompressor final : public DecompressBackend {
 public:
  explicit GzipDecompressor(libdeflate_decompressor* d) noexcept : d_(d) {}
  ~GzipDecompressor() override {
    libdeflate_free_decompressor(d_);
    if (zs_ready_) inflateEnd(&zs_);
  }

  Status decompress(ByteSpan in, OutBuf& out) override {
    if (!has_gzip_magic(in, 0)) return corrupt("gzip: not a gzip stream (magic " + hex_bytes(in, 2) + ")");
    if (in.size() >= kGzipMinSize) {
      // Fast path: the first member in one libdeflate call. The size hint is
      // the caller's exact size, else the trailer's ISIZE (untrusted: used only
      // when it fits the limit and what the input could expand to).
      bool fast = out.fixed();
      if (!fast) {
        const std::size_t hint =
            out.exact() ? out.limit() : internal::load_le<std::uint32_t>(in.data() + in.size() - 4);
        fast = hint <= out.limit() && hint <= plausible_output(in.size());
        if (fast) out.reserve(hint);
      }
      if (fast) {
        std::size_t in_used = 0, out_used = 0;
        const libdeflate_result r =
            libdeflate_gzip_decompress_ex(d_, in.data(), in.size(), out.data(), out.capacity(), &in_used, &out_used);
        if (r == LIBDEFLATE_SUCCESS) {
          out.set_produced(out_used);
          if (in_used == in.size()) return Status::OK();
          return inflate_members(in, in_used, out);  // more members, or trailing bytes
        }
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE && out.fixed()) return out.overflow();
        // A wrong hint (INSUFFICIENT_SPACE) or bad data: zlib decodes from the
        // start with growth, and says precisely what is wrong.
        out.set_produced(0);
      }
    }
    return inflate_members(in, 0, out);
  }

  std::optional<std::uint64_t> declared_size(ByteSpan in) const noexcept override {
    if (in.size() < kGzipMinSize || !has_gzip_magic(in, 0)) return std::nullopt;
    return internal::load_le<std::uint32_t>(in.data() + in.size() - 4);
  }

 private:
  // Streams the members starting at `pos` (output continues after produced()).
  Status inflate_members(ByteSpan in, std::size_t pos, OutBuf& out) {
    if (!zs_ready_) {
      std::memset(&zs_, 0, sizeof(zs_));
      const int r = inflateInit2(&zs_, 16 + MAX_WBITS);
      if (r == Z_MEM_ERROR) return resource_exhausted("gzip: out of memory initialising zlib");
      if (r != Z_OK) return internal_error("gzip: inflateInit2 failed (" + std::to_string(r) + ")");
      zs_ready_ = true;
    }
    while (true) {
      if (!has_gzip_magic(in, pos)) {
        if (pos == 0) return corrupt("gzip: not a gzip stream (magic " + hex_bytes(in, 2) + ")");
        return corrupt("gzip: " + std::to_string(in.size() - pos) + " trailing bytes after the last member (" +
                       hex_bytes(in.subspan(pos), 4) + ")");
      }
      if (inflateReset(&zs_) != Z_OK) return internal_error("gzip: inflateReset failed");
      while (true) {
        const std::size_t rem = in.size() - pos;
        zs_.next_in = const_cast<Bytef*>(in.data() + pos);
        zs_.avail_in = static_cast<uInt>(std::min<std::size_t>(rem, UINT_MAX));
        const OutBuf::Window w = out.window();
        zs_.next_out = w.ptr;
        zs_.avail_out = static_cast<uInt>(std::min<std::size_t>(w.size, UINT_MAX));
        const uInt in_before = zs_.avail_in, out_before = zs_.avail_out;
        const int r = inflate(&zs_, Z_NO_FLUSH);
        pos += in_before - zs_.avail_in;
        if (!out.commit(out_before - zs_.avail_out)) return out.overflow();
        if (r == Z_STREAM_END) break;
        if (r == Z_OK) continue;
        if (r == Z_BUF_ERROR) {
          if (pos == in.size()) return corrupt("gzip: truncated stream (input ends inside a member)");
          continue;  // no output space was left: the next window grows it
        }
        if (r == Z_DATA_ERROR || r == Z_NEED_DICT) {
          return corrupt(std::string("gzip: corrupt stream (") + (zs_.msg ? zs_.msg : "invalid data") + ")");
        }
        if (r == Z_MEM_ERROR) return resource_exhausted("gzip: zlib ran out of memory");
        return internal_error("gzip: inflate returned " + std::to_string(r));
      }
      if (pos == in.size()) return Status::OK();
    }
  }

  libdeflate_decompressor* d_;
  z_stream zs_{};
  bool zs_ready_ = false;
};

}  // namespace

Result<std::unique_ptr<CompressBackend>> make_gzip_compressor(int level) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  if (!c) return resource_exhausted("gzip: libdeflate_alloc_compressor(" + std::to_string(level) + ") failed");
  return std::unique_ptr<CompressBackend>(new GzipCompressor(c));
}

Result<std::unique_ptr<DecompressBackend>> make_gzip_decompressor() {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  if (!d) return resource_exhausted("gzip: libdeflate_alloc_decompressor failed");
  return std::unique_ptr<DecompressBackend>(new GzipDecompressor(d));
}

}  // namespace segpack::internal
