// segpack internal — in-place parallel sort of records by a u64 key, and the
// sort-then-reject-duplicates step of every builder (MapBuffer in memory and
// streaming, IntMap). May change.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "segpack/result.h"
#include "segpack/thread_pool.h"

namespace segpack::internal {

// The steps of sort_by_key (below); callers use sort_by_key or sort_unique_keys.

// Ranges of at most this many items are radix sorted through a scratch
// buffer of this size per worker (384 KiB for 24-byte records: in L2).
inline constexpr std::size_t kSortSmall = std::size_t{1} << 14;

struct SortKeyRange {
  std::uint64_t lo, hi;
  bool sorted;
};

template <class T, class KeyOf>
SortKeyRange sort_key_range(std::span<const T> a, KeyOf& key_of) {
  std::uint64_t lo = key_of(a[0]), hi = lo, prev = lo;
  bool sorted = true;
  for (std::size_t i = 1; i < a.size(); ++i) {
    const std::uint64_t k = key_of(a[i]);
    sorted &= prev <= k;
    prev = k;
    lo = std::min(lo, k);
    hi = std::max(hi, k);
  }
  return {lo, hi, sorted};
}

// American-flag pass: moves every item of `a` into one of 256 buckets by
// bits [shift, shift + 8) of key - lo, in place. Returns the bucket starts.
template <class T, class KeyOf>
std::array<std::size_t, 257> sort_split(std::span<T> a, std::uint64_t lo, int shift, KeyOf& key_of) {
  auto bucket_of = [&](const T& x) { return static_cast<std::size_t>(((key_of(x) - lo) >> shift) & 255); };
  std::array<std::size_t, 257> start{};
  for (const T& x : a) ++start[bucket_of(x) + 1];
  for (std::size_t b = 0; b < 256; ++b) start[b + 1] += start[b];
  std::array<std::size_t, 256> next;
  std::copy(start.begin(), start.end() - 1, next.begin());
  for (std::size_t b = 0; b < 256; ++b) {
    while (next[b] < start[b + 1]) {
      T x = a[next[b]];
      std::size_t to = bucket_of(x);
      while (to != b) {  // carry the item to its bucket, picking up the one there
        std::swap(x, a[next[to]++]);
        to = bucket_of(x);
      }
      a[next[b]++] = x;
    }
  }
  return start;
}

// LSD radix sort of `a` by the low `bits` bits of key - lo (the higher bits
// are equal across `a`), one byte per pass, through `scratch` (at least
// a.size() items). Branch-free, unlike a comparison sort, whose
// mispredictions dominate on random keys (std::sort: ~54 ns per item on the
// project's machine).
template <class T, class KeyOf>
void sort_radix_low_bits(std::span<T> a, std::uint64_t lo, int bits, std::span<T> scratch, KeyOf& key_of) {
  const std::size_t m = a.size();
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

// Sorts `a` on this thread: small ranges by LSD radix through `scratch`
// (kSortSmall items), larger ones split on the top byte of their own key range
// and each bucket sorted the same way (at most 8 levels: each level narrows
// the range by 8 bits).
template <class T, class KeyOf>
void sort_serial(std::span<T> a, std::span<T> scratch, KeyOf& key_of) {
  if (a.size() < 2) return;
  const SortKeyRange r = sort_key_range(std::span<const T>(a), key_of);
  if (r.sorted) return;
  const int width = std::bit_width(r.hi - r.lo);
  if (a.size() <= scratch.size()) {
    sort_radix_low_bits(a, r.lo, width, scratch, key_of);
    return;
  }
  const int shift = width > 8 ? width - 8 : 0;
  const auto start = sort_split(a, r.lo, shift, key_of);
  if (shift == 0) return;  // every bucket holds one key
  for (std::size_t b = 0; b < 256; ++b) sort_serial(a.subspan(start[b], start[b + 1] - start[b]), scratch, key_of);
}

/// Sorts `items` by key_of(item) (a std::uint64_t), in place, on the pool.
/// Not stable. A pass over the keys finds their range (and returns at once
/// when the items are already sorted); American-flag passes split the items
/// by the top bits of key - min until no part holds more than a quarter of
/// them; the parts are then sorted on the pool (sort_serial).
/// Extra memory: kSortSmall items per pool worker, allocated by the caller's
/// thread (std::bad_alloc propagates from there, never from a worker).
template <class T, class KeyOf>
void sort_by_key(std::span<T> items, KeyOf key_of) {
  const std::size_t n = items.size();
  if (n < 2) return;
  const SortKeyRange whole = sort_key_range(std::span<const T>(items), key_of);
  if (whole.sorted) return;
  const auto pool = default_pool();
  std::vector<std::vector<T>> scratch(pool->size(), std::vector<T>(std::min(n, kSortSmall)));
  if (n <= kSortSmall) {
    sort_serial(items, std::span<T>(scratch[0]), key_of);
    return;
  }
  // Parts for the pool: the items split on the top byte of their key range,
  // then the largest part split again until each is small enough to balance
  // the workers (or cannot be split: a single key).
  std::vector<std::span<T>> parts;
  auto split_into_parts = [&](std::span<T> part, const SortKeyRange& r) {
    const int width = std::bit_width(r.hi - r.lo);
    const auto start = sort_split(part, r.lo, width > 8 ? width - 8 : 0, key_of);
    for (std::size_t b = 0; b < 256; ++b) {
      if (start[b + 1] > start[b]) parts.push_back(part.subspan(start[b], start[b + 1] - start[b]));
    }
  };
  split_into_parts(items, whole);  // not sorted, so at least two distinct keys
  const std::size_t limit = std::max(n / 4, kSortSmall);
  for (;;) {
    auto big = std::max_element(parts.begin(), parts.end(), [](auto a, auto b) { return a.size() < b.size(); });
    if (big->size() <= limit) break;
    const std::span<T> part = *big;
    const SortKeyRange r = sort_key_range(std::span<const T>(part), key_of);
    if (r.lo == r.hi) break;  // one key repeated
    parts.erase(big);
    split_into_parts(part, r);
  }
  auto sort_parts = [&](std::size_t worker, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) sort_serial(parts[i], std::span<T>(scratch[worker]), key_of);
  };
  pool->parallel_for(parts.size(), 1, 0, sort_parts);
}

/// Sorts `items` by key_of(item) as sort_by_key does, then checks that no key
/// repeats. Errors: invalid_argument "duplicate key K" (the items are sorted).
template <class T, class KeyOf>
Status sort_unique_keys(std::span<T> items, KeyOf key_of) {
  sort_by_key(items, key_of);
  for (std::size_t i = 1; i < items.size(); ++i) {
    const std::uint64_t k = key_of(items[i]);
    if (k == key_of(items[i - 1])) return invalid_argument("duplicate key " + std::to_string(k));
  }
  return Status::OK();
}

}  // namespace segpack::internal
