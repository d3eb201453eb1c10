// segpack — the dispatch rule of every parallel feature (pool or calling
// thread) and first-error collection across workers.
#include "segpack/internal/parallel.h"

#include <memory>
#include <utility>

namespace segpack::internal {

void parallel_run(std::size_t n, std::uint64_t work_bytes, const ParallelOptions& opts, ChunkFn fn) {
  if (n == 0) return;
  if (opts.threads == 1 || n == 1 || work_bytes < opts.inline_below_bytes) {
    fn(0, 0, n);
    return;
  }
  if (opts.pool != nullptr) {
    opts.pool->parallel_for(n, 0, opts.threads, fn);
    return;
  }
  const std::shared_ptr<ThreadPool> pool = default_pool();
  pool->parallel_for(n, 0, opts.threads, fn);
}

void FirstError::record(std::size_t index, Status st) {
  std::lock_guard lk(mu_);
  if (index < lowest_.load(std::memory_order_relaxed)) {
    status_ = std::move(st);
    lowest_.store(index, std::memory_order_relaxed);
  }
}

}  // namespace segpack::internal
