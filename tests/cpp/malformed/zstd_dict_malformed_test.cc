// zstd dictionaries that libzstd cannot use: every use ends in a clean
// `corrupt` error (one-shot, context objects, batches), never a crash.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "segpack/batch.h"
#include "segpack/codec.h"
#include "segpack/zstd.h"

namespace segpack {
namespace {

using Bytes = std::vector<std::uint8_t>;

ByteSpan span(const Bytes& b) { return {b.data(), b.size()}; }

Bytes text(std::uint32_t seed, std::size_t n) {
  static const char* kWords[] = {"label ", "mesh ", "vertex ", "0.125 ", "segment ", "{\"id\": "};
  std::mt19937 rng(seed);
  Bytes out;
  while (out.size() < n) {
    for (const char* p = kWords[rng() % 6]; *p && out.size() < n; ++p) out.push_back(static_cast<std::uint8_t>(*p));
  }
  return out;
}

Bytes trained_bytes() {
  std::vector<Bytes> samples;
  std::vector<ByteSpan> s;
  for (std::uint32_t i = 0; i < 300; ++i) samples.push_back(text(i, 800));
  for (const Bytes& b : samples) s.push_back(span(b));
  auto r = train_zstd_dictionary(s, 4096);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return {};
  const ByteSpan b = r->dictionary->bytes();
  return {b.begin(), b.end()};
}

void expect_unusable(const Bytes& dict_bytes, ZstdDictType type) {
  auto d = ZstdDictionary::make(span(dict_bytes), type);
  ASSERT_TRUE(d.ok()) << "nothing is parsed when a dictionary is made";
  ZstdCompressParams cp;
  cp.dictionary = *d;
  ZstdDecompressParams dp;
  dp.dictionary = *d;
  const Bytes item = text(99, 1000);

  auto f = compress(Codec::zstd, span(item), 3, cp);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), ErrorCode::corrupt) << f.status().to_string();
  EXPECT_NE(f.status().message().find("dictionary"), std::string::npos) << f.status().message();

  auto big = text(98, 300000);  // the path where each context loads the dictionary itself
  auto fb = compress(Codec::zstd, span(big), 3, cp);
  ASSERT_FALSE(fb.ok());
  EXPECT_EQ(fb.status().code(), ErrorCode::corrupt) << fb.status().to_string();

  EXPECT_EQ((*d)->prepare_decompression().code(), ErrorCode::corrupt);
  auto plain = compress(Codec::zstd, span(item));
  ASSERT_TRUE(plain.ok());
  auto r = decompress(Codec::zstd, span(*plain), {}, dp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::corrupt) << r.status().to_string();

  const std::vector<ByteSpan> items = {span(item), span(item)};
  auto b = compress_batch(items, Codec::zstd, 3, {}, cp);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), ErrorCode::corrupt);
  auto db = decompress_batch(std::vector<ByteSpan>{span(*plain)}, Codec::zstd, {}, {}, dp);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::corrupt);
}

TEST(ZstdDictMalformed, CorruptEntropyTables) {
  Bytes d = trained_bytes();
  ASSERT_GT(d.size(), 64u);
  for (std::size_t i = 8; i < 40; ++i) d[i] = 0xff;  // Huffman header: 128 weights of 15, over the table log
  expect_unusable(d, ZstdDictType::automatic);
  expect_unusable(d, ZstdDictType::full);
}

TEST(ZstdDictMalformed, TruncatedAfterTheHeader) {
  Bytes d = trained_bytes();
  ASSERT_GT(d.size(), 64u);
  d.resize(12);  // magic, id and 4 bytes of tables
  expect_unusable(d, ZstdDictType::full);
}

TEST(ZstdDictMalformed, FullTypeWithoutMagic) { expect_unusable(text(5, 2000), ZstdDictType::full); }

}  // namespace
}  // namespace segpack
