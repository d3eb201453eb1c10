// segpack internal — what every parallel feature (batch codecs, get_many, the
// map builders) shares on top of the pool: the rule that decides between the
// pool and the calling thread, and first-error collection. May change.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "segpack/result.h"
#include "segpack/thread_pool.h"

namespace segpack::internal {

/// Runs fn over [0, n) on the pool chosen by `opts` (opts.pool, else
/// default_pool()), or on the calling thread when opts.threads == 1, n <= 1
/// or `work_bytes` < opts.inline_below_bytes.
void parallel_run(std::size_t n, std::uint64_t work_bytes, const ParallelOptions& opts, ChunkFn fn);

/// Keeps the error of the lowest failing item across workers. Workers skip
/// items above the lowest failure recorded so far (`skip(i)`) but still run
/// the ones below it, so the error reported is that of the lowest failing
/// item whatever the scheduling.
class FirstError {
 public:
  void record(std::size_t index, Status st);
  /// True when an item below `index` has already failed.
  bool skip(std::size_t index) const noexcept { return index > lowest_.load(std::memory_order_relaxed); }
  bool failed() const noexcept { return lowest_.load(std::memory_order_relaxed) != SIZE_MAX; }
  std::size_t lowest() const noexcept { return lowest_.load(std::memory_order_relaxed); }
  /// OK, or the recorded error.
  Status take() { return std::move(status_); }

 private:
  std::atomic<std::size_t> lowest_{SIZE_MAX};
  std::mutex mu_;
  Status status_;
};

}  // namespace segpack::internal
