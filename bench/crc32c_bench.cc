// CRC-32C throughput per backend (bytes/second). Not a test: run by hand.
//   build/.../bench/crc32c_bench --benchmark_filter=Crc32c
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "segpack/crc32c.h"

namespace {

void BM_Crc32c(benchmark::State& state, segpack::Crc32cBackend backend, bool auto_dispatch) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(i * 2654435761u >> 24);
  std::uint32_t crc = 0;
  for (auto _ : state) {
    crc = auto_dispatch ? segpack::crc32c_extend(crc, data.data(), size)
                        : segpack::crc32c_extend_with(backend, crc, data.data(), size);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(size));
}

void apply_sizes(benchmark::internal::Benchmark* b) { b->Arg(64)->Arg(4 << 10)->Arg(1 << 20)->Arg(64 << 20); }

const bool registered = [] {
  for (auto backend : segpack::crc32c_available_backends()) {
    const std::string name = "Crc32c/" + std::string(segpack::crc32c_backend_name(backend));
    benchmark::RegisterBenchmark(name.c_str(), BM_Crc32c, backend, false)->Apply(apply_sizes);
  }
  benchmark::RegisterBenchmark("Crc32c/auto", BM_Crc32c, segpack::crc32c_active_backend(), true)->Apply(apply_sizes);
  return true;
}();

}  // namespace
