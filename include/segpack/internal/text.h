// segpack internal — byte strings rendered for error messages. May change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "segpack/buffer.h"

namespace segpack::internal {

/// Printable ASCII as is, every other byte (and the backslash, and any
/// character of `also_escaped`) as \xNN: for names and magics read from
/// untrusted input. `also_escaped` is the quote the caller puts around it.
std::string escape_bytes(ByteSpan bytes, std::string_view also_escaped = {});

/// "0x12 0x34"-style rendering of up to `max` leading bytes.
std::string hex_bytes(ByteSpan bytes, std::size_t max = 4);

/// "0x0012abcd": a 32-bit value (a checksum) as eight hex digits.
std::string hex32(std::uint32_t v);

}  // namespace segpack::internal
