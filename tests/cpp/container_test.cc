// The object container: round trips, views, alignment, copy-on-write, atomic
// writes, >4 GiB offsets.
#include "segpack/container.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "segpack/crc32c.h"
#include "segpack/internal/bytes.h"
#include "test_util.h"

namespace segpack {
namespace {

using internal::store_le;
using testing::bytes_of;
using testing::random_bytes;
using testing::TempDir;

std::vector<std::uint8_t> compressible(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>((i / 7) % 13);
  return v;
}

bool same(ByteSpan a, ByteSpan b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

struct Sample {
  std::vector<std::vector<std::uint8_t>> data;
  std::vector<std::string> meta;
  std::vector<std::uint8_t> payload;
};

Sample sample() {
  Sample s;
  s.data = {random_bytes(10000, 1), compressible(100000), {}, bytes_of("tiny"), random_bytes(5000, 2)};
  s.meta = {"<f8 (1250,)", "|u1 (100000,)", "", "tiny", std::string(300, 'm')};
  s.payload = bytes_of("the in-band payload: a pickle stream, say");
  return s;
}

ContainerWriter writer_for(const Sample& s, Codec codec, std::uint64_t align = kContainerDefaultAlignment) {
  ContainerWriteOptions wo;
  wo.alignment = align;
  auto w = ContainerWriter::make(wo);
  EXPECT_TRUE(w.ok());
  for (std::size_t i = 0; i < s.data.size(); ++i) {
    ContainerBufferOptions o;
    o.codec = i % 2 == 0 ? codec : Codec::none;  // mixed in one file
    o.metadata = ByteSpan(reinterpret_cast<const std::uint8_t*>(s.meta[i].data()), s.meta[i].size());
    EXPECT_EQ(*w->add_buffer(ByteSpan(s.data[i]), o), i);
  }
  w->set_payload(ByteSpan(s.payload));
  return std::move(w).value();
}

void expect_contents(const ContainerReader& r, const Sample& s) {
  ASSERT_EQ(r.size(), s.data.size());
  EXPECT_TRUE(same(r.payload().span(), s.payload));
  for (std::size_t i = 0; i < s.data.size(); ++i) {
    auto b = r.buffer(i);
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    EXPECT_TRUE(same(b->span(), s.data[i])) << i;
    EXPECT_TRUE(same(r.metadata(i), bytes_of(s.meta[i]))) << i;
    EXPECT_EQ(r.info(i).raw_length, s.data[i].size());
    EXPECT_EQ(r.info(i).crc32c, crc32c(s.data[i]));
  }
  auto all = r.buffers();
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  for (std::size_t i = 0; i < s.data.size(); ++i) EXPECT_TRUE(same((*all)[i].span(), s.data[i]));
  std::vector<std::size_t> some{4, 0, 4};
  auto picked = r.buffers(some);
  ASSERT_TRUE(picked.ok());
  EXPECT_TRUE(same((*picked)[0].span(), s.data[4]));
  EXPECT_TRUE(same((*picked)[1].span(), s.data[0]));
  EXPECT_TRUE(same((*picked)[2].span(), s.data[4]));
  EXPECT_TRUE(r.verify().ok());
}

TEST(Container, RoundTripEveryCodec) {
  const Sample s = sample();
  for (Codec c : kAllCodecs) {
    SCOPED_TRACE(std::string(codec_name(c)));
    auto bytes = writer_for(s, c).to_bytes();
    ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
    auto r = ContainerReader::open(Buffer::from_vector(std::move(bytes).value()));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    expect_contents(*r, s);
    EXPECT_EQ(r->info(0).codec, c);
    EXPECT_EQ(r->info(1).codec, Codec::none);
    EXPECT_EQ(r->info(1).stored_length, r->info(1).raw_length);
  }
}

TEST(Container, NamedBuffers) {
  auto w = ContainerWriter::make();
  const std::vector<std::string> names{"weights", "bias", "", "weights"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    ContainerBufferOptions o;
    o.metadata = ByteSpan(reinterpret_cast<const std::uint8_t*>(names[i].data()), names[i].size());
    o.codec = i == 1 ? Codec::zstd : Codec::none;
    ASSERT_TRUE(
        w->add_buffer(Buffer::from_vector(std::vector<std::uint8_t>(i + 1, static_cast<std::uint8_t>(i))), o).ok());
  }
  auto r = ContainerReader::open(Buffer::from_vector(*w->to_bytes()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->find(bytes_of("weights")), std::optional<std::size_t>(0));  // the first of two
  EXPECT_EQ(r->find(bytes_of("bias")), std::optional<std::size_t>(1));
  EXPECT_EQ(r->find(ByteSpan()), std::optional<std::size_t>(2));
  EXPECT_EQ(r->find(bytes_of("bia")), std::nullopt);
  EXPECT_EQ(r->buffer(*r->find(bytes_of("bias")))->size(), 2u);
}

TEST(Container, CompressedBuffersShrinkAndAreCrcChecked) {
  auto data = compressible(1 << 20);
  auto w = ContainerWriter::make();
  ContainerBufferOptions o;
  o.codec = Codec::zstd;
  o.level = 1;
  ASSERT_TRUE(w->add_buffer(ByteSpan(data), o).ok());
  auto bytes = *w->to_bytes();
  EXPECT_LT(bytes.size(), data.size() / 10);
  auto r = ContainerReader::open(Buffer::from_vector(bytes));
  ASSERT_TRUE(r.ok());
  auto b = r->buffer(0);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->writable());  // decoded into new memory
  EXPECT_TRUE(same(b->span(), data));
}

TEST(Container, BuffersCompressedBeyond1032To1RoundTrip) {
  // 4 MiB of zeros: zstd and brotli shrink them by more than the ratio a
  // declared size is trusted up to, so they decode through the growing path.
  const std::vector<std::uint8_t> zeros(4 << 20, 0);
  for (Codec c : {Codec::zstd, Codec::brotli}) {
    auto w = ContainerWriter::make();
    ContainerBufferOptions o;
    o.codec = c;
    ASSERT_TRUE(w->add_buffer(ByteSpan(zeros), o).ok());
    auto r = ContainerReader::open(Buffer::from_vector(*w->to_bytes()));
    ASSERT_TRUE(r.ok());
    EXPECT_GT(r->info(0).raw_length / r->info(0).stored_length, 1032u) << codec_name(c);
    auto b = r->buffer(0);
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    EXPECT_TRUE(same(b->span(), zeros));
    EXPECT_TRUE(r->verify().ok());
  }
}

TEST(Container, EmptyContainer) {
  auto w = ContainerWriter::make();
  auto bytes = *w->to_bytes();
  EXPECT_EQ(bytes.size(), kContainerHeaderSize + 4);
  auto r = ContainerReader::open(Buffer::from_vector(bytes));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->size(), 0u);
  EXPECT_TRUE(r->payload().empty());
  EXPECT_TRUE(r->verify().ok());
  EXPECT_EQ(r->buffer(0).status().code(), ErrorCode::out_of_range);
}

TEST(Container, WriteToSinkMatchesToBytesAndStopsOnError) {
  const Sample s = sample();
  ContainerWriter w = writer_for(s, Codec::zstd);
  std::vector<std::uint8_t> streamed;
  std::size_t pieces = 0;
  ASSERT_TRUE(w.write_to([&](ByteSpan b) {
                 ++pieces;
                 streamed.insert(streamed.end(), b.begin(), b.end());
                 return Status::OK();
               }).ok());
  EXPECT_GT(pieces, 2u);
  EXPECT_EQ(streamed, *w.to_bytes());
  std::size_t calls = 0;
  Status st = w.write_to([&](ByteSpan) { return ++calls == 3 ? io_error("disk full") : Status::OK(); });
  EXPECT_EQ(st.code(), ErrorCode::io_error);
  EXPECT_EQ(calls, 3u);
}

TEST(Container, FileViewsAreZeroCopyAndAligned) {
  TempDir dir;
  const Sample s = sample();
  ContainerWriteOptions wo;
  auto w = ContainerWriter::make(wo);
  std::vector<std::uint64_t> aligns{4096, 64, 0, 1, 65536};
  for (std::size_t i = 0; i < s.data.size(); ++i) {
    ContainerBufferOptions o;
    o.alignment = aligns[i];
    ASSERT_TRUE(w->add_buffer(ByteSpan(s.data[i]), o).ok());
  }
  ContainerBufferOptions z;
  z.codec = Codec::zstd;
  ASSERT_TRUE(w->add_buffer(ByteSpan(s.data[1]), z).ok());
  const std::string path = dir.file("a.spk");
  ASSERT_TRUE(w->write_file(path).ok());
  auto r = ContainerReader::open_file(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const std::uint8_t* lo = r->file().data();
  const std::uint8_t* hi = lo + r->file().size();
  for (std::size_t i = 0; i < s.data.size(); ++i) {
    auto b = *r->buffer(i);
    const std::uint64_t want = aligns[i] == 0 ? kContainerDefaultAlignment : aligns[i];
    EXPECT_EQ(r->info(i).alignment, want);
    EXPECT_EQ(r->info(i).offset % want, 0u);
    // In memory, a mapping is page-aligned: larger alignments hold in the file only.
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % std::min<std::uint64_t>(want, 4096), 0u) << i;
    if (!b.empty()) {
      EXPECT_TRUE(b.data() >= lo && b.data() + b.size() <= hi) << "a view of the mapping";
    }
    EXPECT_FALSE(b.writable());  // shared read-only mapping
    EXPECT_EQ(b.owner(), r->file().owner());
  }
  EXPECT_EQ(r->info(5).alignment, 1u);  // compressed: packed
  EXPECT_TRUE(same(r->buffer(5)->span(), s.data[1]));
  EXPECT_TRUE(r->verify().ok());
}

TEST(Container, DurableOrNotWritesTheSameFile) {
  TempDir dir;
  const Sample s = sample();
  std::vector<std::vector<std::uint8_t>> files;
  for (bool durable : {true, false}) {
    ContainerWriteOptions wo;
    wo.durable = durable;
    auto w = ContainerWriter::make(wo);
    for (const auto& d : s.data) ASSERT_TRUE(w->add_buffer(ByteSpan(d)).ok());
    const std::string path = dir.file(durable ? "durable.spk" : "fast.spk");
    ASSERT_TRUE(w->write_file(path).ok());
    ContainerReadOptions ro;
    ro.mmap = false;
    auto r = ContainerReader::open_file(path, ro);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    files.emplace_back(r->file().data(), r->file().data() + r->file().size());
  }
  EXPECT_EQ(files[0], files[1]);
  EXPECT_EQ(dir.count(), 2u) << "no temporary file left";
}

TEST(Container, ViewsOutliveTheReader) {
  TempDir dir;
  const Sample s = sample();
  const std::string path = dir.file("a.spk");
  ASSERT_TRUE(writer_for(s, Codec::gzip).write_file(path).ok());
  Buffer view;
  {
    auto r = ContainerReader::open_file(path);
    ASSERT_TRUE(r.ok());
    view = *r->buffer(1);
  }
  std::filesystem::remove(path);
  EXPECT_TRUE(same(view.span(), s.data[1]));
}

TEST(Container, ReadIntoMemory) {
  TempDir dir;
  const Sample s = sample();
  const std::string path = dir.file("a.spk");
  ASSERT_TRUE(writer_for(s, Codec::lzma).write_file(path).ok());
  ContainerReadOptions o;
  o.mmap = false;
  auto r = ContainerReader::open_file(path, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_contents(*r, s);
  auto b = *r->buffer(1);
  EXPECT_TRUE(b.writable());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % 4096, 0u);
}

TEST(Container, ReadIntoMemoryChecksUncompressedCrcsInTheSamePass) {
  TempDir dir;
  const Sample s = sample();
  const std::string path = dir.file("a.spk");
  ASSERT_TRUE(writer_for(s, Codec::zstd).write_file(path).ok());
  auto bytes = slurp(path);
  bytes[ContainerReader::open_file(path)->info(3).offset] ^= 0x40;  // "tiny", uncompressed
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_TRUE(ContainerReader::open_file(path).ok());  // mapped: lazy
  ContainerReadOptions o;
  o.mmap = false;
  const Status st = ContainerReader::open_file(path, o).status();
  EXPECT_EQ(st.code(), ErrorCode::data_loss) << st.to_string();
  EXPECT_NE(st.message().find("buffer 3"), std::string::npos) << st.to_string();
  // Format errors come through the read path too.
  bytes.resize(bytes.size() - 1);
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_EQ(ContainerReader::open_file(path, o).status().code(), ErrorCode::out_of_range);
}

TEST(Container, CopyOnWriteNeverReachesTheFile) {
  TempDir dir;
  const Sample s = sample();
  const std::string path = dir.file("a.spk");
  ASSERT_TRUE(writer_for(s, Codec::none).write_file(path).ok());
  const auto before = slurp(path);
  ContainerReadOptions cow;
  cow.copy_on_write = true;
  auto a = ContainerReader::open_file(path, cow);
  auto b = ContainerReader::open_file(path, cow);
  auto shared = ContainerReader::open_file(path);
  ASSERT_TRUE(a.ok() && b.ok() && shared.ok());
  Buffer va = *a->buffer(1);
  ASSERT_TRUE(va.writable());
  std::memset(va.mutable_span().data(), 0xAB, va.size());
  EXPECT_EQ(a->buffer(1)->data()[0], 0xAB);  // the same private mapping
  EXPECT_TRUE(same(b->buffer(1)->span(), s.data[1]));
  EXPECT_TRUE(same(shared->buffer(1)->span(), s.data[1]));
  EXPECT_EQ(slurp(path), before);
  EXPECT_FALSE(shared->buffer(1)->writable());
}

TEST(Container, LazyCrcUnlessVerifyAsked) {
  TempDir dir;
  const Sample s = sample();
  const std::string path = dir.file("a.spk");
  ASSERT_TRUE(writer_for(s, Codec::zstd).write_file(path).ok());
  auto r0 = ContainerReader::open_file(path);
  const std::uint64_t at = r0->info(3).offset;  // "tiny", uncompressed
  auto bytes = slurp(path);
  bytes[at] ^= 0x01;
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  auto lazy = ContainerReader::open_file(path);
  ASSERT_TRUE(lazy.ok());
  EXPECT_TRUE(lazy->buffer(3).ok());  // a view: not read
  EXPECT_TRUE(lazy->buffer(1).ok());
  Status v = lazy->verify();
  EXPECT_EQ(v.code(), ErrorCode::data_loss);
  EXPECT_NE(v.message().find("buffer 3"), std::string::npos) << v.message();
  ContainerReadOptions o;
  o.verify = true;
  auto strict = ContainerReader::open_file(path, o);
  ASSERT_TRUE(strict.ok());
  EXPECT_EQ(strict->buffer(3).status().code(), ErrorCode::data_loss);
  EXPECT_TRUE(strict->buffer(1).ok());
  EXPECT_EQ(strict->buffers().status().code(), ErrorCode::data_loss);
}

TEST(Container, WriterRejectsBadOptions) {
  ContainerWriteOptions wo;
  wo.alignment = 3;
  EXPECT_EQ(ContainerWriter::make(wo).status().code(), ErrorCode::invalid_argument);
  wo.alignment = std::uint64_t{1} << 31;
  EXPECT_EQ(ContainerWriter::make(wo).status().code(), ErrorCode::invalid_argument);
  auto w = ContainerWriter::make();
  std::uint8_t x = 0;
  ContainerBufferOptions o;
  o.level = 3;
  EXPECT_EQ(w->add_buffer(ByteSpan(&x, 1), o).status().code(), ErrorCode::invalid_argument);
  o.codec = Codec::zstd;
  o.level = 1000;
  EXPECT_EQ(w->add_buffer(ByteSpan(&x, 1), o).status().code(), ErrorCode::invalid_argument);
  o.level.reset();
  o.alignment = 12;
  EXPECT_EQ(w->add_buffer(ByteSpan(&x, 1), o).status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(w->size(), 0u);
}

// ---------------------------------------------------------------- atomic writes

std::string write_small(const std::string& path, std::uint8_t fill) {
  std::vector<std::uint8_t> data(10000, fill);
  auto w = ContainerWriter::make();
  (void)w->add_buffer(Buffer::from_vector(data));
  Status st = w->write_file(path);
  return st.ok() ? "" : st.to_string();
}

bool holds_fill(const std::string& path, std::uint8_t fill) {
  auto r = ContainerReader::open_file(path);
  if (!r.ok() || r->size() != 1 || !r->verify().ok()) return false;
  auto b = *r->buffer(0);
  return b.size() == 10000 && b.data()[0] == fill && b.data()[9999] == fill;
}

std::size_t temp_files(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    n += e.path().filename().string().find(".tmp.") != std::string::npos;
  return n;
}

// The child writes a 4 MiB container under a 1 MiB file-size limit: with
// SIGXFSZ at its default action it is killed in the middle of the write; with
// it ignored, write() fails and write_file returns io_error.
int write_big_limited(const std::string& path, bool killed) {
  pid_t pid = ::fork();
  if (pid == 0) {
    struct rlimit lim {
      1 << 20, 1 << 20
    };
    ::setrlimit(RLIMIT_FSIZE, &lim);
    ::signal(SIGXFSZ, killed ? SIG_DFL : SIG_IGN);
    std::vector<std::uint8_t> data(4 << 20, 0x77);
    ContainerWriteOptions wo;
    wo.parallel.threads = 1;  // the pool's threads are not in the child
    auto w = ContainerWriter::make(wo);
    (void)w->add_buffer(ByteSpan(data));
    Status st = w->write_file(path);
    ::_exit(st.code() == ErrorCode::io_error ? 42 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(Container, AtomicWriteFailureLeavesTheOldFile) {
  TempDir dir;
  const std::string path = dir.file("obj.spk");
  ASSERT_EQ(write_small(path, 0x11), "");
  const int status = write_big_limited(path, /*killed=*/false);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42);  // io_error
  EXPECT_TRUE(holds_fill(path, 0x11));
  EXPECT_EQ(temp_files(dir.file("")), 0u);  // the failed write cleaned up
  ASSERT_EQ(write_small(path, 0x22), "");
  EXPECT_TRUE(holds_fill(path, 0x22));
}

TEST(Container, KilledMidWriteLeavesTheOldFileLoadable) {
  TempDir dir;
  const std::string path = dir.file("obj.spk");
  ASSERT_EQ(write_small(path, 0x33), "");
  const int status = write_big_limited(path, /*killed=*/true);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGXFSZ);
  EXPECT_TRUE(holds_fill(path, 0x33));
}

TEST(Container, WriteIntoMissingFolderFails) {
  TempDir dir;
  EXPECT_EQ(write_small(dir.file("no/such/dir/x.spk"), 1).empty(), false);
}

// ---------------------------------------------------------------- > 4 GiB offsets

constexpr std::uint64_t k4G = std::uint64_t{1} << 32;

// A header and a table for buffers at the given (offset, length) places, with
// the table at `table_offset`; metadata "m<i>" per buffer.
struct Synthetic {
  ContainerHeader h;
  std::vector<std::uint8_t> header;
  std::vector<std::uint8_t> table;
};

Synthetic synthetic(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& bufs, std::uint64_t table_offset,
                    const std::vector<std::uint32_t>& crcs = {}) {
  Synthetic s;
  const std::size_t n = bufs.size();
  std::string meta;
  s.table.resize(n * kContainerEntrySize);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t* e = s.table.data() + i * kContainerEntrySize;
    store_le<std::uint64_t>(e, bufs[i].first);
    store_le<std::uint64_t>(e + 8, bufs[i].second);
    store_le<std::uint64_t>(e + 16, bufs[i].second);
    store_le<std::uint32_t>(e + 24, crcs.empty() ? 0 : crcs[i]);
    const std::string m = "m" + std::to_string(i);
    store_le<std::uint32_t>(e + 28, static_cast<std::uint32_t>(m.size()));
    e[33] = 12;  // 4096
    meta += m;
  }
  s.table.insert(s.table.end(), meta.begin(), meta.end());
  s.table.resize(s.table.size() + 4);
  store_le<std::uint32_t>(s.table.data() + s.table.size() - 4, crc32c(s.table.data(), s.table.size() - 4));
  s.h.buffer_count = static_cast<std::uint32_t>(n);
  s.h.payload_offset = kContainerHeaderSize;
  s.h.payload_length = 0;
  s.h.table_offset = table_offset;
  s.h.table_length = s.table.size();
  s.h.file_length = table_offset + s.table.size();
  s.h.payload_crc32c = 0;
  s.header.resize(kContainerHeaderSize);
  std::memcpy(s.header.data(), kContainerMagic.data(), 8);
  store_le<std::uint16_t>(s.header.data() + 8, kContainerVersion);
  store_le<std::uint32_t>(s.header.data() + 12, s.h.buffer_count);
  store_le<std::uint64_t>(s.header.data() + 16, s.h.file_length);
  store_le<std::uint64_t>(s.header.data() + 24, s.h.payload_offset);
  store_le<std::uint64_t>(s.header.data() + 32, s.h.payload_length);
  store_le<std::uint64_t>(s.header.data() + 40, s.h.table_offset);
  store_le<std::uint64_t>(s.header.data() + 48, s.h.table_length);
  store_le<std::uint32_t>(s.header.data() + 60, crc32c(s.header.data(), 60));
  return s;
}

TEST(Container, TableOffsetsBeyond4GiB) {
  // Buffers that would overlap or fit if offsets were truncated to 32 bits.
  auto s = synthetic({{4096, 8192}, {k4G, 4096}, {3 * k4G + 4096, 5 * k4G}}, 9 * k4G);
  auto h = parse_container_header(s.header, s.h.file_length);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h->table_offset, 9 * k4G);
  auto t = parse_container_table(*h, s.table);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ((*t)[1].offset, k4G);
  EXPECT_EQ((*t)[2].stored_length, 5 * k4G);
  EXPECT_EQ((*t)[2].metadata_offset, 4u);
  // k4G + 4096 truncated to 32 bits is 4096, inside buffer 0: only 64-bit
  // arithmetic gets this right in both directions.
  auto ok = synthetic({{k4G + 4096, 4096}, {k4G + 8192, 4096}}, 2 * k4G);
  EXPECT_TRUE(parse_container_table(*parse_container_header(ok.header, ok.h.file_length), ok.table).ok());
  auto overlap = synthetic({{k4G, 8192}, {k4G + 4096, 4096}}, 2 * k4G);
  auto o = parse_container_table(*parse_container_header(overlap.header, overlap.h.file_length), overlap.table);
  EXPECT_EQ(o.status().code(), ErrorCode::corrupt);
  auto past = synthetic({{k4G, 2 * k4G}}, 2 * k4G);
  EXPECT_EQ(parse_container_table(*parse_container_header(past.header, past.h.file_length), past.table).status().code(),
            ErrorCode::out_of_range);
  // The header alone, for a file shorter than it claims (a 6 GiB claim, 64 bytes there).
  EXPECT_EQ(parse_container_header(s.header, 64).status().code(), ErrorCode::out_of_range);
}

TEST(Container, SparseFileWithABufferPast4GiB) {
  TempDir dir;
  const std::string path = dir.file("sparse.spk");
  const auto data = bytes_of("data beyond the 32-bit horizon");
  auto s = synthetic({{k4G, data.size()}}, k4G + 4096, {crc32c(data)});
  {
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(s.h.file_length)), 0);  // sparse: no 4 GiB on disk
    ASSERT_EQ(::pwrite(fd, s.header.data(), s.header.size(), 0), 64);
    ASSERT_EQ(::pwrite(fd, data.data(), data.size(), static_cast<off_t>(k4G)), static_cast<ssize_t>(data.size()));
    ASSERT_EQ(::pwrite(fd, s.table.data(), s.table.size(), static_cast<off_t>(s.h.table_offset)),
              static_cast<ssize_t>(s.table.size()));
    ::close(fd);
  }
  auto r = ContainerReader::open_file(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto b = r->buffer(0);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(same(b->span(), data));
  EXPECT_TRUE(same(r->metadata(0), bytes_of("m0")));
  EXPECT_TRUE(r->verify_buffer(0).ok());
}

// ---------------------------------------------------------------- golden files

// The content of tests/data/make_golden.py (CONTAINER_PAYLOAD, CONTAINER_BUFFERS,
// CONTAINER_NONE_ALIGNMENTS); the files there are written from the format
// document by Python, not by this writer.
struct GoldenBuffer {
  std::vector<std::uint8_t> raw;
  std::string meta;
};

std::vector<GoldenBuffer> golden_buffers() {
  std::vector<std::uint8_t> all(256), text, floats(32);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  for (int i = 0; i < 40; ++i) text.insert(text.end(), {'s', 'e', 'g', 'p', 'a', 'c', 'k', ' '});
  const double d[4] = {1.0, -2.5, 3.25, 1e300};
  for (int i = 0; i < 4; ++i) store_le<double>(floats.data() + 8 * i, d[i]);
  return {{all, "|u1 (256,)"},
          {{}, ""},
          {text, "text"},
          {floats, "<f8 (4,)"},
          {std::vector<std::uint8_t>(1000, 0), "zeros"}};
}

const std::string kGoldenPayload = std::string("\x80\x05", 2) + "an opaque in-band payload (a pickle stream, say)";

std::vector<std::uint8_t> golden_file(const std::string& rel) {
  return slurp(std::string(SEGPACK_TEST_DATA_DIR) + "/" + rel);
}

void expect_golden_content(const std::vector<std::uint8_t>& file, bool mixed) {
  auto r = ContainerReader::open(Buffer::copy_of(file));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const auto want = golden_buffers();
  ASSERT_EQ(r->size(), want.size());
  EXPECT_TRUE(same(r->payload().span(), bytes_of(kGoldenPayload)));
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(r->info(i).codec, mixed ? kAllCodecs[i] : Codec::none) << i;
    EXPECT_TRUE(same(r->buffer(i)->span(), want[i].raw)) << i;
    EXPECT_TRUE(same(r->metadata(i), bytes_of(want[i].meta))) << i;
  }
  EXPECT_TRUE(r->verify().ok());
}

TEST(GoldenContainer, ReadsBackToTheKnownContent) {
  expect_golden_content(golden_file("container/v1_none.bin"), false);
  expect_golden_content(golden_file("container/v1_mixed.bin"), true);
}

TEST(GoldenContainer, UncompressedIsRecreatedByteForByte) {
  const std::uint64_t aligns[] = {4096, 64, 16, 1, 8};
  auto w = ContainerWriter::make();
  const auto bufs = golden_buffers();
  for (std::size_t i = 0; i < bufs.size(); ++i) {
    ContainerBufferOptions o;
    o.alignment = aligns[i];
    o.metadata = ByteSpan(reinterpret_cast<const std::uint8_t*>(bufs[i].meta.data()), bufs[i].meta.size());
    ASSERT_TRUE(w->add_buffer(Buffer::copy_of(bufs[i].raw), o).ok());
  }
  w->set_payload(Buffer::copy_of(bytes_of(kGoldenPayload)));
  EXPECT_EQ(*w->to_bytes(), golden_file("container/v1_none.bin"));
}

TEST(GoldenContainer, MixedIsRecreatedWithTheSameContent) {
  auto w = ContainerWriter::make();
  const auto bufs = golden_buffers();
  for (std::size_t i = 0; i < bufs.size(); ++i) {
    ContainerBufferOptions o;
    o.codec = kAllCodecs[i];
    o.metadata = ByteSpan(reinterpret_cast<const std::uint8_t*>(bufs[i].meta.data()), bufs[i].meta.size());
    ASSERT_TRUE(w->add_buffer(Buffer::copy_of(bufs[i].raw), o).ok());
  }
  w->set_payload(Buffer::copy_of(bytes_of(kGoldenPayload)));
  const auto got = *w->to_bytes();
  expect_golden_content(got, true);
  // The header's first 16 bytes (magic, version, flags, count) do not depend on the encoders.
  const auto want = golden_file("container/v1_mixed.bin");
  EXPECT_TRUE(std::equal(got.begin(), got.begin() + 16, want.begin()));
}

}  // namespace
}  // namespace segpack
