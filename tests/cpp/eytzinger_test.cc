#include "segpack/internal/eytzinger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

namespace segpack::internal {
namespace {

std::vector<std::uint64_t> layout(const std::vector<std::uint64_t>& sorted) {
  std::vector<std::uint64_t> perm(sorted.size()), out(sorted.size());
  eytzinger_permutation(perm);
  for (std::size_t p = 0; p < sorted.size(); ++p) out[p] = sorted[perm[p]];
  return out;
}

// Checks lower_bound and find against std::lower_bound for every probe.
void check_against_std(const std::vector<std::uint64_t>& sorted, const std::vector<std::uint64_t>& probes) {
  auto eyt = layout(sorted);
  auto key_at = [&](std::size_t p) { return eyt[p]; };
  for (std::uint64_t x : probes) {
    auto it = std::lower_bound(sorted.begin(), sorted.end(), x);
    std::size_t p = eytzinger_lower_bound(eyt.size(), x, key_at);
    if (it == sorted.end()) {
      ASSERT_EQ(p, eyt.size()) << "x=" << x << " n=" << sorted.size();
    } else {
      ASSERT_LT(p, eyt.size()) << "x=" << x << " n=" << sorted.size();
      ASSERT_EQ(eyt[p], *it) << "x=" << x << " n=" << sorted.size();
    }
    std::size_t f = eytzinger_find(eyt.size(), x, key_at);
    bool present = it != sorted.end() && *it == x;
    ASSERT_EQ(f < eyt.size(), present) << "x=" << x;
    if (present) ASSERT_EQ(eyt[f], x);
  }
}

TEST(Eytzinger, MatchesMapbufferLayoutForOneToTen) {
  std::vector<std::uint64_t> sorted{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(layout(sorted), (std::vector<std::uint64_t>{7, 4, 9, 2, 6, 8, 10, 1, 3, 5}));
}

TEST(Eytzinger, LowerBoundMatchesStdForEveryNUpTo100) {
  for (std::size_t n = 0; n <= 100; ++n) {
    std::vector<std::uint64_t> sorted(n);
    for (std::size_t i = 0; i < n; ++i) sorted[i] = 10 * (i + 1);  // gaps for misses
    std::vector<std::uint64_t> probes;
    for (std::uint64_t x = 0; x <= 10 * (n + 2); ++x) probes.push_back(x);
    probes.push_back(std::numeric_limits<std::uint64_t>::max());
    check_against_std(sorted, probes);
    if (HasFatalFailure()) return;
  }
}

TEST(Eytzinger, ExtremeKeysZeroAndMax) {
  const std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (std::size_t n : {1u, 2u, 3u, 7u, 8u, 100u}) {
    std::vector<std::uint64_t> sorted;
    sorted.push_back(0);
    for (std::size_t i = 1; i + 1 < n; ++i) sorted.push_back(i * 1000);
    if (n > 1) sorted.push_back(kMax);
    check_against_std(sorted, {0, 1, 999, 1000, kMax - 1, kMax, std::uint64_t{1} << 63});
    if (HasFatalFailure()) return;
  }
}

TEST(Eytzinger, LargeRandomN) {
  std::mt19937_64 rng(42);
  for (std::size_t n : {1000u, 65535u, 65536u, 65537u, 1000003u}) {
    std::vector<std::uint64_t> sorted(n);
    for (auto& v : sorted) v = rng();
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::vector<std::uint64_t> probes;
    for (int i = 0; i < 20000; ++i) {
      probes.push_back(rng());
      probes.push_back(sorted[rng() % sorted.size()]);
    }
    probes.push_back(0);
    probes.push_back(std::numeric_limits<std::uint64_t>::max());
    check_against_std(sorted, probes);
    if (HasFatalFailure()) return;
  }
}

TEST(Eytzinger, OrderCheckAcceptsLayoutsAndRejectsOthers) {
  for (std::size_t n = 0; n <= 64; ++n) {
    std::vector<std::uint64_t> sorted(n);
    for (std::size_t i = 0; i < n; ++i) sorted[i] = i * 3 + 1;
    auto eyt = layout(sorted);
    auto key_at = [&](std::size_t p) { return eyt[p]; };
    EXPECT_TRUE(eytzinger_is_ordered(n, key_at)) << n;
    if (n >= 2) {
      // Sorted order is not Eytzinger order for n >= 2; neither is a duplicate.
      auto sorted_at = [&](std::size_t p) { return sorted[p]; };
      EXPECT_FALSE(eytzinger_is_ordered(n, sorted_at)) << n;
      auto dup = eyt;
      dup[n - 1] = dup[0];  // any repeated key breaks the strict order
      std::size_t bad = 0;
      EXPECT_FALSE(eytzinger_is_ordered(
          n, [&](std::size_t p) { return dup[p]; }, &bad))
          << n;
      EXPECT_LT(bad, n);
    }
  }
}

}  // namespace
}  // namespace segpack::internal
