// One named test per class of bad input to decompress_batch. Each must end in
// a clean, typed error that names the item ("error decompressing item N"):
// never a crash, never an allocation sized by a claim in the input.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "segpack/batch.h"
#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define SEGPACK_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SEGPACK_TEST_ASAN 1
#endif
#endif

namespace segpack {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::bytes_of;

constexpr Codec kRealCodecs[] = {Codec::gzip, Codec::brotli, Codec::zstd, Codec::lzma};

Bytes text(std::size_t n, std::uint32_t seed = 11) {
  Bytes out(n);
  std::mt19937 rng(seed);
  for (auto& b : out) b = static_cast<std::uint8_t>("abcdefgh\n "[rng() % 10]);
  return out;
}

Bytes packed(Codec c, const Bytes& in) {
  auto r = compress(c, ByteSpan(in));
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : Bytes{};
}

bool names(const Status& st, const std::string& what) { return st.message().find(what) != std::string::npos; }

// Runs a batch of good frames with `bad` at position `at`, on 1 and 2
// threads; every run must fail with `code`, naming item `at`.
void expect_item_fails(Codec c, const Bytes& bad, std::size_t at, ErrorCode code,
                       std::uint64_t max_output = kDefaultBatchMaxOutput, std::span<const std::uint64_t> sizes = {}) {
  std::vector<Bytes> owned;
  for (std::size_t i = 0; i < at + 3; ++i) owned.push_back(i == at ? bad : packed(c, text(800 + i, i)));
  std::vector<ByteSpan> frames(owned.begin(), owned.end());
  for (std::size_t threads : {1u, 2u}) {
    BatchOptions o;
    o.parallel.threads = threads;
    o.parallel.inline_below_bytes = 0;
    o.limits.max_output_size = max_output;
    auto d = decompress_batch(frames, c, sizes, o);
    ASSERT_FALSE(d.ok()) << codec_name(c) << " threads " << threads;
    EXPECT_EQ(d.status().code(), code) << codec_name(c) << ": " << d.status().to_string();
    EXPECT_TRUE(names(d.status(), "error decompressing item " + std::to_string(at) + ":"))
        << codec_name(c) << ": " << d.status().message();
  }
}

// A zstd frame of 22 bytes that declares 1 GiB of content but holds three
// 1 KiB RLE blocks (window 1 KiB, 4-byte content size field).
Bytes zstd_frame_claiming_1gib() {
  Bytes f = {0x28, 0xB5, 0x2F, 0xFD, 0x80, 0x00, 0x00, 0x00, 0x00, 0x40};
  for (int i = 0; i < 3; ++i) {
    const std::uint32_t hdr = (1024u << 3) | (1u << 1) | (i == 2 ? 1u : 0u);  // RLE block of 1024
    f.push_back(hdr & 0xFF);
    f.push_back((hdr >> 8) & 0xFF);
    f.push_back((hdr >> 16) & 0xFF);
    f.push_back('x');
  }
  return f;
}

// ------------------------------------------------------------ stream damage

TEST(BatchMalformed, EmptyFrame) {
  for (Codec c : kRealCodecs) expect_item_fails(c, {}, 1, ErrorCode::corrupt);
}

TEST(BatchMalformed, NotACompressedStream) {
  for (Codec c : kRealCodecs) expect_item_fails(c, bytes_of("plain text, no magic at all"), 2, ErrorCode::corrupt);
}

TEST(BatchMalformed, TruncatedFrame) {
  for (Codec c : kRealCodecs) {
    const Bytes full = packed(c, text(20000));
    for (std::size_t keep : {std::size_t{1}, std::size_t{6}, full.size() / 2, full.size() - 1}) {
      expect_item_fails(c, Bytes(full.begin(), full.begin() + keep), 1, ErrorCode::corrupt);
    }
  }
}

TEST(BatchMalformed, TrailingGarbage) {
  for (Codec c : kRealCodecs) {
    Bytes bad = packed(c, text(3000));
    const Bytes tail = bytes_of("GARBAGE!");
    bad.insert(bad.end(), tail.begin(), tail.end());
    expect_item_fails(c, bad, 0, ErrorCode::corrupt);
  }
}

// gzip and xz carry a checksum of the content; segpack's zstd frames and
// brotli streams do not, so damaged literals there may decode to wrong bytes.
TEST(BatchMalformed, FlippedBytesFailTheChecksum) {
  for (Codec c : {Codec::gzip, Codec::lzma}) {
    Bytes bad = packed(c, text(30000, 3));
    for (std::size_t i = bad.size() / 3; i < bad.size() / 3 + 16; ++i) bad[i] ^= 0xA5;
    expect_item_fails(c, bad, 3, ErrorCode::corrupt);
  }
}

// ------------------------------------------------------------ lying sizes

// python-zstandard allocates the 1 GiB a 23-byte frame claims before failing.
TEST(BatchMalformed, ZstdFrameClaiming1GiB) {
  const Bytes lie = zstd_frame_claiming_1gib();
  ASSERT_LT(lie.size(), 32u);
  ASSERT_EQ(ZSTD_getFrameContentSize(lie.data(), lie.size()), std::uint64_t{1} << 30);
  // A budget above the claim (2 GiB): the claim is implausible for 22 bytes,
  // so the item is decoded with growth and zstd notices the size mismatch.
  expect_item_fails(Codec::zstd, lie, 1, ErrorCode::corrupt, std::uint64_t{2} << 30);
  // The default budget (1 GiB) minus the other items is below the claim, and
  // so is 1 MiB: refused from the header, without decoding.
  expect_item_fails(Codec::zstd, lie, 1, ErrorCode::resource_exhausted);
  expect_item_fails(Codec::zstd, lie, 1, ErrorCode::resource_exhausted, 1 << 20);
}

bool cap_address_space(std::size_t extra) {
  std::ifstream statm("/proc/self/statm");
  unsigned long pages = 0;
  if (!(statm >> pages)) return false;
  rlimit rl{};
  if (getrlimit(RLIMIT_AS, &rl) != 0) return false;
  rl.rlim_cur = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + extra;
  return setrlimit(RLIMIT_AS, &rl) == 0;
}

// The body of the child process below: 0 when every run fails cleanly.
int decode_lie_with_capped_memory() {
  if (!cap_address_space(std::size_t{256} << 20)) return 2;
#ifndef SEGPACK_TEST_ASAN
  // Control: the cap does stop a 1 GiB allocation.
  void* probe = std::malloc(std::size_t{1} << 30);
  if (probe != nullptr) return 3;
#endif
  const Bytes lie = zstd_frame_claiming_1gib();
  const Bytes good = packed(Codec::zstd, text(1000));
  const std::vector<ByteSpan> frames{good, lie, good};
  for (std::size_t threads : {1u, 2u}) {
    BatchOptions o;
    o.parallel.threads = threads;
    o.parallel.inline_below_bytes = 0;
    o.limits.max_output_size = std::uint64_t{4} << 30;
    auto d = decompress_batch(frames, Codec::zstd, {}, o);
    if (d.ok() || d.status().code() != ErrorCode::corrupt) return 4;
    if (!names(d.status(), "item 1")) return 5;
  }
  return 0;
}

// The same frame in a child process whose address space may grow by 256 MiB
// only, with a 4 GiB budget so that nothing but the decoder's growth rule
// stands between the claim and an allocation: a 1 GiB allocation would fail
// (or abort under ASan).
TEST(BatchMalformedDeathTest, ZstdFrameClaiming1GiBAllocatesLittle) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::_Exit(decode_lie_with_capped_memory()), ::testing::ExitedWithCode(0), "");
}

TEST(BatchMalformed, GzipIsizeClaims4GiB) {
  Bytes lie = packed(Codec::gzip, text(1000));
  for (std::size_t i = lie.size() - 4; i < lie.size(); ++i) lie[i] = 0xFF;
  expect_item_fails(Codec::gzip, lie, 1, ErrorCode::corrupt);
  // Items 0, 2, 3 (800, 802, 803 bytes) have trusted sizes; 500 bytes are left
  // for the lie, which really holds 1000.
  expect_item_fails(Codec::gzip, lie, 1, ErrorCode::resource_exhausted, 800 + 802 + 803 + 500);
}

TEST(BatchMalformed, GzipIsizeSmallerThanContent) {
  Bytes lie = packed(Codec::gzip, text(5000));
  lie[lie.size() - 4] = 10;
  lie[lie.size() - 3] = 0;
  expect_item_fails(Codec::gzip, lie, 2, ErrorCode::corrupt);
}

TEST(BatchMalformed, ZstdWindowTooLarge) {
  // No content size, window 2 GiB (exponent 31), then an empty last raw block.
  const Bytes f = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xA8, 0x01, 0x00, 0x00};
  expect_item_fails(Codec::zstd, f, 1, ErrorCode::resource_exhausted);
}

TEST(BatchMalformed, DecompressionBombOverBudget) {
  // A genuine frame: 64 MiB of zeros in a few KiB, under a 1 MiB budget.
  for (Codec c : kRealCodecs) {
    const Bytes bomb = packed(c, Bytes(std::size_t{64} << 20, 0));
    ASSERT_LT(bomb.size(), std::size_t{1} << 20) << codec_name(c);
    expect_item_fails(c, bomb, 1, ErrorCode::resource_exhausted, 1 << 20);
  }
}

// ------------------------------------------------------------ caller-given sizes

TEST(BatchMalformed, GivenSizeTooSmall) {
  for (Codec c : kAllCodecs) {
    const Bytes item = text(5000, 7);
    std::vector<std::uint64_t> sizes{800, 801, 4999, 803, 804};
    expect_item_fails(c, packed(c, item), 2, ErrorCode::corrupt, kDefaultBatchMaxOutput, sizes);
  }
}

TEST(BatchMalformed, GivenSizeTooLarge) {
  for (Codec c : kAllCodecs) {
    const Bytes item = text(5000, 7);
    std::vector<std::uint64_t> sizes{800, 801, 5001, 803, 804};
    expect_item_fails(c, packed(c, item), 2, ErrorCode::corrupt, kDefaultBatchMaxOutput, sizes);
  }
}

TEST(BatchMalformed, GivenSizeOverBudget) {
  for (Codec c : kAllCodecs) {
    std::vector<std::uint64_t> sizes{800, std::uint64_t{1} << 50, 802, 803};
    expect_item_fails(c, packed(c, text(801)), 1, ErrorCode::resource_exhausted, kDefaultBatchMaxOutput, sizes);
  }
}

TEST(BatchMalformed, SizesOfTheWrongLength) {
  const Bytes f = packed(Codec::zstd, text(10));
  const std::vector<ByteSpan> frames{f, f};
  const std::vector<std::uint64_t> sizes{10, 10, 10};
  auto d = decompress_batch(frames, Codec::zstd, sizes);
  EXPECT_EQ(d.status().code(), ErrorCode::invalid_argument) << d.status().to_string();
}

// A Codec value outside the enum (e.g. cast from a file byte): a clean
// invalid_argument like Decompressor::make / Compressor::make, never an
// exception escaping the API.
TEST(BatchMalformed, UnknownCodecValue) {
  const Bytes f = bytes_of("abc");
  const std::vector<ByteSpan> frames{f};
  const Codec bogus = static_cast<Codec>(9);
  Result<BufferWithSegments> d = internal_error("not run");
  EXPECT_NO_THROW(d = decompress_batch(frames, bogus));
  EXPECT_EQ(d.status().code(), ErrorCode::invalid_argument) << d.status().to_string();
  Result<BufferWithSegments> c = internal_error("not run");
  EXPECT_NO_THROW(c = compress_batch(frames, bogus));
  EXPECT_EQ(c.status().code(), ErrorCode::invalid_argument) << c.status().to_string();
}

// ------------------------------------------------------------ error naming

// The error names the lowest failing item whichever way the items' sizes are
// learned: item 1 has a declared (trusted) size, item 3 has none, both are
// corrupt; item 1 must be named.
TEST(BatchMalformed, LowestFailingItemAcrossKnownAndUnknownSizes) {
  const Bytes good = packed(Codec::zstd, text(2000));
  Bytes known_bad = packed(Codec::zstd, text(4000, 5));  // declares 4000 bytes
  for (std::size_t i = 12; i < known_bad.size() - 4; ++i) known_bad[i] ^= 0x5A;
  const Bytes unknown_bad = {0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF};  // no size, bad block
  const std::vector<ByteSpan> frames{good, known_bad, good, unknown_bad, good};
  for (std::size_t threads : {1u, 2u}) {
    BatchOptions o;
    o.parallel.threads = threads;
    o.parallel.inline_below_bytes = 0;
    auto d = decompress_batch(frames, Codec::zstd, {}, o);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), ErrorCode::corrupt) << d.status().to_string();
    EXPECT_TRUE(names(d.status(), "error decompressing item 1:")) << d.status().message();
  }
}

// A lone skippable frame: the batch agrees with the single-shot decoder.
TEST(BatchMalformed, ZstdSkippableFrameOnly) {
  const Bytes skip = {0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 'a', 'b', 'c', 'd'};
  const auto one = decompress(Codec::zstd, skip);
  const std::vector<ByteSpan> frames{skip};
  const auto d = decompress_batch(frames, Codec::zstd);
  ASSERT_EQ(d.ok(), one.ok()) << d.status().to_string() << " vs " << one.status().to_string();
  if (one.ok()) {
    EXPECT_EQ(d->size(), 1u);
    EXPECT_EQ((*d)[0].size(), one->size());
  } else {
    EXPECT_EQ(d.status().code(), one.status().code());
  }
}

}  // namespace
}  // namespace segpack
