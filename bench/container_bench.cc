// C++ benchmarks of the object container (no Python in the loop): writing
// 256 MiB in 4 buffers to a new file against a raw write of the same bytes,
// open + map + view, and zstd level 1 on 64 MiB of compressible data.
// Files go to $TMPDIR (or /tmp). Run: build/cpp/bench/container_bench
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench_data.h"
#include "segpack/container.h"

namespace {

constexpr std::size_t kMiB = 1 << 20;

std::string bench_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("segpack-container-bench-") + name)).string();
}

// 4 x 64 MiB of float64-like random bytes (incompressible), made once.
const std::vector<std::vector<std::uint8_t>>& big_buffers() {
  static const auto bufs = [] {
    std::vector<std::vector<std::uint8_t>> v(4);
    std::mt19937_64 rng(7);
    for (auto& b : v) {
      b.resize(64 * kMiB);
      auto* w = reinterpret_cast<std::uint64_t*>(b.data());
      for (std::size_t i = 0; i < b.size() / 8; ++i) w[i] = rng();
    }
    return v;
  }();
  return bufs;
}

const std::vector<std::uint8_t>& compressible_64mib() {
  static const auto v = segpack_bench::sample(64 * kMiB);
  return v;
}

void set_bytes(benchmark::State& state, std::uint64_t per_iteration) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * per_iteration));
}

segpack::ContainerWriter writer_of(const std::vector<std::vector<std::uint8_t>>& bufs, segpack::Codec codec,
                                   std::optional<int> level) {
  auto w = segpack::ContainerWriter::make();
  for (const auto& b : bufs) {
    segpack::ContainerBufferOptions o;
    o.codec = codec;
    o.level = level;
    (void)w->add_buffer(segpack::ByteSpan(b), o);
  }
  return std::move(w).value();
}

// The floor: the same 256 MiB written to a new file with plain write()s, with
// and without the fsync the atomic writer does before its rename.
void BM_RawWrite256MiB(benchmark::State& state) {
  const auto& bufs = big_buffers();
  const std::string path = bench_path("raw");
  const bool sync = state.range(0) != 0;
  for (auto _ : state) {
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    for (const auto& b : bufs) {
      std::size_t done = 0;
      while (done < b.size()) done += static_cast<std::size_t>(::write(fd, b.data() + done, b.size() - done));
    }
    if (sync) ::fsync(fd);
    ::close(fd);
    state.PauseTiming();
    std::filesystem::remove(path);
    state.ResumeTiming();
  }
  set_bytes(state, 256 * kMiB);
}
BENCHMARK(BM_RawWrite256MiB)->ArgName("fsync")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

// write_file: layout, crc fused with the write, AtomicFile (temp + fsync + rename).
void BM_WriteFile256MiB(benchmark::State& state) {
  const auto& bufs = big_buffers();
  const std::string path = bench_path("write");
  segpack::ContainerWriter w = writer_of(bufs, segpack::Codec::none, std::nullopt);
  for (auto _ : state) {
    if (!w.write_file(path).ok()) state.SkipWithError("write failed");
    state.PauseTiming();
    std::filesystem::remove(path);
    state.ResumeTiming();
  }
  set_bytes(state, 256 * kMiB);
}
BENCHMARK(BM_WriteFile256MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

// write_to a sink that write()s to a plain new file (no temp file, no fsync):
// the same floor as BM_RawWrite256MiB/fsync:0, plus the container's crcs.
void BM_WriteToFdNoSync256MiB(benchmark::State& state) {
  const std::string path = bench_path("fd");
  segpack::ContainerWriter w = writer_of(big_buffers(), segpack::Codec::none, std::nullopt);
  for (auto _ : state) {
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    segpack::Status st = w.write_to([&](segpack::ByteSpan b) {
      std::size_t done = 0;
      while (done < b.size()) {
        const ssize_t n = ::write(fd, b.data() + done, b.size() - done);
        if (n <= 0) return segpack::io_error("write failed");
        done += static_cast<std::size_t>(n);
      }
      return segpack::Status::OK();
    });
    if (!st.ok()) state.SkipWithError("write failed");
    ::close(fd);
    state.PauseTiming();
    std::filesystem::remove(path);
    state.ResumeTiming();
  }
  set_bytes(state, 256 * kMiB);
}
BENCHMARK(BM_WriteToFdNoSync256MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

// write_to a sink that drops the bytes: the container's own cost (crc + layout).
void BM_WriteToNullSink256MiB(benchmark::State& state) {
  segpack::ContainerWriter w = writer_of(big_buffers(), segpack::Codec::none, std::nullopt);
  for (auto _ : state) {
    std::uint64_t n = 0;
    (void)w.write_to([&](segpack::ByteSpan b) {
      n += b.size();
      return segpack::Status::OK();
    });
    benchmark::DoNotOptimize(n);
  }
  set_bytes(state, 256 * kMiB);
}
BENCHMARK(BM_WriteToNullSink256MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

// open_file (mmap, header + table checked) and a view of every buffer;
// verify=1 also checks every buffer's crc (reads all 256 MiB, in parallel).
void BM_OpenMapView256MiB(benchmark::State& state) {
  const std::string path = bench_path("open");
  (void)writer_of(big_buffers(), segpack::Codec::none, std::nullopt).write_file(path);
  segpack::ContainerReadOptions o;
  o.verify = state.range(0) != 0;
  for (auto _ : state) {
    auto r = segpack::ContainerReader::open_file(path, o);
    auto views = r->buffers();
    if (!views.ok()) state.SkipWithError("read failed");
    benchmark::DoNotOptimize((*views)[3].data());
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_OpenMapView256MiB)->ArgName("verify")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

// zstd level 1 on 64 MiB of compressible text, as 1 buffer or 4 x 16 MiB.
std::vector<std::vector<std::uint8_t>> compressible_parts(std::size_t parts) {
  const auto& all = compressible_64mib();
  std::vector<std::vector<std::uint8_t>> v(parts);
  const std::size_t each = all.size() / parts;
  for (std::size_t i = 0; i < parts; ++i) v[i].assign(all.begin() + i * each, all.begin() + (i + 1) * each);
  return v;
}

void BM_ZstdWrite64MiB(benchmark::State& state) {
  const auto parts = compressible_parts(static_cast<std::size_t>(state.range(0)));
  const std::string path = bench_path("zwrite");
  segpack::ContainerWriter w = writer_of(parts, segpack::Codec::zstd, 1);
  for (auto _ : state) {
    if (!w.write_file(path).ok()) state.SkipWithError("write failed");
    state.PauseTiming();
    std::filesystem::remove(path);
    state.ResumeTiming();
  }
  set_bytes(state, 64 * kMiB);
}
BENCHMARK(BM_ZstdWrite64MiB)->ArgName("buffers")->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ZstdRead64MiB(benchmark::State& state) {
  const auto parts = compressible_parts(static_cast<std::size_t>(state.range(0)));
  const std::string path = bench_path("zread");
  (void)writer_of(parts, segpack::Codec::zstd, 1).write_file(path);
  state.counters["file_MiB"] = static_cast<double>(std::filesystem::file_size(path)) / kMiB;
  for (auto _ : state) {
    auto r = segpack::ContainerReader::open_file(path);
    auto bufs = r->buffers();
    if (!bufs.ok()) state.SkipWithError("read failed");
    benchmark::DoNotOptimize((*bufs)[0].data());
  }
  set_bytes(state, 64 * kMiB);
  std::filesystem::remove(path);
}
BENCHMARK(BM_ZstdRead64MiB)->ArgName("buffers")->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
