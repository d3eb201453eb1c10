// segpack — BufferWithSegments and BufferWithSegmentsCollection.
#include "segpack/segments.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

namespace segpack {

namespace {

Status check_segments(const Buffer& data, std::span<const Segment> segs) {
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (!range_ok(segs[i].offset, segs[i].length, data.size())) {
      return out_of_range("segment " + std::to_string(i) + " (offset " + std::to_string(segs[i].offset) + ", length " +
                          std::to_string(segs[i].length) + ") lies outside the " + std::to_string(data.size()) +
                          "-byte buffer");
    }
  }
  return Status::OK();
}

}  // namespace

Result<BufferWithSegments> BufferWithSegments::make(Buffer data, std::vector<Segment> segments) {
  SEGPACK_RETURN_IF_ERROR(check_segments(data, segments));
  return BufferWithSegments(std::move(data), std::make_shared<const std::vector<Segment>>(std::move(segments)));
}

Result<BufferWithSegments> BufferWithSegments::from_records(Buffer data, ByteSpan records) {
  if (records.size() % sizeof(Segment) != 0) {
    return invalid_argument("segments array size is not a multiple of 16 (" + std::to_string(records.size()) +
                            " bytes)");
  }
  std::vector<Segment> segs(records.size() / sizeof(Segment));
  if (!segs.empty()) std::memcpy(segs.data(), records.data(), records.size());
  return make(std::move(data), std::move(segs));
}

BufferWithSegments BufferWithSegments::adopt(Buffer data, std::vector<Segment> segments) noexcept {
  assert(check_segments(data, segments).ok());
  return BufferWithSegments(std::move(data), std::make_shared<const std::vector<Segment>>(std::move(segments)));
}

std::uint64_t BufferWithSegments::total_length() const noexcept {
  std::uint64_t t = 0;
  for (const Segment& s : segments()) t += s.length;  // each length <= data size: no overflow in practice
  return t;
}

BufferWithSegments BufferWithSegments::subrange(std::size_t begin, std::size_t count) const {
  const auto segs = segments().subspan(begin, count);
  return BufferWithSegments(data_, std::make_shared<const std::vector<Segment>>(segs.begin(), segs.end()));
}

Result<BufferWithSegments> BufferWithSegments::select(std::span<const std::size_t> indices) const {
  std::vector<Segment> out;
  out.reserve(indices.size());
  for (std::size_t i : indices) {
    if (i >= size()) {
      return out_of_range("segment index " + std::to_string(i) + " is out of range for " + std::to_string(size()) +
                          " segments");
    }
    out.push_back((*segs_)[i]);
  }
  return BufferWithSegments(data_, std::make_shared<const std::vector<Segment>>(std::move(out)));
}

std::vector<std::uint8_t> BufferWithSegments::concatenated() const {
  std::vector<std::uint8_t> out;
  out.reserve(static_cast<std::size_t>(total_length()));
  for (std::size_t i = 0; i < size(); ++i) {
    const ByteSpan s = (*this)[i];
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

Result<BufferWithSegmentsCollection> BufferWithSegmentsCollection::make(std::vector<BufferWithSegments> parts) {
  if (parts.empty()) return invalid_argument("must pass at least 1 argument");
  BufferWithSegmentsCollection c;
  c.starts_.reserve(parts.size() + 1);
  std::size_t total = 0;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    if (parts[p].empty()) {
      return invalid_argument("ZstdBufferWithSegments cannot be empty (argument " + std::to_string(p) + ")");
    }
    c.starts_.push_back(total);
    total += parts[p].size();
  }
  c.starts_.push_back(total);
  c.parts_ = std::move(parts);
  return c;
}

std::pair<std::size_t, std::size_t> BufferWithSegmentsCollection::locate(std::size_t i) const noexcept {
  // The last start <= i: parts are non-empty, so starts_ is strictly increasing.
  const auto it = std::upper_bound(starts_.begin(), starts_.end() - 1, i);
  const std::size_t p = static_cast<std::size_t>(it - starts_.begin()) - 1;
  return {p, i - starts_[p]};
}

std::uint64_t BufferWithSegmentsCollection::total_length() const noexcept {
  std::uint64_t t = 0;
  for (const BufferWithSegments& b : parts_) t += b.total_length();
  return t;
}

std::vector<ByteSpan> BufferWithSegmentsCollection::spans() const {
  std::vector<ByteSpan> out;
  out.reserve(size());
  for (const BufferWithSegments& b : parts_) {
    for (std::size_t i = 0; i < b.size(); ++i) out.push_back(b[i]);
  }
  return out;
}

}  // namespace segpack
