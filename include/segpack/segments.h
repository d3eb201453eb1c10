// segpack — segment buffers: one allocation holding many items.
//
// A BufferWithSegments is a backing Buffer plus a list of (offset, length)
// segments, each verified to lie inside the buffer when the object is made
// (overflow-safe). Segments may overlap, leave gaps or come in any order.
// Segments are read without copies; every view shares the buffer's owner.
//
// The segment record layout is python-zstandard's: two native-endian u64s
// (offset, length), 16 bytes per segment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/result.h"

namespace segpack {

/// One segment record: 16 bytes, native byte order (python-zstandard's layout).
struct Segment {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  friend bool operator==(const Segment&, const Segment&) = default;
};
static_assert(sizeof(Segment) == 16, "Segment is the 16-byte (offset, length) record");

/// A Buffer and the segments that cut it into items. Immutable once made;
/// copies share the buffer and the segment table.
class BufferWithSegments {
 public:
  /// An empty object (no buffer, no segments).
  BufferWithSegments() = default;

  /// Takes `segments` and checks each against `data`.
  /// Errors: out_of_range naming the first segment outside the buffer
  /// (offset + length beyond data.size(), overflow included).
  static Result<BufferWithSegments> make(Buffer data, std::vector<Segment> segments);

  /// Copies segment records from raw bytes (a whole number of 16-byte
  /// native-endian (offset, length) pairs) and checks them as make() does.
  /// Errors: invalid_argument (size not a multiple of 16), out_of_range.
  static Result<BufferWithSegments> from_records(Buffer data, ByteSpan records);

  /// For producers that built `segments` inside `data` themselves: no checks
  /// in release builds. Precondition: every segment lies inside data.
  static BufferWithSegments adopt(Buffer data, std::vector<Segment> segments) noexcept;

  /// Number of segments.
  std::size_t size() const noexcept { return segs_ ? segs_->size() : 0; }
  bool empty() const noexcept { return size() == 0; }
  /// The backing buffer (all of it, gaps included).
  const Buffer& data() const noexcept { return data_; }
  /// The segment table.
  std::span<const Segment> segments() const noexcept {
    return segs_ ? std::span<const Segment>(*segs_) : std::span<const Segment>();
  }
  /// The records as raw bytes (16 per segment, native order).
  ByteSpan segment_records() const noexcept {
    return {reinterpret_cast<const std::uint8_t*>(segments().data()), size() * sizeof(Segment)};
  }
  /// Bytes of segment i, borrowed (valid while this object or its data() lives).
  /// Precondition: i < size().
  ByteSpan operator[](std::size_t i) const noexcept {
    const Segment& s = (*segs_)[i];
    return {data_.data() + s.offset, static_cast<std::size_t>(s.length)};
  }
  /// Segment i as an owning Buffer (shares the owner). Precondition: i < size().
  Buffer segment(std::size_t i) const noexcept {
    const Segment& s = (*segs_)[i];
    return data_.slice_unchecked(static_cast<std::size_t>(s.offset), static_cast<std::size_t>(s.length));
  }
  /// Sum of the segment lengths.
  std::uint64_t total_length() const noexcept;
  /// A new object with segments [begin, begin + count) of this one, sharing
  /// the buffer. Precondition: begin + count <= size().
  BufferWithSegments subrange(std::size_t begin, std::size_t count) const;
  /// A new object with the segments at `indices`, in that order (repeats
  /// allowed), sharing the buffer. Errors: out_of_range for an index >= size().
  Result<BufferWithSegments> select(std::span<const std::size_t> indices) const;
  /// The concatenation of all segments, in order, in a new heap buffer.
  std::vector<std::uint8_t> concatenated() const;

 private:
  BufferWithSegments(Buffer data, std::shared_ptr<const std::vector<Segment>> segs) noexcept
      : data_(std::move(data)), segs_(std::move(segs)) {}
  Buffer data_;
  std::shared_ptr<const std::vector<Segment>> segs_;
};

/// Several BufferWithSegments seen as one sequence of segments: item i of the
/// collection is found by binary search over the cumulative segment counts.
class BufferWithSegmentsCollection {
 public:
  BufferWithSegmentsCollection() = default;
  /// Errors: invalid_argument when `parts` is empty or a part has no segments
  /// (python-zstandard's rules).
  static Result<BufferWithSegmentsCollection> make(std::vector<BufferWithSegments> parts);

  /// Total number of segments.
  std::size_t size() const noexcept { return starts_.empty() ? 0 : starts_.back(); }
  std::size_t part_count() const noexcept { return parts_.size(); }
  const BufferWithSegments& part(std::size_t p) const noexcept { return parts_[p]; }
  /// (part, index within the part) of segment i. Precondition: i < size().
  std::pair<std::size_t, std::size_t> locate(std::size_t i) const noexcept;
  /// Bytes of segment i, borrowed. Precondition: i < size().
  ByteSpan operator[](std::size_t i) const noexcept {
    const auto [p, j] = locate(i);
    return parts_[p][j];
  }
  /// Sum of all segment lengths.
  std::uint64_t total_length() const noexcept;
  /// All segments as borrowed spans, in order.
  std::vector<ByteSpan> spans() const;

 private:
  std::vector<BufferWithSegments> parts_;
  std::vector<std::size_t> starts_;  // starts_[p] = first flat index of part p; back() = total
};

}  // namespace segpack
