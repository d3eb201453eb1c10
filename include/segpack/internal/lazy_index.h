// segpack internal — the index of a MapBuffer (or the pairs of an IntMap,
// the same 16-byte records at another base) behind a range source, loaded
// in parts (partial-index mode): the top levels of the Eytzinger tree when
// the reader opens, the rest in fixed-size blocks as lookups reach them, kept
// in a bounded LRU cache. May change.
//
// Why it works: the top L levels of an Eytzinger tree are its first 2^L - 1
// entries, one prefix read; and the descendants of node k (1-based) i levels
// down are the contiguous nodes [k*2^i, (k+1)*2^i). So when a lookup reaches
// a node whose block is not loaded, the rows of that node's subtree down to
// the row that still fits one block are fetched together (one read_many):
// each round moves every stuck lookup log2(block entries)+1 levels down, and
// a batch of keys costs one read_many per round, not one read per level.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/result.h"

namespace segpack {
class RangeSource;
}

namespace segpack::internal {

/// One index record: key and offset (MapBuffer), or key and value (IntMap).
struct IndexEntry {
  std::uint64_t key = 0;
  std::uint64_t offset = 0;
};

/// The lazily loaded index of `n` 16-byte records at byte `base` of a
/// source. Shared by the copies of a reader; thread-safe. One mutex guards
/// the cache, and is never held while the source is read nor while a Buffer
/// is released (a Python-backed source needs the GIL for both: holding the
/// mutex then could deadlock against a thread that holds the GIL and waits
/// for the mutex).
class LazyIndex {
 public:
  /// `prefix` holds the first prefix.size()/16 records (whole records, a
  /// complete top of the tree); `block_bytes` is rounded down to a power of
  /// two times 16 (at least 64 bytes); `cache_bytes` bounds the blocks kept.
  LazyIndex(std::shared_ptr<RangeSource> source, std::uint64_t base, std::size_t n, Buffer prefix,
            std::uint64_t block_bytes, std::uint64_t cache_bytes);

  std::size_t size() const noexcept { return n_; }
  /// Records held since opening (the top of the tree).
  std::size_t prefix_entries() const noexcept { return prefix_n_; }
  /// Records per block.
  std::size_t block_entries() const noexcept { return block_n_; }

  /// Record i (i < size()), fetched (one block) when not loaded.
  /// Errors: those of the source; out_of_range when it returns fewer bytes.
  Result<IndexEntry> entry(std::size_t i);
  /// Record i when it is in memory (the prefix, a cached block, the whole index).
  std::optional<IndexEntry> peek(std::size_t i);

  /// Exact search of each key: its position, or size() when absent. Stuck
  /// lookups are advanced together, one read_many per round (see above);
  /// afterwards, when `successors`, record p+1 of every found position p is
  /// loaded too (a MapBuffer item's bounds need it; an IntMap's do not).
  Result<std::vector<std::size_t>> find_many(std::span<const std::uint64_t> keys, bool successors = true);

  /// Reads the whole index (one read) unless already done; then whole() is it.
  Status load_all();
  /// The whole index once load_all() has succeeded, else an empty Buffer.
  const Buffer& whole() const noexcept { return whole_ready_.load(std::memory_order_acquire) ? whole_ : empty_; }
  bool loaded() const noexcept { return whole_ready_.load(std::memory_order_acquire); }

  /// Counters (tests, benchmarks): read_many calls made for blocks, blocks fetched.
  std::uint64_t block_batches() const noexcept { return batches_.load(); }
  std::uint64_t blocks_fetched() const noexcept { return blocks_.load(); }

 private:
  // Blocks read by the current operation: usable while the LRU may drop them.
  using Pinned = std::unordered_map<std::uint64_t, Buffer>;
  std::optional<IndexEntry> peek_locked(std::size_t i, const Pinned* pinned);
  // Adds the blocks of node k's subtree rows (see above) that are not loaded.
  void want_subtree(std::size_t k, std::vector<std::uint64_t>& blocks, const Pinned& pinned);
  void want_entry(std::size_t i, std::vector<std::uint64_t>& blocks, const Pinned& pinned);
  // Reads `blocks` (any order; duplicates and loaded ones allowed) with one
  // read_many, the mutex released meanwhile; adds them to `pinned` and the
  // cache. Buffers that may be released go to `dropped` (freed by the caller
  // after unlocking).
  Status fetch(std::unique_lock<std::mutex>& lock, std::vector<std::uint64_t>& blocks, Pinned& pinned,
               std::vector<Buffer>& dropped);
  void insert_locked(std::uint64_t block, Buffer bytes, std::vector<Buffer>& dropped);

  std::mutex mu_;
  std::shared_ptr<RangeSource> source_;
  std::uint64_t base_;
  std::size_t n_;
  Buffer prefix_;
  std::size_t prefix_n_;
  std::size_t block_n_;
  std::size_t max_blocks_;
  // LRU of blocks: most recent at the front.
  std::list<std::uint64_t> lru_;
  std::unordered_map<std::uint64_t, std::pair<Buffer, std::list<std::uint64_t>::iterator>> blocks_map_;
  Buffer whole_;
  const Buffer empty_;
  std::atomic<bool> whole_ready_{false};
  std::atomic<std::uint64_t> batches_{0}, blocks_{0};
};

}  // namespace segpack::internal
