// CRC-32C: one value-parameterised suite run against every backend available
// on this machine, so all backends meet exactly the same tests.
#include "segpack/crc32c.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace segpack {
// Readable parameter names in GoogleTest failure messages.
void PrintTo(Crc32cBackend b, std::ostream* os) { *os << crc32c_backend_name(b); }
}  // namespace segpack

namespace {

using segpack::Crc32cBackend;

// Independent bit-at-a-time reference (no tables, no shared code with src/).
std::uint32_t reference_crc32c(std::uint32_t crc, const std::uint8_t* p, std::size_t n) {
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> v(n);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const std::uint64_t r = rng();
    std::memcpy(v.data() + i, &r, 8);
  }
  for (; i < n; ++i) v[i] = static_cast<std::uint8_t>(rng());
  return v;
}

class Crc32cBackendTest : public ::testing::TestWithParam<Crc32cBackend> {
 protected:
  std::uint32_t crc(const void* data, std::size_t n) const { return extend(0, data, n); }
  std::uint32_t extend(std::uint32_t c, const void* data, std::size_t n) const {
    return segpack::crc32c_extend_with(GetParam(), c, data, n);
  }
};

TEST_P(Crc32cBackendTest, IsAvailable) { EXPECT_TRUE(segpack::crc32c_backend_available(GetParam())); }

TEST_P(Crc32cBackendTest, CheckValue) {
  const char* s = "123456789";
  EXPECT_EQ(crc(s, 9), 0xE3069283u);
}

TEST_P(Crc32cBackendTest, EmptyInput) {
  EXPECT_EQ(crc(nullptr, 0), 0u);
  EXPECT_EQ(extend(0xDEADBEEFu, nullptr, 0), 0xDEADBEEFu);
}

// RFC 3720 (iSCSI), appendix B.4.
TEST_P(Crc32cBackendTest, Rfc3720Vectors) {
  std::uint8_t buf[32];
  std::memset(buf, 0x00, sizeof buf);
  EXPECT_EQ(crc(buf, 32), 0x8A9136AAu);
  std::memset(buf, 0xFF, sizeof buf);
  EXPECT_EQ(crc(buf, 32), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(crc(buf, 32), 0x46DD794Eu);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<std::uint8_t>(31 - i);
  EXPECT_EQ(crc(buf, 32), 0x113FDB5Cu);
}

// Every length up to past the kernels' block sizes, at every 8-byte misalignment.
TEST_P(Crc32cBackendTest, AllLengthsAndAlignmentsMatchReference) {
  constexpr std::size_t kMaxLen = 1100;
  const auto data = random_bytes(kMaxLen + 16, 1);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t len = 0; len <= kMaxLen; ++len) {
      const std::uint8_t* p = data.data() + offset;
      ASSERT_EQ(crc(p, len), reference_crc32c(0, p, len)) << "offset " << offset << " len " << len;
    }
  }
}

// Lengths around the SSE4.2 kernel's block geometry (three streams of a
// multiple of 64 bytes, at most 16 KiB each: 192 B and 48 KiB blocks) and
// multiples of them, at a few misalignments, from a non-zero start.
TEST_P(Crc32cBackendTest, BlockBoundariesMatchReference) {
  const auto data = random_bytes(2 * 49152 + 256, 2);
  std::vector<std::size_t> lengths;
  for (std::size_t block : {192u, 1536u, 4096u, 49152u})
    for (std::size_t mult = 1; mult <= 2; ++mult)
      for (std::ptrdiff_t d = -9; d <= 9; ++d) lengths.push_back(block * mult + static_cast<std::size_t>(d));
  lengths.push_back(49152 + 192);
  lengths.push_back(49152 + 191);
  for (std::size_t offset : {0u, 1u, 5u})
    for (std::size_t len : lengths) {
      ASSERT_LE(offset + len, data.size());
      const std::uint8_t* p = data.data() + offset;
      ASSERT_EQ(extend(0x12345678u, p, len), reference_crc32c(0x12345678u, p, len))
          << "offset " << offset << " len " << len;
    }
}

TEST_P(Crc32cBackendTest, ExtendEqualsWhole) {
  const auto data = random_bytes(5000, 3);
  const std::uint32_t whole = crc(data.data(), data.size());
  ASSERT_EQ(whole, reference_crc32c(0, data.data(), data.size()));
  for (std::size_t split = 0; split <= data.size(); split += (split < 300 ? 1 : 97)) {
    const std::uint32_t head = crc(data.data(), split);
    EXPECT_EQ(extend(head, data.data() + split, data.size() - split), whole) << "split " << split;
  }
  // The default entry point composes the same way.
  const std::uint32_t head = segpack::crc32c(data.data(), 1234);
  EXPECT_EQ(segpack::crc32c_extend(head, data.data() + 1234, data.size() - 1234), whole);
}

TEST_P(Crc32cBackendTest, LargeBufferMatchesPortable) {
  const std::size_t n = (std::size_t{64} << 20) + 13;
  const auto data = random_bytes(n + 3, 4);
  for (std::size_t offset : {0u, 3u}) {
    const std::uint8_t* p = data.data() + offset;
    const std::uint32_t expected = segpack::crc32c_extend_with(Crc32cBackend::portable, 0, p, n);
    EXPECT_EQ(crc(p, n), expected) << "offset " << offset;
  }
}

TEST_P(Crc32cBackendTest, DetectsSingleBitFlip) {
  auto data = random_bytes(4096, 5);
  const std::uint32_t before = crc(data.data(), data.size());
  data[1777] ^= 0x10;
  EXPECT_NE(crc(data.data(), data.size()), before);
}

std::string backend_name(const ::testing::TestParamInfo<Crc32cBackend>& info) {
  return std::string(segpack::crc32c_backend_name(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllBackends, Crc32cBackendTest, ::testing::ValuesIn(segpack::crc32c_available_backends()),
                         backend_name);

TEST(Crc32cDispatch, ActiveBackendIsAvailable) {
  EXPECT_TRUE(segpack::crc32c_backend_available(segpack::crc32c_active_backend()));
}

TEST(Crc32cDispatch, AvailableBackendsStartWithPortable) {
  const auto all = segpack::crc32c_available_backends();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front(), Crc32cBackend::portable);
  EXPECT_NE(std::find(all.begin(), all.end(), segpack::crc32c_active_backend()), all.end());
}

TEST(Crc32cDispatch, BackendNames) {
  EXPECT_EQ(segpack::crc32c_backend_name(Crc32cBackend::portable), "portable");
  EXPECT_EQ(segpack::crc32c_backend_name(Crc32cBackend::sse42), "sse42");
  EXPECT_EQ(segpack::crc32c_backend_name(Crc32cBackend::arm64), "arm64");
  EXPECT_EQ(segpack::crc32c_backend_name(Crc32cBackend::isal), "isal");
}

TEST(Crc32cDispatch, DefaultEntryPointsAgree) {
  const std::string s = "123456789";
  EXPECT_EQ(segpack::crc32c(s.data(), s.size()), 0xE3069283u);
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  EXPECT_EQ(segpack::crc32c(bytes), 0xE3069283u);
}

#if defined(__x86_64__) || defined(__i386__)
// On an x86 CPU with SSE4.2 the hardware kernel must be compiled in and detected.
TEST(Crc32cDispatch, Sse42DetectedOnCapableCpu) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("sse4.2") || !__builtin_cpu_supports("pclmul")) GTEST_SKIP() << "no SSE4.2/PCLMUL";
  EXPECT_TRUE(segpack::crc32c_backend_available(Crc32cBackend::sse42));
  EXPECT_NE(segpack::crc32c_active_backend(), Crc32cBackend::portable);
}
#endif

}  // namespace
