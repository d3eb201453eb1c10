// segpack — the persistent worker pool.
//
// One batch at a time: the caller publishes a Job under the pool mutex and
// bumps a generation counter; background workers notice it (spinning briefly
// after their last job, else woken by a condition variable), join it while it
// is still published, and claim chunks from the job's atomic cursor. The
// caller works on the same job, then unpublishes it and waits only for the
// workers that actually joined. Late wakers find no job and go back to sleep,
// so the fixed cost of a batch is one publish plus the wait for chunks already
// in progress, never a thread start-up.
#include "segpack/thread_pool.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SEGPACK_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define SEGPACK_PAUSE() asm volatile("yield")
#else
#define SEGPACK_PAUSE() ((void)0)
#endif

namespace segpack {

namespace {

// How long an idle worker keeps polling for the next batch before it sleeps:
// back-to-back batch calls then start without a futex wake-up.
constexpr auto kSpin = std::chrono::microseconds(100);

struct Job {
  std::size_t n = 0;
  std::size_t grain = 1;
  std::size_t max_helpers = 0;  // background workers allowed to join
  ChunkFn fn;
  std::atomic<std::size_t> cursor{0};
  std::size_t joined = 0;   // guarded by the pool mutex
  std::size_t running = 0;  // guarded by the pool mutex

  explicit Job(ChunkFn f) : fn(f) {}

  void work(std::size_t worker) {
    while (true) {
      const std::size_t begin = cursor.fetch_add(grain, std::memory_order_relaxed);
      if (begin >= n) return;
      fn(worker, begin, std::min(n, begin + grain));
    }
  }
};

// Set while a thread runs a chunk of some pool's job: a nested parallel_for
// from inside a chunk runs inline.
thread_local bool t_inside_job = false;

}  // namespace

struct ThreadPool::Impl {
  explicit Impl(std::size_t w) : workers(std::max<std::size_t>(1, w)) {}

  const std::size_t workers;
  std::mutex busy;  // held by the caller of the batch in progress
  std::mutex mu;
  std::condition_variable wake;
  std::condition_variable done;
  std::atomic<std::uint64_t> generation{0};
  Job* job = nullptr;                // guarded by mu
  bool stop = false;                 // guarded by mu
  std::vector<std::thread> threads;  // started lazily, under `busy`

  void start_threads() {
    if (!threads.empty() || workers == 1) return;
    threads.reserve(workers - 1);
    // The generation before the first job is published: a thread that starts
    // late must still see that job as new.
    const std::uint64_t gen0 = generation.load(std::memory_order_acquire);
    for (std::size_t id = 1; id < workers; ++id) threads.emplace_back([this, id, gen0] { loop(id, gen0); });
  }

  void loop(std::size_t id, std::uint64_t seen) {
    while (true) {
      const auto spin_until = std::chrono::steady_clock::now() + kSpin;
      while (generation.load(std::memory_order_acquire) == seen) {
        for (int i = 0; i < 64; ++i) SEGPACK_PAUSE();
        if (std::chrono::steady_clock::now() >= spin_until) break;
      }
      Job* j = nullptr;
      {
        std::unique_lock lk(mu);
        wake.wait(lk, [&] { return stop || generation.load(std::memory_order_relaxed) != seen; });
        if (stop) return;
        seen = generation.load(std::memory_order_relaxed);
        if (job != nullptr && job->joined < job->max_helpers) {
          j = job;
          ++j->joined;
          ++j->running;
        }
      }
      if (j == nullptr) continue;
      t_inside_job = true;
      j->work(id);
      t_inside_job = false;
      bool last = false;
      {
        std::lock_guard lk(mu);
        last = --j->running == 0;
      }
      if (last) done.notify_all();
    }
  }
};

ThreadPool::ThreadPool(std::size_t workers) : impl_(std::make_unique<Impl>(workers)) {}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lk(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  for (std::thread& t : impl_->threads) t.join();
}

std::size_t ThreadPool::size() const noexcept { return impl_->workers; }

void ThreadPool::parallel_for(std::size_t n, std::size_t grain, std::size_t max_workers, ChunkFn fn) {
  if (n == 0) return;
  Impl& p = *impl_;
  std::size_t workers = max_workers == 0 ? p.workers : std::min(max_workers, p.workers);
  workers = std::min(workers, n);
  if (grain == 0) grain = std::max<std::size_t>(1, n / (workers * 16));
  std::unique_lock busy(p.busy, std::defer_lock);
  if (workers <= 1 || t_inside_job || !busy.try_lock()) {
    fn(0, 0, n);
    return;
  }
  p.start_threads();
  Job job(fn);
  job.n = n;
  job.grain = grain;
  job.max_helpers = workers - 1;
  {
    std::lock_guard lk(p.mu);
    p.job = &job;
    p.generation.fetch_add(1, std::memory_order_release);
  }
  p.wake.notify_all();
  t_inside_job = true;
  job.work(0);
  t_inside_job = false;
  std::unique_lock lk(p.mu);
  p.job = nullptr;  // no joins from now on
  p.done.wait(lk, [&] { return job.running == 0; });
}

// ---------------------------------------------------------------- the default pool

namespace {

std::mutex g_default_mu;
std::shared_ptr<ThreadPool> g_default;  // guarded by g_default_mu
std::size_t g_requested = 0;            // 0: automatic

// fork(): the child has the pool object but none of its threads. The child
// handler drops (leaks) the parent's pool without touching it, so the first
// batch in the child starts a fresh one; the lock around fork() keeps the
// default-pool state consistent.
void before_fork() { g_default_mu.lock(); }
void after_fork_parent() { g_default_mu.unlock(); }
void after_fork_child() {
  new std::shared_ptr<ThreadPool>(std::move(g_default));  // leaked on purpose: its threads are gone
  g_default_mu.unlock();
}
void register_fork_handlers() {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(before_fork, after_fork_parent, after_fork_child); });
}

std::size_t automatic_size() noexcept {
  if (const char* env = std::getenv("SEGPACK_NUM_THREADS")) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(env, &end, 10);
    if (end != env && *end == '\0' && v > 0 && v <= 1024) return v;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

std::size_t default_pool_size() noexcept {
  std::lock_guard lk(g_default_mu);
  return g_requested != 0 ? g_requested : automatic_size();
}

std::shared_ptr<ThreadPool> default_pool() {
  register_fork_handlers();
  std::lock_guard lk(g_default_mu);
  if (!g_default) g_default = std::make_shared<ThreadPool>(g_requested != 0 ? g_requested : automatic_size());
  return g_default;
}

Status set_default_pool_size(std::size_t workers) {
  if (workers > 1024) return invalid_argument("thread pool size " + std::to_string(workers) + " is above 1024");
  std::shared_ptr<ThreadPool> old;
  {
    std::lock_guard lk(g_default_mu);
    g_requested = workers;
    const std::size_t want = workers != 0 ? workers : automatic_size();
    if (g_default && g_default->size() == want) return Status::OK();
    old = std::move(g_default);  // a new pool is made on next use
  }
  return Status::OK();  // `old` is released here, outside the lock
}

}  // namespace segpack
