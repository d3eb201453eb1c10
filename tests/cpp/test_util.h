// Helpers shared by segpack's C++ tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "segpack/buffer.h"
#include "segpack/result.h"
#include "segpack/source.h"

namespace segpack::testing {

inline std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

inline std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

/// A BufferSource that counts the read()/read_to_end() calls it serves, and
/// its read_many() batches and the ranges in them, for tests of access
/// patterns (how many round trips a range reader costs). `gap` is its
/// coalesce_gap(); `short_by` makes every range of a batch that many bytes short.
class CountingSource final : public RangeSource {
 public:
  explicit CountingSource(Buffer b, std::uint64_t gap = 0) : inner_(std::move(b)), gap_(gap) {}
  Result<Buffer> read(std::uint64_t offset, std::uint64_t length) override {
    ++reads_;
    return inner_.read(offset, length);
  }
  Result<Buffer> read_to_end(std::uint64_t offset) override {
    ++reads_;
    return inner_.read_to_end(offset);
  }
  Result<std::vector<Buffer>> read_many(std::span<const ByteRange> ranges) override {
    ++batches_;
    batch_ranges_ += ranges.size();
    std::vector<Buffer> out;
    for (const ByteRange& r : ranges) {
      SEGPACK_ASSIGN_OR_RETURN(Buffer b, inner_.read(r.offset, r.length));
      if (short_by > 0 && b.size() >= short_by) b = b.slice_unchecked(0, b.size() - short_by);
      out.push_back(std::move(b));
    }
    return out;
  }
  std::uint64_t coalesce_gap() const override { return gap_; }
  std::optional<std::uint64_t> size() override { return inner_.size(); }
  std::uint64_t reads() const noexcept { return reads_; }
  std::uint64_t batches() const noexcept { return batches_; }
  std::uint64_t batch_ranges() const noexcept { return batch_ranges_; }
  std::size_t short_by = 0;

 private:
  BufferSource inner_;
  std::uint64_t gap_;
  std::uint64_t reads_ = 0, batches_ = 0, batch_ranges_ = 0;
};

/// A fresh empty folder under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("segpack-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::size_t count() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(path_)) ++n;
    return n;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace segpack::testing

#define SEGPACK_ASSERT_OK(expr)               \
  do {                                        \
    const ::segpack::Status _st = (expr);     \
    ASSERT_TRUE(_st.ok()) << _st.to_string(); \
  } while (0)

#define SEGPACK_EXPECT_CODE(expr, want_code)                       \
  do {                                                             \
    const ::segpack::Status _st = (expr);                          \
    EXPECT_EQ(_st.code(), want_code) << "got " << _st.to_string(); \
  } while (0)
