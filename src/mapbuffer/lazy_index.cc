// segpack — LazyIndex: a MapBuffer index behind a range source, loaded in
// parts (see include/segpack/internal/lazy_index.h).
#include "segpack/internal/lazy_index.h"

#include <algorithm>
#include <bit>
#include <string>

#include "segpack/internal/bytes.h"
#include "segpack/source.h"

namespace segpack::internal {

namespace {

constexpr std::uint64_t kRecord = 16;

IndexEntry entry_at(const std::uint8_t* p) { return {load_le<std::uint64_t>(p), load_le<std::uint64_t>(p + 8)}; }

}  // namespace

LazyIndex::LazyIndex(std::shared_ptr<RangeSource> source, std::uint64_t base, std::size_t n, Buffer prefix,
                     std::uint64_t block_bytes, std::uint64_t cache_bytes)
    : source_(std::move(source)),
      base_(base),
      n_(n),
      prefix_(std::move(prefix)),
      prefix_n_(std::min<std::size_t>(prefix_.size() / kRecord, n)) {
  std::uint64_t entries = std::max<std::uint64_t>(block_bytes / kRecord, 4);
  block_n_ = static_cast<std::size_t>(std::bit_floor(std::min<std::uint64_t>(entries, std::uint64_t{1} << 24)));
  max_blocks_ = static_cast<std::size_t>(std::max<std::uint64_t>(cache_bytes / (kRecord * block_n_), 1));
}

std::optional<IndexEntry> LazyIndex::peek_locked(std::size_t i, const Pinned* pinned) {
  if (i < prefix_n_) return entry_at(prefix_.data() + kRecord * i);
  if (whole_ready_.load(std::memory_order_relaxed)) return entry_at(whole_.data() + kRecord * i);
  const std::uint64_t b = i / block_n_;
  const std::size_t lo = std::max<std::size_t>(b * block_n_, prefix_n_);
  if (pinned != nullptr) {
    if (auto it = pinned->find(b); it != pinned->end()) return entry_at(it->second.data() + kRecord * (i - lo));
  }
  auto it = blocks_map_.find(b);
  if (it == blocks_map_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.second);  // most recently used
  return entry_at(it->second.first.data() + kRecord * (i - lo));
}

std::optional<IndexEntry> LazyIndex::peek(std::size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  return peek_locked(i, nullptr);
}

void LazyIndex::want_entry(std::size_t i, std::vector<std::uint64_t>& blocks, const Pinned& pinned) {
  if (i < prefix_n_ || i >= n_) return;
  const std::uint64_t b = i / block_n_;
  if (!pinned.count(b) && !blocks_map_.count(b)) blocks.push_back(b);
}

void LazyIndex::want_subtree(std::size_t k, std::vector<std::uint64_t>& blocks, const Pinned& pinned) {
  // Rows of node k's subtree (1-based nodes [k*2^i, (k+1)*2^i)) while a row
  // fits a block, each with one record more (the successor of its last node:
  // the end of that item's byte range).
  for (std::size_t i = 0; (std::size_t{1} << i) <= block_n_; ++i) {
    const std::uint64_t lo = std::uint64_t{k} << i;
    if (lo > n_) break;
    const std::uint64_t end = std::min<std::uint64_t>((std::uint64_t{k} + 1) << i, n_);  // 0-based, one past
    for (std::uint64_t b = (lo - 1) / block_n_; b <= (end - 1) / block_n_; ++b) {
      want_entry(static_cast<std::size_t>(std::max<std::uint64_t>(b * block_n_, lo - 1)), blocks, pinned);
    }
  }
}

void LazyIndex::insert_locked(std::uint64_t block, Buffer bytes, std::vector<Buffer>& dropped) {
  if (blocks_map_.count(block)) {
    dropped.push_back(std::move(bytes));
    return;
  }
  while (blocks_map_.size() >= max_blocks_ && !lru_.empty()) {
    auto it = blocks_map_.find(lru_.back());
    dropped.push_back(std::move(it->second.first));
    blocks_map_.erase(it);
    lru_.pop_back();
  }
  lru_.push_front(block);
  blocks_map_.emplace(block, std::make_pair(std::move(bytes), lru_.begin()));
}

Status LazyIndex::fetch(std::unique_lock<std::mutex>& lock, std::vector<std::uint64_t>& blocks, Pinned& pinned,
                        std::vector<Buffer>& dropped) {
  std::sort(blocks.begin(), blocks.end());
  blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
  if (blocks.empty()) return Status::OK();
  // Record ranges [lo, hi) per block (the part past the prefix); runs of
  // consecutive blocks become one range.
  auto lo_of = [&](std::uint64_t b) { return std::max<std::uint64_t>(b * block_n_, prefix_n_); };
  auto hi_of = [&](std::uint64_t b) { return std::min<std::uint64_t>((b + 1) * block_n_, n_); };
  std::vector<ByteRange> ranges;
  std::vector<std::size_t> first_block;  // index into `blocks` of each range's first block
  for (std::size_t j = 0; j < blocks.size(); ++j) {
    if (j > 0 && blocks[j] == blocks[j - 1] + 1) {
      ranges.back().length = kRecord * (hi_of(blocks[j]) - lo_of(blocks[first_block.back()]));
      continue;
    }
    ranges.push_back({base_ + kRecord * lo_of(blocks[j]), kRecord * (hi_of(blocks[j]) - lo_of(blocks[j]))});
    first_block.push_back(j);
  }
  lock.unlock();
  Result<std::vector<Buffer>> got = source_->read_many(ranges);
  lock.lock();
  if (!got.ok()) return got.status().with_context("reading index blocks");
  for (Buffer& b : *got) dropped.push_back(b);  // released after unlocking, whatever happens below
  if (got->size() != ranges.size()) return internal_error("read_many returned a different number of ranges");
  batches_.fetch_add(1);
  blocks_.fetch_add(blocks.size());
  for (std::size_t r = 0; r < ranges.size(); ++r) {
    const Buffer& buf = (*got)[r];
    if (buf.size() != ranges[r].length) {
      return out_of_range("source returned " + std::to_string(buf.size()) + " bytes of index at offset " +
                              std::to_string(ranges[r].offset) + ", expected " + std::to_string(ranges[r].length) +
                              " (truncated)",
                          ErrorCategory::format);
    }
  }
  for (std::size_t r = 0; r < ranges.size(); ++r) {
    const Buffer& buf = (*got)[r];
    const std::uint64_t start = lo_of(blocks[first_block[r]]);
    const std::size_t last = r + 1 < ranges.size() ? first_block[r + 1] : blocks.size();
    for (std::size_t j = first_block[r]; j < last; ++j) {
      const std::uint64_t b = blocks[j];
      Buffer part = buf.slice_unchecked(kRecord * (lo_of(b) - start), kRecord * (hi_of(b) - lo_of(b)));
      pinned.emplace(b, part);
      insert_locked(b, std::move(part), dropped);
    }
  }
  return Status::OK();
}

Result<IndexEntry> LazyIndex::entry(std::size_t i) {
  std::vector<Buffer> dropped;  // declared before the lock: released after it
  Pinned pinned;
  std::unique_lock<std::mutex> lock(mu_);
  if (std::optional<IndexEntry> e = peek_locked(i, nullptr)) return *e;
  std::vector<std::uint64_t> want;
  want_entry(i, want, pinned);
  SEGPACK_RETURN_IF_ERROR(fetch(lock, want, pinned, dropped));
  std::optional<IndexEntry> e = peek_locked(i, &pinned);
  if (!e) return internal_error("index block missing after its read");
  return *e;
}

Result<std::vector<std::size_t>> LazyIndex::find_many(std::span<const std::uint64_t> keys, bool successors) {
  std::vector<Buffer> dropped;  // declared before the lock: released after it
  Pinned pinned;
  std::unique_lock<std::mutex> lock(mu_);
  const std::size_t m = keys.size();
  std::vector<std::size_t> node(m, 1);    // the next node of each descent (1-based)
  std::vector<std::size_t> lower(m, n_);  // the last node where the descent went left (0-based)
  std::vector<std::uint8_t> equal(m, 0);  // its key equals the one looked for
  std::vector<std::size_t> open(m);       // descents not finished
  for (std::size_t j = 0; j < m; ++j) open[j] = j;
  while (!open.empty()) {
    std::vector<std::uint64_t> want;
    std::size_t kept = 0;
    for (std::size_t j : open) {
      std::size_t k = node[j];
      while (k <= n_) {
        const std::optional<IndexEntry> e = peek_locked(k - 1, &pinned);
        if (!e) break;
        if (e->key < keys[j]) {
          k = 2 * k + 1;
        } else {
          lower[j] = k - 1;
          equal[j] = e->key == keys[j];
          k = 2 * k;
        }
      }
      node[j] = k;
      if (k <= n_) {
        want_subtree(k, want, pinned);
        open[kept++] = j;
      }
    }
    open.resize(kept);
    if (open.empty()) break;
    // The blocks of the previous round are in the cache (or were used).
    for (auto& [b, buf] : pinned) dropped.push_back(std::move(buf));
    pinned.clear();
    SEGPACK_RETURN_IF_ERROR(fetch(lock, want, pinned, dropped));
  }
  // Each found item's end is the next record's offset: load those too.
  std::vector<std::size_t> out(m, n_);
  std::vector<std::uint64_t> want;
  for (std::size_t j = 0; j < m; ++j) {
    if (!equal[j]) continue;
    out[j] = lower[j];
    if (successors && lower[j] + 1 < n_ && !peek_locked(lower[j] + 1, &pinned)) want_entry(lower[j] + 1, want, pinned);
  }
  SEGPACK_RETURN_IF_ERROR(fetch(lock, want, pinned, dropped));
  return out;
}

Status LazyIndex::load_all() {
  if (whole_ready_.load(std::memory_order_acquire)) return Status::OK();
  const std::uint64_t bytes = kRecord * std::uint64_t{n_};
  Result<Buffer> got = source_->read(base_, bytes);  // without the mutex (see the class comment)
  if (!got.ok()) return got.status().with_context("reading the index");
  if (got->size() != bytes) return out_of_range("source returned a short index (truncated)", ErrorCategory::format);
  std::vector<Buffer> dropped;  // declared before the lock: released after it
  std::lock_guard<std::mutex> lock(mu_);
  if (whole_ready_.load(std::memory_order_relaxed)) {
    dropped.push_back(std::move(*got));  // another thread was first
    return Status::OK();
  }
  whole_ = std::move(*got);
  whole_ready_.store(true, std::memory_order_release);
  for (auto& [b, entry] : blocks_map_) dropped.push_back(std::move(entry.first));
  blocks_map_.clear();
  lru_.clear();
  return Status::OK();
}

}  // namespace segpack::internal
