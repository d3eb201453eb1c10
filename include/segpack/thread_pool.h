// segpack — the parallel runtime: the library's persistent worker pool, and
// ParallelOptions, which say how one call's work runs on it.
//
// One pool serves every parallel operation (compress_batch, decompress_batch,
// get_many, the map builders, ...). Its threads are created once and reused;
// the calling thread is always one of the workers, so a pool of size N has
// N - 1 background threads. Work is handed out dynamically: workers claim
// small chunks of items from a shared counter until none are left, so items of
// uneven cost balance themselves.
//
// A pool runs one batch at a time. A second caller that finds it busy (another
// thread's batch, or a batch started from inside a worker) runs its batch on
// its own thread instead of waiting: progress is guaranteed, nothing deadlocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "segpack/result.h"

namespace segpack {

class ThreadPool;

/// How one call's work runs: on which pool, on how many of its workers, and
/// when it is too small to be worth waking them. Every parallel operation of
/// the library takes one (directly, or inside its options struct).
struct ParallelOptions {
  /// Workers to use: 0 = every worker of the pool, 1 = the calling thread only,
  /// n = at most n (capped at the pool size).
  std::size_t threads = 0;
  /// Calls whose work (input plus known output, in bytes, or an estimate for
  /// lookups) is smaller than this, or that have a single item, run on the
  /// calling thread: waking workers would cost more than it saves.
  std::size_t inline_below_bytes = 48 * 1024;
  /// The pool to run on; null = default_pool().
  ThreadPool* pool = nullptr;
};

/// A non-owning reference to a callable `void(std::size_t worker, std::size_t begin, std::size_t end)`.
/// Valid only while the referenced callable is alive (for the duration of a call).
class ChunkFn {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, ChunkFn>>>
  ChunkFn(F& f) noexcept  // NOLINT(google-explicit-constructor)
      : obj_(static_cast<void*>(&f)),
        call_([](void* o, std::size_t w, std::size_t b, std::size_t e) { (*static_cast<F*>(o))(w, b, e); }) {}
  void operator()(std::size_t worker, std::size_t begin, std::size_t end) const { call_(obj_, worker, begin, end); }

 private:
  void* obj_;
  void (*call_)(void*, std::size_t, std::size_t, std::size_t);
};

/// A persistent pool of worker threads.
class ThreadPool {
 public:
  /// A pool of `workers` workers in all: the calling thread plus
  /// `workers - 1` background threads (0 is treated as 1). Threads start
  /// lazily, on the first batch that uses them.
  explicit ThreadPool(std::size_t workers);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Number of workers, the calling thread included.
  std::size_t size() const noexcept;

  /// Runs `fn(worker, begin, end)` over the half-open item range [0, n) in
  /// chunks of at most `grain` items (0: chosen from n and the worker count),
  /// on up to `max_workers` workers (0: all of them), and returns when every
  /// chunk is done. `worker` is a dense id in [0, size()) unique among the
  /// concurrent calls of one batch; the calling thread is worker 0. `fn` must
  /// not throw. Runs entirely on the calling thread, as one chunk [0, n),
  /// when max_workers is 1, n <= 1, or the pool is busy with another batch.
  void parallel_for(std::size_t n, std::size_t grain, std::size_t max_workers, ChunkFn fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The library's default pool, created on first use with
/// default_pool_size() workers. Shared: a pool replaced by
/// set_default_pool_size() lives on until its last batch ends.
std::shared_ptr<ThreadPool> default_pool();

/// Workers of the default pool: set_default_pool_size() if called, else the
/// SEGPACK_NUM_THREADS environment variable if set to a positive integer, else
/// std::thread::hardware_concurrency() (at least 1).
std::size_t default_pool_size() noexcept;

/// Replaces the default pool by one of `workers` workers (0: back to the
/// automatic size); batches already running finish on the old pool.
/// Errors: invalid_argument above 1024 workers.
Status set_default_pool_size(std::size_t workers);

}  // namespace segpack
