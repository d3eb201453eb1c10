// Fuzz target: BufferWithSegments::from_records over data split from the
// input, then every segment read byte by byte (ASan checks the bounds), plus
// subrange / select / collection over what was accepted.
//
// Input layout: u16le R, then min(R, rest) bytes of segment records, then the
// data buffer (the rest). R need not be a multiple of 16.
//
// Oracle: from_records must accept exactly the records whose every segment
// satisfies offset + length <= data size in exact (128-bit) arithmetic, and
// reject a record block whose size is not a multiple of 16.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "segpack/segments.h"

using namespace segpack;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::size_t rlen = static_cast<std::size_t>(data[0]) | (static_cast<std::size_t>(data[1]) << 8);
  data += 2;
  size -= 2;
  if (rlen > size) rlen = size;
  const ByteSpan records(data, rlen);
  // An exactly-sized heap copy, so that any read past the end is caught.
  Buffer buf = Buffer::copy_of(ByteSpan(data + rlen, size - rlen));

  bool inside = rlen % sizeof(Segment) == 0;
  for (std::size_t off = 0; inside && off + sizeof(Segment) <= rlen; off += sizeof(Segment)) {
    Segment s;
    std::memcpy(&s, records.data() + off, sizeof s);
    inside = static_cast<unsigned __int128>(s.offset) + s.length <= buf.size();
  }

  auto r = BufferWithSegments::from_records(buf, records);
  if (r.ok() != inside) __builtin_trap();
  if (!r.ok()) {
    const ErrorCode want = rlen % sizeof(Segment) ? ErrorCode::invalid_argument : ErrorCode::out_of_range;
    if (r.status().code() != want) __builtin_trap();
    return 0;
  }
  const BufferWithSegments& b = *r;
  if (b.size() != rlen / sizeof(Segment)) __builtin_trap();

  // Read every byte of every segment.
  volatile std::uint8_t sink = 0;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const ByteSpan s = b[i];
    for (std::uint8_t c : s) sink = sink ^ c;
    const Buffer owned = b.segment(i);
    if (owned.size() != s.size() || owned.data() != s.data()) __builtin_trap();
    total += s.size();
  }
  if (total != b.total_length()) __builtin_trap();
  if (total <= (std::uint64_t{1} << 20)) {
    const std::vector<std::uint8_t> cat = b.concatenated();
    if (cat.size() != total) __builtin_trap();
  }

  // Subranges and selections share the buffer and stay in bounds.
  if (!b.empty()) {
    const BufferWithSegments tail = b.subrange(b.size() / 2, b.size() - b.size() / 2);
    for (std::size_t i = 0; i < tail.size(); ++i) {
      if (tail[i].data() != b[b.size() / 2 + i].data()) __builtin_trap();
    }
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < b.size() && i < 64; ++i) idx.push_back((i * 7 + buf.size()) % (b.size() + 1));
    auto sel = b.select(idx);
    bool any_bad = false;
    for (std::size_t i : idx) any_bad = any_bad || i >= b.size();
    if (sel.ok() == any_bad) __builtin_trap();
    if (sel.ok()) {
      for (std::size_t i = 0; i < idx.size(); ++i) {
        for (std::uint8_t c : (*sel)[i]) sink = sink ^ c;
      }
    }
    // A collection of the object and its tail: flat indexing agrees with the parts.
    std::vector<BufferWithSegments> parts{b};
    if (!tail.empty()) parts.push_back(tail);
    auto col = BufferWithSegmentsCollection::make(parts);
    if (!col.ok()) __builtin_trap();
    if (col->size() != b.size() + tail.size()) __builtin_trap();
    for (std::size_t i = 0; i < col->size(); ++i) {
      const ByteSpan want = i < b.size() ? b[i] : tail[i - b.size()];
      const ByteSpan got = (*col)[i];
      if (got.data() != want.data() || got.size() != want.size()) __builtin_trap();
    }
  }
  (void)sink;
  return 0;
}
