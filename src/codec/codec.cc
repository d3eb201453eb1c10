// segpack — codec names, tags, levels, the bounded output buffer, and the
// Compressor / Decompressor front ends that dispatch to one backend per codec.
#include "segpack/codec.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "codec_internal.h"

namespace segpack {

namespace ci = internal;

namespace {

constexpr std::size_t kSizeMax = std::numeric_limits<std::size_t>::max();

bool valid_codec(Codec c) noexcept { return static_cast<std::uint8_t>(c) <= static_cast<std::uint8_t>(Codec::lzma); }

std::size_t sat_mul(std::size_t a, std::size_t b) noexcept { return (b != 0 && a > kSizeMax / b) ? kSizeMax : a * b; }

char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

ByteSpan as_bytes(std::string_view s) noexcept { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

}  // namespace

// ---------------------------------------------------------------- names, tags, levels

std::string_view codec_name(Codec c) noexcept {
  switch (c) {
    case Codec::none: return "none";
    case Codec::gzip: return "gzip";
    case Codec::brotli: return "br";
    case Codec::zstd: return "zstd";
    case Codec::lzma: return "lzma";
  }
  return "unknown";
}

std::array<char, 4> codec_tag(Codec c) noexcept {
  switch (c) {
    case Codec::none: return {'n', 'o', 'n', 'e'};
    case Codec::gzip: return {'g', 'z', 'i', 'p'};
    case Codec::brotli: return {'0', '0', 'b', 'r'};
    case Codec::zstd: return {'z', 's', 't', 'd'};
    case Codec::lzma: return {'l', 'z', 'm', 'a'};
  }
  return {'?', '?', '?', '?'};
}

Result<Codec> codec_from_name(std::string_view name) {
  std::string lower(name);
  for (char& ch : lower) ch = ascii_lower(ch);
  struct Alias {
    std::string_view name;
    Codec codec;
  };
  static constexpr Alias kAliases[] = {
      {"", Codec::none},          {"none", Codec::none}, {"raw", Codec::none},      {"gzip", Codec::gzip},
      {"gz", Codec::gzip},        {"br", Codec::brotli}, {"brotli", Codec::brotli}, {"zstd", Codec::zstd},
      {"zstandard", Codec::zstd}, {"lzma", Codec::lzma}, {"xz", Codec::lzma},
  };
  for (const Alias& a : kAliases) {
    if (a.name == lower) return a.codec;
  }
  return unsupported(
      "unknown codec name \"" + internal::escape_bytes(as_bytes(name), "\"") + "\" (known: none, gzip, br, zstd, lzma)",
      ErrorCategory::codec);
}

Result<Codec> codec_from_tag(ByteSpan tag4) {
  if (tag4.size() != 4) {
    return invalid_argument("a codec tag is 4 bytes, got " + std::to_string(tag4.size()));
  }
  for (Codec c : kAllCodecs) {
    const std::array<char, 4> t = codec_tag(c);
    if (std::memcmp(t.data(), tag4.data(), 4) == 0) return c;
  }
  return unsupported("unknown codec tag \"" + internal::escape_bytes(tag4, "\"") + "\"", ErrorCategory::codec);
}

int codec_default_level(Codec c) noexcept {
  switch (c) {
    case Codec::none: return 0;
    case Codec::gzip: return 9;
    case Codec::brotli: return 5;
    case Codec::zstd: return 3;
    case Codec::lzma: return 6;
  }
  return 0;
}

std::pair<int, int> codec_level_range(Codec c) noexcept {
  switch (c) {
    case Codec::none: return {0, 0};
    case Codec::gzip: return {0, 12};
    case Codec::brotli: return {0, 11};
    case Codec::zstd: return {ZSTD_minCLevel(), ZSTD_maxCLevel()};
    case Codec::lzma: return {0, 9};
  }
  return {0, 0};
}

// ---------------------------------------------------------------- internal helpers

namespace internal {

std::string_view display_name(Codec c) noexcept {
  return c == Codec::brotli ? std::string_view("brotli") : codec_name(c);
}

// ---------------------------------------------------------------- OutBuf

OutBuf::OutBuf(std::vector<std::uint8_t>& vec, std::size_t limit, LimitKind kind, Codec codec, std::size_t in_size)
    : vec_(&vec), base_(vec.size()), kind_(kind), codec_(codec) {
  limit_ = std::min(limit, vec.max_size() - base_);
  // First growth step: room for a typical 4:1 ratio, at least 4 KiB.
  first_growth_ = std::max<std::size_t>(sat_mul(in_size, 4), 4096);
}

OutBuf::OutBuf(MutableByteSpan span, Codec codec)
    : fixed_(span.data()), cap_(span.size()), limit_(span.size()), kind_(LimitKind::expected), codec_(codec) {}

std::uint8_t* OutBuf::data() noexcept { return vec_ ? vec_->data() + base_ : fixed_; }

void OutBuf::grow_to(std::size_t new_cap) {
  // Reserve ourselves so that the vector's own doubling never allocates past
  // base + limit, while appends to a large existing vector stay amortised.
  const std::size_t need = base_ + new_cap;
  if (need > vec_->capacity()) {
    vec_->reserve(std::max(need, std::min(sat_mul(vec_->capacity(), 2), base_ + limit_)));
  }
  vec_->resize(need);
  cap_ = new_cap;
}

void OutBuf::reserve(std::size_t n) {
  n = std::min(n, limit_);
  if (vec_ && n > cap_) grow_to(n);
}

OutBuf::Window OutBuf::window() {
  if (produced_ < cap_) return {data() + produced_, cap_ - produced_};
  if (vec_ && cap_ < limit_) {
    std::size_t next = cap_ == 0 ? first_growth_ : sat_mul(cap_, 2);
    grow_to(std::min(next, limit_));
    return {data() + produced_, cap_ - produced_};
  }
  probing_ = true;
  return {probe_, 1};
}

bool OutBuf::commit(std::size_t n) noexcept {
  if (probing_) {
    probing_ = false;
    return n == 0;
  }
  produced_ += n;
  return true;
}

Status OutBuf::overflow() const {
  if (kind_ == LimitKind::expected) {
    return corrupt(std::string(codec_name()) + ": output is larger than the expected " + std::to_string(limit_) +
                   " bytes");
  }
  return resource_exhausted(std::string(codec_name()) + ": output exceeds max_output (" + std::to_string(limit_) +
                            " bytes)");
}

Status OutBuf::declared_over_limit(std::uint64_t declared) const {
  if (kind_ == LimitKind::expected) {
    return corrupt(std::string(codec_name()) + ": stream declares " + std::to_string(declared) + " bytes, expected " +
                   std::to_string(limit_));
  }
  return resource_exhausted(std::string(codec_name()) + ": stream declares " + std::to_string(declared) +
                            " bytes, more than max_output (" + std::to_string(limit_) + " bytes)");
}

Status OutBuf::finish() {
  if (kind_ == LimitKind::expected && produced_ != limit_) {
    return corrupt(std::string(codec_name()) + ": output is " + std::to_string(produced_) + " bytes, expected " +
                   std::to_string(limit_));
  }
  if (vec_) vec_->resize(base_ + produced_);
  return Status::OK();
}

void OutBuf::abandon() noexcept {
  if (vec_) vec_->resize(base_);  // shrinking never allocates
  produced_ = 0;
  cap_ = vec_ ? 0 : cap_;
}

}  // namespace internal

// ---------------------------------------------------------------- Compressor

struct Compressor::Impl {
  std::unique_ptr<ci::CompressBackend> backend;
};

Compressor::Compressor(Codec c, int level, std::unique_ptr<Impl> impl) noexcept
    : codec_(c), level_(level), impl_(std::move(impl)) {}
Compressor::Compressor(Compressor&&) noexcept = default;
Compressor& Compressor::operator=(Compressor&&) noexcept = default;
Compressor::~Compressor() = default;

Result<Compressor> Compressor::make(Codec codec, std::optional<int> level, const ZstdCompressParams& zstd) {
  if (!valid_codec(codec)) {
    return invalid_argument("unknown codec value " + std::to_string(static_cast<int>(codec)));
  }
  if (codec != Codec::zstd && !(zstd == ZstdCompressParams{})) {
    return invalid_argument("zstd parameters given for codec " + std::string(ci::display_name(codec)));
  }
  const int lv = level.value_or(codec_default_level(codec));
  const auto [lo, hi] = codec_level_range(codec);
  if (lv < lo || lv > hi) {
    return invalid_argument(std::string(ci::display_name(codec)) + ": level " + std::to_string(lv) + " is outside " +
                            std::to_string(lo) + ".." + std::to_string(hi));
  }
  Result<std::unique_ptr<ci::CompressBackend>> backend = internal_error("unreachable");
  try {
    switch (codec) {
      case Codec::none: backend = ci::make_none_compressor(); break;
      case Codec::gzip: backend = ci::make_gzip_compressor(lv); break;
      case Codec::brotli: backend = ci::make_brotli_compressor(lv); break;
      case Codec::zstd: backend = ci::make_zstd_compressor(lv, zstd); break;
      case Codec::lzma: backend = ci::make_lzma_compressor(lv); break;
    }
    if (!backend.ok()) return backend.status().with_category(ErrorCategory::encode);
    return Compressor(codec, lv, std::make_unique<Impl>(Impl{std::move(backend).value()}));
  } catch (const std::bad_alloc&) {
    return resource_exhausted(std::string(ci::display_name(codec)) + ": out of memory creating a compressor",
                              ErrorCategory::encode);
  }
}

std::size_t Compressor::bound(std::size_t n) const noexcept { return impl_ ? impl_->backend->bound(n) : kSizeMax; }

Result<std::size_t> Compressor::compress_into(ByteSpan in, MutableByteSpan out) {
  if (!impl_) return invalid_argument("compress_into on a moved-from Compressor");
  const std::size_t b = bound(in.size());
  if (b == kSizeMax) {
    return invalid_argument(std::string(ci::display_name(codec_)) + ": input of " + std::to_string(in.size()) +
                            " bytes is too large to compress in one call");
  }
  if (out.size() < b) {
    return invalid_argument(std::string(ci::display_name(codec_)) + ": output span holds " +
                            std::to_string(out.size()) + " bytes, less than bound(" + std::to_string(in.size()) +
                            ") = " + std::to_string(b));
  }
  try {
    Result<std::size_t> n = impl_->backend->compress(in, out);
    if (!n.ok()) return n.status().with_category(ErrorCategory::encode);
    return n;
  } catch (const std::bad_alloc&) {
    return resource_exhausted(std::string(ci::display_name(codec_)) + ": out of memory while compressing",
                              ErrorCategory::encode);
  }
}

Status Compressor::compress_append(ByteSpan in, std::vector<std::uint8_t>& out) {
  if (!impl_) return invalid_argument("compress_append on a moved-from Compressor");
  const std::size_t old = out.size();
  const std::size_t b = bound(in.size());
  if (b == kSizeMax || b > out.max_size() - old) {
    return invalid_argument(std::string(ci::display_name(codec_)) + ": input of " + std::to_string(in.size()) +
                            " bytes is too large to compress in one call");
  }
  try {
    out.resize(old + b);
  } catch (const std::bad_alloc&) {
    return resource_exhausted(
        std::string(ci::display_name(codec_)) + ": out of memory reserving " + std::to_string(b) + " output bytes",
        ErrorCategory::encode);
  }
  Result<std::size_t> n = compress_into(in, MutableByteSpan(out.data() + old, b));
  if (!n.ok()) {
    out.resize(old);
    return n.status();
  }
  out.resize(old + *n);
  return Status::OK();
}

// ---------------------------------------------------------------- Decompressor

struct Decompressor::Impl {
  std::unique_ptr<ci::DecompressBackend> backend;
};

Decompressor::Decompressor(Codec c, std::unique_ptr<Impl> impl) noexcept : codec_(c), impl_(std::move(impl)) {}
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;
Decompressor::~Decompressor() = default;

Result<Decompressor> Decompressor::make(Codec codec, const ZstdDecompressParams& zstd) {
  if (!valid_codec(codec)) {
    return invalid_argument("unknown codec value " + std::to_string(static_cast<int>(codec)));
  }
  if (codec != Codec::zstd && !(zstd == ZstdDecompressParams{})) {
    return invalid_argument("zstd parameters given for codec " + std::string(ci::display_name(codec)));
  }
  Result<std::unique_ptr<ci::DecompressBackend>> backend = internal_error("unreachable");
  try {
    switch (codec) {
      case Codec::none: backend = ci::make_none_decompressor(); break;
      case Codec::gzip: backend = ci::make_gzip_decompressor(); break;
      case Codec::brotli: backend = ci::make_brotli_decompressor(); break;
      case Codec::zstd: backend = ci::make_zstd_decompressor(zstd); break;
      case Codec::lzma: backend = ci::make_lzma_decompressor(); break;
    }
    if (!backend.ok()) return backend.status().with_category(ErrorCategory::decode);
    return Decompressor(codec, std::make_unique<Impl>(Impl{std::move(backend).value()}));
  } catch (const std::bad_alloc&) {
    return resource_exhausted(std::string(ci::display_name(codec)) + ": out of memory creating a decompressor",
                              ErrorCategory::decode);
  }
}

namespace {

Status run_decoder(ci::DecompressBackend& backend, Codec codec, ByteSpan in, ci::OutBuf& buf) {
  if (codec != Codec::none && in.empty()) {
    return corrupt("empty " + std::string(ci::display_name(codec)) + " stream");
  }
  try {
    Status st = backend.decompress(in, buf);
    if (st.ok()) st = buf.finish();
    if (!st.ok()) buf.abandon();
    return st;
  } catch (const std::bad_alloc&) {
    const std::size_t had = buf.capacity();
    buf.abandon();
    return resource_exhausted(std::string(ci::display_name(codec)) + ": out of memory growing the output beyond " +
                              std::to_string(had) + " bytes");
  } catch (const std::length_error&) {
    buf.abandon();
    return resource_exhausted(std::string(ci::display_name(codec)) + ": output too large for a vector");
  }
}

}  // namespace

Status Decompressor::decompress_append(ByteSpan in, std::vector<std::uint8_t>& out, const DecompressOptions& opts) {
  if (!impl_) return invalid_argument("decompress_append on a moved-from Decompressor");
  std::size_t limit = opts.max_output;
  auto kind = ci::OutBuf::LimitKind::max_output;
  if (opts.expected_size) {
    if (*opts.expected_size > opts.max_output) {
      return resource_exhausted(std::string(ci::display_name(codec_)) + ": expected size " +
                                    std::to_string(*opts.expected_size) + " exceeds max_output (" +
                                    std::to_string(opts.max_output) + " bytes)",
                                ErrorCategory::decode);
    }
    limit = *opts.expected_size;
    kind = ci::OutBuf::LimitKind::expected;
  }
  ci::OutBuf buf(out, limit, kind, codec_, in.size());
  return run_decoder(*impl_->backend, codec_, in, buf).with_category(ErrorCategory::decode);
}

Status Decompressor::decompress_exact(ByteSpan in, MutableByteSpan out) {
  if (!impl_) return invalid_argument("decompress_exact on a moved-from Decompressor");
  ci::OutBuf buf(out, codec_);
  return run_decoder(*impl_->backend, codec_, in, buf).with_category(ErrorCategory::decode);
}

std::optional<std::uint64_t> Decompressor::declared_size(ByteSpan in) const noexcept {
  if (!impl_) return std::nullopt;
  return impl_->backend->declared_size(in);
}

namespace internal {

Status ContextAccess::configure(Decompressor& d, const ZstdDecompressParams& zstd) {
  if (!d.impl_) return invalid_argument("configure on a moved-from Decompressor");
  try {
    return d.impl_->backend->configure(zstd).with_category(ErrorCategory::decode);
  } catch (const std::bad_alloc&) {
    return resource_exhausted("zstd: out of memory configuring a decompressor", ErrorCategory::decode);
  }
}

}  // namespace internal

// ---------------------------------------------------------------- one-shot functions

Result<std::vector<std::uint8_t>> compress(Codec codec, ByteSpan in, std::optional<int> level,
                                           const ZstdCompressParams& zstd) {
  SEGPACK_ASSIGN_OR_RETURN(Compressor * c,
                           ci::local_compressor(codec, level.value_or(codec_default_level(codec)), zstd));
  std::vector<std::uint8_t> out;
  SEGPACK_RETURN_IF_ERROR(c->compress_append(in, out));
  return out;
}

Result<std::vector<std::uint8_t>> decompress(Codec codec, ByteSpan in, const DecompressOptions& opts,
                                             const ZstdDecompressParams& zstd) {
  SEGPACK_ASSIGN_OR_RETURN(Decompressor * d, ci::local_decompressor(codec, zstd));
  std::vector<std::uint8_t> out;
  SEGPACK_RETURN_IF_ERROR(d->decompress_append(in, out, opts));
  return out;
}

std::size_t compress_bound(Codec codec, std::size_t n, std::optional<int> level,
                           const ZstdCompressParams& zstd) noexcept {
  try {
    Result<Compressor*> c = ci::local_compressor(codec, level.value_or(codec_default_level(codec)), zstd);
    return c.ok() ? (*c)->bound(n) : kSizeMax;
  } catch (...) {  // bad_alloc while making the context: compress_into reports it
    return kSizeMax;
  }
}

Result<std::size_t> compress_into(Codec codec, ByteSpan in, MutableByteSpan out, std::optional<int> level,
                                  const ZstdCompressParams& zstd) {
  SEGPACK_ASSIGN_OR_RETURN(Compressor * c,
                           ci::local_compressor(codec, level.value_or(codec_default_level(codec)), zstd));
  return c->compress_into(in, out);
}

Status decompress_into(Codec codec, ByteSpan in, MutableByteSpan out, const ZstdDecompressParams& zstd) {
  SEGPACK_ASSIGN_OR_RETURN(Decompressor * d, ci::local_decompressor(codec, zstd));
  return d->decompress_exact(in, out);
}

std::optional<std::uint64_t> declared_size(Codec codec, ByteSpan in) noexcept {
  if (codec == Codec::zstd) return ci::zstd_declared_size(in);  // no context, so none is reconfigured
  try {
    Result<Decompressor*> d = ci::local_decompressor(codec);
    return d.ok() ? (*d)->declared_size(in) : std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace segpack
