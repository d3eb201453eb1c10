// One named test per class of bad segment input (BufferWithSegments and the
// collection). Each must end in a clean error with the documented code:
// never a crash, never a read outside the buffer.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "segpack/segments.h"
#include "test_util.h"

namespace segpack {
namespace {

using testing::bytes_of;
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

Buffer abc() { return Buffer::copy_of(bytes_of("abc")); }

std::vector<std::uint8_t> records_of(const std::vector<Segment>& segs) {
  std::vector<std::uint8_t> out(segs.size() * sizeof(Segment));
  if (!segs.empty()) std::memcpy(out.data(), segs.data(), out.size());
  return out;
}

// Both entry points (make and from_records) must reject the same segments.
void expect_rejected(const std::vector<Segment>& segs, ErrorCode code = ErrorCode::out_of_range) {
  auto m = BufferWithSegments::make(abc(), segs);
  EXPECT_EQ(m.status().code(), code) << m.status().to_string();
  const auto rec = records_of(segs);
  auto r = BufferWithSegments::from_records(abc(), rec);
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  EXPECT_NE(r.status().message().find("outside"), std::string::npos) << r.status().message();
}

TEST(SegmentsMalformed, RecordsNotMultipleOf16) {
  const auto rec = records_of({{0, 1}});
  auto r = BufferWithSegments::from_records(abc(), ByteSpan(rec).first(12));
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(r.status().message().find("multiple of 16"), std::string::npos) << r.status().message();
  std::vector<std::uint8_t> odd(33, 0);
  EXPECT_EQ(BufferWithSegments::from_records(abc(), odd).status().code(), ErrorCode::invalid_argument);
}

TEST(SegmentsMalformed, OffsetPastEnd) { expect_rejected({{4, 0}}); }

TEST(SegmentsMalformed, LengthPastEnd) { expect_rejected({{1, 3}}); }

TEST(SegmentsMalformed, LengthLargerThanBuffer) { expect_rejected({{0, 4}}); }

// python-zstandard accepts (2^64-16, 19) over b"abc": offset + length wraps to 3.
TEST(SegmentsMalformed, OffsetPlusLengthOverflow) {
  expect_rejected({{kMax - 15, 19}});
  expect_rejected({{kMax, 4}});  // wraps to 3
  expect_rejected({{kMax - 1, 5}});
}

TEST(SegmentsMalformed, MaxLength) {
  expect_rejected({{0, kMax}});
  expect_rejected({{3, kMax}});
}

TEST(SegmentsMalformed, MaxOffsetEmptySegment) { expect_rejected({{kMax, 0}}); }

TEST(SegmentsMalformed, BadSegmentAfterGoodOnes) {
  auto r = BufferWithSegments::make(abc(), {{0, 3}, {1, 2}, {2, 2}});
  EXPECT_EQ(r.status().code(), ErrorCode::out_of_range);
  EXPECT_NE(r.status().message().find("segment 2 "), std::string::npos) << r.status().message();
}

TEST(SegmentsMalformed, AnySegmentOverEmptyBuffer) {
  EXPECT_EQ(BufferWithSegments::make(Buffer(), {{0, 1}}).status().code(), ErrorCode::out_of_range);
  EXPECT_EQ(BufferWithSegments::make(Buffer(), {{1, 0}}).status().code(), ErrorCode::out_of_range);
  EXPECT_EQ(BufferWithSegments::make(Buffer(), {{kMax, 1}}).status().code(), ErrorCode::out_of_range);
}

TEST(SegmentsMalformed, SelectIndexOutOfRange) {
  auto b = BufferWithSegments::make(abc(), {{0, 1}, {1, 1}});
  ASSERT_TRUE(b.ok());
  for (std::size_t i : {std::size_t{2}, std::size_t{1000}, std::numeric_limits<std::size_t>::max()}) {
    const std::size_t idx[] = {0, i};
    EXPECT_EQ(b->select(idx).status().code(), ErrorCode::out_of_range) << i;
  }
}

TEST(SegmentsMalformed, CollectionWithoutParts) {
  EXPECT_EQ(BufferWithSegmentsCollection::make({}).status().code(), ErrorCode::invalid_argument);
}

TEST(SegmentsMalformed, CollectionWithAnEmptyPart) {
  auto one = BufferWithSegments::make(abc(), {{0, 3}});
  auto empty = BufferWithSegments::make(abc(), {});
  ASSERT_TRUE(one.ok() && empty.ok());
  auto c = BufferWithSegmentsCollection::make({*one, *empty, *one});
  EXPECT_EQ(c.status().code(), ErrorCode::invalid_argument);
  EXPECT_NE(c.status().message().find("argument 1"), std::string::npos) << c.status().message();
}

}  // namespace
}  // namespace segpack
