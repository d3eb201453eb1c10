// Status categories: the Status API, and that each layer sets its category
// (a binding maps (code, category) to its error types and nothing else).
#include <gtest/gtest.h>

#include <vector>

#include "segpack/batch.h"
#include "segpack/codec.h"
#include "segpack/get_many.h"
#include "segpack/internal/bytes.h"
#include "segpack/intmap.h"
#include "segpack/mapbuffer.h"
#include "test_util.h"

namespace segpack {
namespace {

using testing::bytes_of;

#define EXPECT_ERROR(expr, want_code, want_category)             \
  do {                                                           \
    const ::segpack::Status _st = (expr);                        \
    EXPECT_EQ(_st.code(), want_code) << _st.to_string();         \
    EXPECT_EQ(_st.category(), want_category) << _st.to_string(); \
  } while (0)

// ---------------------------------------------------------------- Status

TEST(ErrorCategory, DefaultsToGeneral) {
  EXPECT_EQ(corrupt("x").category(), ErrorCategory::general);
  EXPECT_EQ(Status::OK().category(), ErrorCategory::general);
  EXPECT_EQ(Status(ErrorCode::corrupt, "x", ErrorCategory::format).category(), ErrorCategory::format);
}

TEST(ErrorCategory, OkStaysGeneral) {
  EXPECT_EQ(Status::OK().with_category(ErrorCategory::decode).category(), ErrorCategory::general);
  EXPECT_TRUE(Status::OK().with_category(ErrorCategory::decode).ok());
  EXPECT_EQ(Status(ErrorCode::ok, "", ErrorCategory::encode).category(), ErrorCategory::general);
}

TEST(ErrorCategory, WithCategoryKeepsCodeAndMessage) {
  const Status st = out_of_range("cut short");
  const Status d = st.with_category(ErrorCategory::decode);
  EXPECT_EQ(d.code(), ErrorCode::out_of_range);
  EXPECT_EQ(d.category(), ErrorCategory::decode);
  EXPECT_EQ(d.message(), "cut short");
  EXPECT_EQ(st.category(), ErrorCategory::general);  // the original is unchanged
}

TEST(ErrorCategory, WithContextKeepsCategory) {
  const Status st = corrupt("bad", ErrorCategory::format).with_context("item 3");
  EXPECT_EQ(st.code(), ErrorCode::corrupt);
  EXPECT_EQ(st.category(), ErrorCategory::format);
  EXPECT_EQ(st.message(), "item 3: bad");
}

TEST(ErrorCategory, ToStringNamesCategory) {
  EXPECT_EQ(corrupt("bad").to_string(), "corrupt: bad");
  EXPECT_EQ(corrupt("bad", ErrorCategory::decode).to_string(), "corrupt (decode): bad");
  EXPECT_EQ(error_category_name(ErrorCategory::format), "format");
  EXPECT_EQ(error_category_name(ErrorCategory::codec), "codec");
  EXPECT_EQ(error_category_name(ErrorCategory::encode), "encode");
}

// ---------------------------------------------------------------- codecs

TEST(ErrorCategory, UnknownCodecNameOrTagIsCodec) {
  EXPECT_ERROR(codec_from_name("snappy").status(), ErrorCode::unsupported, ErrorCategory::codec);
  const std::vector<std::uint8_t> tag = bytes_of("snap");
  EXPECT_ERROR(codec_from_tag(tag).status(), ErrorCode::unsupported, ErrorCategory::codec);
  const std::vector<std::uint8_t> short_tag = bytes_of("gz");
  EXPECT_ERROR(codec_from_tag(short_tag).status(), ErrorCode::invalid_argument, ErrorCategory::general);
}

TEST(ErrorCategory, BadLevelIsAnArgumentNotEncode) {
  EXPECT_ERROR(Compressor::make(Codec::gzip, 99).status(), ErrorCode::invalid_argument, ErrorCategory::general);
}

TEST(ErrorCategory, GarbledStreamsAreDecode) {
  const std::vector<std::uint8_t> garbage = bytes_of("definitely not a compressed stream");
  for (Codec c : {Codec::gzip, Codec::brotli, Codec::zstd, Codec::lzma}) {
    SCOPED_TRACE(codec_name(c));
    EXPECT_ERROR(decompress(c, garbage).status(), ErrorCode::corrupt, ErrorCategory::decode);
    EXPECT_ERROR(decompress(c, {}).status(), ErrorCode::corrupt, ErrorCategory::decode);
    std::vector<std::uint8_t> out(10);
    auto d = Decompressor::make(c);
    ASSERT_TRUE(d.ok());
    EXPECT_ERROR(d->decompress_exact(garbage, out), ErrorCode::corrupt, ErrorCategory::decode);
  }
}

TEST(ErrorCategory, OutputBeyondMaxOutputIsDecodeLimit) {
  const std::vector<std::uint8_t> big(100000, 7);
  auto c = compress(Codec::zstd, big);
  ASSERT_TRUE(c.ok());
  DecompressOptions o;
  o.max_output = 100;
  EXPECT_ERROR(decompress(Codec::zstd, *c, o).status(), ErrorCode::resource_exhausted, ErrorCategory::decode);
}

// ---------------------------------------------------------------- batches

TEST(ErrorCategory, BatchItemErrorsKeepTheirCategory) {
  const std::vector<std::uint8_t> good_raw = bytes_of("some data, some data, some data");
  auto good = compress(Codec::zstd, good_raw);
  ASSERT_TRUE(good.ok());
  const std::vector<std::uint8_t> bad = bytes_of("garbage!");
  const std::vector<ByteSpan> frames = {ByteSpan(*good), ByteSpan(bad)};
  const Status st = decompress_batch(frames, Codec::zstd).status();
  EXPECT_ERROR(st, ErrorCode::corrupt, ErrorCategory::decode);
  EXPECT_EQ(st.message().rfind("error decompressing item 1: ", 0), 0u) << st.message();
  // The batch's own limit is the caller's: general.
  BatchOptions o;
  o.limits.max_output_size = 1;
  const std::vector<std::uint64_t> sizes = {good_raw.size(), 0};
  EXPECT_ERROR(decompress_batch(frames, Codec::zstd, sizes, o).status(), ErrorCode::resource_exhausted,
               ErrorCategory::general);
}

// ---------------------------------------------------------------- map readers

std::vector<std::uint8_t> sample_map(Codec codec, int version = 1) {
  std::vector<std::vector<std::uint8_t>> vals{bytes_of("alpha"), bytes_of("beta beta beta"), bytes_of("gamma")};
  std::vector<MapBufferItem> items;
  for (std::size_t i = 0; i < vals.size(); ++i) items.push_back({i + 1, vals[i]});
  MapBufferWriteOptions o;
  o.codec = codec;
  o.version = version;
  return *build_mapbuffer(items, o);
}

Status open_status(std::vector<std::uint8_t> b) { return MapBufferReader::open(Buffer::copy_of(b)).status(); }

TEST(ErrorCategory, MapBufferHeaderErrorsAreFormat) {
  std::vector<std::uint8_t> raw = sample_map(Codec::none);
  EXPECT_ERROR(open_status({raw.begin(), raw.begin() + 10}), ErrorCode::out_of_range, ErrorCategory::format);
  std::vector<std::uint8_t> magic = raw;
  magic[0] = 'X';
  EXPECT_ERROR(open_status(magic), ErrorCode::corrupt, ErrorCategory::format);
  std::vector<std::uint8_t> version = raw;
  version[7] = 9;
  EXPECT_ERROR(open_status(version), ErrorCode::unsupported, ErrorCategory::format);
  std::vector<std::uint8_t> index = raw;
  internal::store_le<std::uint32_t>(index.data() + 12, 1000);
  EXPECT_ERROR(open_status(index), ErrorCode::out_of_range, ErrorCategory::format);
}

TEST(ErrorCategory, MapBufferUnknownCodecTagIsCodec) {
  std::vector<std::uint8_t> raw = sample_map(Codec::none);
  raw[8] = 'X';
  const Status st = open_status(raw);
  EXPECT_ERROR(st, ErrorCode::unsupported, ErrorCategory::codec);
  EXPECT_EQ(st.message().rfind("MapBuffer header: ", 0), 0u) << st.message();
}

TEST(ErrorCategory, MapBufferItemErrors) {
  // A flipped crc byte: data_loss, format (the file's bytes are wrong).
  std::vector<std::uint8_t> raw = sample_map(Codec::zstd);
  raw.back() ^= 1;
  auto r = MapBufferReader::open(Buffer::copy_of(raw));
  ASSERT_TRUE(r.ok());
  const std::size_t last = *r->find(3);
  std::vector<std::uint8_t> out;
  EXPECT_ERROR(r->value_append(last, out), ErrorCode::data_loss, ErrorCategory::format);
  EXPECT_ERROR(r->validate(), ErrorCode::data_loss, ErrorCategory::format);
  const std::uint64_t key = 3;
  EXPECT_ERROR(get_many(*r, std::span(&key, 1)).status(), ErrorCode::data_loss, ErrorCategory::format);

  // A v0 compressed item whose zstd magic is broken: decode, naming the item.
  std::vector<std::uint8_t> v0 = sample_map(Codec::zstd, 0);
  {
    auto clean = MapBufferReader::open(Buffer::copy_of(v0));
    ASSERT_TRUE(clean.ok());
    auto range = clean->item_range(*clean->find(3));
    ASSERT_TRUE(range.ok());
    v0[range->first] ^= 0xff;
  }
  auto r0 = MapBufferReader::open(Buffer::copy_of(v0));
  ASSERT_TRUE(r0.ok());
  const Status st = r0->validate();
  EXPECT_ERROR(st, ErrorCode::corrupt, ErrorCategory::decode);
  EXPECT_NE(st.message().find("(key 3)"), std::string::npos) << st.message();
  EXPECT_EQ(get_many(*r0, std::span(&key, 1)).status().category(), ErrorCategory::decode);
}

TEST(ErrorCategory, MapBufferOrderErrorIsFormat) {
  std::vector<std::uint8_t> raw = sample_map(Codec::none);
  // Swap the keys of positions 0 and 1: no longer in Eytzinger order.
  std::uint8_t* idx = raw.data() + kMapBufferHeaderSize;
  for (int b = 0; b < 8; ++b) std::swap(idx[b], idx[16 + b]);
  auto r = MapBufferReader::open(Buffer::copy_of(raw));
  ASSERT_TRUE(r.ok());
  EXPECT_ERROR(r->validate(), ErrorCode::corrupt, ErrorCategory::format);
}

TEST(ErrorCategory, IntMapErrorsAreFormat) {
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs = {{1, 10}, {2, 20}, {3, 30}};
  std::vector<std::uint8_t> raw = *build_intmap(pairs);
  EXPECT_ERROR(IntMapReader::open(Buffer::copy_of(ByteSpan(raw.data(), 5))).status(), ErrorCode::out_of_range,
               ErrorCategory::format);
  std::vector<std::uint8_t> version = raw;
  version[4] = 1;
  EXPECT_ERROR(IntMapReader::open(Buffer::copy_of(version)).status(), ErrorCode::unsupported, ErrorCategory::format);
  std::vector<std::uint8_t> trailing = raw;
  trailing.push_back(0);
  EXPECT_ERROR(IntMapReader::open(Buffer::copy_of(trailing)).status(), ErrorCode::corrupt, ErrorCategory::format);
}

TEST(ErrorCategory, WriterErrors) {
  testing::TempDir dir;
  MapBufferWriteOptions o;
  o.codec = Codec::zstd;
  o.level = 1000;
  EXPECT_ERROR(MapBufferFileWriter::create(dir.file("x.mb"), o).status(), ErrorCode::invalid_argument,
               ErrorCategory::general);
  EXPECT_ERROR(MapBufferFileWriter::create(dir.file("no/such/dir/x.mb")).status(), ErrorCode::io_error,
               ErrorCategory::general);
}

}  // namespace
}  // namespace segpack
