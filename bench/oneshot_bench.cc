// One-shot codec calls against plain libzstd loops: what segpack::compress_into
// / decompress_into (this thread's cached context, no context per call) cost
// over the library itself, for 1 KiB and 64 KiB items of mixed data, zstd
// level 3. The Python side (bench/bench_codecs.py) compares with
// python-zstandard; this is the floor both stand on. Not a test.
//
// With SEGPACK_BENCH_DUMP=DIR (written by `bench_codecs.py --dump DIR`) the
// same loops also run over the Python benchmark's own items and frames
// (python-zstandard's), one benchmark per file: BM_Dump*/<name>.
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "segpack/codec.h"

namespace {

// Text-like tokens, small integers and random runs (zstd-3 ratio about 2.5),
// like bench_segments.py's mixed_data.
std::vector<std::uint8_t> mixed(std::size_t n, std::uint32_t seed) {
  static const char* kWords[] = {"label ", "mesh ", "vertex ", "skeleton ", "fragment ", "0.125 ", "segment ", "id "};
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out;
  while (out.size() < n) {
    const unsigned r = rng() % 10;
    if (r < 5) {
      for (int i = 0; i < 16; ++i) {
        for (const char* p = kWords[rng() % 8]; *p; ++p) out.push_back(static_cast<std::uint8_t>(*p));
      }
    } else if (r < 8) {
      for (int i = 0; i < 64; ++i) out.push_back(static_cast<std::uint8_t>(rng() % 50));
    } else {
      for (int i = 0; i < 32; ++i) out.push_back(static_cast<std::uint8_t>(rng()));
    }
  }
  out.resize(n);
  return out;
}

constexpr int kItems = 64;

std::vector<std::vector<std::uint8_t>> items(std::size_t size) {
  std::vector<std::vector<std::uint8_t>> v;
  for (int i = 0; i < kItems; ++i) v.push_back(mixed(size, static_cast<std::uint32_t>(i + 1)));
  return v;
}

std::vector<std::vector<std::uint8_t>> frames_of(const std::vector<std::vector<std::uint8_t>>& in) {
  std::vector<std::vector<std::uint8_t>> f;
  for (const auto& x : in) f.push_back(*segpack::compress(segpack::Codec::zstd, x, 3));
  return f;
}

void BM_SegpackCompressInto(benchmark::State& state) {
  const auto in = items(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> out(segpack::compress_bound(segpack::Codec::zstd, in[0].size(), 3));
  std::size_t i = 0;
  for (auto _ : state) {
    auto n = segpack::compress_into(segpack::Codec::zstd, in[i++ % kItems], out, 3);
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in[0].size()));
}

void BM_LibzstdCompress2(benchmark::State& state) {
  const auto in = items(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> out(ZSTD_compressBound(in[0].size()));
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& x = in[i++ % kItems];
    benchmark::DoNotOptimize(ZSTD_compress2(c, out.data(), out.size(), x.data(), x.size()));
  }
  ZSTD_freeCCtx(c);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in[0].size()));
}

void BM_SegpackDecompressInto(benchmark::State& state) {
  const auto in = items(static_cast<std::size_t>(state.range(0)));
  const auto f = frames_of(in);
  std::vector<std::uint8_t> out(in[0].size());
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& x = f[i++ % kItems];
    // What the Python call does: the declared size, then a decode into it.
    auto n = segpack::declared_size(segpack::Codec::zstd, x);
    benchmark::DoNotOptimize(n);
    auto st = segpack::decompress_into(segpack::Codec::zstd, x, out);
    benchmark::DoNotOptimize(st);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in[0].size()));
}

void BM_LibzstdDecompressDCtx(benchmark::State& state) {
  const auto in = items(static_cast<std::size_t>(state.range(0)));
  const auto f = frames_of(in);
  std::vector<std::uint8_t> out(in[0].size());
  ZSTD_DCtx* d = ZSTD_createDCtx();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& x = f[i++ % kItems];
    benchmark::DoNotOptimize(ZSTD_getFrameContentSize(x.data(), x.size()));
    benchmark::DoNotOptimize(ZSTD_decompressDCtx(d, out.data(), out.size(), x.data(), x.size()));
  }
  ZSTD_freeDCtx(d);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in[0].size()));
}

// ---- the Python benchmark's data: u32 little-endian length, then the bytes.

std::vector<std::vector<std::uint8_t>> read_dump(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::vector<std::vector<std::uint8_t>> out;
  std::uint8_t len[4];
  while (f.read(reinterpret_cast<char*>(len), 4)) {
    const std::uint32_t n = len[0] | len[1] << 8 | len[2] << 16 | std::uint32_t{len[3]} << 24;
    std::vector<std::uint8_t> v(n);
    if (n != 0 && !f.read(reinterpret_cast<char*>(v.data()), n)) break;
    out.push_back(std::move(v));
  }
  return out;
}

std::size_t total(const std::vector<std::vector<std::uint8_t>>& v) {
  std::size_t t = 0;
  for (const auto& x : v) t += x.size();
  return t;
}

void dump_compress(benchmark::State& state, const std::vector<std::vector<std::uint8_t>>& in, bool raw) {
  std::size_t biggest = 0;
  for (const auto& x : in) biggest = std::max(biggest, x.size());
  std::vector<std::uint8_t> out(ZSTD_compressBound(biggest));
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
  for (auto _ : state) {
    for (const auto& x : in) {
      if (raw) {
        benchmark::DoNotOptimize(ZSTD_compress2(c, out.data(), out.size(), x.data(), x.size()));
      } else {
        benchmark::DoNotOptimize(segpack::compress_into(segpack::Codec::zstd, x, out, 3));
      }
    }
  }
  ZSTD_freeCCtx(c);
  state.counters["per_item"] = benchmark::Counter(
      static_cast<double>(in.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);  // seconds per item
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total(in)));
}

void dump_decompress(benchmark::State& state, const std::vector<std::vector<std::uint8_t>>& frames, bool raw) {
  std::vector<std::vector<std::uint8_t>> outs;
  std::size_t bytes = 0;
  for (const auto& f : frames) {
    outs.emplace_back(ZSTD_getFrameContentSize(f.data(), f.size()));
    bytes += outs.back().size();
  }
  ZSTD_DCtx* d = ZSTD_createDCtx();
  for (auto _ : state) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const auto& f = frames[i];
      if (raw) {
        benchmark::DoNotOptimize(ZSTD_getFrameContentSize(f.data(), f.size()));
        benchmark::DoNotOptimize(ZSTD_decompressDCtx(d, outs[i].data(), outs[i].size(), f.data(), f.size()));
      } else {
        benchmark::DoNotOptimize(segpack::declared_size(segpack::Codec::zstd, f));
        benchmark::DoNotOptimize(segpack::decompress_into(segpack::Codec::zstd, f, outs[i]));
      }
    }
  }
  ZSTD_freeDCtx(d);
  state.counters["per_item"] = benchmark::Counter(
      static_cast<double>(frames.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);  // seconds per item
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// Registered before main runs, when SEGPACK_BENCH_DUMP names a folder.
const bool kDumpRegistered = [] {
  const char* dir = std::getenv("SEGPACK_BENCH_DUMP");
  if (dir == nullptr) return false;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().stem().string();
    if (e.path().extension() == ".items") {
      auto in = std::make_shared<std::vector<std::vector<std::uint8_t>>>(read_dump(e.path()));
      benchmark::RegisterBenchmark(("BM_DumpLibzstdCompress2/" + name).c_str(),
                                   [in](benchmark::State& s) { dump_compress(s, *in, true); });
      benchmark::RegisterBenchmark(("BM_DumpSegpackCompressInto/" + name).c_str(),
                                   [in](benchmark::State& s) { dump_compress(s, *in, false); });
    } else if (e.path().extension() == ".frames") {
      auto f = std::make_shared<std::vector<std::vector<std::uint8_t>>>(read_dump(e.path()));
      benchmark::RegisterBenchmark(("BM_DumpLibzstdDecompressDCtx/" + name).c_str(),
                                   [f](benchmark::State& s) { dump_decompress(s, *f, true); });
      benchmark::RegisterBenchmark(("BM_DumpSegpackDecompressInto/" + name).c_str(),
                                   [f](benchmark::State& s) { dump_decompress(s, *f, false); });
    }
  }
  return true;
}();

}  // namespace

BENCHMARK(BM_SegpackCompressInto)->Arg(1 << 10)->Arg(64 << 10);
BENCHMARK(BM_LibzstdCompress2)->Arg(1 << 10)->Arg(64 << 10);
BENCHMARK(BM_SegpackDecompressInto)->Arg(1 << 10)->Arg(64 << 10);
BENCHMARK(BM_LibzstdDecompressDCtx)->Arg(1 << 10)->Arg(64 << 10);
