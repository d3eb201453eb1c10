// compress_batch / decompress_batch: round trips for every codec on 1 and 2
// threads (and with the pool forced), empty items (trailing ones included),
// order, caller-given sizes, output budget, frames without a content size,
// concatenated frames, error naming. Malformed frames one class per test live
// in malformed/batch_malformed_test.cc. Behaviour only, never timing.
#include "segpack/batch.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <atomic>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

namespace segpack {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::bytes_of;

Bytes compressible(std::size_t n, std::uint32_t seed) {
  static const char* kWords[] = {"segment ", "buffer ", "chunk ", "zstd ", "voxel ", "label ", "0123 ", "\n"};
  std::mt19937 rng(seed);
  Bytes out;
  out.reserve(n);
  while (out.size() < n) {
    for (const char* p = kWords[rng() % 8]; *p && out.size() < n; ++p) out.push_back(static_cast<std::uint8_t>(*p));
  }
  return out;
}

// A mix of sizes (0 included) and kinds; every item distinct.
std::vector<Bytes> mixed_items(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Bytes> items;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t len = i % 7 == 3 ? 0 : (i % 11 == 5 ? 20000 + rng() % 30000 : rng() % 3000);
    Bytes b =
        i % 2 ? compressible(len, seed + static_cast<std::uint32_t>(i)) : testing::random_bytes(len, seed * 1000 + i);
    if (!b.empty()) b[0] = static_cast<std::uint8_t>(i);
    items.push_back(std::move(b));
  }
  return items;
}

std::vector<ByteSpan> spans_of(const std::vector<Bytes>& v) {
  std::vector<ByteSpan> s;
  for (const auto& b : v) s.emplace_back(b);
  return s;
}

std::vector<Bytes> items_of(const BufferWithSegments& b) {
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < b.size(); ++i) out.emplace_back(b[i].begin(), b[i].end());
  return out;
}

// The output is one allocation: segments laid out contiguously, in order.
void expect_packed(const BufferWithSegments& b) {
  std::uint64_t at = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(b.segments()[i].offset, at) << "segment " << i;
    at += b.segments()[i].length;
  }
  EXPECT_EQ(at, b.data().size());
}

std::vector<ByteSpan> frames_of(const BufferWithSegments& b) {
  std::vector<ByteSpan> f;
  for (std::size_t i = 0; i < b.size(); ++i) f.push_back(b[i]);
  return f;
}

bool names(const Status& st, const std::string& what) { return st.message().find(what) != std::string::npos; }

Bytes packed(Codec c, const Bytes& in) {
  auto r = compress(c, ByteSpan(in));
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : Bytes{};
}

// A zstd frame without a content size in its header (the C API directly).
Bytes zstd_without_size(const Bytes& in, int level = 3) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
  Bytes out(ZSTD_compressBound(in.size()));
  const std::size_t r = ZSTD_compress2(c, out.data(), out.size(), in.data(), in.size());
  ZSTD_freeCCtx(c);
  EXPECT_FALSE(ZSTD_isError(r));
  out.resize(ZSTD_isError(r) ? 0 : r);
  EXPECT_EQ(ZSTD_getFrameContentSize(out.data(), out.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  return out;
}

// ---------------------------------------------------------------- round trips

struct Mode {
  std::size_t threads;
  bool force_pool;  // inline_below_bytes = 0
};

class BatchRoundTrip : public ::testing::TestWithParam<std::tuple<Codec, Mode>> {
 protected:
  BatchOptions opts() {
    BatchOptions o;
    o.parallel.threads = std::get<1>(GetParam()).threads;
    if (std::get<1>(GetParam()).force_pool) o.parallel.inline_below_bytes = 0;
    o.parallel.pool = &pool_;
    return o;
  }
  ThreadPool pool_{3};
};

TEST_P(BatchRoundTrip, CompressThenDecompressGivesTheItemsBack) {
  const Codec codec = std::get<0>(GetParam());
  const auto items = mixed_items(120, 17);
  const auto in = spans_of(items);
  auto c = compress_batch(in, codec, std::nullopt, opts());
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->size(), items.size());
  expect_packed(*c);
  // Each compressed item is a standalone stream of the codec.
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto one = decompress(codec, (*c)[i]);
    ASSERT_TRUE(one.ok()) << i << ": " << one.status().to_string();
    ASSERT_EQ(*one, items[i]) << "item " << i;
  }
  const std::vector<ByteSpan> frames = frames_of(*c);
  auto d = decompress_batch(frames, codec, {}, opts());
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  expect_packed(*d);
  EXPECT_EQ(items_of(*d), items);

  // With the exact sizes given.
  std::vector<std::uint64_t> sizes;
  for (const auto& it : items) sizes.push_back(it.size());
  auto e = decompress_batch(frames, codec, sizes, opts());
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(items_of(*e), items);

  // Sizes given for some items only (0 = unknown).
  for (std::size_t i = 0; i < sizes.size(); i += 2) sizes[i] = 0;
  auto f = decompress_batch(frames, codec, sizes, opts());
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(items_of(*f), items);
}

TEST_P(BatchRoundTrip, EmptyItemsAreKeptIncludingTrailingOnes) {
  // python-zstandard drops trailing empty items with threads=2.
  const Codec codec = std::get<0>(GetParam());
  const std::vector<std::vector<Bytes>> cases = {
      {bytes_of("abc"), {}}, {{}}, {{}, {}, {}}, {{}, bytes_of("x"), {}, {}}, {bytes_of("abc"), {}, bytes_of("d"), {}}};
  for (const auto& items : cases) {
    auto c = compress_batch(spans_of(items), codec, std::nullopt, opts());
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    ASSERT_EQ(c->size(), items.size());
    const std::vector<ByteSpan> frames = frames_of(*c);
    auto d = decompress_batch(frames, codec, {}, opts());
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    ASSERT_EQ(d->size(), items.size());
    EXPECT_EQ(items_of(*d), items);
  }
}

TEST_P(BatchRoundTrip, OrderIsPreservedForManySmallItems) {
  const Codec codec = std::get<0>(GetParam());
  // lzma sets up a multi-MiB encoder per item: fewer items keep the
  // sanitizer build quick.
  const int n = codec == Codec::lzma ? 100 : 2000;
  std::vector<Bytes> items;
  for (int i = 0; i < n; ++i) items.push_back(bytes_of("item-" + std::to_string(i) + std::string(i % 50, 'z')));
  auto c = compress_batch(spans_of(items), codec, std::nullopt, opts());
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  const std::vector<ByteSpan> frames = frames_of(*c);
  auto d = decompress_batch(frames, codec, {}, opts());
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(items_of(*d), items);
}

TEST_P(BatchRoundTrip, SizesMismatchNamesTheItem) {
  const Codec codec = std::get<0>(GetParam());
  const auto items = mixed_items(30, 3);
  std::vector<Bytes> frames_owned;
  for (const auto& it : items) frames_owned.push_back(packed(codec, it));
  const auto frames = spans_of(frames_owned);
  const std::size_t bad = 21;  // non-empty (21 % 7 != 3)
  ASSERT_FALSE(items[bad].empty());
  for (std::int64_t delta : {-1, 1, 1000}) {
    std::vector<std::uint64_t> sizes;
    for (const auto& it : items) sizes.push_back(it.size());
    sizes[bad] = static_cast<std::uint64_t>(static_cast<std::int64_t>(sizes[bad]) + delta);
    auto d = decompress_batch(frames, codec, sizes, opts());
    ASSERT_FALSE(d.ok()) << "delta " << delta;
    EXPECT_EQ(d.status().code(), ErrorCode::corrupt) << d.status().to_string();
    EXPECT_TRUE(names(d.status(), "error decompressing item 21")) << d.status().message();
  }
}

TEST_P(BatchRoundTrip, LowestFailingItemIsNamed) {
  const Codec codec = std::get<0>(GetParam());
  if (codec == Codec::none) GTEST_SKIP() << "every byte string is a valid 'none' item";
  std::vector<Bytes> frames_owned;
  for (int i = 0; i < 200; ++i) frames_owned.push_back(packed(codec, compressible(500 + i * 10, i)));
  for (std::size_t bad : {150u, 33u, 90u}) frames_owned[bad] = bytes_of("this is not a compressed stream at all");
  for (int round = 0; round < 5; ++round) {
    auto d = decompress_batch(spans_of(frames_owned), codec, {}, opts());
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), ErrorCode::corrupt) << d.status().to_string();
    EXPECT_TRUE(names(d.status(), "error decompressing item 33:")) << d.status().message();
  }
}

std::string mode_name(const ::testing::TestParamInfo<std::tuple<Codec, Mode>>& info) {
  const auto [codec, mode] = info.param;
  return std::string(codec_name(codec)) + "_t" + std::to_string(mode.threads) + (mode.force_pool ? "_pool" : "");
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, BatchRoundTrip,
                         ::testing::Combine(::testing::ValuesIn(kAllCodecs),
                                            ::testing::Values(Mode{1, false}, Mode{2, false}, Mode{2, true},
                                                              Mode{0, true})),
                         mode_name);

// ---------------------------------------------------------------- edge cases

TEST(Batch, EmptyBatchReturnsEmpty) {
  for (Codec c : kAllCodecs) {
    auto e = compress_batch({}, c);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    EXPECT_EQ(e->size(), 0u);
    auto d = decompress_batch({}, c);
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(d->size(), 0u);
    EXPECT_EQ(d->total_length(), 0u);
    auto ds = decompress_batch({}, c, std::vector<std::uint64_t>{});
    EXPECT_TRUE(ds.ok());
  }
}

TEST(Batch, DefaultPoolAndDefaultOptions) {
  // No options at all: the default pool, the default inline rule.
  const auto items = mixed_items(300, 8);
  auto c = compress_batch(spans_of(items), Codec::zstd);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  const std::vector<ByteSpan> frames = frames_of(*c);
  auto d = decompress_batch(frames, Codec::zstd);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(items_of(*d), items);
}

TEST(Batch, SizesOfTheWrongLengthAreInvalidArgument) {
  const Bytes f = packed(Codec::zstd, bytes_of("abc"));
  const std::vector<ByteSpan> frames{f, f, f};
  for (std::size_t n : {1u, 2u, 4u}) {
    const std::vector<std::uint64_t> sizes(n, 3);
    auto d = decompress_batch(frames, Codec::zstd, sizes);
    EXPECT_EQ(d.status().code(), ErrorCode::invalid_argument) << n << ": " << d.status().to_string();
  }
  // Sizes given for an empty batch.
  const std::vector<std::uint64_t> one{3};
  EXPECT_EQ(decompress_batch({}, Codec::zstd, one).status().code(), ErrorCode::invalid_argument);
}

TEST(Batch, CompressBadLevelIsInvalidArgument) {
  const Bytes a = bytes_of("abc");
  const std::vector<ByteSpan> items{a};
  EXPECT_EQ(compress_batch(items, Codec::gzip, 99).status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(compress_batch(items, Codec::none, 1).status().code(), ErrorCode::invalid_argument);
  auto ok = compress_batch(items, Codec::zstd, 1);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*decompress(Codec::zstd, (*ok)[0]), a);
}

TEST(Batch, CompressMatchesTheSingleShotCodec) {
  // Same codec, same level: byte-identical to compress() for every item.
  const auto items = mixed_items(40, 12);
  for (Codec c : kAllCodecs) {
    BatchOptions o;
    o.parallel.threads = 2;
    o.parallel.inline_below_bytes = 0;
    auto b = compress_batch(spans_of(items), c, std::nullopt, o);
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const ByteSpan got = (*b)[i];
      EXPECT_EQ(Bytes(got.begin(), got.end()), packed(c, items[i])) << codec_name(c) << " item " << i;
    }
  }
}

TEST(Batch, NoneCodecSizesMustMatchExactly) {
  const Bytes a = bytes_of("hello"), b = bytes_of("");
  const std::vector<ByteSpan> frames{a, b};
  auto ok = decompress_batch(frames, Codec::none, std::vector<std::uint64_t>{5, 0});
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(items_of(*ok), (std::vector<Bytes>{a, b}));
  auto bad = decompress_batch(frames, Codec::none, std::vector<std::uint64_t>{6, 0});
  EXPECT_EQ(bad.status().code(), ErrorCode::corrupt);
  EXPECT_TRUE(names(bad.status(), "item 0")) << bad.status().message();
  auto bad2 = decompress_batch(frames, Codec::none, std::vector<std::uint64_t>{5, 1});
  EXPECT_EQ(bad2.status().code(), ErrorCode::corrupt);
  EXPECT_TRUE(names(bad2.status(), "item 1")) << bad2.status().message();
}

TEST(Batch, EmptyFrameIsCorruptForRealCodecs) {
  const Bytes good_src = bytes_of("abc");
  for (Codec c : kAllCodecs) {
    const Bytes good = packed(c, good_src);
    const Bytes empty;
    const std::vector<ByteSpan> frames{good, empty};
    auto d = decompress_batch(frames, c);
    if (c == Codec::none) {
      ASSERT_TRUE(d.ok());
      EXPECT_EQ(items_of(*d), (std::vector<Bytes>{good_src, {}}));
      continue;
    }
    EXPECT_EQ(d.status().code(), ErrorCode::corrupt) << codec_name(c) << ": " << d.status().to_string();
    EXPECT_TRUE(names(d.status(), "error decompressing item 1")) << d.status().message();
  }
}

// ---------------------------------------------------------------- zstd specifics

TEST(BatchZstd, FramesWithoutContentSize) {
  std::vector<Bytes> items, frames_owned;
  for (int i = 0; i < 50; ++i) {
    items.push_back(i % 5 == 0 ? Bytes{} : compressible(100 + 997 * i, i));
    frames_owned.push_back(zstd_without_size(items.back()));
  }
  for (std::size_t threads : {1u, 2u}) {
    BatchOptions o;
    o.parallel.threads = threads;
    o.parallel.inline_below_bytes = 0;
    auto d = decompress_batch(spans_of(frames_owned), Codec::zstd, {}, o);
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    expect_packed(*d);
    EXPECT_EQ(items_of(*d), items);
    // Sizes given: decoded straight into place.
    std::vector<std::uint64_t> sizes;
    for (const auto& it : items) sizes.push_back(it.size());
    auto e = decompress_batch(spans_of(frames_owned), Codec::zstd, sizes, o);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    EXPECT_EQ(items_of(*e), items);
  }
}

TEST(BatchZstd, MixedKnownAndUnknownSizesKeepOrder) {
  std::vector<Bytes> items, frames_owned;
  for (int i = 0; i < 60; ++i) {
    items.push_back(compressible(50 + 300 * i, 1000 + i));
    frames_owned.push_back(i % 3 == 0 ? zstd_without_size(items.back()) : packed(Codec::zstd, items.back()));
  }
  BatchOptions o;
  o.parallel.threads = 2;
  o.parallel.inline_below_bytes = 0;
  auto d = decompress_batch(spans_of(frames_owned), Codec::zstd, {}, o);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  expect_packed(*d);
  EXPECT_EQ(items_of(*d), items);
}

TEST(BatchZstd, ConcatenatedFramesDecodeFully) {
  // python-zstandard decodes only the first frame.
  const Bytes a = compressible(3000, 1), b = compressible(5000, 2), c = bytes_of("tail");
  Bytes known = packed(Codec::zstd, a);
  const Bytes fb = packed(Codec::zstd, b);
  known.insert(known.end(), fb.begin(), fb.end());  // both frames declare their size
  Bytes mixed = zstd_without_size(a);
  const Bytes fc = packed(Codec::zstd, c);
  mixed.insert(mixed.end(), fb.begin(), fb.end());
  mixed.insert(mixed.end(), fc.begin(), fc.end());  // first frame without a size
  Bytes ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  Bytes abc = ab;
  abc.insert(abc.end(), c.begin(), c.end());
  const Bytes single = packed(Codec::zstd, bytes_of("single"));
  const std::vector<ByteSpan> frames{known, single, mixed};
  for (std::size_t threads : {1u, 2u}) {
    BatchOptions o;
    o.parallel.threads = threads;
    o.parallel.inline_below_bytes = 0;
    auto d = decompress_batch(frames, Codec::zstd, {}, o);
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(items_of(*d), (std::vector<Bytes>{ab, bytes_of("single"), abc}));
    const std::vector<std::uint64_t> sizes{ab.size(), 6, abc.size()};
    auto e = decompress_batch(frames, Codec::zstd, sizes, o);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    EXPECT_EQ(items_of(*e), (std::vector<Bytes>{ab, bytes_of("single"), abc}));
  }
}

TEST(BatchGzip, ConcatenatedMembersDecodeFully) {
  // Decompressor::decompress_append accepts multi-member gzip (as gzip -d
  // does); a batch must give the same bytes. The gzip trailer's ISIZE covers
  // only the LAST member, so it is not the size of the item.
  const Bytes a = compressible(3000, 4), b = compressible(1000, 5);
  Bytes two = packed(Codec::gzip, a);
  const Bytes fb = packed(Codec::gzip, b);
  two.insert(two.end(), fb.begin(), fb.end());
  Bytes ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  auto one = decompress(Codec::gzip, two);
  ASSERT_TRUE(one.ok()) << one.status().to_string();
  ASSERT_EQ(*one, ab);
  const std::vector<ByteSpan> frames{two};
  auto d = decompress_batch(frames, Codec::gzip);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(items_of(*d), std::vector<Bytes>{ab});
}

TEST(BatchGzip, ConcatenatedMembersEveryShape) {
  // The last member's ISIZE may be smaller than, equal to (empty first
  // member) or unrelated to the item's size; sizes given or not; several
  // such items next to single-member ones, on 1 and 2 threads.
  const Bytes small = compressible(700, 6), big = compressible(9000, 7), empty;
  auto members = [&](std::initializer_list<const Bytes*> parts) {
    Bytes stream, plain;
    for (const Bytes* p : parts) {
      const Bytes m = packed(Codec::gzip, *p);
      stream.insert(stream.end(), m.begin(), m.end());
      plain.insert(plain.end(), p->begin(), p->end());
    }
    return std::pair{stream, plain};
  };
  const std::vector<std::pair<Bytes, Bytes>> cases = {members({&small, &big}), members({&big, &small}),
                                                      members({&empty, &big}), members({&small}),
                                                      members({&big, &empty}), members({&small, &small, &small})};
  std::vector<Bytes> frames_owned, want;
  for (const auto& [stream, plain] : cases) {
    frames_owned.push_back(stream);
    want.push_back(plain);
  }
  std::vector<std::uint64_t> sizes;
  for (const auto& w : want) sizes.push_back(w.size());
  for (std::size_t threads : {1u, 2u}) {
    BatchOptions o;
    o.parallel.threads = threads;
    o.parallel.inline_below_bytes = 0;
    auto d = decompress_batch(spans_of(frames_owned), Codec::gzip, {}, o);
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(items_of(*d), want);
    auto e = decompress_batch(spans_of(frames_owned), Codec::gzip, sizes, o);
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    EXPECT_EQ(items_of(*e), want);
    // A corrupt item after them is still the one named.
    auto with_bad = frames_owned;
    with_bad.push_back(bytes_of("not gzip"));
    auto f = decompress_batch(spans_of(with_bad), Codec::gzip, {}, o);
    EXPECT_EQ(f.status().code(), ErrorCode::corrupt) << f.status().to_string();
    EXPECT_TRUE(names(f.status(), "error decompressing item 6:")) << f.status().message();
  }
}

TEST(BatchZstd, TrailingGarbageAfterAFrameIsAnError) {
  const Bytes good = packed(Codec::zstd, compressible(2000, 9));
  for (const Bytes& tail : {bytes_of("garbage!"), Bytes{0}, Bytes{0x28, 0xB5, 0x2F, 0xFD}}) {
    Bytes bad = good;
    bad.insert(bad.end(), tail.begin(), tail.end());
    const std::vector<ByteSpan> frames{good, good, bad, good};
    for (std::size_t threads : {1u, 2u}) {
      BatchOptions o;
      o.parallel.threads = threads;
      o.parallel.inline_below_bytes = 0;
      auto d = decompress_batch(frames, Codec::zstd, {}, o);
      EXPECT_EQ(d.status().code(), ErrorCode::corrupt) << d.status().to_string();
      EXPECT_TRUE(names(d.status(), "error decompressing item 2")) << d.status().message();
    }
  }
}

TEST(Batch, HighlyCompressibleItemsDecodeWithGrowth) {
  // 1 MiB of one byte compresses far beyond the plausible-expansion rule, so
  // the declared sizes are not trusted: the items take the growing path and
  // must still come back exactly.
  std::vector<Bytes> items;
  for (int i = 0; i < 4; ++i) items.push_back(Bytes((std::size_t{1} << 20) + i, static_cast<std::uint8_t>(i)));
  items.push_back(bytes_of("small"));
  for (Codec c : kAllCodecs) {
    std::vector<Bytes> frames_owned;
    for (const auto& it : items) frames_owned.push_back(packed(c, it));
    for (std::size_t threads : {1u, 2u}) {
      BatchOptions o;
      o.parallel.threads = threads;
      o.parallel.inline_below_bytes = 0;
      auto d = decompress_batch(spans_of(frames_owned), c, {}, o);
      ASSERT_TRUE(d.ok()) << codec_name(c) << ": " << d.status().to_string();
      expect_packed(*d);
      EXPECT_EQ(items_of(*d), items) << codec_name(c);
    }
  }
}

// ---------------------------------------------------------------- budget

TEST(BatchBudget, KnownSizesOverBudgetNameTheItem) {
  std::vector<Bytes> frames_owned;
  // Text compresses about 4:1, so the declared sizes are plausible and trusted.
  for (int i = 0; i < 8; ++i) frames_owned.push_back(packed(Codec::zstd, compressible(300 << 10, 50 + i)));
  for (std::size_t threads : {1u, 2u}) {
    BatchOptions o;
    o.parallel.threads = threads;
    o.parallel.inline_below_bytes = 0;
    o.limits.max_output_size = 1 << 20;  // 3 items fit (900 KiB), the 4th crosses
    auto d = decompress_batch(spans_of(frames_owned), Codec::zstd, {}, o);
    EXPECT_EQ(d.status().code(), ErrorCode::resource_exhausted) << d.status().to_string();
    EXPECT_TRUE(names(d.status(), "error decompressing item 3")) << d.status().message();
    EXPECT_TRUE(names(d.status(), "max_output_size")) << d.status().message();
    // Exactly at the budget is fine.
    o.limits.max_output_size = 8 * (300 << 10);
    auto ok = decompress_batch(spans_of(frames_owned), Codec::zstd, {}, o);
    ASSERT_TRUE(ok.ok()) << ok.status().to_string();
    EXPECT_EQ(ok->total_length(), 8u * (300 << 10));
    o.limits.max_output_size -= 1;
    auto over = decompress_batch(spans_of(frames_owned), Codec::zstd, {}, o);
    EXPECT_EQ(over.status().code(), ErrorCode::resource_exhausted);
    EXPECT_TRUE(names(over.status(), "item 7")) << over.status().message();
  }
}

TEST(BatchBudget, GivenSizesOverBudgetNameTheItem) {
  const Bytes f = packed(Codec::zstd, bytes_of("abc"));
  const std::vector<ByteSpan> frames{f, f};
  const std::vector<std::uint64_t> sizes{3, std::uint64_t{1} << 40};
  auto d = decompress_batch(frames, Codec::zstd, sizes);
  EXPECT_EQ(d.status().code(), ErrorCode::resource_exhausted) << d.status().to_string();
  EXPECT_TRUE(names(d.status(), "error decompressing item 1")) << d.status().message();
  const std::vector<std::uint64_t> max{3, std::numeric_limits<std::uint64_t>::max()};
  EXPECT_EQ(decompress_batch(frames, Codec::zstd, max).status().code(), ErrorCode::resource_exhausted);
}

TEST(BatchBudget, MaxItemSizeCapsEveryKindOfItem) {
  const Bytes small = compressible(1000, 1), large = compressible(5000, 2);
  const Bytes z_small = packed(Codec::zstd, small), z_large = packed(Codec::zstd, large);
  const Bytes z_large_nosize = zstd_without_size(large);
  BatchOptions o;
  o.limits.max_item_size = 4000;
  for (std::size_t threads : {1u, 2u}) {
    o.parallel.threads = threads;
    o.parallel.inline_below_bytes = 0;
    // Declared size (trusted) over the cap.
    const std::vector<ByteSpan> declared{z_small, z_large};
    auto d = decompress_batch(declared, Codec::zstd, {}, o);
    EXPECT_EQ(d.status().code(), ErrorCode::resource_exhausted) << d.status().to_string();
    EXPECT_TRUE(names(d.status(), "error decompressing item 1")) << d.status().message();
    // No size anywhere: caught while decoding.
    const std::vector<ByteSpan> unknown{z_small, z_large_nosize};
    d = decompress_batch(unknown, Codec::zstd, {}, o);
    EXPECT_EQ(d.status().code(), ErrorCode::resource_exhausted) << d.status().to_string();
    EXPECT_TRUE(names(d.status(), "error decompressing item 1")) << d.status().message();
    // Given by the caller.
    const std::vector<std::uint64_t> sizes{small.size(), large.size()};
    d = decompress_batch(declared, Codec::zstd, sizes, o);
    EXPECT_EQ(d.status().code(), ErrorCode::resource_exhausted) << d.status().to_string();
    EXPECT_TRUE(names(d.status(), "error decompressing item 1")) << d.status().message();
    // Under the cap: fine.
    const std::vector<ByteSpan> fits{z_small, z_small};
    EXPECT_TRUE(decompress_batch(fits, Codec::zstd, {}, o).ok());
  }
}

class BatchBudgetUnknown : public ::testing::TestWithParam<Codec> {};

// Items whose size nobody declares (brotli, lzma, zstd without content size)
// are decoded within what is left of the budget.
TEST_P(BatchBudgetUnknown, UnknownSizesOverBudgetNameTheItem) {
  const Codec codec = GetParam();
  std::vector<Bytes> frames_owned;
  for (int i = 0; i < 6; ++i) {
    const Bytes item(400 << 10, 'k' + i);
    frames_owned.push_back(codec == Codec::zstd ? zstd_without_size(item) : packed(codec, item));
  }
  BatchOptions o;
  o.parallel.threads = 1;  // deterministic: items are charged in order
  o.limits.max_output_size = 1 << 20;
  auto d = decompress_batch(spans_of(frames_owned), codec, {}, o);
  EXPECT_EQ(d.status().code(), ErrorCode::resource_exhausted) << d.status().to_string();
  EXPECT_TRUE(names(d.status(), "error decompressing item 2")) << d.status().message();

  // On two threads the item that crosses the budget depends on timing; the
  // error does not.
  o.parallel.threads = 2;
  o.parallel.inline_below_bytes = 0;
  d = decompress_batch(spans_of(frames_owned), codec, {}, o);
  EXPECT_EQ(d.status().code(), ErrorCode::resource_exhausted) << d.status().to_string();
  EXPECT_TRUE(names(d.status(), "error decompressing item ")) << d.status().message();

  o.limits.max_output_size = 6 * (400 << 10);
  auto ok = decompress_batch(spans_of(frames_owned), codec, {}, o);
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(ok->total_length(), 6u * (400 << 10));
}

INSTANTIATE_TEST_SUITE_P(Codecs, BatchBudgetUnknown, ::testing::Values(Codec::brotli, Codec::lzma, Codec::zstd),
                         [](const auto& info) { return std::string(codec_name(info.param)); });

// ---------------------------------------------------------------- threads

TEST(BatchThreads, ConcurrentCallersOnTheDefaultPool) {
  const auto items = mixed_items(200, 77);
  auto c = compress_batch(spans_of(items), Codec::zstd);
  ASSERT_TRUE(c.ok());
  const std::vector<ByteSpan> frames = frames_of(*c);
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&] {
      BatchOptions o;
      o.parallel.inline_below_bytes = 0;
      for (int r = 0; r < 10; ++r) {
        auto d = decompress_batch(frames, Codec::zstd, {}, o);
        if (!d.ok() || items_of(*d) != items) failures.fetch_add(1);
        auto again = compress_batch(spans_of(items), Codec::zstd, std::nullopt, o);
        if (!again.ok() || again->size() != items.size() || (*again)[5].size() != frames[5].size()) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(BatchThreads, BatchFromInsideAPoolChunkRunsInline) {
  ThreadPool pool(2);
  const auto items = mixed_items(20, 4);
  std::vector<Bytes> frames_owned;
  for (const auto& it : items) frames_owned.push_back(packed(Codec::gzip, it));
  std::atomic<int> failures{0};
  auto outer = [&](std::size_t, std::size_t b, std::size_t e) {
    for (std::size_t k = b; k < e; ++k) {
      BatchOptions o;
      o.parallel.pool = &pool;
      o.parallel.inline_below_bytes = 0;
      auto d = decompress_batch(spans_of(frames_owned), Codec::gzip, {}, o);
      if (!d.ok() || items_of(*d) != items) failures.fetch_add(1);
    }
  };
  pool.parallel_for(8, 1, 0, outer);
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace segpack
