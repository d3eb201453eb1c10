// One named test per class of bad container input. Each must end in a clean
// error with the documented code and ErrorCategory::format (decoder errors:
// decode): never a crash, a hang or an allocation sized by the file.
#include <gtest/gtest.h>

#include <cstring>

#include "segpack/container.h"
#include "segpack/crc32c.h"
#include "segpack/internal/bytes.h"
#include "test_util.h"

namespace segpack {
namespace {

using internal::load_le;
using internal::store_le;
using testing::bytes_of;

// Field offsets of the header (docs/format/container.md).
constexpr std::size_t kVersion = 8, kFlags = 10, kCount = 12, kFileLen = 16, kPayloadOff = 24, kPayloadLen = 32,
                      kTableOff = 40, kTableLen = 48;

std::vector<std::uint8_t> sample(Codec codec = Codec::none) {
  auto w = ContainerWriter::make();
  const auto a = bytes_of("alpha alpha alpha alpha");
  const auto b = bytes_of("beta");
  const auto c = bytes_of("gamma gamma gamma");
  const auto meta = bytes_of("meta");
  ContainerBufferOptions o;
  o.codec = codec;
  o.metadata = meta;  // borrowed until add_buffer copies it
  (void)w->add_buffer(Buffer::copy_of(a), o);
  (void)w->add_buffer(Buffer::copy_of(b), o);
  (void)w->add_buffer(Buffer::copy_of(c), o);
  w->set_payload(Buffer::copy_of(bytes_of("payload!")));
  return *w->to_bytes();
}

std::uint64_t u64(const std::vector<std::uint8_t>& f, std::size_t at) { return load_le<std::uint64_t>(f.data() + at); }

// Recomputes the header crc after an edit (so the edit, not the crc, is what is tested).
void fix_header(std::vector<std::uint8_t>& f) { store_le<std::uint32_t>(f.data() + 60, crc32c(f.data(), 60)); }

// Recomputes the table crc after an edit of the table.
void fix_table(std::vector<std::uint8_t>& f) {
  const std::size_t off = u64(f, kTableOff), len = u64(f, kTableLen);
  store_le<std::uint32_t>(f.data() + off + len - 4, crc32c(f.data() + off, len - 4));
}

std::uint8_t* entry(std::vector<std::uint8_t>& f, std::size_t i) {
  return f.data() + u64(f, kTableOff) + i * kContainerEntrySize;
}

Status open(const std::vector<std::uint8_t>& f) { return ContainerReader::open(Buffer::copy_of(f)).status(); }

// Opens, reads every buffer and verifies; the first error.
Status read_all(const std::vector<std::uint8_t>& f) {
  auto r = ContainerReader::open(Buffer::copy_of(f));
  if (!r.ok()) return r.status();
  auto all = r->buffers();
  if (!all.ok()) return all.status();
  return r->verify();
}

void expect(const Status& st, ErrorCode code, const char* needle = nullptr, ErrorCategory cat = ErrorCategory::format) {
  EXPECT_EQ(st.code(), code) << st.to_string();
  EXPECT_EQ(st.category(), cat) << st.to_string();
  if (needle) EXPECT_NE(st.message().find(needle), std::string::npos) << st.to_string();
}

TEST(ContainerMalformed, SampleIsValid) { EXPECT_TRUE(read_all(sample()).ok()); }

TEST(ContainerMalformed, TruncatedFile) {
  const auto f = sample();
  for (std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{40}, std::size_t{64}, f.size() / 2, f.size() - 1}) {
    SCOPED_TRACE(n);
    const std::vector<std::uint8_t> cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
    expect(open(cut), ErrorCode::out_of_range, "truncated");
  }
}

TEST(ContainerMalformed, TrailingBytes) {
  auto f = sample();
  f.push_back(0);
  expect(open(f), ErrorCode::corrupt, "trailing");
}

TEST(ContainerMalformed, WrongMagic) {
  auto f = sample();
  f[1] = 'X';
  expect(open(f), ErrorCode::corrupt, "magic");
}

TEST(ContainerMalformed, WrongVersion) {
  auto f = sample();
  store_le<std::uint16_t>(f.data() + kVersion, 2);
  fix_header(f);
  expect(open(f), ErrorCode::unsupported, "version 2");
}

TEST(ContainerMalformed, UnknownRequiredFlag) {
  auto f = sample();
  store_le<std::uint16_t>(f.data() + kFlags, 0x0001);
  fix_header(f);
  expect(open(f), ErrorCode::unsupported, "flags");
  store_le<std::uint16_t>(f.data() + kFlags, 0x0100);  // an optional hint: ignored
  fix_header(f);
  EXPECT_TRUE(read_all(f).ok());
}

TEST(ContainerMalformed, CorruptHeaderCrc) {
  auto f = sample();
  f[kTableOff] ^= 0x10;  // not fixed
  expect(open(f), ErrorCode::data_loss, "header crc32c");
}

TEST(ContainerMalformed, CorruptTableCrc) {
  auto f = sample();
  entry(f, 1)[0] ^= 0x01;  // offset of buffer 1, crc not fixed
  expect(open(f), ErrorCode::data_loss, "table crc32c");
}

TEST(ContainerMalformed, TableOutOfBounds) {
  auto f = sample();
  store_le<std::uint64_t>(f.data() + kTableLen, u64(f, kTableLen) + 1);
  fix_header(f);
  expect(open(f), ErrorCode::out_of_range, "buffer table");
}

TEST(ContainerMalformed, TableTooSmallForCount) {
  auto f = sample();
  store_le<std::uint32_t>(f.data() + kCount, 0xFFFFFFFF);  // must not allocate 4G entries
  fix_header(f);
  expect(open(f), ErrorCode::out_of_range, "cannot hold");
}

TEST(ContainerMalformed, MetadataLengthsDoNotAddUp) {
  auto f = sample();
  store_le<std::uint32_t>(entry(f, 0) + 28, 5);  // 5 + 4 + 4 > 12
  fix_table(f);
  expect(open(f), ErrorCode::out_of_range, "metadata");
  f = sample();
  store_le<std::uint32_t>(entry(f, 0) + 28, 3);  // 3 + 4 + 4 < 12
  fix_table(f);
  expect(open(f), ErrorCode::corrupt, "metadata");
}

TEST(ContainerMalformed, BufferOutOfBounds) {
  auto f = sample();
  store_le<std::uint64_t>(entry(f, 2) + 8, u64(f, kTableOff));  // runs into the table
  store_le<std::uint64_t>(entry(f, 2) + 16, u64(f, kTableOff));
  fix_table(f);
  expect(open(f), ErrorCode::out_of_range, "buffer 2");
}

TEST(ContainerMalformed, OverlappingBuffers) {
  auto f = sample();
  store_le<std::uint64_t>(entry(f, 1) + 0, load_le<std::uint64_t>(entry(f, 0)));  // same place as buffer 0
  fix_table(f);
  expect(open(f), ErrorCode::corrupt, "overlaps buffer 0");
  f = sample();
  store_le<std::uint64_t>(entry(f, 0) + 0, u64(f, kPayloadOff));  // onto the payload
  store_le<std::uint8_t>(entry(f, 0) + 33, 0);
  fix_table(f);
  expect(open(f), ErrorCode::corrupt, "overlaps the payload");
}

TEST(ContainerMalformed, SizeOverflow) {
  auto f = sample();
  // offset + length wraps around 2^64.
  store_le<std::uint64_t>(entry(f, 1) + 8, ~std::uint64_t{0} - 100);
  store_le<std::uint64_t>(entry(f, 1) + 16, ~std::uint64_t{0} - 100);
  fix_table(f);
  expect(open(f), ErrorCode::out_of_range, "buffer 1");
  f = sample();
  store_le<std::uint64_t>(f.data() + kTableOff, ~std::uint64_t{0} - 2);
  fix_header(f);
  expect(open(f), ErrorCode::out_of_range, "buffer table");
  f = sample();
  store_le<std::uint64_t>(f.data() + kPayloadLen, ~std::uint64_t{0});
  fix_header(f);
  expect(open(f), ErrorCode::out_of_range, "payload");
}

TEST(ContainerMalformed, MisalignedBuffer) {
  auto f = sample();
  store_le<std::uint64_t>(entry(f, 1), load_le<std::uint64_t>(entry(f, 1)) + 1);
  fix_table(f);
  expect(open(f), ErrorCode::corrupt, "not aligned");
  f = sample();
  entry(f, 1)[33] = 31;
  fix_table(f);
  expect(open(f), ErrorCode::corrupt, "alignment");
}

TEST(ContainerMalformed, UnknownCodec) {
  auto f = sample();
  entry(f, 0)[32] = 9;
  fix_table(f);
  expect(open(f), ErrorCode::unsupported, "codec");
}

TEST(ContainerMalformed, RawLengthDisagrees) {
  auto f = sample();
  store_le<std::uint64_t>(entry(f, 0) + 16, 1);  // uncompressed: stored != raw
  fix_table(f);
  expect(open(f), ErrorCode::corrupt, "uncompressed");
  f = sample(Codec::zstd);
  store_le<std::uint64_t>(entry(f, 0) + 16, 7);  // compressed: decodes to another size
  fix_table(f);
  EXPECT_TRUE(open(f).ok());  // only decoding finds it
  const Status st = read_all(f);
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << st.to_string();
  EXPECT_NE(st.message().find("buffer 0"), std::string::npos) << st.to_string();
}

TEST(ContainerMalformed, CrcMismatchOnABuffer) {
  auto f = sample();
  f[load_le<std::uint64_t>(entry(f, 2))] ^= 0x20;
  EXPECT_TRUE(open(f).ok());  // lazy: views are not read at open
  expect(read_all(f), ErrorCode::data_loss, "buffer 2");
  // Compressed buffers are always checked when decoded: a wrong table crc.
  f = sample(Codec::zstd);
  store_le<std::uint32_t>(entry(f, 1) + 24, 0xDEADBEEF);
  fix_table(f);
  auto r = ContainerReader::open(Buffer::copy_of(f));
  ASSERT_TRUE(r.ok());
  expect(r->buffer(1).status(), ErrorCode::data_loss, "buffer 1");
}

TEST(ContainerMalformed, CorruptCompressedStream) {
  auto f = sample(Codec::zstd);
  const std::uint64_t at = load_le<std::uint64_t>(entry(f, 0));
  f[at] ^= 0xFF;  // the zstd magic
  auto r = ContainerReader::open(Buffer::copy_of(f));
  ASSERT_TRUE(r.ok());
  const Status st = r->buffer(0).status();
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << st.to_string();
  EXPECT_EQ(st.category(), ErrorCategory::decode);
  EXPECT_NE(st.message().find("buffer 0"), std::string::npos) << st.to_string();
}

TEST(ContainerMalformed, PayloadOutOfBounds) {
  auto f = sample();
  store_le<std::uint64_t>(f.data() + kPayloadLen, f.size());
  fix_header(f);
  expect(open(f), ErrorCode::out_of_range, "payload");
  f = sample();
  store_le<std::uint64_t>(f.data() + kPayloadOff, 8);  // inside the header
  fix_header(f);
  expect(open(f), ErrorCode::corrupt, "header");
  f = sample();
  store_le<std::uint64_t>(f.data() + kPayloadLen, u64(f, kTableOff));  // into the table
  fix_header(f);
  expect(open(f), ErrorCode::corrupt, "overlaps the payload");
}

TEST(ContainerMalformed, PayloadCrcMismatch) {
  auto f = sample();
  f[u64(f, kPayloadOff)] ^= 1;
  expect(open(f), ErrorCode::data_loss, "payload");
  ContainerReadOptions o;
  o.check_payload_crc = false;
  auto r = ContainerReader::open(Buffer::copy_of(f), o);
  ASSERT_TRUE(r.ok());
  expect(r->verify(), ErrorCode::data_loss, "payload");
}

TEST(ContainerMalformed, HugeRawLengthAllocatesNothingUpFront) {
  // 2^50 bytes claimed for a 20-byte zstd stream: far beyond what the stream
  // could expand to, so no allocation follows the claim; decoding finds the
  // real size and reports the difference.
  auto f = sample(Codec::zstd);
  store_le<std::uint64_t>(entry(f, 0) + 16, std::uint64_t{1} << 50);
  fix_table(f);
  auto r = ContainerReader::open(Buffer::copy_of(f));
  ASSERT_TRUE(r.ok());
  const Status st = r->buffer(0).status();
  EXPECT_EQ(st.code(), ErrorCode::corrupt) << st.to_string();
  EXPECT_NE(st.message().find("buffer 0"), std::string::npos) << st.to_string();
  EXPECT_EQ(r->verify().code(), ErrorCode::corrupt);
}

TEST(ContainerMalformed, DecompressionLimit) {
  auto f = sample(Codec::zstd);
  ContainerReadOptions o;
  o.limits.max_item_size = 8;
  auto r = ContainerReader::open(Buffer::copy_of(f), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->buffer(0).status().code(), ErrorCode::resource_exhausted);
}

}  // namespace
}  // namespace segpack
