#include "segpack/mapbuffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>

#include "segpack/crc32c.h"
#include "segpack/internal/bytes.h"
#include "test_util.h"

namespace segpack {
namespace {

using testing::bytes_of;

std::vector<MapBufferItem> items_of(const std::map<std::uint64_t, std::vector<std::uint8_t>>& m) {
  std::vector<MapBufferItem> items;
  for (const auto& [k, v] : m) items.push_back({k, ByteSpan(v)});
  return items;
}

MapBufferReader open_bytes(const std::vector<std::uint8_t>& bytes) {
  auto r = MapBufferReader::open(Buffer::copy_of(bytes));
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return std::move(r).value();
}

// The reference example from the mapbuffer package (docs/format/mapbuffer.md).
TEST(MapBuffer, GoldenBytesMatchMapbufferPackage) {
  std::map<std::uint64_t, std::vector<std::uint8_t>> m{{3, {}}, {1, bytes_of("hello")}, {2, bytes_of("world!")}};
  auto built = build_mapbuffer(items_of(m));
  ASSERT_TRUE(built.ok()) << built.status().to_string();
  const std::vector<std::uint8_t> expected = {
      'm', 'a', 'p', 'b', 'u', 'f',  'r',  1,    'n',  'o',  'n', 'e', 3, 0, 0, 0,  // header
      2,   0,   0,   0,   0,   0,    0,    0,    64,   0,    0,   0,   0, 0, 0, 0,  // (2, 64)
      1,   0,   0,   0,   0,   0,    0,    0,    74,   0,    0,   0,   0, 0, 0, 0,  // (1, 74)
      3,   0,   0,   0,   0,   0,    0,    0,    83,   0,    0,   0,   0, 0, 0, 0,  // (3, 83)
      'w', 'o', 'r', 'l', 'd', '!',  0x96, 0x56, 0x99, 0x6d,                        // "world!" crc
      'h', 'e', 'l', 'l', 'o', 0x4c, 0xbb, 0x71, 0x9a,                              // "hello" crc
      0,   0,   0,   0};                                                            // b"" crc
  EXPECT_EQ(*built, expected);
}

TEST(MapBuffer, EmptyMapIsExactlyTheHeader) {
  auto built = build_mapbuffer({});
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->size(), 16u);
  auto r = open_bytes(*built);
  EXPECT_EQ(r.size(), 0u);
  EXPECT_FALSE(r.find(0).has_value());
  SEGPACK_ASSERT_OK(r.validate());
}

class MapBufferCodecs : public ::testing::TestWithParam<std::tuple<Codec, int>> {};

TEST_P(MapBufferCodecs, RoundTripEveryKeyAndMisses) {
  auto [codec, version] = GetParam();
  std::mt19937_64 rng(7);
  std::map<std::uint64_t, std::vector<std::uint8_t>> m;
  m[0] = bytes_of("zero");
  m[std::numeric_limits<std::uint64_t>::max()] = bytes_of("max");
  m[std::uint64_t{1} << 63] = {};
  for (int i = 0; i < 500; ++i) m[rng()] = testing::random_bytes(rng() % 200, rng());
  MapBufferWriteOptions opts;
  opts.codec = codec;
  opts.version = version;
  auto built = build_mapbuffer(items_of(m), opts);
  ASSERT_TRUE(built.ok()) << built.status().to_string();
  auto r = open_bytes(*built);
  ASSERT_EQ(r.size(), m.size());
  EXPECT_EQ(r.header().codec, codec);
  EXPECT_EQ(r.header().version, version);
  SEGPACK_ASSERT_OK(r.validate());
  for (const auto& [k, v] : m) {
    auto got = r.get(k);
    ASSERT_TRUE(got.ok()) << k << ": " << got.status().to_string();
    EXPECT_EQ(*got, v);
  }
  for (int i = 0; i < 200; ++i) {
    std::uint64_t k = rng();
    if (m.count(k)) continue;
    EXPECT_FALSE(r.find(k).has_value());
    EXPECT_EQ(r.get(k).status().code(), ErrorCode::not_found);
  }
  // A range reader over the same bytes gives the same answers.
  auto src = std::make_shared<testing::CountingSource>(Buffer::copy_of(*built));
  auto rr = MapBufferReader::open_source(src);
  ASSERT_TRUE(rr.ok()) << rr.status().to_string();
  EXPECT_EQ(src->reads(), 2u);  // header, then the whole index
  for (const auto& [k, v] : m) {
    auto got = rr->get(k);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, v);
  }
  EXPECT_EQ(src->reads(), 2u + m.size());  // one read per item
  SEGPACK_ASSERT_OK(rr->validate());
}

INSTANTIATE_TEST_SUITE_P(AllCodecsBothVersions, MapBufferCodecs,
                         ::testing::Combine(::testing::ValuesIn(kAllCodecs), ::testing::Values(0, 1)),
                         [](const auto& info) {
                           return std::string(codec_name(std::get<0>(info.param))) + "_v" +
                                  std::to_string(std::get<1>(info.param));
                         });

TEST(MapBuffer, DuplicateKeysAreRejected) {
  std::vector<std::uint8_t> a = bytes_of("a");
  std::vector<MapBufferItem> items{{5, a}, {6, a}, {5, a}};
  EXPECT_EQ(build_mapbuffer(items).status().code(), ErrorCode::invalid_argument);
}

// Items reach the builder in any order (a Python dict's order): it must sort
// every key distribution the same as a plain sort of the items does.
TEST(MapBuffer, BuildSortsEveryKeyDistribution) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::mt19937_64 rng(3);
  using Gen = std::function<std::uint64_t(std::size_t, std::size_t)>;
  const std::vector<std::pair<std::string, Gen>> dists = {
      {"random64", [&](std::size_t, std::size_t) { return rng(); }},
      {"dense", [](std::size_t i, std::size_t) { return std::uint64_t{i}; }},
      {"reversed", [](std::size_t i, std::size_t n) { return std::uint64_t{n - i}; }},
      {"extremes", [](std::size_t i, std::size_t) { return i % 2 ? kMax - i : std::uint64_t{i}; }},
      {"one_far_key", [](std::size_t i, std::size_t) { return i == 0 ? kMax : std::uint64_t{i} * 3; }},
      {"narrow", [](std::size_t i, std::size_t) { return (std::uint64_t{1} << 40) + i * 7; }},
      {"clusters", [&](std::size_t i, std::size_t) { return (i % 3) * (std::uint64_t{1} << 50) + (rng() >> 20); }},
  };
  std::vector<std::uint8_t> blob = testing::random_bytes(1 << 16, 5);
  for (const auto& [name, gen] : dists) {
    for (std::size_t n : {2u, 3u, 255u, 256u, 257u, 5000u, 70000u}) {
      std::vector<MapBufferItem> items;
      std::set<std::uint64_t> seen;
      for (std::size_t i = 0; items.size() < n; ++i) {
        const std::uint64_t k = gen(i, n);
        if (!seen.insert(k).second) continue;
        items.push_back({k, ByteSpan(blob.data() + rng() % 60000, rng() % 40)});
      }
      std::shuffle(items.begin(), items.end(), rng);
      auto got = build_mapbuffer(items);
      ASSERT_TRUE(got.ok()) << name << " " << n << ": " << got.status().to_string();
      std::vector<MapBufferItem> sorted = items;
      std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
      auto want = build_mapbuffer(sorted);  // already sorted: the builder's early return
      ASSERT_TRUE(want.ok());
      ASSERT_EQ(*got, *want) << name << " " << n;
      SEGPACK_ASSERT_OK(open_bytes(*got).validate());
      // The in-place form gives the same bytes and consumes its argument.
      std::vector<std::uint8_t> in_place;
      SEGPACK_ASSERT_OK(build_mapbuffer_in_place(items, {}, [&](std::size_t size) {
        in_place.resize(size);
        return MutableByteSpan(in_place);
      }));
      ASSERT_EQ(in_place, *want) << name << " " << n;
    }
  }
}

TEST(MapBuffer, DuplicateKeysAreRejectedWherever) {
  std::vector<std::uint8_t> a = bytes_of("a");
  std::mt19937_64 rng(9);
  for (std::size_t n : {2u, 300u, 9000u}) {
    std::vector<MapBufferItem> items;
    for (std::size_t i = 0; i < n; ++i) items.push_back({rng(), a});
    items.push_back({items[rng() % n].key, a});
    std::shuffle(items.begin(), items.end(), rng);
    auto r = build_mapbuffer(items);
    ASSERT_EQ(r.status().code(), ErrorCode::invalid_argument) << n;
    EXPECT_NE(r.status().message().find("duplicate key"), std::string::npos);
  }  // Far more items than distinct keys (a key range under 8 bits wide).
  std::vector<MapBufferItem> many;
  for (std::size_t i = 0; i < 40000; ++i) many.push_back({rng() % 200, a});
  EXPECT_EQ(build_mapbuffer(many).status().code(), ErrorCode::invalid_argument);
}

TEST(MapBuffer, LevelIsValidated) {
  std::vector<std::uint8_t> a = bytes_of("aaaa");
  std::vector<MapBufferItem> items{{1, a}};
  MapBufferWriteOptions opts;
  opts.codec = Codec::zstd;
  opts.level = 1000;
  EXPECT_EQ(build_mapbuffer(items, opts).status().code(), ErrorCode::invalid_argument);
  opts.codec = Codec::gzip;
  opts.level = 1;
  EXPECT_TRUE(build_mapbuffer(items, opts).ok());
}

TEST(MapBuffer, PayloadViewsShareTheOwner) {
  std::map<std::uint64_t, std::vector<std::uint8_t>> m{{1, bytes_of("payload")}};
  auto built = build_mapbuffer(items_of(m));
  Buffer view;
  {
    auto r = MapBufferReader::open(Buffer::from_vector(*built));
    ASSERT_TRUE(r.ok());
    auto p = r->payload(0);
    ASSERT_TRUE(p.ok());
    view = *p;
  }  // the reader is gone; the view keeps the bytes alive
  EXPECT_EQ(std::string(view.data(), view.data() + view.size()), "payload");
}

TEST(MapBuffer, CheckCrcOffSkipsVerificationButStripsTheCrc) {
  std::map<std::uint64_t, std::vector<std::uint8_t>> m{{1, bytes_of("payload")}};
  auto built = *build_mapbuffer(items_of(m));
  built.back() ^= 0xff;  // corrupt the crc
  auto r = open_bytes(built);
  EXPECT_EQ(r.get(1).status().code(), ErrorCode::data_loss);
  r = r.with_check_crc(false);
  auto got = r.get(1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, bytes_of("payload"));
  EXPECT_EQ(r.validate().code(), ErrorCode::data_loss);  // validate always checks
}

TEST(MapBuffer, OverwriteSameLength) {
  std::map<std::uint64_t, std::vector<std::uint8_t>> m{{1, bytes_of("aaaa")}, {2, bytes_of("bb")}};
  auto r = *MapBufferReader::open(Buffer::from_vector(*build_mapbuffer(items_of(m))));
  SEGPACK_ASSERT_OK(overwrite_mapbuffer_item(r, *r.find(1), bytes_of("cccc")));
  EXPECT_EQ(*r.get(1), bytes_of("cccc"));
  SEGPACK_ASSERT_OK(r.validate());  // crc rewritten
  EXPECT_EQ(overwrite_mapbuffer_item(r, *r.find(2), bytes_of("ccc")).code(), ErrorCode::invalid_argument);
  auto ro = *MapBufferReader::open(Buffer(r.buffer().data(), r.buffer().size(), r.buffer().owner(), false));
  EXPECT_EQ(overwrite_mapbuffer_item(ro, 0, bytes_of("dddd")).code(), ErrorCode::invalid_argument);
}

TEST(MapBuffer, StreamingWriterMatchesInMemoryBuild) {
  testing::TempDir dir;
  for (Codec codec : kAllCodecs) {
    std::mt19937_64 rng(11);
    std::map<std::uint64_t, std::vector<std::uint8_t>> m;
    for (int i = 0; i < 300; ++i) m[rng() % 100000] = testing::random_bytes(rng() % 300, rng());
    MapBufferWriteOptions opts;
    opts.codec = codec;
    const std::string path = dir.file(std::string("s_") + std::string(codec_name(codec)) + ".mb");
    auto w = MapBufferFileWriter::create(path, opts);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    // Reverse order of insertion: the writer sorts.
    for (auto it = m.rbegin(); it != m.rend(); ++it) SEGPACK_ASSERT_OK(w->add(it->first, it->second));
    EXPECT_FALSE(std::filesystem::exists(path));  // nothing published before commit
    SEGPACK_ASSERT_OK(w->commit());
    auto file = read_file(path);
    ASSERT_TRUE(file.ok());
    auto built = build_mapbuffer(items_of(m), opts);
    ASSERT_TRUE(built.ok());
    EXPECT_EQ(std::vector<std::uint8_t>(file->data(), file->data() + file->size()), *built) << codec_name(codec);
    auto r = MapBufferReader::open_file(path);
    ASSERT_TRUE(r.ok());
    SEGPACK_ASSERT_OK(r->validate());
  }
  EXPECT_EQ(dir.count(), kAllCodecs.size());  // no temporary files left behind
}

// Values larger than the scratch file's write buffer (1 MiB) bypass it; the
// commit must still read every value back in file order.
TEST(MapBuffer, StreamingWriterWithValuesAroundTheBufferSize) {
  testing::TempDir dir;
  std::mt19937_64 rng(12);
  std::map<std::uint64_t, std::vector<std::uint8_t>> m;
  for (std::size_t size :
       {std::size_t{3} << 20, (std::size_t{1} << 20) + 1, std::size_t{1} << 20, (std::size_t{1} << 20) - 1}) {
    m[rng()] = testing::random_bytes(size, rng());
  }
  for (int i = 0; i < 2000; ++i) m[rng()] = testing::random_bytes(rng() % 3000, rng());
  std::vector<MapBufferItem> shuffled = items_of(m);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const std::string path = dir.file("big.mb");
  auto w = MapBufferFileWriter::create(path, {});
  ASSERT_TRUE(w.ok());
  for (const auto& it : shuffled) SEGPACK_ASSERT_OK(w->add(it.key, it.value));
  SEGPACK_ASSERT_OK(w->commit());
  auto file = read_file(path);
  ASSERT_TRUE(file.ok());
  auto built = build_mapbuffer(items_of(m));
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(std::vector<std::uint8_t>(file->data(), file->data() + file->size()), *built);
}

TEST(MapBuffer, StreamingWriterFailureLeavesTheOldFile) {
  testing::TempDir dir;
  const std::string path = dir.file("keep.mb");
  std::map<std::uint64_t, std::vector<std::uint8_t>> m{{1, bytes_of("old")}};
  SEGPACK_ASSERT_OK(write_file_atomic(path, *build_mapbuffer(items_of(m))));
  {
    auto w = *MapBufferFileWriter::create(path);
    SEGPACK_ASSERT_OK(w.add(1, bytes_of("new")));
    SEGPACK_ASSERT_OK(w.add(1, bytes_of("dup")));
    EXPECT_EQ(w.commit().code(), ErrorCode::invalid_argument);  // duplicate key
  }
  {
    auto w = *MapBufferFileWriter::create(path);
    SEGPACK_ASSERT_OK(w.add(2, bytes_of("abandoned")));
  }  // destroyed without commit
  auto r = MapBufferReader::open_file(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->get(1), bytes_of("old"));
  EXPECT_EQ(dir.count(), 1u);
  // A folder that does not exist: io_error, not a crash.
  EXPECT_EQ(MapBufferFileWriter::create(dir.file("missing/x.mb")).status().code(), ErrorCode::io_error);
}

TEST(MapBuffer, OpenFileMapsAndKeepsWorkingAfterTheReaderMoves) {
  testing::TempDir dir;
  const std::string path = dir.file("a.mb");
  std::map<std::uint64_t, std::vector<std::uint8_t>> m{{10, bytes_of("ten")}, {20, bytes_of("twenty")}};
  SEGPACK_ASSERT_OK(write_file_atomic(path, *build_mapbuffer(items_of(m))));
  auto r = MapBufferReader::open_file(path);
  ASSERT_TRUE(r.ok());
  MapBufferReader moved = std::move(*r);
  EXPECT_EQ(*moved.get(20), bytes_of("twenty"));
  EXPECT_EQ(MapBufferReader::open_file(dir.file("nope.mb")).status().code(), ErrorCode::io_error);
}

}  // namespace
}  // namespace segpack
