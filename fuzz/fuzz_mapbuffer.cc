// Fuzz target: MapBuffer reader (in memory and through a range source).
// Any input must end in a clean Status; lookups and validate() must stay in bounds.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "segpack/mapbuffer.h"
#include "segpack/source.h"

using namespace segpack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MapBufferReadOptions opts;
  opts.decompress.max_output = 1 << 20;
  opts.max_index_bytes = 1 << 20;
  Buffer buf = Buffer::copy_of(ByteSpan(data, size));
  auto r = MapBufferReader::open(buf, opts);
  if (r.ok()) {
    (void)r->validate();
    std::vector<std::uint8_t> out;
    const std::size_t n = r->size() < 64 ? r->size() : 64;
    for (std::size_t i = 0; i < n; ++i) {
      out.clear();
      (void)r->value_append(i, out);
      (void)r->find(r->key_at(i));
    }
    (void)r->find(0);
    (void)r->find(~std::uint64_t{0});
    (void)r->get(12345);
  }
  auto rs = MapBufferReader::open_source(std::make_shared<BufferSource>(buf), opts);
  if (rs.ok()) {
    const std::size_t n = rs->size() < 16 ? rs->size() : 16;
    for (std::size_t i = 0; i < n; ++i) (void)rs->payload(i);
  }
  // Partial-index mode: a 3-record top, 64-byte blocks, a cache of two blocks.
  MapBufferReadOptions po = opts;
  po.partial_index_threshold = 0;
  po.partial_index_prefix = 48;
  po.partial_index_block = 64;
  po.partial_index_cache = 128;
  auto rp = MapBufferReader::open_source(std::make_shared<BufferSource>(buf), po);
  if (rp.ok()) {
    const std::uint64_t probes[] = {0, 1, 12345, ~std::uint64_t{0}};
    (void)rp->lookup_many(probes);
    for (std::uint64_t k : probes) (void)rp->get(k);
    const std::size_t n = rp->size() < 16 ? rp->size() : 16;
    for (std::size_t i = 0; i < n; ++i) {
      auto e = rp->entry(i);
      if (e.ok()) (void)rp->get(e->first);
    }
    (void)rp->validate();
  }
  return 0;
}
