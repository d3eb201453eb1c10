// ThreadPool: every item visited exactly once, worker ids in range, nested
// and concurrent batches complete (inline), default pool sizing. Tests assert
// behaviour only, never timing.
#include "segpack/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "test_util.h"

namespace segpack {
namespace {

// Runs one batch and checks that every item of [0, n) was visited exactly
// once, that pooled chunks respect `grain` (when given) and that worker ids
// are below pool.size() and unique among concurrently running chunks. (The
// calling thread is worker 0 but need not get a chunk: background workers may
// claim them all first.)
void expect_exactly_once(ThreadPool& pool, std::size_t n, std::size_t grain, std::size_t max_workers) {
  std::vector<std::atomic<int>> hits(n);
  for (auto& h : hits) h.store(0);
  std::vector<std::atomic<int>> busy(pool.size());
  for (auto& b : busy) b.store(0);
  std::atomic<bool> bad_worker{false}, bad_chunk{false}, shared_worker{false};
  std::mutex mu;
  std::set<std::size_t> workers_seen;
  auto fn = [&](std::size_t worker, std::size_t begin, std::size_t end) {
    if (worker >= pool.size()) {
      bad_worker = true;
      return;
    }
    if (busy[worker].fetch_add(1) != 0) shared_worker = true;  // two chunks on one id at once
    // A batch that runs inline is one chunk [0, n); pooled chunks hold at most `grain` items.
    const bool whole = begin == 0 && end == n;
    if (begin >= end || end > n || (grain != 0 && !whole && end - begin > grain)) bad_chunk = true;
    for (std::size_t i = begin; i < end && i < n; ++i) hits[i].fetch_add(1);
    {
      std::lock_guard lk(mu);
      workers_seen.insert(worker);
    }
    busy[worker].fetch_sub(1);
  };
  pool.parallel_for(n, grain, max_workers, fn);
  EXPECT_FALSE(bad_worker) << "worker id >= size()";
  EXPECT_FALSE(bad_chunk) << "empty, oversized or out-of-range chunk";
  EXPECT_FALSE(shared_worker) << "one worker id used by two concurrent chunks";
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) wrong += hits[i].load() != 1;
  EXPECT_EQ(wrong, 0u) << "n=" << n << " grain=" << grain << " max_workers=" << max_workers;
  const std::size_t cap = max_workers == 0 ? pool.size() : std::min(max_workers, pool.size());
  EXPECT_LE(workers_seen.size(), cap) << "more distinct workers than max_workers";
}

TEST(ThreadPool, SizeCountsTheCaller) {
  EXPECT_EQ(ThreadPool(0).size(), 1u);
  EXPECT_EQ(ThreadPool(1).size(), 1u);
  EXPECT_EQ(ThreadPool(4).size(), 4u);
}

TEST(ThreadPool, EveryItemExactlyOnceManyShapes) {
  for (std::size_t workers : {1u, 2u, 3u, 8u}) {
    ThreadPool pool(workers);
    for (std::size_t n : {0u, 1u, 2u, 3u, 7u, 16u, 100u, 1000u, 4097u}) {
      for (std::size_t grain : {0u, 1u, 3u, 64u, 10000u}) {
        for (std::size_t max_workers : {0u, 1u, 2u, 5u, 100u}) {
          expect_exactly_once(pool, n, grain, max_workers);
        }
      }
    }
  }
}

TEST(ThreadPool, ManyBatchesBackToBackReuseThePool) {
  ThreadPool pool(3);
  for (int round = 0; round < 300; ++round) expect_exactly_once(pool, 50 + round % 7, round % 4, 0);
}

TEST(ThreadPool, ZeroItemsNeverCallsFn) {
  ThreadPool pool(4);
  int calls = 0;
  auto fn = [&](std::size_t, std::size_t, std::size_t) { ++calls; };
  pool.parallel_for(0, 0, 0, fn);
  pool.parallel_for(0, 5, 1, fn);
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPool, MaxWorkersOneRunsOnTheCallingThread) {
  ThreadPool pool(4);
  const auto me = std::this_thread::get_id();
  std::atomic<bool> elsewhere{false};
  std::atomic<std::size_t> items{0};
  auto fn = [&](std::size_t worker, std::size_t b, std::size_t e) {
    if (std::this_thread::get_id() != me || worker != 0) elsewhere = true;
    items += e - b;
  };
  pool.parallel_for(1000, 1, 1, fn);
  EXPECT_FALSE(elsewhere);
  EXPECT_EQ(items.load(), 1000u);
  // n == 1 is inline too, whatever max_workers says.
  pool.parallel_for(1, 0, 0, fn);
  EXPECT_FALSE(elsewhere);
}

TEST(ThreadPool, NestedParallelForRunsInlineWithoutDeadlock) {
  ThreadPool pool(4);
  constexpr std::size_t kOuter = 64, kInner = 100;
  std::vector<std::atomic<int>> hits(kOuter * kInner);
  for (auto& h : hits) h.store(0);
  std::atomic<bool> inner_moved{false};
  auto outer = [&](std::size_t, std::size_t b, std::size_t e) {
    for (std::size_t o = b; o < e; ++o) {
      const auto me = std::this_thread::get_id();
      auto inner = [&](std::size_t w, std::size_t ib, std::size_t ie) {
        // Nested batches run entirely on the thread that started them.
        if (std::this_thread::get_id() != me || w != 0 || ib != 0 || ie != kInner) inner_moved = true;
        for (std::size_t i = ib; i < ie; ++i) hits[o * kInner + i].fetch_add(1);
      };
      pool.parallel_for(kInner, 1, 0, inner);
    }
  };
  pool.parallel_for(kOuter, 1, 0, outer);
  EXPECT_FALSE(inner_moved);
  for (std::size_t i = 0; i < hits.size(); ++i) ASSERT_EQ(hits[i].load(), 1) << i;
}

TEST(ThreadPool, NestedOnAnotherPoolAlsoCompletes) {
  ThreadPool a(2), b(2);
  std::atomic<std::size_t> total{0};
  auto outer = [&](std::size_t, std::size_t ob, std::size_t oe) {
    for (std::size_t o = ob; o < oe; ++o) {
      auto inner = [&](std::size_t, std::size_t ib, std::size_t ie) { total += ie - ib; };
      b.parallel_for(50, 1, 0, inner);
    }
  };
  a.parallel_for(40, 1, 0, outer);
  EXPECT_EQ(total.load(), 40u * 50u);
}

TEST(ThreadPool, ConcurrentCallersAllComplete) {
  // Several threads share one pool: whoever finds it busy runs inline.
  ThreadPool pool(3);
  constexpr int kCallers = 6, kRounds = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int r = 0; r < kRounds; ++r) {
        const std::size_t n = 200 + static_cast<std::size_t>(c * 37 + r);
        std::vector<std::atomic<int>> hits(n);
        for (auto& h : hits) h.store(0);
        std::atomic<bool> bad{false};
        auto fn = [&](std::size_t w, std::size_t b, std::size_t e) {
          if (w >= pool.size()) bad = true;
          for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
        };
        pool.parallel_for(n, static_cast<std::size_t>(r % 3), 0, fn);
        for (auto& h : hits) bad = bad || h.load() != 1;
        if (bad) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ThreadPool, DestroyRightAfterABatch) {
  for (int i = 0; i < 50; ++i) {
    ThreadPool pool(3);
    std::atomic<std::size_t> items{0};
    auto fn = [&](std::size_t, std::size_t b, std::size_t e) { items += e - b; };
    pool.parallel_for(500, 1, 0, fn);
    EXPECT_EQ(items.load(), 500u);
  }
  ThreadPool never_used(8);  // threads start lazily; destroying an idle pool is fine
}

// ---------------------------------------------------------------- default pool

// Restores the automatic default pool size when a test ends.
struct DefaultPoolReset {
  ~DefaultPoolReset() { (void)set_default_pool_size(0); }
};

TEST(DefaultPool, SetDefaultPoolSize) {
  DefaultPoolReset reset;
  SEGPACK_ASSERT_OK(set_default_pool_size(3));
  EXPECT_EQ(default_pool_size(), 3u);
  std::shared_ptr<ThreadPool> p3 = default_pool();
  ASSERT_NE(p3, nullptr);
  EXPECT_EQ(p3->size(), 3u);
  EXPECT_EQ(default_pool().get(), p3.get()) << "the default pool is shared";

  // Same size again: the pool is kept.
  SEGPACK_ASSERT_OK(set_default_pool_size(3));
  EXPECT_EQ(default_pool().get(), p3.get());

  // A new size replaces the pool; the old one stays usable by its holders.
  SEGPACK_ASSERT_OK(set_default_pool_size(2));
  std::shared_ptr<ThreadPool> p2 = default_pool();
  EXPECT_EQ(p2->size(), 2u);
  EXPECT_EQ(default_pool_size(), 2u);
  expect_exactly_once(*p3, 1000, 0, 0);
  expect_exactly_once(*p2, 1000, 0, 0);

  SEGPACK_ASSERT_OK(set_default_pool_size(1));
  EXPECT_EQ(default_pool()->size(), 1u);
  expect_exactly_once(*default_pool(), 100, 0, 0);
}

TEST(DefaultPool, AutomaticSizeIsPositive) {
  DefaultPoolReset reset;
  SEGPACK_ASSERT_OK(set_default_pool_size(0));
  EXPECT_GE(default_pool_size(), 1u);
  EXPECT_EQ(default_pool()->size(), default_pool_size());
}

TEST(DefaultPool, AboveLimitIsInvalidArgument) {
  DefaultPoolReset reset;
  SEGPACK_ASSERT_OK(set_default_pool_size(2));
  SEGPACK_EXPECT_CODE(set_default_pool_size(1025), ErrorCode::invalid_argument);
  EXPECT_EQ(default_pool_size(), 2u) << "a rejected size must not change the pool";
  SEGPACK_ASSERT_OK(set_default_pool_size(1024));
  EXPECT_EQ(default_pool_size(), 1024u);  // threads start lazily: none are created here
}

TEST(DefaultPool, ReplacedWhileOtherThreadsUseIt) {
  DefaultPoolReset reset;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> users;
  for (int t = 0; t < 3; ++t) {
    users.emplace_back([&] {
      while (!stop) {
        std::shared_ptr<ThreadPool> p = default_pool();
        std::vector<std::atomic<int>> hits(300);
        for (auto& h : hits) h.store(0);
        auto fn = [&](std::size_t, std::size_t b, std::size_t e) {
          for (std::size_t i = b; i < e; ++i) hits[i].fetch_add(1);
        };
        p->parallel_for(hits.size(), 1, 0, fn);
        for (auto& h : hits) {
          if (h.load() != 1) failures.fetch_add(1);
        }
      }
    });
  }
  for (int i = 0; i < 40; ++i) EXPECT_TRUE(set_default_pool_size(1 + i % 3).ok());  // no early return: join first
  stop = true;
  for (auto& t : users) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace segpack
