// Internal: in-place sort of records by a u64 key, used by every builder
// (MapBuffer in memory and streaming, IntMap).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "../batch/batch_internal.h"

namespace segpack::internal {

// LSD radix sort of `a` by the low `bits` bits of key_of(x) - lo (the higher
// bits are equal across `a`), one byte per pass, through `scratch`.
// Branch-free, unlike a comparison sort, whose mispredictions dominate on
// random keys (std::sort: ~54 ns per item on the project's machine).
template <class T, class KeyOf>
void radix_sort_low_bits(std::span<T> a, std::uint64_t lo, int bits, std::vector<T>& scratch, KeyOf& key_of) {
  const std::size_t m = a.size();
  if (m < 2) return;
  scratch.resize(m);
  T* src = a.data();
  T* dst = scratch.data();
  auto digit = [&](const T& x, int shift) { return static_cast<std::size_t>(((key_of(x) - lo) >> shift) & 255); };
  for (int shift = 0; shift < bits; shift += 8) {
    std::array<std::size_t, 256> count{};
    for (std::size_t i = 0; i < m; ++i) ++count[digit(src[i], shift)];
    if (count[digit(src[0], shift)] == m) continue;  // one digit: nothing to do
    std::size_t sum = 0;
    for (std::size_t& c : count) sum += std::exchange(c, sum);
    for (std::size_t i = 0; i < m; ++i) dst[count[digit(src[i], shift)]++] = src[i];
    std::swap(src, dst);
  }
  if (src != a.data()) std::copy(src, src + m, a.data());
}

/// Sorts `items` by key_of(item) (a std::uint64_t), in place, on the pool.
/// One pass finds the key range (and returns at once when the items are
/// already sorted); an American-flag pass moves every item into one of 256
/// buckets by the top 8 bits of key - min; the buckets, small enough for the
/// cache, are radix sorted on the pool. Not stable; O(n) for any keys.
template <class T, class KeyOf>
void sort_by_key(std::span<T> items, KeyOf key_of) {
  const std::size_t n = items.size();
  if (n < 2) return;
  std::uint64_t lo = key_of(items[0]), hi = lo, prev = lo;
  bool sorted = true;
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint64_t k = key_of(items[i]);
    sorted &= prev <= k;
    prev = k;
    lo = std::min(lo, k);
    hi = std::max(hi, k);
  }
  if (sorted) return;
  const int width = std::bit_width(hi - lo);
  const int shift = width > 8 ? width - 8 : 0;
  auto bucket_of = [&](const T& x) { return static_cast<std::size_t>((key_of(x) - lo) >> shift); };
  std::array<std::size_t, 257> start{};
  for (const T& x : items) ++start[bucket_of(x) + 1];
  for (std::size_t b = 0; b < 256; ++b) start[b + 1] += start[b];
  std::array<std::size_t, 256> next;
  std::copy(start.begin(), start.end() - 1, next.begin());
  for (std::size_t b = 0; b < 256; ++b) {
    while (next[b] < start[b + 1]) {
      T x = items[next[b]];
      std::size_t to = bucket_of(x);
      while (to != b) {  // carry the item to its bucket, picking up the one there
        std::swap(x, items[next[to]++]);
        to = bucket_of(x);
      }
      items[next[b]++] = x;
    }
  }
  auto sort_buckets = [&](std::size_t, std::size_t begin, std::size_t end) {
    std::vector<T> scratch;
    for (std::size_t b = begin; b < end; ++b) {
      radix_sort_low_bits(items.subspan(start[b], start[b + 1] - start[b]), lo, shift, scratch, key_of);
    }
  };
  batch_internal::run(256, std::uint64_t{n} * sizeof(T), BatchOptions{}, sort_buckets);
}

}  // namespace segpack::internal
