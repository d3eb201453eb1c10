// segpack internal — a file that appears at its final path only when complete.
// May change.
#pragma once

#include <cstdint>
#include <string>

#include "segpack/buffer.h"
#include "segpack/result.h"

namespace segpack::internal {

/// Writes go to a temporary file created next to `path` (same folder, so the
/// final rename is atomic on POSIX file systems). commit() flushes, fsyncs
/// (when durable) and renames it over `path`; destruction without commit()
/// deletes it, so a failed or abandoned write never leaves a partial file at
/// `path`. Without the fsync the rename is still atomic for other processes
/// and survives a crash of this one; only a power loss or OS crash soon after
/// commit() may then leave the old file, or on some file systems an empty or
/// partial one, at `path`.
class AtomicFile {
 public:
  /// `durable`: commit() fsyncs the file before the rename.
  /// Errors: io_error (folder missing or not writable).
  static Result<AtomicFile> create(const std::string& path, bool durable = true);
  /// An anonymous scratch file in the folder of `near_path`, deleted on close.
  static Result<AtomicFile> scratch(const std::string& near_path);

  AtomicFile(AtomicFile&& o) noexcept;
  AtomicFile& operator=(AtomicFile&& o) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  /// Appends bytes at the current end. Errors: io_error.
  Status write(ByteSpan bytes);
  /// Everything written so far, memory-mapped read-only (pending writes are
  /// flushed first). The mapping stays valid after further writes and after
  /// the file is closed; later writes may or may not show in it. As with any
  /// mapping, a disk error while reading it raises SIGBUS instead of an
  /// io_error. Errors: io_error, invalid_argument (file already closed).
  Result<Buffer> map_contents();
  /// Bytes written so far.
  std::uint64_t size() const noexcept { return size_; }
  /// Publishes the file at its final path. Errors: io_error (the temp file is removed).
  Status commit();

 private:
  AtomicFile() = default;
  void discard() noexcept;
  int fd_ = -1;
  std::string final_path_;
  std::string temp_path_;  // empty for scratch files (already unlinked)
  std::uint64_t size_ = 0;
  bool durable_ = true;
  std::string buffer_;  // write-combining buffer for small appends
  Status flush_buffer();
};

}  // namespace segpack::internal
