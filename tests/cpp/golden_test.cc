// Golden files (tests/data/, written by tests/data/make_golden.py): each reads back to the known
// content and is re-created by segpack. tests/data/README.md says what is compared byte for byte;
// the content below is a copy of make_golden.py's and changes with it.
#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <libdeflate.h>
#include <lzma.h>
#include <zstd.h>

#include <bit>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "segpack/batch.h"
#include "segpack/codec.h"
#include "segpack/intmap.h"
#include "segpack/mapbuffer.h"
#include "segpack/segments.h"
#include "test_util.h"

#ifndef SEGPACK_TEST_DATA_DIR
#error "SEGPACK_TEST_DATA_DIR must name tests/data (set in tests/cpp/CMakeLists.txt)"
#endif

namespace segpack {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::bytes_of;

constexpr std::uint64_t kMaxKey = std::numeric_limits<std::uint64_t>::max();

// ---- the known content (make_golden.py) -----------------------------------------------------

std::map<std::uint64_t, Bytes> mapbuffer_content() {
  std::string repeated;
  for (int i = 0; i < 40; ++i) repeated += "segpack ";
  Bytes every_byte(256);
  std::iota(every_byte.begin(), every_byte.end(), std::uint8_t{0});
  return {{0, {}},
          {1, bytes_of("hello")},
          {2, bytes_of("world!")},
          {3, bytes_of(repeated)},
          {std::uint64_t{1} << 32, every_byte},
          {std::uint64_t{1} << 63, Bytes(64, 0)},
          {kMaxKey, bytes_of("the largest key")}};
}

std::map<std::uint64_t, std::uint64_t> intmap_content() {
  return {{0, 0},
          {1, 2},
          {3, 4},
          {12345, 67890},
          {std::uint64_t{1} << 32, kMaxKey},
          {std::uint64_t{1} << 63, 1},
          {kMaxKey, std::uint64_t{1} << 63}};
}

const char kTableData[] = "0123456789abcdefghij";
const std::vector<Segment> kTableSegments{{10, 5}, {0, 4}, {2, 6}, {0, 4}, {7, 0}, {19, 1}, {20, 0}};

// ---- helpers ---------------------------------------------------------------------------------

Bytes golden(const std::string& rel) {
  const std::string path = std::string(SEGPACK_TEST_DATA_DIR) + "/" + rel;
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << "missing golden file " << path << " (tests/data/make_golden.py writes it)";
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::string mapbuffer_file(int version, Codec codec) {
  return "mapbuffer/v" + std::to_string(version) + "_" + std::string(codec_name(codec)) + ".bin";
}

std::vector<std::uint64_t> index_keys(const MapBufferReader& r) {
  std::vector<std::uint64_t> keys;
  for (std::size_t i = 0; i < r.size(); ++i) keys.push_back(r.key_at(i));
  return keys;
}

// Opens `raw` and checks it against the known content: header, validate(), every value.
void expect_mapbuffer_content(const Bytes& raw, int version, Codec codec) {
  auto opened = MapBufferReader::open(Buffer::copy_of(raw));
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  const MapBufferReader& r = *opened;
  const auto content = mapbuffer_content();
  EXPECT_EQ(r.header().version, version);
  EXPECT_EQ(r.header().codec, codec);
  EXPECT_EQ(r.header().count, content.size());
  ASSERT_EQ(r.size(), content.size());
  const Status st = r.validate();
  EXPECT_TRUE(st.ok()) << st.to_string();
  for (const auto& [key, value] : content) {
    auto got = r.get(key);
    ASSERT_TRUE(got.ok()) << "key " << key << ": " << got.status().to_string();
    EXPECT_EQ(*got, value) << "key " << key;
  }
}

Result<Bytes> build_content(int version, Codec codec) {
  const auto content = mapbuffer_content();
  std::vector<MapBufferItem> items;
  for (const auto& [key, value] : content) items.push_back({key, ByteSpan(value)});
  MapBufferWriteOptions opts;
  opts.codec = codec;
  opts.version = version;
  return build_mapbuffer(items, opts);
}

// The encoder versions the compressed golden files were made with (Debian 12's packages).
bool encoder_is_the_recorded_one(Codec codec, std::string* found) {
  switch (codec) {
    case Codec::none: *found = "none"; return true;
    case Codec::gzip:
      *found = "libdeflate " LIBDEFLATE_VERSION_STRING;
      return LIBDEFLATE_VERSION_MAJOR == 1 && LIBDEFLATE_VERSION_MINOR == 14;
    case Codec::brotli: {
      const std::uint32_t v = BrotliEncoderVersion();  // major << 24 | minor << 12 | patch
      *found = "libbrotli " + std::to_string(v >> 24) + "." + std::to_string((v >> 12) & 0xfff) + "." +
               std::to_string(v & 0xfff);
      return v == 0x01000009;  // 1.0.9
    }
    case Codec::zstd:
      *found = std::string("libzstd ") + ZSTD_versionString();
      return ZSTD_versionNumber() == 10504;  // 1.5.4
    case Codec::lzma:
      *found = std::string("liblzma ") + lzma_version_string();
      return lzma_version_number() == 50040012;  // 5.4.1 stable
  }
  return false;
}

// ---- MapBuffer, one case per format version and codec ---------------------------------------

class GoldenMapBuffer : public ::testing::TestWithParam<std::tuple<int, Codec>> {};

TEST_P(GoldenMapBuffer, ReadsBackToTheKnownContent) {
  const auto [version, codec] = GetParam();
  const Bytes raw = golden(mapbuffer_file(version, codec));
  ASSERT_GE(raw.size(), 16u);
  EXPECT_EQ(std::string(raw.begin(), raw.begin() + 7), "mapbufr");
  expect_mapbuffer_content(raw, version, codec);
}

TEST_P(GoldenMapBuffer, IsRecreatedWithTheSameHeaderKeysAndValues) {
  const auto [version, codec] = GetParam();
  const Bytes want = golden(mapbuffer_file(version, codec));
  auto got = build_content(version, codec);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  if (codec == Codec::none) {
    EXPECT_EQ(*got, want) << "segpack no longer writes " << mapbuffer_file(version, codec) << " byte for byte";
    return;
  }
  ASSERT_GE(got->size(), 16u);
  ASSERT_GE(want.size(), 16u);
  EXPECT_TRUE(std::equal(got->begin(), got->begin() + 16, want.begin()));
  auto a = MapBufferReader::open(Buffer::copy_of(*got));
  auto b = MapBufferReader::open(Buffer::copy_of(want));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(index_keys(*a), index_keys(*b));
  expect_mapbuffer_content(*got, version, codec);
}

TEST_P(GoldenMapBuffer, IsRecreatedByteForByteWithTheRecordedEncoder) {
  const auto [version, codec] = GetParam();
  std::string found;
  if (!encoder_is_the_recorded_one(codec, &found)) {
    GTEST_SKIP() << found << " is not the encoder " << mapbuffer_file(version, codec)
                 << " was made with (tests/data/README.md); header, keys and values are still checked";
  }
  auto got = build_content(version, codec);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(*got, golden(mapbuffer_file(version, codec))) << "with " << found;
}

INSTANTIATE_TEST_SUITE_P(AllVersionsAndCodecs, GoldenMapBuffer,
                         ::testing::Combine(::testing::Values(0, 1), ::testing::ValuesIn(kAllCodecs)),
                         [](const ::testing::TestParamInfo<std::tuple<int, Codec>>& info) {
                           return "v" + std::to_string(std::get<0>(info.param)) + "_" +
                                  std::string(codec_name(std::get<1>(info.param)));
                         });

// The file the mapbuffer package (1.2.0) wrote: segpack reads it.
TEST(GoldenMapBufferPackage, ReadsBackToTheKnownContent) {
  const Bytes raw = golden("mapbuffer/mapbuffer-1.2.0_v1_br.bin");
  expect_mapbuffer_content(raw, 1, Codec::brotli);
  // Not segpack's own output: the peer's brotli stream for the empty value differs.
  EXPECT_NE(raw, golden(mapbuffer_file(1, Codec::brotli)));
}

// ---- IntMap -----------------------------------------------------------------------------------

TEST(GoldenIntMap, ReadsBackToTheKnownContent) {
  const Bytes raw = golden("intmap/v0.bin");
  const auto content = intmap_content();
  ASSERT_EQ(raw.size(), 10 + 16 * content.size());
  auto opened = IntMapReader::open(Buffer::copy_of(raw));
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  const Status st = opened->validate();
  EXPECT_TRUE(st.ok()) << st.to_string();
  ASSERT_EQ(opened->size(), content.size());
  for (const auto& [key, value] : content) {
    auto got = opened->get(key);
    ASSERT_TRUE(got.ok()) << "key " << key << ": " << got.status().to_string();
    EXPECT_EQ(*got, value) << "key " << key;
  }
}

TEST(GoldenIntMap, IsRecreatedByteForByte) {
  const auto content = intmap_content();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs(content.begin(), content.end());
  auto got = build_intmap(pairs);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(*got, golden("intmap/v0.bin"));
}

// ---- segment records (native order; the golden files are little-endian) ----------------------

class GoldenSegments : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::endian::native != std::endian::little) GTEST_SKIP() << "the golden records are little-endian";
  }
};

TEST_F(GoldenSegments, BatchOutputReadsBack) {
  const Bytes data = golden("segments/batch.data");
  const Bytes records = golden("segments/batch.records");
  auto bws = BufferWithSegments::from_records(Buffer::copy_of(data), records);
  ASSERT_TRUE(bws.ok()) << bws.status().to_string();
  const auto content = mapbuffer_content();  // the values in key order
  ASSERT_EQ(bws->size(), content.size());
  std::uint64_t offset = 0;
  std::size_t i = 0;
  for (const auto& [key, value] : content) {
    EXPECT_EQ(bws->segments()[i], (Segment{offset, value.size()})) << "segment " << i;  // contiguous
    const ByteSpan s = (*bws)[i];
    EXPECT_EQ(Bytes(s.begin(), s.end()), value) << "segment " << i;
    offset += value.size();
    ++i;
  }
  EXPECT_EQ(offset, data.size());
}

TEST_F(GoldenSegments, BatchOutputIsRecreatedByteForByte) {
  const auto content = mapbuffer_content();
  auto compressor = Compressor::make(Codec::zstd);
  ASSERT_TRUE(compressor.ok());
  std::vector<Bytes> frames;
  for (const auto& [key, value] : content) {
    Bytes frame;
    SEGPACK_ASSERT_OK(compressor->compress_append(value, frame));
    frames.push_back(std::move(frame));
  }
  std::vector<ByteSpan> spans(frames.begin(), frames.end());
  auto bws = decompress_batch(spans, Codec::zstd);
  ASSERT_TRUE(bws.ok()) << bws.status().to_string();
  const ByteSpan data = bws->data().span();
  const ByteSpan records = bws->segment_records();
  EXPECT_EQ(Bytes(data.begin(), data.end()), golden("segments/batch.data"));
  EXPECT_EQ(Bytes(records.begin(), records.end()), golden("segments/batch.records"));
}

TEST_F(GoldenSegments, TableReadsBackAndIsRecreatedByteForByte) {
  const Bytes data = golden("segments/table.data");
  const Bytes records = golden("segments/table.records");
  ASSERT_EQ(std::string(data.begin(), data.end()), kTableData);
  auto read = BufferWithSegments::from_records(Buffer::copy_of(data), records);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  ASSERT_EQ(read->size(), kTableSegments.size());
  for (std::size_t i = 0; i < kTableSegments.size(); ++i) {
    EXPECT_EQ(read->segments()[i], kTableSegments[i]) << "segment " << i;
    const ByteSpan s = (*read)[i];
    EXPECT_EQ(std::string(s.begin(), s.end()),
              std::string(kTableData).substr(kTableSegments[i].offset, kTableSegments[i].length));
  }
  auto made = BufferWithSegments::make(Buffer::copy_of(data), kTableSegments);
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  const ByteSpan made_records = made->segment_records();
  EXPECT_EQ(Bytes(made_records.begin(), made_records.end()), records);
}

}  // namespace
}  // namespace segpack
