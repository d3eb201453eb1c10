// One named test per class of bad IntMap input.
#include <gtest/gtest.h>

#include "segpack/internal/bytes.h"
#include "segpack/intmap.h"
#include "test_util.h"

namespace segpack {
namespace {

std::vector<std::uint8_t> sample() {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> p{{1, 10}, {2, 20}, {3, 30}, {4, 40}};
  return *build_intmap(p);
}
Result<IntMapReader> open(const std::vector<std::uint8_t>& b) { return IntMapReader::open(Buffer::copy_of(b)); }

TEST(IntMapMalformed, BadMagic) {
  auto b = sample();
  b[0] = 'x';
  EXPECT_EQ(open(b).status().code(), ErrorCode::corrupt);
}
TEST(IntMapMalformed, UnknownVersion) {
  auto b = sample();
  b[4] = 1;
  EXPECT_EQ(open(b).status().code(), ErrorCode::unsupported);
}
TEST(IntMapMalformed, UnknownValueWidth) {
  auto b = sample();
  b[5] = 2;
  EXPECT_EQ(open(b).status().code(), ErrorCode::unsupported);
}
TEST(IntMapMalformed, CountLargerThanTheBuffer) {
  auto b = sample();
  internal::store_le<std::uint32_t>(b.data() + 6, 0xffffffffu);
  EXPECT_EQ(open(b).status().code(), ErrorCode::out_of_range);
}
TEST(IntMapMalformed, EveryTruncationFailsAtOpen) {
  auto full = sample();
  for (std::size_t n = 0; n < full.size(); ++n) {
    std::vector<std::uint8_t> b(full.begin(), full.begin() + n);
    EXPECT_EQ(open(b).status().code(), ErrorCode::out_of_range) << n;
  }
}
TEST(IntMapMalformed, TrailingBytes) {
  auto b = sample();
  b.push_back(0);
  EXPECT_EQ(open(b).status().code(), ErrorCode::corrupt);
}
TEST(IntMapMalformed, KeysNotInEytzingerOrder) {
  auto b = sample();
  internal::store_le<std::uint64_t>(b.data() + 10, 999);  // root larger than everything
  auto r = open(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->validate().code(), ErrorCode::corrupt);
}

}  // namespace
}  // namespace segpack
