// segpack — search in the Eytzinger index layout of MapBuffer and IntMap.
#include "segpack/internal/eytzinger.h"

#include "segpack/internal/bytes.h"

namespace segpack::internal {

void eytzinger_permutation(std::span<std::uint64_t> perm) noexcept {
  eytzinger_walk_in_order(perm.size(), [&](std::size_t i, std::size_t p) {
    perm[p] = i;
    return true;
  });
}

std::size_t eytzinger_lower_bound_strided(const std::uint8_t* base, std::size_t n, std::size_t stride,
                                          std::uint64_t x) noexcept {
  std::size_t k = 1;
  while (k <= n) {
    // The 16 great-great-grandchildren of k are records 16k-1 .. 16k+14: one
    // prefetch per cache line of that run (only lines inside the index).
    const std::size_t first = 16 * k - 1;
    if (first < n) {
      const std::uint8_t* p = base + first * stride;
      const std::size_t bytes = 16 * stride;
      for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off);
    }
    k = 2 * k + static_cast<std::size_t>(load_le<std::uint64_t>(base + (k - 1) * stride) < x);
  }
  int shift = std::countr_one(k) + 1;
  k = shift >= 64 ? 0 : (k >> shift);
  return k == 0 ? n : k - 1;
}

std::size_t eytzinger_find_strided(const std::uint8_t* base, std::size_t n, std::size_t stride,
                                   std::uint64_t x) noexcept {
  std::size_t p = eytzinger_lower_bound_strided(base, n, stride, x);
  return (p < n && load_le<std::uint64_t>(base + p * stride) == x) ? p : n;
}

}  // namespace segpack::internal
