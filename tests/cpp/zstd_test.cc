// zstd frame parameters and dictionaries: round trips with a dictionary
// (one-shot, context objects, batches on the pool), wrong and missing
// dictionaries, the parameters as they appear in frame headers, parameter
// checks, max_window_size, training, and frames identical to the ones
// python-zstandard's call sequence (a fresh context that loads the dictionary
// itself) writes with the same libzstd. A corrupt dictionary is in
// malformed/zstd_dict_malformed_test.cc.
#include <gtest/gtest.h>

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getFrameHeader, to read the window size
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "segpack/batch.h"
#include "segpack/codec.h"
#include "segpack/thread_pool.h"
#include "segpack/zstd.h"

namespace segpack {
namespace {

using Bytes = std::vector<std::uint8_t>;

ByteSpan span(const Bytes& b) { return {b.data(), b.size()}; }

// JSON-like records sharing most of their structure: what dictionaries are for.
Bytes record(std::uint32_t i, std::size_t size) {
  static const char* kNames[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"};
  std::mt19937 rng(i);
  std::string s;
  while (s.size() < size) {
    s += "{\"id\": " + std::to_string(rng() % 100000) + ", \"name\": \"" + kNames[rng() % 6] +
         "\", \"segment\": " + std::to_string(rng() % 5000) + ", \"tags\": [\"mesh\", \"skeleton\"]}\n";
  }
  s.resize(size);
  return {s.begin(), s.end()};
}

std::vector<Bytes> records(std::size_t n, std::size_t size, std::uint32_t seed) {
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(record(seed + static_cast<std::uint32_t>(i), size));
  return out;
}

std::vector<ByteSpan> spans(const std::vector<Bytes>& v) {
  std::vector<ByteSpan> out;
  for (const Bytes& b : v) out.push_back(span(b));
  return out;
}

std::shared_ptr<const ZstdDictionary> trained(std::uint32_t seed = 1000, std::uint32_t dict_id = 0) {
  const std::vector<Bytes> samples = records(400, 1024, seed);
  const std::vector<ByteSpan> s = spans(samples);
  ZstdTrainOptions o;
  o.dict_id = dict_id;
  auto r = train_zstd_dictionary(s, 8192, o);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r->dictionary : nullptr;
}

// Frame header fields, read as the zstd format specification lays them out.
struct Header {
  bool checksum;
  bool content_size;  // a Frame_Content_Size field is present
  unsigned dict_id_bytes;
};
Header header_of(const Bytes& frame) {
  EXPECT_GE(frame.size(), 5u);
  const std::uint8_t fhd = frame[4];
  const unsigned fcs_flag = fhd >> 6;
  const bool single_segment = (fhd >> 5) & 1;
  static const unsigned kDidBytes[] = {0, 1, 2, 4};
  return {((fhd >> 2) & 1) != 0, fcs_flag != 0 || single_segment, kDidBytes[fhd & 3]};
}

// python-zstandard's sequence for ZstdCompressor(level, dict_data=d).compress:
// a context with the parameters that loads the dictionary by reference, then
// one frame with the input size pledged.
Bytes reference_frame(const Bytes& in, int level, const ZstdDictionary& d) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);
  ZSTD_CCtx_setParameter(c, ZSTD_c_dictIDFlag, 1);
  ZSTD_CCtx_loadDictionary_byReference(c, d.bytes().data(), d.bytes().size());
  ZSTD_CCtx_setPledgedSrcSize(c, in.size());
  Bytes out(ZSTD_compressBound(in.size()));
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  const std::size_t r = ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end);
  EXPECT_EQ(r, 0u) << ZSTD_getErrorName(r);
  ZSTD_freeCCtx(c);
  out.resize(ob.pos);
  return out;
}

// ------------------------------------------------------------ dictionaries

TEST(ZstdDictionary, TrainedDictionaryHasAnIdAndFitsTheSize) {
  auto d = trained();
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->id(), 0u);
  EXPECT_LE(d->bytes().size(), 8192u);
  EXPECT_EQ(d->type(), ZstdDictType::full);
  EXPECT_TRUE(d->prepare_compression(3).ok());
  EXPECT_TRUE(d->prepare_decompression().ok());
}

TEST(ZstdDictionary, ChosenIdIsWritten) {
  auto d = trained(1000, 424242);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->id(), 424242u);
}

TEST(ZstdDictionary, RoundTripOneShotContextsAndBatch) {
  auto d = trained();
  ASSERT_NE(d, nullptr);
  ZstdCompressParams cp;
  cp.dictionary = d;
  ZstdDecompressParams dp;
  dp.dictionary = d;
  const std::vector<Bytes> items = records(50, 1024, 5000);  // not the training samples

  std::size_t with = 0, without = 0;
  for (const Bytes& item : items) {
    auto f = compress(Codec::zstd, span(item), 3, cp);
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    auto plain = compress(Codec::zstd, span(item), 3);
    ASSERT_TRUE(plain.ok());
    with += f->size();
    without += plain->size();
    EXPECT_EQ(ZSTD_getDictID_fromFrame(f->data(), f->size()), d->id());
    auto back = decompress(Codec::zstd, span(*f), {}, dp);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(*back, item);
  }
  EXPECT_LT(with * 4, without * 3);  // the dictionary is what makes small records small

  auto c = Compressor::make(Codec::zstd, 3, cp);
  auto dc = Decompressor::make(Codec::zstd, dp);
  ASSERT_TRUE(c.ok() && dc.ok());
  Bytes f, back;
  ASSERT_TRUE(c->compress_append(span(items[0]), f).ok());
  ASSERT_TRUE(dc->decompress_append(span(f), back).ok());
  EXPECT_EQ(back, items[0]);

  const std::vector<ByteSpan> in = spans(items);
  ThreadPool pool(2);
  BatchOptions opts;
  opts.parallel.inline_below_bytes = 0;  // force the workers
  opts.parallel.pool = &pool;
  auto frames = compress_batch(in, Codec::zstd, 3, opts, cp);
  ASSERT_TRUE(frames.ok()) << frames.status().to_string();
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto one = compress(Codec::zstd, span(items[i]), 3, cp);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(Bytes((*frames)[i].begin(), (*frames)[i].end()), *one) << "item " << i;
  }
  std::vector<ByteSpan> fspans;
  for (std::size_t i = 0; i < frames->size(); ++i) fspans.push_back((*frames)[i]);
  auto out = decompress_batch(fspans, Codec::zstd, {}, opts, dp);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(Bytes((*out)[i].begin(), (*out)[i].end()), items[i]);
  }
}

TEST(ZstdDictionary, MissingDictionaryIsATypedError) {
  auto d = trained();
  ASSERT_NE(d, nullptr);
  ZstdCompressParams cp;
  cp.dictionary = d;
  const Bytes item = record(7, 1024);
  auto f = compress(Codec::zstd, span(item), 3, cp);
  ASSERT_TRUE(f.ok());
  auto r = decompress(Codec::zstd, span(*f));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::corrupt);
  EXPECT_NE(r.status().message().find("needs dictionary " + std::to_string(d->id())), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("no dictionary"), std::string::npos) << r.status().message();

  const std::vector<ByteSpan> one = {span(*f)};
  auto b = decompress_batch(one, Codec::zstd);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), ErrorCode::corrupt);
  EXPECT_NE(b.status().message().find("error decompressing item 0"), std::string::npos);
}

TEST(ZstdDictionary, WrongDictionaryIsATypedError) {
  auto d = trained(1000, 1111);
  auto other = trained(9000, 2222);
  ASSERT_NE(d, nullptr);
  ASSERT_NE(other, nullptr);
  ZstdCompressParams cp;
  cp.dictionary = d;
  const Bytes item = record(7, 1024);
  auto f = compress(Codec::zstd, span(item), 3, cp);
  ASSERT_TRUE(f.ok());
  ZstdDecompressParams dp;
  dp.dictionary = other;
  auto r = decompress(Codec::zstd, span(*f), {}, dp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::corrupt);
  EXPECT_NE(r.status().message().find("needs dictionary 1111, the decoder has dictionary 2222"), std::string::npos)
      << r.status().message();
  // The same thread's context goes back to working once given the right one.
  dp.dictionary = d;
  auto ok = decompress(Codec::zstd, span(*f), {}, dp);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, item);
}

TEST(ZstdDictionary, RawContentDictionary) {
  const Bytes prefix = record(1, 4096);
  auto d = ZstdDictionary::make(span(prefix), ZstdDictType::raw_content);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)->id(), 0u);
  ZstdCompressParams cp;
  cp.dictionary = *d;
  ZstdDecompressParams dp;
  dp.dictionary = *d;
  const Bytes item(prefix.begin() + 100, prefix.begin() + 1100);
  auto f = compress(Codec::zstd, span(item), 3, cp);
  ASSERT_TRUE(f.ok());
  EXPECT_LT(f->size(), 40u);  // a reference into the prefix
  auto back = decompress(Codec::zstd, span(*f), {}, dp);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, item);
}

TEST(ZstdDictionary, EmptyDictionaryIsNoDictionary) {
  auto d = ZstdDictionary::make({});
  ASSERT_TRUE(d.ok());
  ZstdCompressParams cp;
  cp.dictionary = *d;
  const Bytes item = record(3, 2000);
  auto f = compress(Codec::zstd, span(item), 3, cp);
  auto plain = compress(Codec::zstd, span(item), 3);
  ASSERT_TRUE(f.ok() && plain.ok());
  EXPECT_EQ(*f, *plain);
}

TEST(ZstdDictionary, BadTypeValue) {
  auto d = ZstdDictionary::make({}, static_cast<ZstdDictType>(7));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), ErrorCode::invalid_argument);
}

// The shared digest (small items) and the context-loaded dictionary (large
// items) both give python-zstandard's frames.
TEST(ZstdDictionary, FramesMatchAContextThatLoadsTheDictionary) {
  auto d = trained();
  ASSERT_NE(d, nullptr);
  ZstdCompressParams cp;
  cp.dictionary = d;
  for (int level : {1, 3, 9, 19, -3}) {
    for (std::size_t size : {std::size_t{0}, std::size_t{200}, std::size_t{5000}, std::size_t{131071},
                             std::size_t{131072}, std::size_t{400000}}) {
      const Bytes item = record(static_cast<std::uint32_t>(size) + 17, size);
      auto f = compress(Codec::zstd, span(item), level, cp);
      ASSERT_TRUE(f.ok()) << f.status().to_string();
      EXPECT_EQ(*f, reference_frame(item, level, *d)) << "level " << level << " size " << size;
    }
  }
}

TEST(ZstdDictionary, TrainingErrors) {
  std::vector<ByteSpan> none;
  auto r = train_zstd_dictionary(none, 1024);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
  const Bytes tiny = {1, 2, 3};
  const std::vector<ByteSpan> few = {span(tiny), span(tiny)};
  r = train_zstd_dictionary(few, 1024);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(r.status().message().find("cannot train"), std::string::npos);
  const std::vector<Bytes> samples = records(50, 512, 1);
  const std::vector<ByteSpan> s = spans(samples);
  r = train_zstd_dictionary(s, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
}

// ------------------------------------------------------------ frame parameters

TEST(ZstdParams, DefaultsWriteContentSizeNoChecksum) {
  const Bytes item = record(1, 3000);
  auto f = compress(Codec::zstd, span(item));
  ASSERT_TRUE(f.ok());
  const Header h = header_of(*f);
  EXPECT_TRUE(h.content_size);
  EXPECT_FALSE(h.checksum);
  EXPECT_EQ(h.dict_id_bytes, 0u);
  EXPECT_EQ(declared_size(Codec::zstd, span(*f)), item.size());
}

TEST(ZstdParams, ChecksumFlagAppearsAndIsChecked) {
  const Bytes item = record(2, 3000);
  ZstdCompressParams p;
  p.write_checksum = true;
  auto f = compress(Codec::zstd, span(item), 3, p);
  auto plain = compress(Codec::zstd, span(item), 3);
  ASSERT_TRUE(f.ok() && plain.ok());
  EXPECT_TRUE(header_of(*f).checksum);
  EXPECT_EQ(f->size(), plain->size() + 4);
  Bytes bad = *f;
  bad.back() ^= 0x40;  // inside the checksum
  auto r = decompress(Codec::zstd, span(bad));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::corrupt);
  auto ok = decompress(Codec::zstd, span(*f));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, item);
}

TEST(ZstdParams, ContentSizeCanBeLeftOut) {
  const Bytes item = record(3, 3000);
  ZstdCompressParams p;
  p.write_content_size = false;
  auto f = compress(Codec::zstd, span(item), 3, p);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(header_of(*f).content_size);
  EXPECT_EQ(declared_size(Codec::zstd, span(*f)), std::nullopt);
  auto back = decompress(Codec::zstd, span(*f));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, item);
}

TEST(ZstdParams, DictIdFlag) {
  auto d = trained();
  ASSERT_NE(d, nullptr);
  const Bytes item = record(4, 1000);
  ZstdCompressParams p;
  p.dictionary = d;
  auto with = compress(Codec::zstd, span(item), 3, p);
  p.write_dict_id = false;
  auto without = compress(Codec::zstd, span(item), 3, p);
  ASSERT_TRUE(with.ok() && without.ok());
  EXPECT_EQ(header_of(*with).dict_id_bytes, 4u);
  EXPECT_EQ(header_of(*without).dict_id_bytes, 0u);
  ZstdDecompressParams dp;
  dp.dictionary = d;
  auto back = decompress(Codec::zstd, span(*without), {}, dp);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, item);
}

TEST(ZstdParams, LowLevelParametersChangeTheFrame) {
  const Bytes item = record(5, 200000);
  ZstdCompressParams p;
  p.window_log = 10;  // 1 KiB window
  p.strategy = 1;
  auto f = compress(Codec::zstd, span(item), 3, p);
  auto plain = compress(Codec::zstd, span(item), 3);
  ASSERT_TRUE(f.ok() && plain.ok());
  EXPECT_NE(*f, *plain);
  ZSTD_frameHeader h;
  ASSERT_EQ(ZSTD_getFrameHeader(&h, f->data(), f->size()), 0u);
  EXPECT_EQ(h.windowSize, 1024u);
  auto back = decompress(Codec::zstd, span(*f));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, item);
}

TEST(ZstdParams, OutOfBoundsParametersAreNamed) {
  ZstdCompressParams p;
  p.window_log = 99;
  auto c = Compressor::make(Codec::zstd, 3, p);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(c.status().message().find("window_log 99 is outside"), std::string::npos) << c.status().message();

  p = {};
  p.strategy = 12;
  EXPECT_NE(validate(p).message().find("strategy"), std::string::npos);
  p = {};
  p.format = 1;
  EXPECT_EQ(validate(p).code(), ErrorCode::invalid_argument);
  EXPECT_NE(validate(p).message().find("format"), std::string::npos);

  const Bytes item = record(1, 10);
  p = {};
  p.hash_log = 1;
  auto r = compress(Codec::zstd, span(item), 3, p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("hash_log"), std::string::npos);

  ZstdDecompressParams dp;
  dp.max_window_size = 100;
  EXPECT_EQ(validate(dp).code(), ErrorCode::invalid_argument);
  EXPECT_NE(validate(dp).message().find("max_window_size"), std::string::npos);
  dp = {};
  dp.format = 1;
  auto dr = Decompressor::make(Codec::zstd, dp);
  ASSERT_FALSE(dr.ok());
  EXPECT_NE(dr.status().message().find("format"), std::string::npos);
}

TEST(ZstdParams, OnlyForZstd) {
  ZstdCompressParams p;
  p.write_checksum = true;
  auto c = Compressor::make(Codec::gzip, 6, p);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::invalid_argument);
  ZstdDecompressParams dp;
  dp.max_window_size = 1 << 20;
  auto d = Decompressor::make(Codec::lzma, dp);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), ErrorCode::invalid_argument);
  const Bytes item = record(1, 100);
  auto r = compress(Codec::brotli, span(item), 5, p);
  ASSERT_FALSE(r.ok());
}

TEST(ZstdParams, MaxWindowSize) {
  const Bytes item = record(6, 1 << 20);
  ZstdCompressParams p;
  p.window_log = 20;
  p.write_content_size = false;  // not a single-segment frame: the window is 1 MiB
  auto f = compress(Codec::zstd, span(item), 3, p);
  ASSERT_TRUE(f.ok());
  ZstdDecompressParams dp;
  dp.max_window_size = 1 << 16;
  auto r = decompress(Codec::zstd, span(*f), {}, dp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::resource_exhausted);
  EXPECT_NE(r.status().message().find("max_window_size"), std::string::npos) << r.status().message();
  // A known size goes through the one-call path: the limit holds there too.
  auto sized = compress(Codec::zstd, span(item), 3, ZstdCompressParams{.window_log = 20});
  ASSERT_TRUE(sized.ok());
  Bytes out(item.size());
  Status st = decompress_into(Codec::zstd, span(*sized), {out.data(), out.size()}, dp);
  EXPECT_EQ(st.code(), ErrorCode::resource_exhausted);
  const std::vector<ByteSpan> one = {span(*sized)};
  auto b = decompress_batch(one, Codec::zstd, {}, {}, dp);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), ErrorCode::resource_exhausted);

  dp.max_window_size = 1 << 20;
  auto ok = decompress(Codec::zstd, span(*f), {}, dp);
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(*ok, item);
}

// ------------------------------------------------------------ one-shot functions

TEST(OneShot, IntoCallerMemory) {
  for (Codec c : kAllCodecs) {
    const Bytes item = record(8, 5000);
    const std::size_t b = compress_bound(c, item.size());
    ASSERT_NE(b, SIZE_MAX);
    Bytes out(b);
    auto n = compress_into(c, span(item), {out.data(), out.size()});
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    out.resize(*n);
    Bytes back(item.size());
    ASSERT_TRUE(decompress_into(c, span(out), {back.data(), back.size()}).ok()) << codec_name(c);
    EXPECT_EQ(back, item);
    Bytes small(item.size() - 1);
    EXPECT_FALSE(decompress_into(c, span(out), {small.data(), small.size()}).ok()) << codec_name(c);
  }
  EXPECT_EQ(compress_bound(Codec::zstd, 10, 99), SIZE_MAX);
  const Bytes item = record(8, 50);
  Bytes out(1000);
  auto bad = compress_into(Codec::zstd, span(item), {out.data(), out.size()}, 99);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::invalid_argument);
}

TEST(OneShot, ContextsAreReusedAcrossParameterChanges) {
  // Alternating parameter sets on one thread keeps giving each set's frames.
  auto d = trained();
  ASSERT_NE(d, nullptr);
  const Bytes item = record(9, 2000);
  ZstdCompressParams a;
  ZstdCompressParams b;
  b.dictionary = d;
  b.write_checksum = true;
  auto fa = compress(Codec::zstd, span(item), 3, a);
  auto fb = compress(Codec::zstd, span(item), 3, b);
  ASSERT_TRUE(fa.ok() && fb.ok());
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(*compress(Codec::zstd, span(item), 3, a), *fa);
    EXPECT_EQ(*compress(Codec::zstd, span(item), 3, b), *fb);
    ZstdDecompressParams with;
    with.dictionary = d;
    EXPECT_EQ(*decompress(Codec::zstd, span(*fb), {}, with), item);
    EXPECT_EQ(*decompress(Codec::zstd, span(*fa)), item);
  }
}

}  // namespace
}  // namespace segpack
