// Fuzz target: the object container reader, in memory (open) and over a
// range source (open_source: header, payload and table read apart, buffers
// fetched in one batch and copied). Any input must end in a clean Status;
// views, metadata, decoding and verify() must stay in bounds, and no
// allocation may follow a size the input claims beyond the limits below.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "segpack/container.h"
#include "segpack/source.h"

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
  std::uint64_t sum = 0;
  // The same bytes behind a source, with a first read that may or may not hold the table.
  opts.first_read = 64 + size % 512;
  auto s = ContainerReader::open_source(std::make_shared<BufferSource>(buf), opts);
  if (s.ok()) {
    auto fetched = s->buffers();
    if (fetched.ok()) sum += fetched->size();
    (void)s->verify();
  }
  auto r = ContainerReader::open(buf, opts);
  if (!r.ok()) return static_cast<int>(sum & 0);
  (void)h;
  sum += r->payload().size();
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
