// Fuzz target: the object container reader. Any input must end in a clean
// Status; views, metadata, decoding and verify() must stay in bounds, and no
// allocation may follow a size the input claims beyond the limits below.
#include <cstddef>
#include <cstdint>

#include "segpack/container.h"

using namespace segpack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ContainerReadOptions opts;
  opts.limits.max_output_size = 1 << 20;
  opts.limits.max_item_size = 1 << 20;
  opts.parallel.threads = 1;
  opts.check_payload_crc = size % 2 == 0;  // both paths
  opts.verify = size % 3 == 0;
  Buffer buf = Buffer::copy_of(ByteSpan(data, size));
  auto h = parse_container_header(buf.span(), buf.size());
  auto r = ContainerReader::open(buf, opts);
  if (!r.ok()) return 0;
  (void)h;
  std::uint64_t sum = r->payload().size();
  const std::size_t n = r->size() < 64 ? r->size() : 64;
  for (std::size_t i = 0; i < n; ++i) {
    sum += r->metadata(i).size();
    auto b = r->buffer(i);
    if (b.ok() && !b->empty()) sum += b->data()[b->size() - 1];
  }
  auto all = r->buffers();
  if (all.ok()) sum += all->size();
  (void)r->verify();
  (void)r->buffer(r->size());  // out of range
  return static_cast<int>(sum & 0);
}
