// segpack — random-access byte sources (local files, HTTP/S3 range readers).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/result.h"

namespace segpack {

/// One byte range of a source: `length` bytes at `offset`.
struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

/// Anything that can return byte ranges: the interface of remote and lazy
/// readers. Implementations must be safe to call from one thread at a time.
class RangeSource {
 public:
  virtual ~RangeSource() = default;
  /// Many ranges in one call: element i holds exactly ranges[i].length bytes
  /// at ranges[i].offset. Remote sources override it to fetch all of them at
  /// once (one multi-range HTTP request, concurrent requests); the default
  /// reads them one by one. Errors: those of read() (the first failing range).
  virtual Result<std::vector<Buffer>> read_many(std::span<const ByteRange> ranges) {
    std::vector<Buffer> out;
    out.reserve(ranges.size());
    for (const ByteRange& r : ranges) {
      SEGPACK_ASSIGN_OR_RETURN(Buffer b, read(r.offset, r.length));
      out.push_back(std::move(b));
    }
    return out;
  }
  /// Ranges closer than this many bytes are worth merging into one read
  /// (see coalesce_ranges in remote.h); 0 merges only touching ranges.
  virtual std::uint64_t coalesce_gap() const { return 0; }
  /// Exactly `length` bytes at `offset`. Errors: out_of_range when the source
  /// is shorter, io_error for transport failures.
  virtual Result<Buffer> read(std::uint64_t offset, std::uint64_t length) = 0;
  /// Everything from `offset` to the end. Errors: out_of_range when offset is past the end.
  virtual Result<Buffer> read_to_end(std::uint64_t offset) = 0;
  /// Total size when cheaply known (used to bound reads), else nullopt.
  virtual std::optional<std::uint64_t> size() { return std::nullopt; }
};

/// A RangeSource over an in-memory Buffer: slices share the buffer's owner
/// (no copy). Errors as RangeSource's.
class BufferSource final : public RangeSource {
 public:
  explicit BufferSource(Buffer b) : buf_(std::move(b)) {}
  Result<Buffer> read(std::uint64_t offset, std::uint64_t length) override { return buf_.slice(offset, length); }
  Result<Buffer> read_to_end(std::uint64_t offset) override {
    if (offset > buf_.size()) return out_of_range("offset past the end of the source");
    return buf_.slice_unchecked(offset, buf_.size() - offset);
  }
  std::optional<std::uint64_t> size() override { return buf_.size(); }

 private:
  Buffer buf_;
};

}  // namespace segpack
