// segpack — byte strings rendered for error messages.
#include "segpack/internal/text.h"

namespace segpack::internal {

namespace {
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

std::string escape_bytes(ByteSpan bytes, std::string_view also_escaped) {
  std::string s;
  for (std::uint8_t b : bytes) {
    if (b >= 0x20 && b < 0x7f && b != '\\' && also_escaped.find(static_cast<char>(b)) == std::string_view::npos) {
      s += static_cast<char>(b);
    } else {
      s += "\\x";
      s += kHex[b >> 4];
      s += kHex[b & 15];
    }
  }
  return s;
}

std::string hex_bytes(ByteSpan bytes, std::size_t max) {
  std::string s;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    if (i) s += ' ';
    s += "0x";
    s += kHex[bytes[i] >> 4];
    s += kHex[bytes[i] & 15];
  }
  return s;
}

std::string hex32(std::uint32_t v) {
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += kHex[(v >> shift) & 15];
  return s;
}

}  // namespace segpack::internal
