// Sample data shared by the C++ benchmarks: text-like tokens, deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace segpack_bench {

/// n bytes of words such as "segment ", "chunk ", "0123 " in a fixed random order.
inline std::vector<std::uint8_t> sample(std::size_t n) {
  static const char* kWords[] = {"segment ", "mapbuffer ", "chunk ", "label ", "0123 ", "voxel ", "\n", "zstd "};
  std::mt19937 rng(1);
  std::vector<std::uint8_t> out;
  while (out.size() < n) {
    for (const char* p = kWords[rng() % 8]; *p && out.size() < n; ++p) out.push_back(static_cast<std::uint8_t>(*p));
  }
  return out;
}

}  // namespace segpack_bench
