// The fixed cost of a batch call on the persistent pool, and batch
// decompression throughput from C++ (no Python in the way). Not a test: run
// with `make bench`; the side-by-side figures against python-zstandard come
// from bench/bench_segments.py.
#include <benchmark/benchmark.h>

#include <atomic>
#include <random>
#include <vector>

#include "bench_data.h"
#include "segpack/batch.h"
#include "segpack/thread_pool.h"

namespace {

// An empty parallel_for over `workers` workers: publish, wake, join.
void BM_PoolDispatch(benchmark::State& state) {
  segpack::ThreadPool pool(static_cast<std::size_t>(state.range(0)));
  std::atomic<std::size_t> sink{0};
  auto fn = [&](std::size_t, std::size_t b, std::size_t e) { sink.fetch_add(e - b, std::memory_order_relaxed); };
  for (auto _ : state) pool.parallel_for(2, 1, 0, fn);
  benchmark::DoNotOptimize(sink.load());
}
BENCHMARK(BM_PoolDispatch)->Arg(1)->Arg(2)->UseRealTime();

using segpack_bench::sample;

// A whole decompress_batch call on two 10-byte items with the pool forced:
// the fixed cost the issue bounds at 20 µs for 2 threads.
void BM_DecompressBatchFixed(benchmark::State& state) {
  auto one = segpack::compress(segpack::Codec::zstd, sample(10), 1);
  std::vector<segpack::ByteSpan> frames = {*one, *one};
  segpack::BatchOptions opts;
  opts.parallel.threads = static_cast<std::size_t>(state.range(0));
  opts.parallel.inline_below_bytes = 0;
  for (auto _ : state) benchmark::DoNotOptimize(segpack::decompress_batch(frames, segpack::Codec::zstd, {}, opts));
}
BENCHMARK(BM_DecompressBatchFixed)->Arg(1)->Arg(2)->UseRealTime();

// 16 MiB cut into items of range(1) bytes, zstd level 1, threads range(0).
void BM_DecompressBatch(benchmark::State& state) {
  const auto data = sample(16 << 20);
  const std::size_t isz = static_cast<std::size_t>(state.range(1));
  std::vector<segpack::ByteSpan> items;
  for (std::size_t i = 0; i < data.size(); i += isz)
    items.emplace_back(data.data() + i, std::min(isz, data.size() - i));
  auto packed = segpack::compress_batch(items, segpack::Codec::zstd, 1);
  std::vector<segpack::ByteSpan> frames;
  for (std::size_t i = 0; i < packed->size(); ++i) frames.push_back((*packed)[i]);
  segpack::BatchOptions opts;
  opts.parallel.threads = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(segpack::decompress_batch(frames, segpack::Codec::zstd, {}, opts));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_DecompressBatch)->ArgsProduct({{1, 2}, {1024, 4096, 65536}})->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
