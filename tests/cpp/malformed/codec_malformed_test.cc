// Codec layer: one named test per bad-input class per codec. Every case must
// end in a clean error (never a crash, never an allocation sized by a claim in
// the input); the code and the message are checked.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "segpack/codec.h"

namespace segpack {
namespace {

using Bytes = std::vector<std::uint8_t>;

ByteSpan span(const Bytes& b) { return {b.data(), b.size()}; }

Bytes text(std::size_t n) {
  Bytes out(n);
  std::mt19937 rng(11);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>("abcdefgh\n "[rng() % 10]);
  return out;
}

Bytes packed(Codec c, const Bytes& in) {
  auto r = compress(c, span(in));
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : Bytes{};
}

bool contains(const Status& st, std::string_view what) { return st.message().find(what) != std::string::npos; }

constexpr Codec kRealCodecs[] = {Codec::gzip, Codec::brotli, Codec::zstd, Codec::lzma};

// Decodes into a fresh vector; on error the vector must be empty again and
// its capacity (the largest block we asked for) at most `max_capacity`.
Status decode(Codec c, const Bytes& in, const DecompressOptions& opts = {},
              std::size_t max_capacity = std::size_t{16} << 20) {
  auto dec = Decompressor::make(c);
  EXPECT_TRUE(dec.ok());
  Bytes out;
  Status st = dec->decompress_append(span(in), out, opts);
  if (!st.ok()) EXPECT_TRUE(out.empty()) << "output left behind after an error";
  EXPECT_LE(out.capacity(), max_capacity) << "allocated " << out.capacity() << " bytes";
  return st;
}

// ------------------------------------------------------------ empty input

TEST(CodecMalformed, EmptyInputIsCorruptForRealCodecs) {
  for (Codec c : kRealCodecs) {
    Status st = decode(c, {});
    EXPECT_EQ(st.code(), ErrorCode::corrupt) << codec_name(c) << ": " << st.to_string();
    EXPECT_TRUE(contains(st, "empty")) << st.message();
    auto dec = Decompressor::make(c);
    EXPECT_EQ(dec->decompress_exact(ByteSpan{}, MutableByteSpan{}).code(), ErrorCode::corrupt);
  }
  EXPECT_EQ(decode(Codec::gzip, {}).message(), "empty gzip stream");
}

TEST(CodecMalformed, EmptyInputIsEmptyForNone) {
  auto out = decompress(Codec::none, ByteSpan{});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
}

// ------------------------------------------------------------ truncated

void expect_truncation_fails(Codec c) {
  const Bytes full = packed(c, text(100 << 10));
  for (std::size_t keep : {std::size_t{1}, std::size_t{5}, full.size() / 2, full.size() - 1}) {
    const Bytes cut(full.begin(), full.begin() + keep);
    // A cut gzip stream ends in arbitrary bytes read as ISIZE: the decoder may
    // trust them up to the plausible DEFLATE expansion (1032:1 + 64 KiB), no more.
    Status st = decode(c, cut, {}, keep * 1032 + (64 << 10));
    EXPECT_EQ(st.code(), ErrorCode::corrupt) << codec_name(c) << " cut at " << keep << ": " << st.to_string();
    Bytes exact(100 << 10);
    auto dec = Decompressor::make(c);
    st = dec->decompress_exact(span(cut), MutableByteSpan(exact.data(), exact.size()));
    EXPECT_EQ(st.code(), ErrorCode::corrupt) << codec_name(c) << " exact, cut at " << keep << ": " << st.to_string();
  }
}

TEST(CodecMalformed, GzipTruncated) { expect_truncation_fails(Codec::gzip); }
TEST(CodecMalformed, BrotliTruncated) { expect_truncation_fails(Codec::brotli); }
TEST(CodecMalformed, ZstdTruncated) { expect_truncation_fails(Codec::zstd); }
TEST(CodecMalformed, LzmaTruncated) { expect_truncation_fails(Codec::lzma); }

TEST(CodecMalformed, TruncationMessagesSayTruncated) {
  for (Codec c : kRealCodecs) {
    const Bytes full = packed(c, text(100 << 10));
    const Bytes cut(full.begin(), full.begin() + full.size() / 2);
    Status st = decode(c, cut);
    EXPECT_TRUE(contains(st, "truncated")) << st.to_string();
  }
}

// ------------------------------------------------------------ flipped bytes

// Codecs with a checksum of the content (gzip CRC32, xz CRC64) must reject any
// change to the payload. zstd (no checksum, like python-zstandard's default)
// and brotli may decode a changed payload without noticing (to different or,
// for don't-care bits, even the same bytes): there we require no crash, no
// `internal` error, and that a fair share of the flips is detected.
void expect_flips_detected(Codec c, bool must_fail, std::size_t first, std::size_t last_excluded) {
  const Bytes in = text(20000);
  const Bytes good = packed(c, in);
  ASSERT_GT(good.size(), first + last_excluded + 16);
  const std::string name = codec_name(c) == "br" ? "brotli" : std::string(codec_name(c));
  int failures = 0, tried = 0;
  for (std::size_t pos = first; pos + last_excluded < good.size(); pos += 7) {
    for (std::uint8_t mask : {0x01, 0x80, 0xFF}) {
      Bytes bad = good;
      bad[pos] ^= mask;
      ++tried;
      auto dec = Decompressor::make(c);
      Bytes out;
      Status st = dec->decompress_append(span(bad), out);
      if (!st.ok()) {
        ++failures;
        EXPECT_NE(st.code(), ErrorCode::internal) << st.to_string();
        EXPECT_TRUE(contains(st, name)) << st.to_string();
      } else if (must_fail) {
        ADD_FAILURE() << name << ": flip at " << pos << " of " << good.size() << " mask " << int(mask)
                      << " went unnoticed";
      }
    }
  }
  EXPECT_GT(failures, must_fail ? tried - 1 : tried / 10) << name << ": too few flips detected";
}

TEST(CodecMalformed, GzipFlippedBytes) {
  // Payload (header fields MTIME/XFL/OS are not checked by gzip, and the last
  // DEFLATE byte may carry padding bits), then every trailer byte.
  expect_flips_detected(Codec::gzip, true, 10, 9);
  const Bytes in = text(20000);
  const Bytes good = packed(Codec::gzip, in);
  for (std::size_t pos = good.size() - 8; pos < good.size(); ++pos) {
    Bytes bad = good;
    bad[pos] ^= 0x01;
    Status st = decode(Codec::gzip, bad);
    EXPECT_EQ(st.code(), ErrorCode::corrupt) << pos << ": " << st.to_string();
  }
}
TEST(CodecMalformed, LzmaFlippedBytes) { expect_flips_detected(Codec::lzma, true, 0, 0); }
TEST(CodecMalformed, ZstdFlippedBytes) { expect_flips_detected(Codec::zstd, false, 0, 0); }
TEST(CodecMalformed, BrotliFlippedBytes) { expect_flips_detected(Codec::brotli, false, 0, 0); }

TEST(CodecMalformed, GzipBadMagic) {
  Bytes bad = packed(Codec::gzip, text(100));
  bad[0] = 0x12;
  bad[1] = 0x34;
  Status st = decode(Codec::gzip, bad);
  EXPECT_EQ(st.code(), ErrorCode::corrupt);
  EXPECT_EQ(st.message(), "gzip: not a gzip stream (magic 0x12 0x34)");
  EXPECT_EQ(decode(Codec::gzip, {0x1f}).code(), ErrorCode::corrupt);
}

TEST(CodecMalformed, ZstdBadMagicAndReservedBit) {
  Bytes bad = packed(Codec::zstd, text(100));
  bad[0] ^= 0xFF;
  Status st = decode(Codec::zstd, bad);
  EXPECT_EQ(st.code(), ErrorCode::corrupt);
  EXPECT_TRUE(contains(st, "zstd: frame is corrupt (")) << st.message();
  Bytes reserved = packed(Codec::zstd, text(100));
  reserved[4] |= 0x08;  // reserved bit of the frame header descriptor
  EXPECT_EQ(decode(Codec::zstd, reserved).code(), ErrorCode::corrupt);
}

TEST(CodecMalformed, LzmaBadMagic) {
  Bytes bad = packed(Codec::lzma, text(100));
  bad[1] = 'Q';
  Status st = decode(Codec::lzma, bad);
  EXPECT_EQ(st.code(), ErrorCode::corrupt);
  EXPECT_TRUE(contains(st, "not an xz stream")) << st.message();
}

// ------------------------------------------------------------ trailing garbage

void expect_trailing_rejected(Codec c, const Bytes& tail, std::string_view message = "trailing") {
  const Bytes in = text(5000);
  Bytes bad = packed(c, in);
  bad.insert(bad.end(), tail.begin(), tail.end());
  Status st = decode(c, bad);
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << codec_name(c) << ": " << st.to_string();
  EXPECT_TRUE(contains(st, message)) << st.message();
  Bytes exact(in.size());
  auto dec = Decompressor::make(c);
  st = dec->decompress_exact(span(bad), MutableByteSpan(exact.data(), exact.size()));
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << codec_name(c) << " exact: " << st.to_string();
}

const Bytes kGarbage = {'g', 'a', 'r', 'b', 'a', 'g', 'e', '!', 1, 2, 3};

TEST(CodecMalformed, GzipTrailingGarbage) {
  expect_trailing_rejected(Codec::gzip, kGarbage);
  expect_trailing_rejected(Codec::gzip, {0, 0, 0, 0});                  // zero padding is not accepted either
  expect_trailing_rejected(Codec::gzip, {0x1f, 0x8b, 8}, "truncated");  // a cut second member
}
TEST(CodecMalformed, BrotliTrailingGarbage) { expect_trailing_rejected(Codec::brotli, kGarbage); }
TEST(CodecMalformed, ZstdTrailingGarbage) {
  expect_trailing_rejected(Codec::zstd, kGarbage);
  expect_trailing_rejected(Codec::zstd, {1, 2});
}
// Empty skippable frames (libzstd 1.5.4 reports their header size as 0): a
// declared-size walk once looped forever on them (found by fuzz_batch_decompress).
TEST(CodecMalformed, ZstdEmptySkippableFramesEndTheWalk) {
  const Bytes skippable = {0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0};
  Bytes in = skippable;
  in.insert(in.end(), {0, 0, 0, 0});  // then bytes that are no frame
  auto r = decompress(Codec::zstd, in);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(Decompressor::make(Codec::zstd)->declared_size(in).has_value());
  Bytes two = skippable;
  two.insert(two.end(), skippable.begin(), skippable.end());
  auto only_skippable = decompress(Codec::zstd, two);  // no data frame: nothing, or a clean error
  if (only_skippable.ok()) {
    EXPECT_TRUE(only_skippable->empty());
  }
  auto frame = compress(Codec::zstd, Bytes{1, 2, 3});
  ASSERT_TRUE(frame.ok());
  Bytes mixed = skippable;
  mixed.insert(mixed.end(), frame->begin(), frame->end());
  auto back = decompress(Codec::zstd, mixed);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, (Bytes{1, 2, 3}));
  EXPECT_EQ(Decompressor::make(Codec::zstd)->declared_size(mixed), std::optional<std::uint64_t>(3));
}

TEST(CodecMalformed, LzmaTrailingGarbage) {
  expect_trailing_rejected(Codec::lzma, kGarbage);
  expect_trailing_rejected(Codec::lzma, {0, 0, 0}, "padding");  // must be a multiple of 4
}

// ------------------------------------------------------------ lying size headers

// A 30-byte zstd frame that declares 1 GiB of content but holds five 1 KiB
// RLE blocks (window 1 KiB, 4-byte content size field).
Bytes zstd_frame_claiming_1gib() {
  Bytes f = {0x28, 0xB5, 0x2F, 0xFD, 0x80, 0x00, 0x00, 0x00, 0x00, 0x40};
  for (int i = 0; i < 5; ++i) {
    const bool last = i == 4;
    const std::uint32_t hdr = (1024u << 3) | (1u << 1) | (last ? 1u : 0u);  // RLE block of 1024
    f.push_back(hdr & 0xFF);
    f.push_back((hdr >> 8) & 0xFF);
    f.push_back((hdr >> 16) & 0xFF);
    f.push_back('x');
  }
  return f;
}

TEST(CodecMalformed, ZstdLyingContentSizeNoLargeAllocation) {
  const Bytes lie = zstd_frame_claiming_1gib();
  ASSERT_EQ(lie.size(), 30u);
  auto dec = Decompressor::make(Codec::zstd);
  EXPECT_EQ(dec->declared_size(span(lie)), std::uint64_t{1} << 30);

  // Default limits (4 GiB): the claim is implausible for 30 bytes, so the
  // decoder streams and zstd notices the size mismatch.
  Status st = decode(Codec::zstd, lie, {}, std::size_t{1} << 20);
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << st.to_string();
  EXPECT_TRUE(contains(st, "zstd:")) << st.message();

  // A max_output below the claim: refused without decoding.
  DecompressOptions small;
  small.max_output = std::size_t{1} << 20;
  st = decode(Codec::zstd, lie, small, small.max_output);
  EXPECT_EQ(st.code(), ErrorCode::resource_exhausted) << st.to_string();
  EXPECT_TRUE(contains(st, "max_output")) << st.message();

  // decompress_exact with the real 5 KiB: the frame's claim is larger.
  Bytes exact(5 << 10);
  st = dec->decompress_exact(span(lie), MutableByteSpan(exact.data(), exact.size()));
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << st.to_string();
}

TEST(CodecMalformed, ZstdLyingContentSizeFixedUpIsValid) {
  // Control for the test above: the same frame with an honest size decodes.
  Bytes honest = zstd_frame_claiming_1gib();
  honest[6] = 0x00;
  honest[7] = 0x14;  // 5120
  honest[8] = 0x00;
  honest[9] = 0x00;
  auto out = decompress(Codec::zstd, span(honest));
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, Bytes(5120, 'x'));
}

TEST(CodecMalformed, ZstdWindowTooLargeIsResourceExhausted) {
  // No content size, window 2 GiB (exponent 31), then an empty last raw block.
  const Bytes f = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xA8, 0x01, 0x00, 0x00};
  Status st = decode(Codec::zstd, f);
  EXPECT_EQ(st.code(), ErrorCode::resource_exhausted) << st.to_string();
}

TEST(CodecMalformed, GzipLyingIsizeNoLargeAllocation) {
  const Bytes in = text(1000);
  Bytes lie = packed(Codec::gzip, in);
  // ISIZE claims 4 GiB - 1.
  for (std::size_t i = lie.size() - 4; i < lie.size(); ++i) lie[i] = 0xFF;
  auto dec = Decompressor::make(Codec::gzip);
  EXPECT_EQ(dec->declared_size(span(lie)), 0xFFFFFFFFu);
  Status st = decode(Codec::gzip, lie, {}, std::size_t{1} << 20);
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << st.to_string();
  EXPECT_TRUE(contains(st, "gzip: corrupt stream")) << st.message();

  DecompressOptions small;
  small.max_output = 500;
  st = decode(Codec::gzip, lie, small, small.max_output);
  EXPECT_EQ(st.code(), ErrorCode::resource_exhausted) << st.to_string();

  // A plausible but wrong claim (2000 for 1000) is allocated, then rejected.
  Bytes near = packed(Codec::gzip, in);
  near[near.size() - 4] = 0xD0;
  near[near.size() - 3] = 0x07;
  st = decode(Codec::gzip, near, {}, std::size_t{1} << 20);
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << st.to_string();
  // A claim that is too small forces the streaming fallback, which rejects it.
  Bytes under = packed(Codec::gzip, in);
  under[under.size() - 4] = 10;
  under[under.size() - 3] = 0;
  st = decode(Codec::gzip, under);
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << st.to_string();
}

// ------------------------------------------------------------ over max_output

TEST(CodecMalformed, OutputOverMaxOutputIsResourceExhausted) {
  const Bytes zeros(std::size_t{1} << 20, 0);
  for (Codec c : kAllCodecs) {
    const Bytes bomb = packed(c, zeros);
    for (std::size_t limit : {std::size_t{0}, std::size_t{1000}, zeros.size() - 1}) {
      DecompressOptions opts;
      opts.max_output = limit;
      Status st = decode(c, bomb, opts, limit);
      EXPECT_EQ(st.code(), ErrorCode::resource_exhausted)
          << codec_name(c) << " limit " << limit << ": " << st.to_string();
      EXPECT_TRUE(contains(st, "max_output (" + std::to_string(limit) + " bytes)")) << st.message();
    }
  }
}

TEST(CodecMalformed, AppendKeepsThePrefixOnError) {
  for (Codec c : kAllCodecs) {
    const Bytes bomb = packed(c, Bytes(100000, 0));
    auto dec = Decompressor::make(c);
    Bytes out = {1, 2, 3};
    DecompressOptions opts;
    opts.max_output = 10;
    EXPECT_FALSE(dec->decompress_append(span(bomb), out, opts).ok());
    EXPECT_EQ(out, (Bytes{1, 2, 3})) << codec_name(c);
  }
}

// ------------------------------------------------------------ expected size mismatch

TEST(CodecMalformed, ExpectedSizeMismatchIsCorrupt) {
  const Bytes in = text(5000);
  for (Codec c : kAllCodecs) {
    const Bytes p = packed(c, in);
    for (std::size_t want : {in.size() - 1, in.size() + 1, std::size_t{0}, in.size() * 100}) {
      DecompressOptions opts;
      opts.expected_size = want;
      Status st = decode(c, p, opts);
      EXPECT_EQ(st.code(), ErrorCode::corrupt) << codec_name(c) << " want " << want << ": " << st.to_string();
      EXPECT_TRUE(contains(st, "expected")) << st.message();

      Bytes exact(want);
      auto dec = Decompressor::make(c);
      st = dec->decompress_exact(span(p), MutableByteSpan(exact.data(), exact.size()));
      EXPECT_EQ(st.code(), ErrorCode::corrupt) << codec_name(c) << " exact " << want << ": " << st.to_string();
    }
  }
}

TEST(CodecMalformed, ExpectedSizeAboveMaxOutputIsResourceExhausted) {
  const Bytes p = packed(Codec::zstd, text(100));
  DecompressOptions opts;
  opts.expected_size = 100;
  opts.max_output = 99;
  EXPECT_EQ(decode(Codec::zstd, p, opts).code(), ErrorCode::resource_exhausted);
}

TEST(CodecMalformed, HugeExpectedSizeIsNotPreallocated) {
  // An expected size (e.g. from an untrusted index) is only trusted up to a
  // plausible expansion of the input.
  for (Codec c : kRealCodecs) {
    const Bytes p = packed(c, text(100));
    DecompressOptions opts;
    opts.expected_size = std::size_t{3} << 30;
    Status st = decode(c, p, opts, std::size_t{1} << 20);
    EXPECT_EQ(st.code(), ErrorCode::corrupt) << codec_name(c) << ": " << st.to_string();
  }
}

// ------------------------------------------------------------ lzma memory limit

std::uint32_t crc32_ieee(const std::uint8_t* p, std::size_t n) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

TEST(CodecMalformed, LzmaDictionaryOverMemlimitIsResourceExhausted) {
  // Rewrite the LZMA2 dictionary size in the first block header to 4 GiB - 1
  // and fix the header CRC32: the decoder must refuse (memlimit 256 MiB).
  Bytes x = packed(Codec::lzma, text(1000));
  constexpr std::size_t kBlock = 12;  // after the 12-byte stream header
  ASSERT_GT(x.size(), kBlock + 16);
  const std::size_t hdr_size = (std::size_t{x[kBlock]} + 1) * 4;
  const std::uint8_t flags = x[kBlock + 1];
  ASSERT_EQ(flags & 0x03, 0) << "one filter expected";
  std::size_t p = kBlock + 2;
  auto skip_vli = [&] {
    while (x[p] & 0x80) ++p;
    ++p;
  };
  if (flags & 0x40) skip_vli();  // compressed size
  if (flags & 0x80) skip_vli();  // uncompressed size
  ASSERT_EQ(x[p], 0x21) << "LZMA2 filter id";
  ASSERT_EQ(x[p + 1], 0x01) << "one property byte";
  x[p + 2] = 40;  // dictionary 4 GiB - 1
  const std::uint32_t crc = crc32_ieee(&x[kBlock], hdr_size - 4);
  for (int i = 0; i < 4; ++i) x[kBlock + hdr_size - 4 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  Status st = decode(Codec::lzma, x);
  EXPECT_EQ(st.code(), ErrorCode::resource_exhausted) << st.to_string();
  EXPECT_TRUE(contains(st, "MiB")) << st.message();
}

}  // namespace
}  // namespace segpack
