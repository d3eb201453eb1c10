// segpack — Buffer: a byte range plus the owner that keeps it alive.
//
// A Buffer is (pointer, size, owner). Copies and slices share the owner, so a
// view can never outlive the memory it points into: a memory map is unmapped
// only when the last Buffer (or binding-level view) referring to it is gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "segpack/result.h"

namespace segpack {

using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;

/// Overflow-safe range check: true when [offset, offset+length) lies inside
/// a region of `size` bytes. Every offset or length read from untrusted data
/// goes through this one function.
constexpr bool range_ok(std::uint64_t offset, std::uint64_t length, std::uint64_t size) noexcept {
  return length <= size && offset <= size - length;
}

/// An immutable (or, when `writable()`, mutable) byte range with a shared owner.
class Buffer {
 public:
  Buffer() noexcept = default;

  /// Wraps memory kept alive by `owner`. `owner` may be null only for memory
  /// with static lifetime. Nothing is copied.
  Buffer(const std::uint8_t* data, std::size_t size, std::shared_ptr<const void> owner, bool writable = false) noexcept
      : data_(data), size_(size), owner_(std::move(owner)), writable_(writable) {}

  /// Takes ownership of a vector (no copy). The result is writable.
  static Buffer from_vector(std::vector<std::uint8_t> bytes);
  /// Copies `bytes` into a new heap block.
  static Buffer copy_of(ByteSpan bytes);

  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  ByteSpan span() const noexcept { return {data_, size_}; }
  bool writable() const noexcept { return writable_; }
  /// Mutable access; an empty span unless writable().
  MutableByteSpan mutable_span() const noexcept {
    return writable_ ? MutableByteSpan{const_cast<std::uint8_t*>(data_), size_} : MutableByteSpan{};
  }
  const std::shared_ptr<const void>& owner() const noexcept { return owner_; }

  /// Checked slice sharing the owner: out_of_range when past the end.
  Result<Buffer> slice(std::uint64_t offset, std::uint64_t length) const;
  /// Unchecked slice; the caller has proved range_ok(offset, length, size()).
  Buffer slice_unchecked(std::size_t offset, std::size_t length) const noexcept {
    return Buffer(data_ + offset, length, owner_, writable_);
  }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::shared_ptr<const void> owner_;
  bool writable_ = false;
};

/// Memory-maps a whole file read-only (an empty file gives an empty Buffer).
/// Errors: io_error naming the path and the OS reason.
Result<Buffer> map_file(const std::string& path);

/// Memory-maps the whole file behind an open descriptor read-only (the
/// mapping stays valid after the descriptor is closed). Errors: io_error.
Result<Buffer> map_fd(int fd);

/// Reads a whole file into memory. Errors: io_error.
Result<Buffer> read_file(const std::string& path);

/// Writes `bytes` to `path` atomically: a temporary file in the same folder is
/// written, flushed and renamed over `path`, so a failure leaves any previous
/// file untouched and no partial file behind. Errors: io_error.
Status write_file_atomic(const std::string& path, ByteSpan bytes);

}  // namespace segpack
