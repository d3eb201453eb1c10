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

/// A BufferSource that counts the read()/read_to_end() calls it serves, for
/// tests of access patterns (how many round trips a range reader costs).
class CountingSource final : public RangeSource {
 public:
  explicit CountingSource(Buffer b) : inner_(std::move(b)) {}
  Result<Buffer> read(std::uint64_t offset, std::uint64_t length) override {
    ++reads_;
    return inner_.read(offset, length);
  }
  Result<Buffer> read_to_end(std::uint64_t offset) override {
    ++reads_;
    return inner_.read_to_end(offset);
  }
  std::optional<std::uint64_t> size() override { return inner_.size(); }
  std::uint64_t reads() const noexcept { return reads_; }

 private:
  BufferSource inner_;
  std::uint64_t reads_ = 0;
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
