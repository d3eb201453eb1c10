// Fuzz target: IntMap reader.
#include <cstddef>
#include <cstdint>

#include "segpack/intmap.h"
#include "segpack/source.h"

using namespace segpack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Buffer buf = Buffer::copy_of(ByteSpan(data, size));
  auto r = IntMapReader::open(buf);
  if (r.ok()) {
    (void)r->validate();
    for (std::size_t i = 0; i < r->size() && i < 64; ++i) (void)r->get(r->key_at(i));
    (void)r->find(0);
    (void)r->find(~std::uint64_t{0});
  }
  auto rs = IntMapReader::open_source(std::make_shared<BufferSource>(buf), 1 << 20);
  if (rs.ok()) (void)rs->validate();
  return 0;
}
