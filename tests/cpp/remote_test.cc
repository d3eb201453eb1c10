// Remote reading: range coalescing, the HTTP range response parsers, and
// get_many over a range source (how many batch calls and ranges it costs).
#include "segpack/remote.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "segpack/get_many.h"
#include "segpack/mapbuffer.h"
#include "test_util.h"

namespace segpack {
namespace {

using testing::bytes_of;

using testing::CountingSource;

TEST(Coalesce, MergesWithinGapKeepsOrderAndOffsets) {
  const std::vector<ByteRange> in = {{100, 10}, {0, 10}, {15, 5}, {200, 0}, {105, 20}, {1000, 1}};
  auto c = coalesce_ranges(in, {.gap = 5});
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->merged.size(), 3u);
  EXPECT_EQ(c->merged[0], (ByteRange{0, 20}));    // [0,10) and [15,20): gap 5
  EXPECT_EQ(c->merged[1], (ByteRange{100, 25}));  // overlapping
  EXPECT_EQ(c->merged[2], (ByteRange{1000, 1}));
  EXPECT_EQ(c->member[0], 1u);
  EXPECT_EQ(c->offset_in_member[0], 0u);
  EXPECT_EQ(c->member[2], 0u);
  EXPECT_EQ(c->offset_in_member[2], 15u);
  EXPECT_EQ(c->member[3], SIZE_MAX);  // empty: nothing to read
  EXPECT_EQ(c->member[4], 1u);
  EXPECT_EQ(c->offset_in_member[4], 5u);
}

TEST(Coalesce, ZeroGapMergesOnlyTouchingAndMaxMergedStopsGapMerges) {
  const std::vector<ByteRange> in = {{0, 10}, {10, 10}, {21, 1}};
  auto c = coalesce_ranges(in, {.gap = 0});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->merged.size(), 2u);
  EXPECT_EQ(c->merged[0], (ByteRange{0, 20}));
  auto d = coalesce_ranges(in, {.gap = 100, .max_merged = 21});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->merged.size(), 2u);  // the gap merge to 22 bytes is refused
  auto e = coalesce_ranges(in, {.gap = 100});
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->merged.size(), 1u);
  EXPECT_EQ(e->merged[0], (ByteRange{0, 22}));
}

TEST(Coalesce, OverflowingRangeIsInvalid) {
  const std::vector<ByteRange> in = {{UINT64_MAX - 1, 2}};
  auto c = coalesce_ranges(in);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::invalid_argument);
}

TEST(ReadRanges, OneBatchCallAndExactSlices) {
  auto data = testing::random_bytes(4096, 1);
  CountingSource src(Buffer::from_vector(data), 0);
  const std::vector<ByteRange> in = {{10, 5}, {12, 10}, {3000, 7}, {0, 0}};
  auto r = read_ranges(src, in, {.gap = 64});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(src.batches(), 1u);
  EXPECT_EQ(src.reads(), 0u);
  EXPECT_EQ(src.batch_ranges(), 2u);
  for (std::size_t i = 0; i < in.size(); ++i) {
    ASSERT_EQ((*r)[i].size(), in[i].length);
    EXPECT_TRUE(std::equal((*r)[i].span().begin(), (*r)[i].span().end(), data.begin() + in[i].offset));
  }
}

TEST(ReadRanges, ShortAnswerIsAnErrorNeverShortBytes) {
  CountingSource src(Buffer::from_vector(testing::random_bytes(100, 2)));
  src.short_by = 1;
  const std::vector<ByteRange> in = {{0, 10}};
  auto r = read_ranges(src, in, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::out_of_range);
}

TEST(ContentRange, Forms) {
  auto a = parse_content_range("bytes 0-9/100");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->range, (ByteRange{0, 10}));
  EXPECT_EQ(a->total, 100u);
  auto b = parse_content_range("bytes */42");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->range);
  EXPECT_EQ(b->total, 42u);
  auto c = parse_content_range("Bytes 5-5/*");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->range, (ByteRange{5, 1}));
  EXPECT_FALSE(c->total);
  for (const char* bad : {"", "bytes", "bytes 9-0/100", "bytes 0-100/100", "bytes 0-1", "items 0-1/2", "bytes */*",
                          "bytes 0-99999999999999999999/5", "bytes -1-2/5", "bytes 0-18446744073709551615/*"}) {
    auto r = parse_content_range(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) EXPECT_EQ(r.status().code(), ErrorCode::corrupt) << bad;
  }
}

TEST(Multipart, Boundary) {
  EXPECT_EQ(*multipart_boundary("multipart/byteranges; boundary=00000000001"), "00000000001");
  EXPECT_EQ(*multipart_boundary("Multipart/ByteRanges;charset=x; Boundary=\"a b;c\""), "a b;c");
  EXPECT_FALSE(multipart_boundary("text/plain; boundary=x").ok());
  EXPECT_FALSE(multipart_boundary("multipart/byteranges").ok());
  EXPECT_FALSE(multipart_boundary("multipart/byteranges; boundary=").ok());
  EXPECT_FALSE(multipart_boundary("multipart/byteranges; boundary=" + std::string(71, 'x')).ok());
}

const char* kCt = "multipart/byteranges; boundary=XYZ";

std::string part(std::uint64_t a, const std::string& data, const char* sep = "\r\n") {
  return std::string("--XYZ") + sep + "Content-Type: application/octet-stream" + sep + "Content-Range: bytes " +
         std::to_string(a) + "-" + std::to_string(a + data.size() - 1) + "/100" + sep + sep + data + sep;
}

Buffer body_of(const std::string& s) { return Buffer::from_vector(bytes_of(s)); }

TEST(Multipart, ParsesNginxStyleBody) {
  const std::string s = "\r\n" + part(0, "0123456789") + part(50, "--XYZ\r\n") + "--XYZ--\r\n";
  Buffer body = body_of(s);
  auto r = parse_multipart_byteranges(body, kCt);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].range, (ByteRange{0, 10}));
  EXPECT_EQ((*r)[0].total, 100u);
  EXPECT_EQ(std::string((*r)[0].data.span().begin(), (*r)[0].data.span().end()), "0123456789");
  // The boundary inside the data is taken as data: lengths come from Content-Range.
  EXPECT_EQ(std::string((*r)[1].data.span().begin(), (*r)[1].data.span().end()), "--XYZ\r\n");
  EXPECT_EQ((*r)[1].data.owner(), body.owner());  // slices of the body, no copy
}

TEST(Multipart, LfLineBreaksPreambleAndEpilogue) {
  const std::string s = "preamble\n" + part(7, "ab", "\n") + "--XYZ--\nepilogue";
  auto r = parse_multipart_byteranges(body_of(s), kCt);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].range, (ByteRange{7, 2}));
}

// ---- get_many over a source

std::vector<std::uint8_t> sample_map(std::size_t n, Codec codec,
                                     std::map<std::uint64_t, std::vector<std::uint8_t>>* v) {
  std::vector<std::vector<std::uint8_t>> values;
  std::vector<MapBufferItem> items;
  values.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    values.push_back(testing::random_bytes(i % 97, i));
    (*v)[i * 3] = values.back();
  }
  for (std::size_t i = 0; i < n; ++i) items.push_back({i * 3, ByteSpan(values[i])});
  MapBufferWriteOptions o;
  o.codec = codec;
  return *build_mapbuffer(items, o);
}

TEST(RemoteGetMany, OneBatchCallThenSameValuesAsInMemory) {
  for (Codec codec : {Codec::none, Codec::zstd}) {
    std::map<std::uint64_t, std::vector<std::uint8_t>> want;
    Buffer bytes = Buffer::from_vector(sample_map(1000, codec, &want));
    auto src = std::make_shared<CountingSource>(bytes, 0);
    auto map = MapBufferReader::open_source(src);
    ASSERT_TRUE(map.ok()) << map.status().message();
    const std::uint64_t open_reads = src->reads();
    std::vector<std::uint64_t> keys;
    for (std::uint64_t k = 0; k < 3000; k += 30) keys.push_back(k);  // 100 keys, spread out
    keys.push_back(keys[5]);                                         // a repeat
    auto r = get_many(*map, keys);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(src->batches(), 1u);
    EXPECT_EQ(src->reads(), open_reads);  // no single reads (the source's size is known)
    EXPECT_LE(src->batch_ranges(), keys.size());
    auto mem = MapBufferReader::open(bytes);
    auto m = get_many(*mem, keys);
    ASSERT_TRUE(m.ok());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const Buffer sa = r->segment(i), sb = m->segment(i);
      const ByteSpan a = sa.span(), b = sb.span();
      ASSERT_EQ(std::vector<std::uint8_t>(a.begin(), a.end()), want[keys[i]]);
      EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
    }
  }
}

TEST(RemoteGetMany, GapMergesNeighboursIntoFewerRanges) {
  std::map<std::uint64_t, std::vector<std::uint8_t>> want;
  Buffer bytes = Buffer::from_vector(sample_map(1000, Codec::none, &want));
  std::vector<std::uint64_t> keys;
  for (std::uint64_t k = 0; k < 300; k += 3) keys.push_back(k);  // 100 keys that sit together
  auto tight = std::make_shared<CountingSource>(bytes, 0);
  auto a = MapBufferReader::open_source(tight);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(get_many(*a, keys).ok());
  auto wide = std::make_shared<CountingSource>(bytes, 1 << 20);
  auto b = MapBufferReader::open_source(wide);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(get_many(*b, keys).ok());
  EXPECT_EQ(wide->batch_ranges(), 1u);  // everything within the gap: one range
  EXPECT_GT(tight->batch_ranges(), wide->batch_ranges());
  GetManyOptions o;
  o.coalesce_gap = 1 << 20;  // the option overrides the source's gap
  auto again = std::make_shared<CountingSource>(bytes, 0);
  auto c = MapBufferReader::open_source(again);
  ASSERT_TRUE(get_many(*c, keys, o).ok());
  EXPECT_EQ(again->batch_ranges(), 1u);
}

TEST(RemoteGetMany, MissingKeyFailsBeforeAnyReadAndShortSourceFails) {
  std::map<std::uint64_t, std::vector<std::uint8_t>> want;
  Buffer bytes = Buffer::from_vector(sample_map(100, Codec::none, &want));
  auto src = std::make_shared<CountingSource>(bytes);
  auto map = MapBufferReader::open_source(src);
  ASSERT_TRUE(map.ok());
  const std::vector<std::uint64_t> keys = {3, 4};  // 4 is not a key
  auto r = get_many(*map, keys);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::not_found);
  EXPECT_EQ(src->batches(), 0u);
  GetManyOptions o;
  o.default_value = std::vector<std::uint8_t>{7};
  auto d = get_many(*map, keys, o);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->segment(1).size(), 1u);
  src->short_by = 1;
  auto s = get_many(*map, std::vector<std::uint64_t>{3, 6});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::out_of_range);
}

}  // namespace
}  // namespace segpack
