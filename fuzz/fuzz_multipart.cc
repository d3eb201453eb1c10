// Fuzz target: HTTP range responses (multipart/byteranges bodies and
// Content-Range values). Input: a content type up to the first '\n', then the body.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "segpack/remote.h"

using namespace segpack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto* nl = static_cast<const std::uint8_t*>(std::find(data, data + size, std::uint8_t{'\n'}));
  const std::size_t ct_len = static_cast<std::size_t>(nl - data);
  const std::string_view content_type(reinterpret_cast<const char*>(data), ct_len);
  const std::size_t body_at = ct_len < size ? ct_len + 1 : size;
  Buffer body = Buffer::copy_of(ByteSpan(data + body_at, size - body_at));
  auto parts = parse_multipart_byteranges(body, content_type);
  if (parts.ok()) {
    for (const ByteRangePart& p : *parts) {
      // Every part lies inside the body and is as long as its range says.
      if (p.data.size() != p.range.length) __builtin_trap();
      if (p.data.data() < body.data() || p.data.data() + p.data.size() > body.data() + body.size()) __builtin_trap();
    }
  }
  (void)parse_content_range(content_type);
  // Coalescing any ranges the body spells as u64 pairs stays consistent.
  std::vector<ByteRange> ranges;
  for (std::size_t i = 0; i + 16 <= body.size() && ranges.size() < 256; i += 16) {
    std::uint64_t a = 0, b = 0;
    std::memcpy(&a, body.data() + i, 8);
    std::memcpy(&b, body.data() + i + 8, 8);
    ranges.push_back({a, b % (1u << 20)});
  }
  auto c = coalesce_ranges(ranges, {.gap = ct_len * 64});
  if (c.ok()) {
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      if (c->member[i] == SIZE_MAX) continue;
      const ByteRange& m = c->merged[c->member[i]];
      if (ranges[i].offset != m.offset + c->offset_in_member[i]) __builtin_trap();
      if (c->offset_in_member[i] + ranges[i].length > m.length) __builtin_trap();
    }
  }
  return 0;
}
