// Codec layer: round trips for every codec x level x size x data kind, context
// reuse, compress_into at the exact bound, decompress_exact, declared_size,
// names / tags / levels, concatenated streams. Bad inputs live in
// malformed/codec_malformed_test.cc.
#include "segpack/codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace segpack {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes compressible(std::size_t n, std::uint32_t seed = 1) {
  static const char* kWords[] = {"segment ", "mapbuffer ", "chunk ", "zstd ", "voxel ", "label ", "0123 ", "\n"};
  std::mt19937 rng(seed);
  Bytes out;
  out.reserve(n);
  while (out.size() < n) {
    const char* w = kWords[rng() % 8];
    for (const char* p = w; *p && out.size() < n; ++p) out.push_back(static_cast<std::uint8_t>(*p));
  }
  return out;
}

Bytes random_bytes(std::size_t n, std::uint32_t seed = 7) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

ByteSpan span(const Bytes& b) { return {b.data(), b.size()}; }

Bytes compress_or_die(Codec c, const Bytes& in, std::optional<int> level = std::nullopt) {
  auto r = compress(c, span(in), level);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : Bytes{};
}

// ------------------------------------------------------------ round trips

enum class LevelKind { min, def, max };
enum class DataKind { compressible, random };

struct RoundTripCase {
  Codec codec;
  LevelKind level;
  std::size_t size;
  DataKind data;
};

int level_of(Codec c, LevelKind k) {
  switch (k) {
    case LevelKind::min: return codec_level_range(c).first;
    case LevelKind::def: return codec_default_level(c);
    case LevelKind::max: return codec_level_range(c).second;
  }
  return 0;
}

std::vector<RoundTripCase> round_trip_cases() {
  std::vector<RoundTripCase> cases;
  for (Codec c : kAllCodecs) {
    for (LevelKind l : {LevelKind::min, LevelKind::def, LevelKind::max}) {
      for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{100} << 10}) {
        // The slowest settings (brotli 11, lzma 9) only on small data.
        if (l == LevelKind::max && (c == Codec::brotli || c == Codec::lzma) && n > 100) continue;
        for (DataKind d : {DataKind::compressible, DataKind::random}) cases.push_back({c, l, n, d});
      }
    }
  }
  return cases;
}

std::string case_name(const testing::TestParamInfo<RoundTripCase>& info) {
  const RoundTripCase& c = info.param;
  std::string s(codec_name(c.codec));
  s += c.level == LevelKind::min ? "_Lmin" : c.level == LevelKind::def ? "_Ldefault" : "_Lmax";
  s += "_" + std::to_string(c.size);
  s += c.data == DataKind::compressible ? "_text" : "_random";
  return s;
}

class CodecRoundTrip : public testing::TestWithParam<RoundTripCase> {};

TEST_P(CodecRoundTrip, AllEntryPointsAgree) {
  const RoundTripCase& tc = GetParam();
  const Bytes in = tc.data == DataKind::compressible ? compressible(tc.size) : random_bytes(tc.size);
  const int level = level_of(tc.codec, tc.level);

  auto comp = Compressor::make(tc.codec, level);
  ASSERT_TRUE(comp.ok()) << comp.status().to_string();
  EXPECT_EQ(comp->level(), level);
  EXPECT_EQ(comp->codec(), tc.codec);

  // compress_append, after an existing prefix that must survive.
  Bytes packed = {0xAA, 0xBB};
  ASSERT_TRUE(comp->compress_append(span(in), packed).ok());
  ASSERT_GE(packed.size(), 2u);
  EXPECT_EQ(packed[0], 0xAA);
  EXPECT_EQ(packed[1], 0xBB);
  packed.erase(packed.begin(), packed.begin() + 2);
  if (tc.codec != Codec::none) {
    EXPECT_FALSE(packed.empty()) << "a real codec's empty input still makes a stream";
  }
  EXPECT_LE(packed.size(), comp->bound(in.size()));

  // compress_into with exactly bound() bytes of room.
  Bytes exact(comp->bound(in.size()));
  auto n = comp->compress_into(span(in), MutableByteSpan(exact.data(), exact.size()));
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_LE(*n, exact.size());
  exact.resize(*n);

  auto dec = Decompressor::make(tc.codec);
  ASSERT_TRUE(dec.ok()) << dec.status().to_string();
  for (const Bytes* stream : {&packed, &exact}) {
    // decompress_append after a prefix.
    Bytes out = {0x11};
    Status st = dec->decompress_append(span(*stream), out);
    ASSERT_TRUE(st.ok()) << st.to_string();
    ASSERT_EQ(out.size(), in.size() + 1);
    EXPECT_EQ(out[0], 0x11);
    EXPECT_TRUE(std::equal(in.begin(), in.end(), out.begin() + 1));

    // With the expected size and a max_output exactly at the size.
    DecompressOptions opts;
    opts.expected_size = in.size();
    opts.max_output = in.size();
    out.clear();
    st = dec->decompress_append(span(*stream), out, opts);
    ASSERT_TRUE(st.ok()) << st.to_string();
    EXPECT_EQ(out, in);

    // decompress_exact into a caller buffer.
    Bytes direct(in.size(), 0xEE);
    st = dec->decompress_exact(span(*stream), MutableByteSpan(direct.data(), direct.size()));
    ASSERT_TRUE(st.ok()) << st.to_string();
    EXPECT_EQ(direct, in);
  }

  // One-shot helper.
  auto again = decompress(tc.codec, span(packed));
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(*again, in);
}

INSTANTIATE_TEST_SUITE_P(Codec, CodecRoundTrip, testing::ValuesIn(round_trip_cases()), case_name);

class CodecEach : public testing::TestWithParam<Codec> {};
std::string codec_param_name(const testing::TestParamInfo<Codec>& info) { return std::string(codec_name(info.param)); }

TEST_P(CodecEach, ContextReuseAcrossManyCalls) {
  const Codec c = GetParam();
  auto comp = Compressor::make(c, c == Codec::lzma ? std::optional<int>(1) : std::nullopt);
  auto dec = Decompressor::make(c);
  ASSERT_TRUE(comp.ok() && dec.ok());
  std::mt19937 rng(42);
  for (int i = 0; i < 150; ++i) {
    const std::size_t n = rng() % 5000;
    const Bytes in = (i % 3 == 0) ? random_bytes(n, i) : compressible(n, i);
    Bytes packed;
    ASSERT_TRUE(comp->compress_append(span(in), packed).ok()) << i;
    if (i % 10 == 5 && c != Codec::none) {
      // A failure in between must not poison the context.
      Bytes junk(packed.begin(), packed.begin() + packed.size() / 2), sink;
      EXPECT_FALSE(dec->decompress_append(span(junk), sink).ok()) << i;
      EXPECT_TRUE(sink.empty());
    }
    Bytes out;
    Status st = dec->decompress_append(span(packed), out);
    ASSERT_TRUE(st.ok()) << i << ": " << st.to_string();
    ASSERT_EQ(out, in) << i;
  }
}

TEST_P(CodecEach, LargeHighlyCompressibleOutputGrows) {
  // Zeros compress far beyond the 1032:1 trust bound: the decoder must stream
  // with growth rather than trust a size claim, and still produce everything.
  const Codec c = GetParam();
  const Bytes in(std::size_t{12} << 20, 0);
  const Bytes packed = compress_or_die(c, in, c == Codec::lzma ? std::optional<int>(0) : std::nullopt);
  auto out = decompress(c, span(packed));
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_TRUE(*out == in);
}

TEST_P(CodecEach, MoveKeepsTheContext) {
  const Codec c = GetParam();
  auto comp = Compressor::make(c);
  auto dec = Decompressor::make(c);
  ASSERT_TRUE(comp.ok() && dec.ok());
  Compressor comp2 = std::move(*comp);
  Decompressor dec2 = std::move(*dec);
  const Bytes in = compressible(1000);
  Bytes packed, out;
  ASSERT_TRUE(comp2.compress_append(span(in), packed).ok());
  ASSERT_TRUE(dec2.decompress_append(span(packed), out).ok());
  EXPECT_EQ(out, in);
}

TEST_P(CodecEach, CompressIntoTooSmallIsInvalidArgument) {
  const Codec c = GetParam();
  auto comp = Compressor::make(c);
  ASSERT_TRUE(comp.ok());
  const Bytes in = compressible(1000);
  Bytes out(comp->bound(in.size()) - 1);
  auto r = comp->compress_into(span(in), MutableByteSpan(out.data(), out.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument) << r.status().to_string();
}

TEST_P(CodecEach, LevelOutsideRangeIsInvalidArgument) {
  const Codec c = GetParam();
  const auto [lo, hi] = codec_level_range(c);
  for (int bad : {lo - 1, hi + 1}) {
    auto r = Compressor::make(c, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
  }
  EXPECT_TRUE(Compressor::make(c, lo).ok());
  EXPECT_TRUE(Compressor::make(c, hi).ok());
}

TEST_P(CodecEach, OutputExactlyAtMaxOutputIsFine) {
  const Codec c = GetParam();
  const Bytes in = compressible(70000);
  const Bytes packed = compress_or_die(c, in);
  DecompressOptions opts;
  opts.max_output = in.size();
  auto out = decompress(c, span(packed), opts);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, in);
}

INSTANTIATE_TEST_SUITE_P(Codec, CodecEach, testing::ValuesIn(kAllCodecs), codec_param_name);

// ------------------------------------------------------------ sizes, bounds, formats

TEST(CodecDeclaredSize, PerFormat) {
  const Bytes in = compressible(12345);
  auto dz = Decompressor::make(Codec::zstd);
  auto dg = Decompressor::make(Codec::gzip);
  auto dn = Decompressor::make(Codec::none);
  auto db = Decompressor::make(Codec::brotli);
  auto dl = Decompressor::make(Codec::lzma);
  EXPECT_EQ(dz->declared_size(span(compress_or_die(Codec::zstd, in))), 12345u);
  EXPECT_EQ(dg->declared_size(span(compress_or_die(Codec::gzip, in))), 12345u);
  EXPECT_EQ(dn->declared_size(span(in)), 12345u);
  EXPECT_EQ(db->declared_size(span(compress_or_die(Codec::brotli, in))), std::nullopt);
  EXPECT_EQ(dl->declared_size(span(compress_or_die(Codec::lzma, in))), std::nullopt);
  // zstd: concatenated frames sum up.
  Bytes two = compress_or_die(Codec::zstd, in);
  const Bytes second = compress_or_die(Codec::zstd, compressible(55));
  two.insert(two.end(), second.begin(), second.end());
  EXPECT_EQ(dz->declared_size(span(two)), 12400u);
  // Garbage declares nothing.
  const Bytes junk = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  EXPECT_EQ(dz->declared_size(span(junk)), std::nullopt);
  EXPECT_EQ(dg->declared_size(span(junk)), std::nullopt);
  EXPECT_EQ(dz->declared_size(ByteSpan{}), std::nullopt);
}

TEST(CodecBound, HugeInputsGiveATrueUpperBound) {
  constexpr std::size_t kHuge = std::numeric_limits<std::size_t>::max() - 10;
  for (Codec c : kAllCodecs) {
    auto comp = Compressor::make(c);
    ASSERT_TRUE(comp.ok());
    EXPECT_GE(comp->bound(kHuge), kHuge) << codec_name(c);
    EXPECT_GE(comp->bound(0), c == Codec::none ? 0u : 1u) << codec_name(c);
  }
}

TEST(CodecFormat, ZstdFrameHasContentSizeAndNoChecksum) {
  const Bytes packed = compress_or_die(Codec::zstd, compressible(5000));
  ASSERT_GE(packed.size(), 6u);
  EXPECT_EQ(packed[0], 0x28);
  EXPECT_EQ(packed[3], 0xFD);
  const std::uint8_t fhd = packed[4];
  EXPECT_EQ(fhd & 0x04, 0) << "content checksum flag must be clear";
  EXPECT_NE(fhd >> 6, 0) << "content size field must be present";
}

TEST(CodecFormat, GzipHasMagicAndDeflate) {
  const Bytes packed = compress_or_die(Codec::gzip, compressible(5000));
  ASSERT_GE(packed.size(), 18u);
  EXPECT_EQ(packed[0], 0x1f);
  EXPECT_EQ(packed[1], 0x8b);
  EXPECT_EQ(packed[2], 8);
}

TEST(CodecFormat, LzmaIsXzWithCrc64) {
  const Bytes packed = compress_or_die(Codec::lzma, compressible(5000));
  ASSERT_GE(packed.size(), 12u);
  const std::uint8_t magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
  EXPECT_EQ(std::memcmp(packed.data(), magic, 6), 0);
  EXPECT_EQ(packed[6], 0);
  EXPECT_EQ(packed[7], 0x04) << "stream flags: check type CRC64";
}

TEST(CodecConcatenated, ZstdFramesAndSkippableFrames) {
  const Bytes a = compressible(3000, 1), b = random_bytes(200, 2);
  Bytes packed = compress_or_die(Codec::zstd, a);
  // A skippable frame: magic 0x184D2A50, 4-byte length, payload.
  const Bytes skippable = {0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'x', 'y', 'z'};
  packed.insert(packed.end(), skippable.begin(), skippable.end());
  const Bytes pb = compress_or_die(Codec::zstd, b);
  packed.insert(packed.end(), pb.begin(), pb.end());
  auto out = decompress(Codec::zstd, span(packed));
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  Bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(*out, want);
  Bytes exact(want.size());
  auto dec = Decompressor::make(Codec::zstd);
  ASSERT_TRUE(dec->decompress_exact(span(packed), MutableByteSpan(exact.data(), exact.size())).ok());
  EXPECT_EQ(exact, want);
}

TEST(CodecConcatenated, GzipMembersWithAMisleadingLastIsize) {
  // The last member's ISIZE (small) is the fast path's hint; it is wrong for
  // the whole stream, so the decoder must fall back to streaming.
  const Bytes a = compressible(100 << 10, 3), b = compressible(10, 4);
  Bytes packed = compress_or_die(Codec::gzip, a);
  const Bytes pb = compress_or_die(Codec::gzip, b);
  packed.insert(packed.end(), pb.begin(), pb.end());
  Bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  auto out = decompress(Codec::gzip, span(packed));
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, want);
  // And the reverse order: the first member fits the hint, the second streams.
  Bytes rev = pb;
  const Bytes pa = compress_or_die(Codec::gzip, a);
  rev.insert(rev.end(), pa.begin(), pa.end());
  Bytes want_rev = b;
  want_rev.insert(want_rev.end(), a.begin(), a.end());
  out = decompress(Codec::gzip, span(rev));
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, want_rev);
  Bytes exact(want_rev.size());
  auto dec = Decompressor::make(Codec::gzip);
  ASSERT_TRUE(dec->decompress_exact(span(rev), MutableByteSpan(exact.data(), exact.size())).ok());
  EXPECT_EQ(exact, want_rev);
}

TEST(CodecConcatenated, LzmaStreamsAndStreamPadding) {
  const Bytes a = compressible(3000, 5), b = compressible(700, 6);
  Bytes packed = compress_or_die(Codec::lzma, a);
  packed.insert(packed.end(), 4, 0);  // stream padding
  const Bytes pb = compress_or_die(Codec::lzma, b);
  packed.insert(packed.end(), pb.begin(), pb.end());
  packed.insert(packed.end(), 8, 0);  // trailing padding is allowed too
  auto out = decompress(Codec::lzma, span(packed));
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  Bytes want = a;
  want.insert(want.end(), b.begin(), b.end());
  EXPECT_EQ(*out, want);
}

// ------------------------------------------------------------ names and tags

TEST(CodecNames, CanonicalNamesAndTags) {
  EXPECT_EQ(codec_name(Codec::none), "none");
  EXPECT_EQ(codec_name(Codec::gzip), "gzip");
  EXPECT_EQ(codec_name(Codec::brotli), "br");
  EXPECT_EQ(codec_name(Codec::zstd), "zstd");
  EXPECT_EQ(codec_name(Codec::lzma), "lzma");
  const std::pair<Codec, const char*> tags[] = {{Codec::none, "none"},
                                                {Codec::gzip, "gzip"},
                                                {Codec::brotli, "00br"},
                                                {Codec::zstd, "zstd"},
                                                {Codec::lzma, "lzma"}};
  for (auto [c, t] : tags) {
    const auto tag = codec_tag(c);
    EXPECT_EQ(std::string(tag.data(), 4), t);
    auto back = codec_from_tag(ByteSpan(reinterpret_cast<const std::uint8_t*>(tag.data()), 4));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, c);
    auto by_name = codec_from_name(codec_name(c));
    ASSERT_TRUE(by_name.ok());
    EXPECT_EQ(*by_name, c);
  }
}

TEST(CodecNames, AliasesAreCaseInsensitive) {
  const std::pair<const char*, Codec> aliases[] = {
      {"", Codec::none},          {"NONE", Codec::none}, {"Raw", Codec::none},      {"GZIP", Codec::gzip},
      {"gz", Codec::gzip},        {"BR", Codec::brotli}, {"Brotli", Codec::brotli}, {"ZSTD", Codec::zstd},
      {"zStandard", Codec::zstd}, {"lzma", Codec::lzma}, {"XZ", Codec::lzma}};
  for (auto [name, c] : aliases) {
    auto r = codec_from_name(name);
    ASSERT_TRUE(r.ok()) << name;
    EXPECT_EQ(*r, c) << name;
  }
}

TEST(CodecNames, UnknownNameIsUnsupported) {
  for (const char* name : {"lz4", "snappy", "gzip ", "zst", "deflate"}) {
    auto r = codec_from_name(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), ErrorCode::unsupported);
    EXPECT_NE(r.status().message().find(name), std::string::npos) << r.status().message();
  }
}

TEST(CodecNames, UnknownTagIsUnsupportedAndEscaped) {
  const std::uint8_t tag[4] = {'l', 'z', '4', 0x00};
  auto r = codec_from_tag(ByteSpan(tag, 4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::unsupported);
  EXPECT_NE(r.status().message().find("lz4\\x00"), std::string::npos) << r.status().message();
  // Tags are exact (no case folding): mapbuffer writes them verbatim.
  const std::uint8_t upper[4] = {'G', 'Z', 'I', 'P'};
  EXPECT_EQ(codec_from_tag(ByteSpan(upper, 4)).status().code(), ErrorCode::unsupported);
  EXPECT_EQ(codec_from_tag(ByteSpan(tag, 3)).status().code(), ErrorCode::invalid_argument);
}

TEST(CodecNames, DefaultLevelsAndRanges) {
  EXPECT_EQ(codec_default_level(Codec::none), 0);
  EXPECT_EQ(codec_default_level(Codec::gzip), 9);
  EXPECT_EQ(codec_default_level(Codec::brotli), 5);
  EXPECT_EQ(codec_default_level(Codec::zstd), 3);
  EXPECT_EQ(codec_default_level(Codec::lzma), 6);
  EXPECT_EQ(codec_level_range(Codec::gzip), std::make_pair(0, 12));
  EXPECT_EQ(codec_level_range(Codec::brotli), std::make_pair(0, 11));
  EXPECT_EQ(codec_level_range(Codec::lzma), std::make_pair(0, 9));
  EXPECT_EQ(codec_level_range(Codec::none), std::make_pair(0, 0));
  EXPECT_LT(codec_level_range(Codec::zstd).first, 0);
  EXPECT_EQ(codec_level_range(Codec::zstd).second, 22);
  for (Codec c : kAllCodecs) {
    auto comp = Compressor::make(c);
    ASSERT_TRUE(comp.ok());
    EXPECT_EQ(comp->level(), codec_default_level(c));
  }
}

TEST(CodecNames, InvalidEnumValueIsInvalidArgument) {
  EXPECT_EQ(Compressor::make(static_cast<Codec>(9)).status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(Decompressor::make(static_cast<Codec>(9)).status().code(), ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace segpack
