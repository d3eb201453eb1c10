// segpack — CRC-32C backend that calls Intel ISA-L's crc32_iscsi (built only
// when libisal was found). ISA-L selects its own kernel for the CPU.
//
// Convention (checked against crc32c("123456789") == 0xE3069283): crc32_iscsi
// neither inverts its initial value nor its result — it takes and returns the
// raw register, exactly like segpack's internal kernels. Its length is an
// `int`, so larger buffers are fed in chunks.
#include <isa-l/crc.h>

#include "../crc32c_internal.h"

namespace segpack::internal {

std::uint32_t crc32c_extend_isal(std::uint32_t state, const std::uint8_t* p, std::size_t n) noexcept {
  constexpr std::size_t kChunk = std::size_t{1} << 30;  // well below INT_MAX
  // crc32_iscsi takes a non-const pointer but only reads the buffer.
  auto* q = const_cast<std::uint8_t*>(p);
  while (n > 0) {
    const std::size_t len = n < kChunk ? n : kChunk;
    state = crc32_iscsi(q, static_cast<int>(len), state);
    q += len;
    n -= len;
  }
  return state;
}

}  // namespace segpack::internal
