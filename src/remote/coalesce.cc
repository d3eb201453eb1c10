// segpack — range coalescing and the batched read over a RangeSource.
#include <algorithm>
#include <numeric>
#include <string>

#include "segpack/remote.h"

namespace segpack {

namespace {

std::string range_text(const ByteRange& r) {
  return "[" + std::to_string(r.offset) + ", +" + std::to_string(r.length) + ")";
}

}  // namespace

Result<CoalescedRanges> coalesce_ranges(std::span<const ByteRange> ranges, const CoalesceOptions& options) {
  const std::size_t n = ranges.size();
  CoalescedRanges out;
  out.member.assign(n, SIZE_MAX);
  out.offset_in_member.assign(n, 0);
  std::vector<std::size_t> order;
  order.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (ranges[i].length > UINT64_MAX - ranges[i].offset) {
      return invalid_argument("byte range " + range_text(ranges[i]) + " overflows");
    }
    if (ranges[i].length > 0) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return ranges[a].offset != ranges[b].offset ? ranges[a].offset < ranges[b].offset : a < b;
  });
  std::uint64_t begin = 0, end = 0;
  bool have = false;  // a range is being built in [begin, end)
  auto flush = [&] {
    if (have) out.merged.push_back({begin, end - begin});
  };
  for (std::size_t i : order) {
    const ByteRange& r = ranges[i];
    const std::uint64_t r_end = r.offset + r.length;
    bool join = false;
    if (have) {
      if (r.offset <= end) {
        join = true;  // overlapping or touching: always one range
      } else {
        const std::uint64_t gap = r.offset - end;
        join = gap <= options.gap && r_end - begin <= options.max_merged;
      }
    }
    if (!join) {
      flush();
      have = true;
      begin = r.offset;
      end = r_end;
    } else {
      end = std::max(end, r_end);
    }
    out.member[i] = out.merged.size();  // the range being built: pushed by the next flush
    out.offset_in_member[i] = r.offset - begin;
  }
  flush();
  return out;
}

Result<std::vector<Buffer>> read_ranges(RangeSource& source, std::span<const ByteRange> ranges,
                                        const CoalesceOptions& options) {
  SEGPACK_ASSIGN_OR_RETURN(CoalescedRanges c, coalesce_ranges(ranges, options));
  std::vector<Buffer> fetched;
  if (!c.merged.empty()) {
    SEGPACK_ASSIGN_OR_RETURN(fetched, source.read_many(c.merged));
  }
  if (fetched.size() != c.merged.size()) {
    return out_of_range("range source returned " + std::to_string(fetched.size()) + " ranges for " +
                        std::to_string(c.merged.size()) + " asked");
  }
  for (std::size_t m = 0; m < fetched.size(); ++m) {
    if (fetched[m].size() != c.merged[m].length) {
      return out_of_range("range source returned " + std::to_string(fetched[m].size()) + " bytes for range " +
                          range_text(c.merged[m]) + " (truncated source?)");
    }
  }
  std::vector<Buffer> out(ranges.size());
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (c.member[i] == SIZE_MAX) continue;
    // In bounds by construction: the merged range covers the member.
    out[i] = fetched[c.member[i]].slice_unchecked(static_cast<std::size_t>(c.offset_in_member[i]),
                                                  static_cast<std::size_t>(ranges[i].length));
  }
  return out;
}

}  // namespace segpack
