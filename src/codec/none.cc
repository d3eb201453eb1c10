// segpack — the "none" codec: bytes copied through unchanged.
#include <cstring>

#include "codec_internal.h"

namespace segpack::internal {
namespace {

class NoneCompressor final : public CompressBackend {
 public:
  std::size_t bound(std::size_t n) const noexcept override { return n; }
  Result<std::size_t> compress(ByteSpan in, MutableByteSpan out) override {
    if (!in.empty()) std::memcpy(out.data(), in.data(), in.size());
    return in.size();
  }
};

class NoneDecompressor final : public DecompressBackend {
 public:
  Status decompress(ByteSpan in, OutBuf& out) override {
    if (in.size() > out.limit()) return out.overflow();
    out.reserve(in.size());
    if (!in.empty()) std::memcpy(out.data(), in.data(), in.size());
    out.set_produced(in.size());
    return Status::OK();
  }
  std::optional<std::uint64_t> declared_size(ByteSpan in) const noexcept override { return in.size(); }
};

}  // namespace

Result<std::unique_ptr<CompressBackend>> make_none_compressor() {
  return std::unique_ptr<CompressBackend>(new NoneCompressor());
}
Result<std::unique_ptr<DecompressBackend>> make_none_decompressor() {
  return std::unique_ptr<DecompressBackend>(new NoneDecompressor());
}

}  // namespace segpack::internal
