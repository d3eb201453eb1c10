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

// A source over memory that counts batch calls and the ranges in them.
class BatchCountingSource final : public RangeSource {
 public:
  explicit BatchCountingSource(Buffer b, std::uint64_t gap = 0) : inner_(std::move(b)), gap_(gap) {}
  Result<Buffer> read(std::uint64_t offset, std::uint64_t length) override {
    ++reads;
    return inner_.read(offset, length);
  }
  Result<Buffer> read_to_end(std::uint64_t offset) override {
    ++reads;
    return inner_.read_to_end(offset);
  }
  Result<std::vector<Buffer>> read_many(std::span<const ByteRange> ranges) override {
    ++batches;
    batch_ranges += ranges.size();
    last.assign(ranges.begin(), ranges.end());
    std::vector<Buffer> out;
    for (const ByteRange& r : ranges) {
      SEGPACK_ASSIGN_OR_RETURN(Buffer b, inner_.read(r.offset, r.length));
      if (short_by > 0 && b.size() >= short_by) b = b.slice_unchecked(0, b.size() - short_by);
      out.push_back(std::move(b));
    }
    return out;
  }
  std::uint64_t coalesce_gap() const override { return gap_; }
  std::optional<std::uint64_t> size() override { return inner_.size(); }

  int reads = 0, batches = 0;
  std::size_t batch_ranges = 0;
  std::size_t short_by = 0;  // each range returned this many bytes short
  std::vector<ByteRange> last;

 private:
  BufferSource inner_;
  std::uint64_t gap_;
};

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
  BatchCountingSource src(Buffer::from_vector(data), 0);
  const std::vector<ByteRange> in = {{10, 5}, {12, 10}, {3000, 7}, {0, 0}};
  auto r = read_ranges(src, in, {.gap = 64});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(src.batches, 1);
  EXPECT_EQ(src.reads, 0);
  EXPECT_EQ(src.batch_ranges, 2u);
  for (std::size_t i = 0; i < in.size(); ++i) {
    ASSERT_EQ((*r)[i].size(), in[i].length);
    EXPECT_TRUE(std::equal((*r)[i].span().begin(), (*r)[i].span().end(), data.begin() + in[i].offset));
  }
}

TEST(ReadRanges, ShortAnswerIsAnErrorNeverShortBytes) {
  BatchCountingSource src(Buffer::from_vector(testing::random_bytes(100, 2)));
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

// One test per malformed class: each is corrupt (never wrong bytes).
TEST(MultipartMalformed, EachClassIsRejected) {
  const std::string good = part(0, "0123456789") + part(50, "abc") + "--XYZ--";
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::map<std::string, std::string> cases = {
      {"no delimiter", "just text"},
      {"truncated body", good.substr(0, good.size() - 12)},
      {"no closing delimiter", part(0, "0123")},
      {"data longer than its range", replace("0-9/100", "0-8/100")},
      {"data shorter than its range", replace("0-9/100", "0-10/100")},
      {"length past the body", replace("0-9/100", "0-18446744073709551613/18446744073709551615")},
      {"no Content-Range", replace("Content-Range", "X-Range")},
      {"unsatisfied range", replace("bytes 0-9/100", "bytes */100")},
      {"header without colon", replace("Content-Type: application/octet-stream", "garbage")},
      {"headers not terminated", "--XYZ\r\nContent-Range: bytes 0-1/2"},
      {"bad delimiter line", replace("--XYZ\r\nContent-Type", "--XYZjunk\r\nContent-Type")},
  };
  for (const auto& [name, s] : cases) {
    auto r = parse_multipart_byteranges(body_of(s), kCt);
    EXPECT_FALSE(r.ok()) << name;
    if (!r.ok()) EXPECT_EQ(r.status().code(), ErrorCode::corrupt) << name << ": " << r.status().message();
  }
  MultipartLimits one{.max_parts = 1};
  auto r = parse_multipart_byteranges(body_of(good), kCt, one);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::resource_exhausted);
  auto t = parse_multipart_byteranges(body_of(good), "text/plain");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), ErrorCode::invalid_argument);
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
    auto src = std::make_shared<BatchCountingSource>(bytes, 0);
    auto map = MapBufferReader::open_source(src);
    ASSERT_TRUE(map.ok()) << map.status().message();
    const int open_reads = src->reads;
    std::vector<std::uint64_t> keys;
    for (std::uint64_t k = 0; k < 3000; k += 30) keys.push_back(k);  // 100 keys, spread out
    keys.push_back(keys[5]);                                         // a repeat
    auto r = get_many(*map, keys);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(src->batches, 1);
    EXPECT_EQ(src->reads, open_reads);  // no single reads (the source's size is known)
    EXPECT_LE(src->batch_ranges, keys.size());
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
  auto tight = std::make_shared<BatchCountingSource>(bytes, 0);
  auto a = MapBufferReader::open_source(tight);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(get_many(*a, keys).ok());
  auto wide = std::make_shared<BatchCountingSource>(bytes, 1 << 20);
  auto b = MapBufferReader::open_source(wide);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(get_many(*b, keys).ok());
  EXPECT_EQ(wide->batch_ranges, 1u);  // everything within the gap: one range
  EXPECT_GT(tight->batch_ranges, wide->batch_ranges);
  GetManyOptions o;
  o.coalesce_gap = 1 << 20;  // the option overrides the source's gap
  auto again = std::make_shared<BatchCountingSource>(bytes, 0);
  auto c = MapBufferReader::open_source(again);
  ASSERT_TRUE(get_many(*c, keys, o).ok());
  EXPECT_EQ(again->batch_ranges, 1u);
}

TEST(RemoteGetMany, MissingKeyFailsBeforeAnyReadAndShortSourceFails) {
  std::map<std::uint64_t, std::vector<std::uint8_t>> want;
  Buffer bytes = Buffer::from_vector(sample_map(100, Codec::none, &want));
  auto src = std::make_shared<BatchCountingSource>(bytes);
  auto map = MapBufferReader::open_source(src);
  ASSERT_TRUE(map.ok());
  const std::vector<std::uint64_t> keys = {3, 4};  // 4 is not a key
  auto r = get_many(*map, keys);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::not_found);
  EXPECT_EQ(src->batches, 0);
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
