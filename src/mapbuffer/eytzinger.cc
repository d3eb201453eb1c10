#include "segpack/eytzinger.h"

namespace segpack {

void eytzinger_permutation(std::span<std::uint64_t> perm) noexcept {
  const std::size_t n = perm.size();
  if (n == 0) return;
  std::size_t k = 1;
  while (2 * k <= n) k *= 2;  // leftmost node = smallest key
  for (std::size_t i = 0; i < n; ++i) {
    perm[k - 1] = i;
    if (2 * k + 1 <= n) {  // successor: leftmost node of the right subtree
      k = 2 * k + 1;
      while (2 * k <= n) k *= 2;
    } else {  // climb while we are a right child, then once more
      while (k & 1) k >>= 1;
      k >>= 1;
    }
  }
}

}  // namespace segpack
