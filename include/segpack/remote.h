// segpack — reading many byte ranges of a remote source with few requests.
//
// Three pieces the remote readers (HTTP, S3, any fsspec filesystem) share:
//  - coalesce_ranges: merges ranges that lie within a gap of each other, so
//    that nearby items cost one range instead of many;
//  - read_ranges: coalesces, asks the source for all merged ranges in ONE
//    RangeSource::read_many call (one multi-range HTTP request, or concurrent
//    requests: the source decides), and cuts the answer back into the ranges
//    asked for (slices sharing the fetched buffers, no copy);
//  - the HTTP response parsers: Content-Range values and multipart/byteranges
//    bodies (RFC 9110 §14.4, §14.6), which are untrusted input: every length
//    goes through range_ok and a part must be exactly what its Content-Range
//    announces.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/result.h"
#include "segpack/source.h"

namespace segpack {

/// How ranges are merged.
struct CoalesceOptions {
  /// Ranges separated by at most this many bytes are merged (the bytes in
  /// between are read and dropped). Overlapping and touching ranges are
  /// always merged.
  std::uint64_t gap = 0;
  /// A merge across a gap never makes a range longer than this (ranges that
  /// overlap are merged whatever their size).
  std::uint64_t max_merged = std::uint64_t{64} << 20;
};

/// The result of coalesce_ranges.
struct CoalescedRanges {
  /// The ranges to read, sorted by offset, disjoint.
  std::vector<ByteRange> merged;
  /// For input range i: the merged range holding it (an index into `merged`),
  /// or SIZE_MAX for an empty input range (nothing to read).
  std::vector<std::size_t> member;
  /// For input range i: its offset inside merged[member[i]].
  std::vector<std::uint64_t> offset_in_member;
};

/// Merges `ranges` (any order, may overlap or repeat; empty ones are skipped).
/// O(n log n). Errors: invalid_argument when a range's end overflows u64.
Result<CoalescedRanges> coalesce_ranges(std::span<const ByteRange> ranges, const CoalesceOptions& options = {});

/// Reads `ranges` from `source` with one read_many call over the coalesced
/// ranges (gap: `options.gap`), then slices: element i is exactly
/// ranges[i].length bytes (empty ranges give empty buffers and are not read).
/// Errors: those of coalesce_ranges and of source.read_many; out_of_range
/// naming the range when the source returned fewer or more bytes than asked.
Result<std::vector<Buffer>> read_ranges(RangeSource& source, std::span<const ByteRange> ranges,
                                        const CoalesceOptions& options);

/// A parsed Content-Range header value: `bytes a-b/total`, `bytes */total`
/// (unsatisfied range, 416) or `bytes a-b/*` (total unknown).
struct ContentRange {
  /// The range the body holds (nullopt for `*/total`).
  std::optional<ByteRange> range;
  /// The full size of the resource (nullopt for `/*`).
  std::optional<std::uint64_t> total;
};

/// Parses a Content-Range value. Errors: corrupt (not of the forms above,
/// last < first, a number that overflows u64, last >= total).
Result<ContentRange> parse_content_range(std::string_view value);

/// The boundary parameter of a `multipart/byteranges; boundary=...` content
/// type (quoted or not). Errors: invalid_argument when the media type is not
/// multipart/byteranges or the boundary is missing, empty or over 70 bytes.
Result<std::string> multipart_boundary(std::string_view content_type);

/// One part of a multipart/byteranges body.
struct ByteRangePart {
  /// Where the part's bytes lie in the resource.
  ByteRange range;
  /// The resource's size as the part states it (nullopt for `/*`).
  std::optional<std::uint64_t> total;
  /// The part's bytes: a slice of the body (shares its owner).
  Buffer data;
};

/// Limits for parse_multipart_byteranges.
struct MultipartLimits {
  /// Most parts accepted.
  std::size_t max_parts = 1 << 16;
  /// Most header lines in one part.
  std::size_t max_header_lines = 64;
};

/// Splits a multipart/byteranges body (the boundary from `content_type`).
/// Each part must carry a Content-Range; its data is exactly that many bytes
/// followed by a line break and the next delimiter (so the boundary may
/// appear inside the data). A preamble before the first delimiter and an
/// epilogue after the closing one are ignored; line breaks may be CRLF or LF
/// (the break after a part's data is the kind its delimiter line ends with).
/// Errors: those of multipart_boundary; corrupt (no delimiter, a part without
/// Content-Range or with an unsatisfied one, data shorter than announced or
/// not followed by a delimiter, no closing delimiter — a truncated body);
/// resource_exhausted (limits).
Result<std::vector<ByteRangePart>> parse_multipart_byteranges(const Buffer& body, std::string_view content_type,
                                                              const MultipartLimits& limits = {});

}  // namespace segpack
