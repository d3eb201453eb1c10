// Codec throughput at mapbuffer's default levels, with reused contexts (the
// hot-loop shape). Not a test: run with `make bench`; ratios against the
// Python peers live in bench/*.py and docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "bench_data.h"
#include "segpack/codec.h"

namespace {

using segpack_bench::sample;

void BM_Compress(benchmark::State& state) {
  const auto codec = static_cast<segpack::Codec>(state.range(0));
  const auto in = sample(static_cast<std::size_t>(state.range(1)));
  auto comp = segpack::Compressor::make(codec);
  std::vector<std::uint8_t> out(comp->bound(in.size()));
  for (auto _ : state) {
    auto n = comp->compress_into(in, out);
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
  state.SetLabel(std::string(segpack::codec_name(codec)));
}

void BM_Decompress(benchmark::State& state) {
  const auto codec = static_cast<segpack::Codec>(state.range(0));
  const auto in = sample(static_cast<std::size_t>(state.range(1)));
  auto packed = segpack::compress(codec, in);
  auto dec = segpack::Decompressor::make(codec);
  std::vector<std::uint8_t> out;
  for (auto _ : state) {
    out.clear();
    auto st = dec->decompress_append(*packed, out);
    benchmark::DoNotOptimize(st);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
  state.SetLabel(std::string(segpack::codec_name(codec)));
}

void BM_DecompressExact(benchmark::State& state) {
  const auto codec = static_cast<segpack::Codec>(state.range(0));
  const auto in = sample(static_cast<std::size_t>(state.range(1)));
  auto packed = segpack::compress(codec, in);
  auto dec = segpack::Decompressor::make(codec);
  std::vector<std::uint8_t> out(in.size());
  for (auto _ : state) {
    auto st = dec->decompress_exact(*packed, out);
    benchmark::DoNotOptimize(st);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
  state.SetLabel(std::string(segpack::codec_name(codec)));
}

void Args(benchmark::internal::Benchmark* b) {
  for (int c = 0; c < 5; ++c) {
    for (int n : {4 << 10, 1 << 20}) b->Args({c, n});
  }
}

}  // namespace

BENCHMARK(BM_Compress)->Apply(Args);
BENCHMARK(BM_Decompress)->Apply(Args);
BENCHMARK(BM_DecompressExact)->Apply(Args);
