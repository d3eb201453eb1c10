// segpack — the recycling arena behind chunk_array: large output blocks are
// mapped with transparent huge pages requested, and a block released by a
// result is kept (up to a cap) for the next call, so a loop of chunk calls
// writes into pages that are already faulted in instead of paying a page
// fault per 4 KiB page (and the kernel's zeroing of it) on every call.
#include <sys/mman.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "segpack/chunking.h"

namespace segpack {

namespace {

constexpr std::size_t kHuge = std::size_t{2} << 20;            // 2 MiB
constexpr std::size_t kMinArena = std::size_t{1} << 20;        // smaller blocks: plain malloc
constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 30;  // idle memory kept at most
constexpr std::size_t kMaxCachedBlocks = 4;

struct Block {
  void* p;
  std::size_t cap;
};

std::mutex g_mu;
std::vector<Block>& cache() {
  static auto* c = new std::vector<Block>();  // leaked: outlives every result
  return *c;
}
std::size_t g_cached_bytes = 0;

void give_back(Block b) {
  {
    std::lock_guard lk(g_mu);
    if (cache().size() < kMaxCachedBlocks && g_cached_bytes + b.cap <= kMaxCachedBytes) {
      cache().push_back(b);
      g_cached_bytes += b.cap;
      return;
    }
  }
  munmap(b.p, b.cap);
}

Block take(std::size_t size) {
  const std::size_t cap = (size + kHuge - 1) / kHuge * kHuge;
  {
    std::lock_guard lk(g_mu);
    std::vector<Block>& c = cache();
    // The smallest cached block that fits and is not more than twice as large.
    std::size_t best = c.size();
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (c[i].cap >= cap && c[i].cap / 2 <= cap && (best == c.size() || c[i].cap < c[best].cap)) best = i;
    }
    if (best != c.size()) {
      const Block b = c[best];
      c.erase(c.begin() + static_cast<std::ptrdiff_t>(best));
      g_cached_bytes -= b.cap;
      return b;
    }
  }
  void* p = mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return {nullptr, 0};
#ifdef MADV_HUGEPAGE
  madvise(p, cap, MADV_HUGEPAGE);
#endif
  return {p, cap};
}

}  // namespace

Result<Buffer> arena_buffer(std::size_t size) {
  if (size < kMinArena) {
    auto* p = static_cast<std::uint8_t*>(std::malloc(size == 0 ? 1 : size));
    if (p == nullptr) return resource_exhausted("cannot allocate " + std::to_string(size) + " bytes");
    std::shared_ptr<const void> owner(p, [](const void* q) { std::free(const_cast<void*>(q)); });
    return Buffer(p, size, std::move(owner), /*writable=*/true);
  }
  const Block b = take(size);
  if (b.p == nullptr) return resource_exhausted("cannot allocate " + std::to_string(size) + " bytes");
  std::shared_ptr<const void> owner(b.p, [cap = b.cap](const void* q) { give_back({const_cast<void*>(q), cap}); });
  return Buffer(static_cast<const std::uint8_t*>(b.p), size, std::move(owner), /*writable=*/true);
}

}  // namespace segpack
