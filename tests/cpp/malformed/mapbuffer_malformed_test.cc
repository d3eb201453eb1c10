// One named test per class of bad MapBuffer input. Each must end in a clean
// error with the documented code: never a crash, a hang or a large allocation.
#include <gtest/gtest.h>

#include <limits>
#include <map>

#include "segpack/crc32c.h"
#include "segpack/internal/bytes.h"
#include "segpack/mapbuffer.h"
#include "test_util.h"

namespace segpack {
namespace {

using internal::store_le;
using testing::bytes_of;

std::vector<std::uint8_t> sample(Codec codec = Codec::none, int version = 1) {
  std::vector<std::vector<std::uint8_t>> vals{
      bytes_of("alpha"), bytes_of("beta"), bytes_of("gamma"), {}, bytes_of("delta-delta")};
  std::vector<MapBufferItem> items;
  for (std::size_t i = 0; i < vals.size(); ++i) items.push_back({(i + 1) * 10, vals[i]});
  MapBufferWriteOptions o;
  o.codec = codec;
  o.version = version;
  return *build_mapbuffer(items, o);
}

Result<MapBufferReader> open(const std::vector<std::uint8_t>& b) { return MapBufferReader::open(Buffer::copy_of(b)); }

// Reads every item and validates; returns the first error (or OK).
Status read_all(const std::vector<std::uint8_t>& b) {
  auto r = open(b);
  if (!r.ok()) return r.status();
  for (std::size_t i = 0; i < r->size(); ++i) {
    std::vector<std::uint8_t> out;
    Status st = r->value_append(i, out);
    if (!st.ok()) return st;
  }
  return r->validate();
}

void set_offset(std::vector<std::uint8_t>& b, std::size_t i, std::uint64_t v) {
  store_le<std::uint64_t>(b.data() + 16 + 16 * i + 8, v);
}

TEST(MapBufferMalformed, BadMagic) {
  auto b = sample();
  b[0] = 'X';
  EXPECT_EQ(open(b).status().code(), ErrorCode::corrupt);
}

TEST(MapBufferMalformed, UnknownVersion) {
  auto b = sample();
  b[7] = 7;
  EXPECT_EQ(open(b).status().code(), ErrorCode::unsupported);
}

TEST(MapBufferMalformed, UnknownCodecTag) {
  auto b = sample();
  std::memcpy(b.data() + 8, "lz4!", 4);
  EXPECT_EQ(open(b).status().code(), ErrorCode::unsupported);
}

TEST(MapBufferMalformed, CountLargerThanTheBufferCanHold) {
  auto b = sample();
  store_le<std::uint32_t>(b.data() + 12, std::numeric_limits<std::uint32_t>::max());
  auto r = open(b);
  EXPECT_EQ(r.status().code(), ErrorCode::out_of_range);
  EXPECT_NE(r.status().message().find("index"), std::string::npos);
}

TEST(MapBufferMalformed, TruncatedHeader) {
  auto b = sample();
  b.resize(10);
  EXPECT_EQ(open(b).status().code(), ErrorCode::out_of_range);
}

TEST(MapBufferMalformed, EveryTruncationFailsCleanly) {
  for (Codec codec : kAllCodecs) {
    auto full = sample(codec);
    for (std::size_t n = 0; n < full.size(); ++n) {
      std::vector<std::uint8_t> b(full.begin(), full.begin() + n);
      EXPECT_FALSE(read_all(b).ok()) << codec_name(codec) << " prefix " << n;
    }
  }
}

TEST(MapBufferMalformed, FirstOffsetNotAfterTheIndex) {
  auto b = sample();
  set_offset(b, 0, 16);  // points into the index
  EXPECT_EQ(open(b).status().code(), ErrorCode::corrupt);
}

TEST(MapBufferMalformed, OffsetPastTheEnd) {
  auto b = sample();
  set_offset(b, 2, b.size() + 100);
  auto r = open(b);
  ASSERT_TRUE(r.ok());
  std::vector<std::uint8_t> out;
  EXPECT_EQ(r->value_append(1, out).code(), ErrorCode::out_of_range);  // item 1 ends past the end
  EXPECT_EQ(r->value_append(2, out).code(), ErrorCode::out_of_range);
  EXPECT_FALSE(r->validate().ok());
}

TEST(MapBufferMalformed, LastOffsetPastTheEndFailsAtOpen) {
  auto b = sample();
  set_offset(b, 4, b.size() + 1);
  EXPECT_EQ(open(b).status().code(), ErrorCode::out_of_range);
}

TEST(MapBufferMalformed, DecreasingOffsets) {
  auto b = sample();
  const std::uint64_t off1 = internal::load_le<std::uint64_t>(b.data() + 16 + 16 * 1 + 8);
  set_offset(b, 2, off1 - 1);
  auto r = open(b);
  ASSERT_TRUE(r.ok());
  std::vector<std::uint8_t> out;
  EXPECT_EQ(r->value_append(1, out).code(), ErrorCode::corrupt);
  EXPECT_EQ(r->validate().code(), ErrorCode::corrupt);
}

TEST(MapBufferMalformed, OverflowingOffsets) {
  auto b = sample();
  set_offset(b, 1, std::numeric_limits<std::uint64_t>::max());
  set_offset(b, 2, std::numeric_limits<std::uint64_t>::max() - 3);
  auto r = open(b);
  ASSERT_TRUE(r.ok());
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < r->size(); ++i) {
    Status st = r->value_append(i, out);
    if (i <= 2) EXPECT_FALSE(st.ok()) << i;  // items 0..2 touch the bad offsets
  }
  EXPECT_FALSE(r->validate().ok());
}

TEST(MapBufferMalformed, CrcMismatch) {
  auto b = sample();
  const std::uint64_t off0 = internal::load_le<std::uint64_t>(b.data() + 16 + 8);
  b[off0] ^= 0x01;  // flip a payload bit of item 0
  auto r = open(b);
  ASSERT_TRUE(r.ok());
  std::vector<std::uint8_t> out;
  EXPECT_EQ(r->value_append(0, out).code(), ErrorCode::data_loss);
  EXPECT_EQ(r->validate().code(), ErrorCode::data_loss);
}

TEST(MapBufferMalformed, TrailingGarbageV1IsCaughtByTheLastCrc) {
  auto b = sample();
  b.push_back(0xAB);
  b.push_back(0xCD);
  auto r = open(b);
  ASSERT_TRUE(r.ok());
  std::vector<std::uint8_t> out;
  EXPECT_EQ(r->value_append(r->size() - 1, out).code(), ErrorCode::data_loss);
  EXPECT_EQ(r->validate().code(), ErrorCode::data_loss);
}

TEST(MapBufferMalformed, TrailingGarbageCompressedV0IsCaughtByTheDecoder) {
  for (Codec codec : {Codec::gzip, Codec::brotli, Codec::zstd, Codec::lzma}) {
    auto b = sample(codec, 0);
    b.push_back(0xAB);
    b.push_back(0xCD);
    b.push_back(0xEF);
    auto r = open(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->validate().code(), ErrorCode::corrupt) << codec_name(codec);
  }
}

TEST(MapBufferMalformed, EmptyMapWithTrailingBytes) {
  auto b = *build_mapbuffer({});
  b.push_back(0);
  EXPECT_EQ(open(b).status().code(), ErrorCode::corrupt);
}

TEST(MapBufferMalformed, KeysNotInEytzingerOrder) {
  auto b = sample();
  // Swap the keys of positions 0 and 1 (offsets stay valid).
  std::uint8_t tmp[8];
  std::memcpy(tmp, b.data() + 16, 8);
  std::memcpy(b.data() + 16, b.data() + 32, 8);
  std::memcpy(b.data() + 32, tmp, 8);
  auto r = open(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->validate().code(), ErrorCode::corrupt);
}

TEST(MapBufferMalformed, V1ItemShorterThanItsCrc) {
  auto b = sample();
  const std::uint64_t off0 = internal::load_le<std::uint64_t>(b.data() + 16 + 8);
  set_offset(b, 1, off0 + 2);
  auto r = open(b);
  ASSERT_TRUE(r.ok());
  std::vector<std::uint8_t> out;
  EXPECT_EQ(r->value_append(0, out).code(), ErrorCode::corrupt);
}

TEST(MapBufferMalformed, CorruptCompressedPayload) {
  for (Codec codec : {Codec::gzip, Codec::brotli, Codec::zstd, Codec::lzma}) {
    auto b = sample(codec, 0);
    const std::uint64_t off0 = internal::load_le<std::uint64_t>(b.data() + 16 + 8);
    const std::uint64_t off1 = internal::load_le<std::uint64_t>(b.data() + 32 + 8);
    for (std::uint64_t p = off0; p < off1; ++p) b[p] ^= 0x5a;
    auto r = open(b);
    ASSERT_TRUE(r.ok());
    std::vector<std::uint8_t> out;
    EXPECT_EQ(r->value_append(0, out).code(), ErrorCode::corrupt) << codec_name(codec);
  }
}

TEST(MapBufferMalformed, DecompressedSizeOverTheLimit) {
  std::vector<std::uint8_t> big(1 << 20, 'x');
  std::vector<MapBufferItem> items{{1, big}};
  MapBufferWriteOptions o;
  o.codec = Codec::zstd;
  auto b = *build_mapbuffer(items, o);
  MapBufferReadOptions ro;
  ro.decompress.max_output = 1000;
  auto r = MapBufferReader::open(Buffer::copy_of(b), ro);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->get(1).status().code(), ErrorCode::resource_exhausted);
}

TEST(MapBufferMalformed, RangeSourceWithHugeCountAndUnknownSize) {
  // A source that does not know its size: the index read is bounded by max_index_bytes.
  class NoSize final : public RangeSource {
   public:
    explicit NoSize(Buffer b) : inner_(std::move(b)) {}
    Result<Buffer> read(std::uint64_t o, std::uint64_t n) override { return inner_.read(o, n); }
    Result<Buffer> read_to_end(std::uint64_t o) override { return inner_.read_to_end(o); }
    BufferSource inner_;
  };
  auto b = sample();
  store_le<std::uint32_t>(b.data() + 12, std::numeric_limits<std::uint32_t>::max());
  MapBufferReadOptions ro;
  ro.max_index_bytes = 1 << 20;
  auto r = MapBufferReader::open_source(std::make_shared<NoSize>(Buffer::copy_of(b)), ro);
  EXPECT_EQ(r.status().code(), ErrorCode::resource_exhausted);
}

}  // namespace
}  // namespace segpack
