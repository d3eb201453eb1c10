// The object container over a RangeSource (ContainerReader::open_source): how
// many source calls an open and a load cost, contents equal to a local open,
// copied buffers checked, and malformed or short sources.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "segpack/container.h"
#include "segpack/crc32c.h"
#include "test_util.h"

namespace segpack {
namespace {

using testing::bytes_of;
using testing::CountingSource;
using testing::random_bytes;

bool same(ByteSpan a, ByteSpan b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

std::vector<std::uint8_t> compressible(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>((i / 5) % 11);
  return v;
}

struct File {
  std::vector<std::vector<std::uint8_t>> data;
  std::vector<std::uint8_t> bytes;
};

// Five buffers (about 200 KB): even ones with `codec`, odd ones raw.
File make_file(Codec codec, std::size_t payload_size = 100) {
  File f;
  f.data = {compressible(50000), random_bytes(70000, 1), {}, bytes_of("small"), random_bytes(60000, 2)};
  auto w = ContainerWriter::make();
  EXPECT_TRUE(w.ok());
  for (std::size_t i = 0; i < f.data.size(); ++i) {
    ContainerBufferOptions o;
    o.codec = i % 2 == 0 ? codec : Codec::none;
    const std::string meta = "buffer " + std::to_string(i);
    o.metadata = ByteSpan(reinterpret_cast<const std::uint8_t*>(meta.data()), meta.size());
    EXPECT_TRUE(w->add_buffer(ByteSpan(f.data[i]), o).ok());
  }
  w->set_payload(Buffer::from_vector(random_bytes(payload_size, 3)));
  f.bytes = std::move(w->to_bytes()).value();
  return f;
}

/// A source that does not know its size.
class NoSizeSource final : public RangeSource {
 public:
  explicit NoSizeSource(Buffer b) : inner_(std::move(b)) {}
  Result<Buffer> read(std::uint64_t offset, std::uint64_t length) override { return inner_.read(offset, length); }
  Result<Buffer> read_to_end(std::uint64_t offset) override { return inner_.read_to_end(offset); }

 private:
  BufferSource inner_;
};

ContainerReadOptions with_first_read(std::uint64_t n) {
  ContainerReadOptions o;
  o.first_read = n;
  return o;
}

TEST(ContainerSource, OpenCostsOneReadAndAtMostOneBatch) {
  const File f = make_file(Codec::zstd);
  // The default first read (64 KiB) holds the header and payload, not the table at the end.
  auto src = std::make_shared<CountingSource>(Buffer::copy_of(ByteSpan(f.bytes)));
  auto r = ContainerReader::open_source(src);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(src->reads(), 1u);
  EXPECT_EQ(src->batches(), 1u);
  EXPECT_EQ(src->batch_ranges(), 1u);  // the table only
  EXPECT_EQ(r->file_size(), f.bytes.size());
  EXPECT_TRUE(r->file().empty());
  EXPECT_EQ(r->source(), src);
  // A first read that covers the whole file: nothing else.
  auto all = std::make_shared<CountingSource>(Buffer::copy_of(ByteSpan(f.bytes)));
  ASSERT_TRUE(ContainerReader::open_source(all, with_first_read(1 << 20)).ok());
  EXPECT_EQ(all->reads(), 1u);
  EXPECT_EQ(all->batches(), 0u);
  // A first read shorter than the payload: the rest of it and the table in one batch.
  const File big = make_file(Codec::none, 100000);
  auto two = std::make_shared<CountingSource>(Buffer::copy_of(ByteSpan(big.bytes)));
  ASSERT_TRUE(ContainerReader::open_source(two, with_first_read(1000)).ok());
  EXPECT_EQ(two->reads(), 1u);
  EXPECT_EQ(two->batches(), 1u);
  EXPECT_EQ(two->batch_ranges(), 2u);
}

TEST(ContainerSource, LoadIsOneBatchAndEqualsALocalOpen) {
  for (Codec c : kAllCodecs) {
    SCOPED_TRACE(std::string(codec_name(c)));
    const File f = make_file(c);
    auto local = ContainerReader::open(Buffer::copy_of(ByteSpan(f.bytes)));
    ASSERT_TRUE(local.ok());
    auto src = std::make_shared<CountingSource>(Buffer::copy_of(ByteSpan(f.bytes)), 4096);
    auto r = ContainerReader::open_source(src);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const std::uint64_t batches = src->batches();
    auto bufs = r->buffers();
    ASSERT_TRUE(bufs.ok()) << bufs.status().to_string();
    EXPECT_EQ(src->batches(), batches + 1);
    EXPECT_EQ(src->reads(), 1u);
    ASSERT_EQ(bufs->size(), f.data.size());
    EXPECT_TRUE(same(r->payload().span(), local->payload().span()));
    for (std::size_t i = 0; i < f.data.size(); ++i) {
      EXPECT_TRUE(same((*bufs)[i].span(), f.data[i])) << i;
      EXPECT_TRUE(same(r->metadata(i), local->metadata(i))) << i;
      EXPECT_EQ(r->info(i).offset, local->info(i).offset);
      EXPECT_TRUE((*bufs)[i].writable()) << i;  // new memory, never the source's
    }
    // Uncompressed buffers keep their alignment (up to a page) in the new memory.
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>((*bufs)[1].data()) % 4096, 0u);
    std::vector<std::size_t> some{4, 1, 4};
    auto picked = r->buffers(some);
    ASSERT_TRUE(picked.ok());
    EXPECT_TRUE(same((*picked)[0].span(), f.data[4]));
    EXPECT_TRUE(same((*picked)[1].span(), f.data[1]));
    EXPECT_TRUE(same((*picked)[2].span(), f.data[4]));
    EXPECT_TRUE(r->verify().ok());
    EXPECT_TRUE(r->find(bytes_of("buffer 3")) == std::optional<std::size_t>(3));
  }
}

TEST(ContainerSource, WithoutCopyBuffersAreCheckedViewsOfTheBytesRead) {
  const File f = make_file(Codec::zstd);
  Buffer file = Buffer::copy_of(ByteSpan(f.bytes));
  ContainerReadOptions o;
  o.copy_fetched = false;
  auto r = ContainerReader::open_source(std::make_shared<BufferSource>(file), o);
  ASSERT_TRUE(r.ok());
  auto bufs = r->buffers();
  ASSERT_TRUE(bufs.ok());
  EXPECT_EQ((*bufs)[1].data(), file.data() + r->info(1).offset);  // a view: no copy
  EXPECT_TRUE(same((*bufs)[1].span(), f.data[1]));
  EXPECT_TRUE(same((*bufs)[0].span(), f.data[0]));  // compressed: decoded
  // ... and still checked: a flipped byte in a raw buffer is a data_loss naming it.
  std::vector<std::uint8_t> bad = f.bytes;
  bad[r->info(3).offset] ^= 1;
  auto rb = ContainerReader::open_source(std::make_shared<BufferSource>(Buffer::from_vector(std::move(bad))), o);
  ASSERT_TRUE(rb.ok());
  auto fail = rb->buffers();
  ASSERT_FALSE(fail.ok());
  EXPECT_EQ(fail.status().code(), ErrorCode::data_loss);
  EXPECT_NE(fail.status().message().find("buffer 3"), std::string::npos);
}

TEST(ContainerSource, BuffersOutliveTheReaderAndSource) {
  const File f = make_file(Codec::gzip);
  Buffer b1, b0;
  {
    auto r = ContainerReader::open_source(std::make_shared<BufferSource>(Buffer::copy_of(ByteSpan(f.bytes))));
    ASSERT_TRUE(r.ok());
    auto bufs = r->buffers();
    ASSERT_TRUE(bufs.ok());
    b0 = (*bufs)[0];
    b1 = (*bufs)[1];
  }
  EXPECT_TRUE(same(b0.span(), f.data[0]));
  EXPECT_TRUE(same(b1.span(), f.data[1]));
}

TEST(ContainerSource, ASourceWithoutSizeIsReadAsLongAsTheHeaderSays) {
  const File f = make_file(Codec::zstd);
  auto r = ContainerReader::open_source(std::make_shared<NoSizeSource>(Buffer::copy_of(ByteSpan(f.bytes))));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto bufs = r->buffers();
  ASSERT_TRUE(bufs.ok());
  EXPECT_TRUE(same((*bufs)[4].span(), f.data[4]));
  // Truncated: the table lies past what the source has.
  std::vector<std::uint8_t> cut(f.bytes.begin(), f.bytes.end() - 10);
  auto bad = ContainerReader::open_source(std::make_shared<NoSizeSource>(Buffer::from_vector(std::move(cut))));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::out_of_range);
}

// ---- malformed sources: one test per class

TEST(ContainerSourceMalformed, NullSource) {
  auto r = ContainerReader::open_source(nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
}

TEST(ContainerSourceMalformed, ShorterThanAHeader) {
  auto r = ContainerReader::open_source(std::make_shared<BufferSource>(Buffer::from_vector(random_bytes(40, 4))));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::out_of_range);
  EXPECT_EQ(r.status().category(), ErrorCategory::format);
}

TEST(ContainerSourceMalformed, EveryTruncationFailsAsALocalOpenDoes) {
  const File f = make_file(Codec::zstd);
  for (std::size_t n = 0; n < f.bytes.size(); n += n < 200 ? 1 : 997) {
    SCOPED_TRACE(n);
    const ByteSpan cut(f.bytes.data(), n);
    auto local = ContainerReader::open(Buffer::copy_of(cut));
    auto remote = ContainerReader::open_source(std::make_shared<BufferSource>(Buffer::copy_of(cut)));
    ASSERT_FALSE(local.ok());
    ASSERT_FALSE(remote.ok());
    EXPECT_EQ(remote.status().code(), local.status().code());
  }
}

TEST(ContainerSourceMalformed, EveryCorruptMetadataByteFailsAsALocalOpenDoes) {
  const File f = make_file(Codec::none);
  auto good = ContainerReader::open(Buffer::copy_of(ByteSpan(f.bytes)));
  ASSERT_TRUE(good.ok());
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < kContainerHeaderSize + 100; ++i) where.push_back(i);                  // header, payload
  for (std::uint64_t i = good->header().table_offset; i < f.bytes.size(); ++i) where.push_back(i);  // table
  for (std::size_t i : where) {
    std::vector<std::uint8_t> bad = f.bytes;
    bad[i] ^= 0x41;
    auto local = ContainerReader::open(Buffer::copy_of(ByteSpan(bad)));
    auto remote = ContainerReader::open_source(std::make_shared<BufferSource>(Buffer::copy_of(ByteSpan(bad))));
    ASSERT_EQ(local.ok(), remote.ok()) << i;
    if (!local.ok()) EXPECT_EQ(remote.status().code(), local.status().code()) << i;
  }
}

TEST(ContainerSourceMalformed, CorruptBufferBytesAreCaughtByTheCopy) {
  const File f = make_file(Codec::zstd);
  auto good = ContainerReader::open(Buffer::copy_of(ByteSpan(f.bytes)));
  ASSERT_TRUE(good.ok());
  for (std::size_t i : {std::size_t{1}, std::size_t{0}}) {  // raw (copied), compressed (decoded)
    SCOPED_TRACE(i);
    std::vector<std::uint8_t> bad = f.bytes;
    bad[good->info(i).offset + good->info(i).stored_length / 2] ^= 0x10;
    auto r = ContainerReader::open_source(std::make_shared<BufferSource>(Buffer::from_vector(std::move(bad))));
    ASSERT_TRUE(r.ok());  // the table is fine
    auto bufs = r->buffers();
    ASSERT_FALSE(bufs.ok());
    if (i == 1) {
      EXPECT_EQ(bufs.status().code(), ErrorCode::data_loss);
      EXPECT_NE(bufs.status().message().find("buffer 1"), std::string::npos) << bufs.status().to_string();
    }
    EXPECT_FALSE(r->verify().ok());
    EXPECT_FALSE(r->verify_buffer(i).ok());
    EXPECT_TRUE(r->verify_buffer(3).ok());
  }
}

TEST(ContainerSourceMalformed, ShortBatchAnswersAreErrors) {
  const File f = make_file(Codec::none);
  auto src = std::make_shared<CountingSource>(Buffer::copy_of(ByteSpan(f.bytes)));
  src->short_by = 3;
  auto r = ContainerReader::open_source(src);  // the table comes in a (short) batch
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::out_of_range);
  src->short_by = 0;
  auto ok = ContainerReader::open_source(src);
  ASSERT_TRUE(ok.ok());
  src->short_by = 3;
  auto bufs = ok->buffers();
  ASSERT_FALSE(bufs.ok());
  EXPECT_EQ(bufs.status().code(), ErrorCode::out_of_range);
}

}  // namespace
}  // namespace segpack
