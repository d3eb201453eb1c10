// Fuzz target: decompress_batch over frames split from the input, with a
// small output budget, on the calling thread and on a two-worker pool.
//
// Input layout: codec byte (value % 5 = none, gzip, br, zstd, lzma), flags
// byte, then frames, each as u16le length + bytes (a length past the end takes
// the rest); at most 16 frames. Flags: bit 0 = pass exact sizes (learned from
// the single-shot decoder), bit 1 = pass one wrong size.
//
// Oracles: any input ends in a clean Status; the 1-thread and 2-thread runs
// agree (both fail, or both succeed with the same bytes); a successful batch
// gives, for every item, what Decompressor gives for that frame alone; and
// when every frame decodes alone within the budget the batch succeeds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "segpack/batch.h"
#include "segpack/codec.h"

using namespace segpack;

namespace {

constexpr std::uint64_t kBudget = 1 << 20;

// Multi-member gzip items: the trailer's ISIZE covers the last member only, so
// a batch must not trust it as the item's size (BatchGzip tests). Set to false
// to leave gzip out of the last oracle should that regress knowingly.
constexpr bool kGzipMultiMemberFixed = true;

ThreadPool& pool() {
  static ThreadPool p(2);
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Codec codec = kAllCodecs[data[0] % kAllCodecs.size()];
  const std::uint8_t flags = data[1];
  std::size_t pos = 2;
  std::vector<std::vector<std::uint8_t>> owned;  // exactly-sized copies: ASan sees over-reads
  while (pos < size && owned.size() < 16) {
    std::size_t len = data[pos];
    if (pos + 1 < size) len |= static_cast<std::size_t>(data[pos + 1]) << 8;
    pos += 2;
    if (pos > size) pos = size;
    if (len > size - pos) len = size - pos;
    owned.emplace_back(data + pos, data + pos + len);
    pos += len;
  }
  std::vector<ByteSpan> frames(owned.begin(), owned.end());

  // Each frame alone, within the same budget.
  std::vector<std::vector<std::uint8_t>> alone(frames.size());
  bool all_alone_ok = true;
  std::uint64_t alone_total = 0;
  {
    auto dec = Decompressor::make(codec);
    if (!dec.ok()) __builtin_trap();
    DecompressOptions o;
    o.max_output = kBudget;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (!dec->decompress_append(frames[i], alone[i], o).ok()) all_alone_ok = false;
      alone_total += alone[i].size();
    }
  }

  std::vector<std::uint64_t> sizes;
  if ((flags & 1) && all_alone_ok) {
    for (const auto& a : alone) sizes.push_back(a.size());
    if ((flags & 2) && !sizes.empty()) sizes[flags % sizes.size()] += 1 + (flags >> 4);
  }

  BatchOptions one;
  one.parallel.threads = 1;
  one.limits.max_output_size = kBudget;
  BatchOptions two;
  two.parallel.threads = 2;
  two.parallel.inline_below_bytes = 0;
  two.limits.max_output_size = kBudget;
  two.parallel.pool = &pool();
  const auto r1 = decompress_batch(frames, codec, sizes, one);
  const auto r2 = decompress_batch(frames, codec, sizes, two);
  if (r1.ok() != r2.ok()) __builtin_trap();
  if (!r1.ok()) {
    if (r1.status().code() == ErrorCode::ok || r1.status().code() == ErrorCode::internal) __builtin_trap();
    const bool wrong_size_given = (flags & 1) && (flags & 2) && all_alone_ok && !frames.empty();
    const bool oracle_applies = codec != Codec::gzip || kGzipMultiMemberFixed;
    if (all_alone_ok && alone_total <= kBudget && !wrong_size_given && oracle_applies) __builtin_trap();
    return 0;
  }
  if (r1->size() != frames.size() || r2->size() != frames.size()) __builtin_trap();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const ByteSpan a = (*r1)[i], b = (*r2)[i];
    if (a.size() != b.size() || !std::equal(a.begin(), a.end(), b.begin())) __builtin_trap();
    // A batch success means every frame decodes alone to the same bytes.
    if (!all_alone_ok) __builtin_trap();
    if (a.size() != alone[i].size() || !std::equal(a.begin(), a.end(), alone[i].begin())) __builtin_trap();
  }
  return 0;
}
