#include "segpack/intmap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <random>

#include "test_util.h"

namespace segpack {
namespace {

TEST(IntMap, GoldenBytes) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> p{{3, 4}, {1, 2}};
  auto b = build_intmap(p);
  ASSERT_TRUE(b.ok());
  // mapbuffer.IntMap({1: 2, 3: 4}).tobytes(): sorted [1,3] in Eytzinger order is [3,1].
  std::vector<std::uint8_t> expected{'i', 'n', 't', 'm', 0, 3, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0,
                                     0,   0,   0,   0,   0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(*b, expected);
}

TEST(IntMap, RoundTripFullKeyRange) {
  std::mt19937_64 rng(3);
  std::map<std::uint64_t, std::uint64_t> m{{0, 1}, {std::numeric_limits<std::uint64_t>::max(), 2}};
  for (int i = 0; i < 5000; ++i) m[rng()] = rng();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> p(m.begin(), m.end());
  auto b = build_intmap(p);
  ASSERT_TRUE(b.ok());
  auto r = IntMapReader::open(Buffer::from_vector(*b));
  ASSERT_TRUE(r.ok());
  SEGPACK_ASSERT_OK(r->validate());
  for (auto [k, v] : m) {
    auto got = r->get(k);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, v);
  }
  EXPECT_EQ(r->get(12345).status().code(), m.count(12345) ? ErrorCode::ok : ErrorCode::not_found);
  SEGPACK_ASSERT_OK(set_intmap_value(*r, *r->find(0), 77));
  EXPECT_EQ(*r->get(0), 77u);
  // Range source: one read for the header, one for everything.
  auto src = std::make_shared<testing::CountingSource>(Buffer::copy_of(*b));
  auto rr = IntMapReader::open_source(src);
  ASSERT_TRUE(rr.ok());
  EXPECT_EQ(src->reads(), 2u);
  EXPECT_EQ(*rr->get(std::numeric_limits<std::uint64_t>::max()), 2u);
}

TEST(IntMap, BuildFromAnyOrderMatchesSortedBuild) {
  std::mt19937_64 rng(4);
  for (std::uint64_t range : {std::uint64_t{0}, std::uint64_t{1} << 20, std::uint64_t{300}}) {
    std::map<std::uint64_t, std::uint64_t> m;
    while (m.size() < (range == 300 ? 250u : 20000u)) m[range ? rng() % range : rng()] = rng();
    std::vector<std::pair<std::uint64_t, std::uint64_t>> sorted(m.begin(), m.end());
    std::vector<std::pair<std::uint64_t, std::uint64_t>> shuffled = sorted;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    auto a = build_intmap(shuffled);
    auto b = build_intmap(sorted);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b) << range;
    shuffled.push_back(shuffled[shuffled.size() / 2]);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(build_intmap(shuffled).status().code(), ErrorCode::invalid_argument);
  }
}

TEST(IntMap, DuplicatesRejectedAndFileWriterIsAtomic) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> p{{1, 1}, {1, 2}};
  EXPECT_EQ(build_intmap(p).status().code(), ErrorCode::invalid_argument);
  testing::TempDir dir;
  auto w = IntMapFileWriter::create(dir.file("a.im"));
  ASSERT_TRUE(w.ok());
  SEGPACK_ASSERT_OK(w->add(5, 50));
  SEGPACK_ASSERT_OK(w->add(6, 60));
  SEGPACK_ASSERT_OK(w->commit());
  auto r = IntMapReader::open_file(dir.file("a.im"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->get(6), 60u);
  EXPECT_EQ(dir.count(), 1u);
}

}  // namespace
}  // namespace segpack
