// segpack internal — Eytzinger (breadth-first) layout of a sorted array, and
// search in it: the index layout of MapBuffer and IntMap. May change.
//
// The sorted keys k_0 < k_1 < ... < k_{n-1} are stored so that position p
// (0-based) holds the node p+1 of an implicit complete binary search tree: the
// children of node j are 2j and 2j+1. Sorted 1..10 becomes [7,4,9,2,6,8,10,1,3,5],
// the order mapbuffer writes.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

namespace segpack::internal {

/// In-order walk of the implicit tree of n nodes without a stack: calls
/// `visit(rank, position)` for rank = 0..n-1, i.e. position is where the
/// rank-th smallest key is stored. Stops early, returning false, when visit
/// returns false. O(n), no allocation.
template <class Visit>
inline bool eytzinger_walk_in_order(std::size_t n, Visit&& visit) {
  if (n == 0) return true;
  std::size_t k = 1;
  while (2 * k <= n) k *= 2;  // leftmost node = smallest key
  for (std::size_t i = 0; i < n; ++i) {
    if (!visit(i, k - 1)) return false;
    if (2 * k + 1 <= n) {  // successor: leftmost node of the right subtree
      k = 2 * k + 1;
      while (2 * k <= n) k *= 2;
    } else {  // climb while we are a right child, then once more
      while (k & 1) k >>= 1;
      k >>= 1;
    }
  }
  return true;
}

/// Fills `perm` (size n) so that `perm[p]` is the sorted rank of the element
/// stored at Eytzinger position p. O(n), no allocation.
void eytzinger_permutation(std::span<std::uint64_t> perm) noexcept;

/// Lower bound in an Eytzinger-ordered sequence of n keys read by `key_at(p)`:
/// the position of the smallest key >= x, or n when every key is < x.
/// Reads only positions 0..n-1. `key_at` must be callable as key_at(std::size_t)
/// returning std::uint64_t.
template <class KeyAt>
inline std::size_t eytzinger_lower_bound(std::size_t n, std::uint64_t x, KeyAt&& key_at) noexcept {
  std::size_t k = 1;
  while (k <= n) k = 2 * k + static_cast<std::size_t>(key_at(k - 1) < x);
  // Undo the final run of right turns plus one left turn: the node reached is the answer.
  int shift = std::countr_one(k) + 1;
  k = shift >= 64 ? 0 : (k >> shift);
  return k == 0 ? n : k - 1;
}

/// lower_bound over an index of n records of `stride` bytes whose first 8
/// bytes are a little-endian u64 key (the MapBuffer and IntMap layouts).
/// Prefetches the records four levels down while comparing, so the memory
/// latency of large indexes is overlapped.
std::size_t eytzinger_lower_bound_strided(const std::uint8_t* base, std::size_t n, std::size_t stride,
                                          std::uint64_t x) noexcept;

/// Exact search over the strided layout: the position of x, or n when absent.
std::size_t eytzinger_find_strided(const std::uint8_t* base, std::size_t n, std::size_t stride,
                                   std::uint64_t x) noexcept;

/// Exact search: the position of x, or n when absent.
template <class KeyAt>
inline std::size_t eytzinger_find(std::size_t n, std::uint64_t x, KeyAt&& key_at) noexcept {
  std::size_t p = eytzinger_lower_bound(n, x, key_at);
  return (p < n && key_at(p) == x) ? p : n;
}

/// True when the n keys read by key_at form a strictly increasing sequence in
/// Eytzinger order (every valid index satisfies this). O(n), no allocation.
/// On failure `*bad_pos` (if given) receives a position where the order breaks.
template <class KeyAt>
inline bool eytzinger_is_ordered(std::size_t n, KeyAt&& key_at, std::size_t* bad_pos = nullptr) noexcept {
  std::uint64_t prev = 0;
  return eytzinger_walk_in_order(n, [&](std::size_t i, std::size_t p) {
    const std::uint64_t v = key_at(p);
    if (i > 0 && !(prev < v)) {
      if (bad_pos) *bad_pos = p;
      return false;
    }
    prev = v;
    return true;
  });
}

}  // namespace segpack::internal
