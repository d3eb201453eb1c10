// C++ micro-benchmarks of MapBuffer lookups and open (no Python in the loop).
// Run: build/cpp/bench/mapbuffer_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "segpack/mapbuffer.h"

namespace {

struct Fixture {
  std::vector<std::uint64_t> keys;
  segpack::MapBufferReader reader;
  explicit Fixture(std::size_t n) {
    std::mt19937_64 rng(1);
    std::vector<std::vector<std::uint8_t>> vals(n);
    std::vector<segpack::MapBufferItem> items(n);
    for (std::size_t i = 0; i < n; ++i) {
      vals[i].assign(rng() % 65, static_cast<std::uint8_t>(i));
      keys.push_back(rng());
      items[i] = {keys.back(), vals[i]};
    }
    reader = *segpack::MapBufferReader::open(segpack::Buffer::from_vector(*segpack::build_mapbuffer(items)));
    std::shuffle(keys.begin(), keys.end(), rng);
  }
};

void BM_Find(benchmark::State& state) {
  Fixture f(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0, sum = 0;
  for (auto _ : state) {
    sum += *f.reader.find(f.keys[i]);
    if (++i == f.keys.size()) i = 0;
  }
  benchmark::DoNotOptimize(sum);
}
BENCHMARK(BM_Find)->Arg(1000)->Arg(100000)->Arg(1000000);

void BM_FindAndCheckedPayload(benchmark::State& state) {
  Fixture f(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0, sum = 0;
  for (auto _ : state) {
    sum += f.reader.payload_span(*f.reader.find(f.keys[i]))->size();
    if (++i == f.keys.size()) i = 0;
  }
  benchmark::DoNotOptimize(sum);
}
BENCHMARK(BM_FindAndCheckedPayload)->Arg(1000)->Arg(100000)->Arg(1000000);

void BM_OpenAndFirstLookup(benchmark::State& state) {
  Fixture f(static_cast<std::size_t>(state.range(0)));
  segpack::Buffer whole = f.reader.buffer();
  for (auto _ : state) {
    auto r = segpack::MapBufferReader::open(whole);
    benchmark::DoNotOptimize(r->payload_span(*r->find(f.keys[0]))->size());
  }
}
BENCHMARK(BM_OpenAndFirstLookup)->Arg(1000)->Arg(1000000);

}  // namespace

// Build from n items of 0-64 bytes at random places of a 64 MiB blob (as a
// Python dict's values are scattered over the heap), random u64 keys, v1 none.
void BM_Build(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(1);
  std::vector<std::uint8_t> blob(std::size_t{64} << 20);
  for (auto& b : blob) b = static_cast<std::uint8_t>(rng());
  std::vector<segpack::MapBufferItem> items(n);
  for (auto& it : items) {
    const std::size_t len = rng() % 65;
    it = {rng(), segpack::ByteSpan(blob.data() + rng() % (blob.size() - 64), len)};
  }
  for (auto _ : state) {
    auto out = segpack::build_mapbuffer(items);
    benchmark::DoNotOptimize(out->data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Build)->Arg(1000000)->Unit(benchmark::kMillisecond);
