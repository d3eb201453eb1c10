// get_many over a MapBuffer and over an IntMap: same bytes as get()
// for random keys (repeats included), missing keys, defaults and found flags,
// zero-copy segments, crc errors naming the key, range-source readers.
#include "segpack/get_many.h"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "segpack/intmap.h"
#include "segpack/mapbuffer.h"
#include "segpack/source.h"
#include "test_util.h"

namespace segpack {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::bytes_of;
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

bool names(const Status& st, const std::string& what) { return st.message().find(what) != std::string::npos; }

std::map<std::uint64_t, Bytes> sample_map(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::map<std::uint64_t, Bytes> m;
  m[0] = bytes_of("zero");
  m[kMax] = bytes_of("max");
  m[7] = {};
  while (m.size() < n) {
    const std::size_t len = rng() % 5 == 0 ? 0 : rng() % 2000;
    Bytes v = rng() % 2 ? testing::random_bytes(len, rng()) : Bytes(len, static_cast<std::uint8_t>(rng()));
    m[rng() % 1000000] = std::move(v);
  }
  return m;
}

Bytes build(const std::map<std::uint64_t, Bytes>& m, Codec codec, int version) {
  std::vector<MapBufferItem> items;
  for (const auto& [k, v] : m) items.push_back({k, ByteSpan(v)});
  MapBufferWriteOptions o;
  o.codec = codec;
  o.version = version;
  auto b = build_mapbuffer(items, o);
  EXPECT_TRUE(b.ok()) << b.status().to_string();
  return b.ok() ? *b : Bytes{};
}

// Keys drawn from the map (with repeats), plus some absent ones when `misses`.
std::vector<std::uint64_t> random_keys(const std::map<std::uint64_t, Bytes>& m, std::size_t n, bool misses,
                                       std::uint64_t seed) {
  std::vector<std::uint64_t> present;
  for (const auto& kv : m) present.push_back(kv.first);
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> keys;
  for (std::size_t i = 0; i < n; ++i) {
    if (misses && i % 5 == 2) {
      keys.push_back(2000000 + rng() % 1000);  // never in sample_map
    } else {
      keys.push_back(present[rng() % present.size()]);
    }
  }
  keys.push_back(keys.front());  // an explicit repeat
  return keys;
}

std::vector<Bytes> items_of(const BufferWithSegments& b) {
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < b.size(); ++i) out.emplace_back(b[i].begin(), b[i].end());
  return out;
}

// ---------------------------------------------------------------- MapBuffer

struct MapCase {
  Codec codec;
  int version;
};

class GetManyMapBuffer : public ::testing::TestWithParam<MapCase> {
 protected:
  void SetUp() override {
    map_ = sample_map(400, 21);
    bytes_ = build(map_, GetParam().codec, GetParam().version);
    auto r = MapBufferReader::open(Buffer::copy_of(bytes_));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    reader_ = std::move(r).value();
    auto s = MapBufferReader::open_source(std::make_shared<BufferSource>(Buffer::copy_of(bytes_)));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    source_reader_ = std::move(s).value();
  }
  static std::vector<GetManyOptions> option_variants() {
    std::vector<GetManyOptions> v(4);
    v[1].parallel.threads = 1;
    v[2].parallel.threads = 2;
    v[2].parallel.inline_below_bytes = 0;
    v[3].parallel.inline_below_bytes = 0;  // every worker of the default pool
    v[3].zero_copy = true;
    return v;
  }
  std::map<std::uint64_t, Bytes> map_;
  Bytes bytes_;
  MapBufferReader reader_;
  MapBufferReader source_reader_;
};

TEST_P(GetManyMapBuffer, SameBytesAsGetForRandomKeys) {
  const auto keys = random_keys(map_, 1500, false, 5);
  for (const auto& opts : option_variants()) {
    for (const MapBufferReader* r : {&reader_, &source_reader_}) {
      std::vector<std::uint8_t> found;
      auto got = get_many(*r, keys, opts, &found);
      ASSERT_TRUE(got.ok()) << got.status().to_string();
      ASSERT_EQ(got->size(), keys.size());
      ASSERT_EQ(found, std::vector<std::uint8_t>(keys.size(), 1));
      for (std::size_t i = 0; i < keys.size(); ++i) {
        auto one = r->get(keys[i]);
        ASSERT_TRUE(one.ok()) << one.status().to_string();
        const ByteSpan s = (*got)[i];
        ASSERT_EQ(Bytes(s.begin(), s.end()), *one) << "key " << keys[i];
        ASSERT_EQ(*one, map_.at(keys[i]));
      }
    }
  }
}

TEST_P(GetManyMapBuffer, EmptyKeyList) {
  for (const MapBufferReader* r : {&reader_, &source_reader_}) {
    std::vector<std::uint8_t> found{1, 2, 3};
    auto got = get_many(*r, {}, {}, &found);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_EQ(got->size(), 0u);
    EXPECT_TRUE(found.empty());
  }
}

TEST_P(GetManyMapBuffer, MissingKeyIsNotFoundNamingTheKey) {
  auto keys = random_keys(map_, 300, false, 6);
  keys[123] = 2000777;
  keys[200] = 2000999;
  for (const auto& opts : option_variants()) {
    for (const MapBufferReader* r : {&reader_, &source_reader_}) {
      auto got = get_many(*r, keys, opts);
      EXPECT_EQ(got.status().code(), ErrorCode::not_found) << got.status().to_string();
      EXPECT_TRUE(names(got.status(), "2000777")) << got.status().message();
    }
  }
}

TEST_P(GetManyMapBuffer, DefaultValueAndFoundFlags) {
  const auto keys = random_keys(map_, 500, true, 7);
  for (const Bytes& dflt : {bytes_of("DEFAULT"), Bytes{}}) {
    for (auto opts : option_variants()) {
      opts.default_value = dflt;
      for (const MapBufferReader* r : {&reader_, &source_reader_}) {
        std::vector<std::uint8_t> found;
        auto got = get_many(*r, keys, opts, &found);
        ASSERT_TRUE(got.ok()) << got.status().to_string();
        ASSERT_EQ(found.size(), keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i) {
          const auto it = map_.find(keys[i]);
          ASSERT_EQ(found[i], it != map_.end() ? 1 : 0) << i;
          const ByteSpan s = (*got)[i];
          ASSERT_EQ(Bytes(s.begin(), s.end()), it != map_.end() ? it->second : dflt) << "key " << keys[i];
        }
      }
    }
  }
}

TEST_P(GetManyMapBuffer, CrcMismatchIsDataLossNamingTheKey) {
  if (GetParam().version == 0) GTEST_SKIP() << "v0 stores no crc";
  // Corrupt the stored payload of one non-empty item.
  std::uint64_t victim = 0;
  for (const auto& [k, v] : map_) {
    if (v.size() > 10 && k != 0) {
      victim = k;
      break;
    }
  }
  ASSERT_NE(victim, 0u);
  const std::size_t pos = *reader_.find(victim);
  auto range = reader_.item_range(pos);
  ASSERT_TRUE(range.ok());
  Bytes bad = bytes_;
  bad[range->first] ^= 0x40;
  auto r = MapBufferReader::open(Buffer::copy_of(bad));
  ASSERT_TRUE(r.ok());
  auto s = MapBufferReader::open_source(std::make_shared<BufferSource>(Buffer::copy_of(bad)));
  ASSERT_TRUE(s.ok());
  auto keys = random_keys(map_, 200, false, 8);
  keys[150] = victim;
  for (auto opts : option_variants()) {
    opts.default_value = bytes_of("d");  // a default does not hide a crc error
    for (const MapBufferReader* rd : {&*r, &*s}) {
      auto got = get_many(*rd, keys, opts);
      EXPECT_EQ(got.status().code(), ErrorCode::data_loss) << got.status().to_string();
      EXPECT_TRUE(names(got.status(), "key " + std::to_string(victim))) << got.status().message();
    }
  }
  // With crc checks off the item is returned as stored (codec none), or fails
  // to decode (compressed) — never data_loss.
  *r = r->with_check_crc(false);
  const std::uint64_t just_victim[] = {victim};
  auto unchecked = get_many(*r, just_victim);
  EXPECT_NE(unchecked.status().code(), ErrorCode::data_loss);
}

TEST_P(GetManyMapBuffer, BudgetExceededNamesTheKey) {
  // Largest value first: a budget below it fails on that key.
  std::uint64_t big = 0;
  std::size_t big_len = 0;
  for (const auto& [k, v] : map_) {
    if (v.size() > big_len) {
      big = k;
      big_len = v.size();
    }
  }
  const std::uint64_t keys[] = {0, big};
  GetManyOptions o;
  o.limits.max_output_size = big_len - 1 + map_.at(0).size();
  for (const MapBufferReader* r : {&reader_, &source_reader_}) {
    auto got = get_many(*r, keys, o);
    EXPECT_EQ(got.status().code(), ErrorCode::resource_exhausted) << got.status().to_string();
    EXPECT_TRUE(names(got.status(), "key " + std::to_string(big))) << got.status().message();
  }
}

std::string map_case_name(const ::testing::TestParamInfo<MapCase>& info) {
  return std::string(codec_name(info.param.codec)) + "_v" + std::to_string(info.param.version);
}

INSTANTIATE_TEST_SUITE_P(Codecs, GetManyMapBuffer,
                         ::testing::Values(MapCase{Codec::none, 0}, MapCase{Codec::none, 1}, MapCase{Codec::zstd, 0},
                                           MapCase{Codec::zstd, 1}, MapCase{Codec::gzip, 0}, MapCase{Codec::gzip, 1}),
                         map_case_name);

TEST(GetManyMapBufferZeroCopy, SegmentsPointIntoTheReadersBuffer) {
  const auto m = sample_map(300, 31);
  for (int version : {0, 1}) {
    const Bytes bytes = build(m, Codec::none, version);
    auto r = MapBufferReader::open(Buffer::copy_of(bytes));
    ASSERT_TRUE(r.ok());
    auto keys = random_keys(m, 400, false, 9);
    GetManyOptions o;
    o.zero_copy = true;
    auto got = get_many(*r, keys, o);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_EQ(got->data().data(), r->buffer().data()) << "zero_copy must not copy";
    EXPECT_EQ(got->data().owner(), r->buffer().owner()) << "the result shares the reader's owner";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auto p = r->payload_span(*r->find(keys[i]));
      ASSERT_TRUE(p.ok());
      EXPECT_EQ((*got)[i].data(), p->data()) << i;
      EXPECT_EQ((*got)[i].size(), p->size()) << i;
    }

    // An empty default still fits: zero-copy kept.
    keys.push_back(2000001);
    o.default_value = Bytes{};
    auto with_empty = get_many(*r, keys, o);
    ASSERT_TRUE(with_empty.ok());
    EXPECT_EQ(with_empty->data().data(), r->buffer().data());
    EXPECT_TRUE((*with_empty)[keys.size() - 1].empty());

    // A non-empty default is not in the map: a new buffer, same values.
    o.default_value = bytes_of("dflt");
    auto copied = get_many(*r, keys, o);
    ASSERT_TRUE(copied.ok());
    EXPECT_NE(copied->data().data(), r->buffer().data());
    const ByteSpan last = (*copied)[keys.size() - 1];
    EXPECT_EQ(Bytes(last.begin(), last.end()), bytes_of("dflt"));
    for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
      const ByteSpan s = (*copied)[i];
      ASSERT_EQ(Bytes(s.begin(), s.end()), m.at(keys[i]));
    }

    // Without zero_copy: one new buffer holding copies.
    keys.pop_back();
    auto fresh = get_many(*r, keys);
    ASSERT_TRUE(fresh.ok()) << fresh.status().to_string();
    EXPECT_NE(fresh->data().data(), r->buffer().data());
    EXPECT_EQ(items_of(*fresh), items_of(*got));
  }
}

TEST(GetManyMapBufferZeroCopy, ResultOutlivesTheReader) {
  const auto m = sample_map(50, 41);
  const Bytes bytes = build(m, Codec::none, 1);
  const std::uint64_t keys[] = {0, kMax, 7};
  BufferWithSegments kept;
  {
    auto r = MapBufferReader::open(Buffer::copy_of(bytes));
    ASSERT_TRUE(r.ok());
    GetManyOptions o;
    o.zero_copy = true;
    auto got = get_many(*r, keys, o);
    ASSERT_TRUE(got.ok());
    kept = *got;
  }
  EXPECT_EQ(items_of(kept), (std::vector<Bytes>{bytes_of("zero"), bytes_of("max"), {}}));
}

TEST(GetManyMapBufferZeroCopy, IgnoredForCompressedAndRangeReaders) {
  const auto m = sample_map(50, 42);
  const std::uint64_t keys[] = {0, kMax, 7};
  GetManyOptions o;
  o.zero_copy = true;
  auto z = MapBufferReader::open(Buffer::copy_of(build(m, Codec::zstd, 1)));
  ASSERT_TRUE(z.ok());
  auto got = get_many(*z, keys, o);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(items_of(*got), (std::vector<Bytes>{bytes_of("zero"), bytes_of("max"), {}}));
  auto s = MapBufferReader::open_source(std::make_shared<BufferSource>(Buffer::copy_of(build(m, Codec::none, 1))));
  ASSERT_TRUE(s.ok());
  auto got_s = get_many(*s, keys, o);
  ASSERT_TRUE(got_s.ok()) << got_s.status().to_string();
  EXPECT_EQ(items_of(*got_s), (std::vector<Bytes>{bytes_of("zero"), bytes_of("max"), {}}));
}

// The reader's own decompression limit (MapBufferReadOptions::decompress)
// bounds get(); get_many must not bypass it (python-zstandard's workers ignore
// the decompressor's parameters).
TEST(GetManyMapBufferLimits, ReaderMaxOutputApplies) {
  std::map<std::uint64_t, Bytes> m{{1, Bytes(100, 'a')}, {2, Bytes(5000, 'b')}};
  for (Codec codec : {Codec::zstd, Codec::gzip}) {
    const Bytes bytes = build(m, codec, 1);
    MapBufferReadOptions ro;
    ro.decompress.max_output = 1000;
    auto r = MapBufferReader::open(Buffer::copy_of(bytes), ro);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->get(2).status().code(), ErrorCode::resource_exhausted) << "control: get() honours the limit";
    const std::uint64_t keys[] = {1, 2};
    auto got = get_many(*r, keys);
    EXPECT_EQ(got.status().code(), ErrorCode::resource_exhausted)
        << codec_name(codec) << ": " << got.status().to_string();
    EXPECT_TRUE(names(got.status(), "key 2")) << got.status().message();
  }
}

// Uncompressed maps: get() copies values whatever the reader's decompression
// limit; get_many gives the same answer as get().
TEST(GetManyMapBufferLimits, UncompressedMapMatchesGet) {
  std::map<std::uint64_t, Bytes> m{{1, Bytes(100, 'a')}, {2, Bytes(5000, 'b')}};
  const Bytes bytes = build(m, Codec::none, 1);
  MapBufferReadOptions ro;
  ro.decompress.max_output = 1000;
  auto r = MapBufferReader::open(Buffer::copy_of(bytes), ro);
  ASSERT_TRUE(r.ok());
  const std::uint64_t keys[] = {1, 2};
  auto one = r->get(2);
  auto many = get_many(*r, keys);
  ASSERT_EQ(many.ok(), one.ok()) << "get: " << one.status().to_string() << ", get_many: " << many.status().to_string();
  if (one.ok()) {
    const ByteSpan s = (*many)[1];
    EXPECT_EQ(Bytes(s.begin(), s.end()), *one);
  } else {
    EXPECT_EQ(many.status().code(), one.status().code());
  }
}

TEST(GetManyMapBufferThreads, ConcurrentCallersShareOneReader) {
  const auto m = sample_map(300, 51);
  auto r = MapBufferReader::open(Buffer::copy_of(build(m, Codec::zstd, 1)));
  ASSERT_TRUE(r.ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      GetManyOptions o;
      o.parallel.inline_below_bytes = 0;
      for (int round = 0; round < 10; ++round) {
        const auto keys = random_keys(m, 200, false, 100 * t + round);
        auto got = get_many(*r, keys, o);
        if (!got.ok()) {
          failures.fetch_add(1);
          continue;
        }
        for (std::size_t i = 0; i < keys.size(); ++i) {
          const ByteSpan s = (*got)[i];
          if (Bytes(s.begin(), s.end()) != m.at(keys[i])) failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : callers) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(GetManyMapBuffer, EmptyMap) {
  auto r = MapBufferReader::open(Buffer::copy_of(build({}, Codec::zstd, 1)));
  ASSERT_TRUE(r.ok());
  const std::uint64_t keys[] = {1, 2};
  EXPECT_EQ(get_many(*r, keys).status().code(), ErrorCode::not_found);
  GetManyOptions o;
  o.default_value = bytes_of("x");
  std::vector<std::uint8_t> found;
  auto got = get_many(*r, keys, o, &found);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(items_of(*got), (std::vector<Bytes>{bytes_of("x"), bytes_of("x")}));
  EXPECT_EQ(found, (std::vector<std::uint8_t>{0, 0}));
}

// ---------------------------------------------------------------- IntMap

class GetManyIntMap : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(13);
    m_ = {{0, 100}, {kMax, 200}, {1, kMax}};
    while (m_.size() < 3000) m_[rng()] = rng();
    std::vector<std::pair<std::uint64_t, std::uint64_t>> p(m_.begin(), m_.end());
    auto b = build_intmap(p);
    ASSERT_TRUE(b.ok());
    auto r = IntMapReader::open(Buffer::from_vector(*b));
    ASSERT_TRUE(r.ok());
    r_ = std::move(r).value();
    for (const auto& kv : m_) present_.push_back(kv.first);
  }
  static std::vector<ParallelOptions> option_variants() {
    std::vector<ParallelOptions> v(3);
    v[1].threads = 1;
    v[2].threads = 2;
    v[2].inline_below_bytes = 0;
    return v;
  }
  std::map<std::uint64_t, std::uint64_t> m_;
  std::vector<std::uint64_t> present_;
  IntMapReader r_;
};

TEST_F(GetManyIntMap, PresentKeysIncludingExtremes) {
  std::mt19937_64 rng(1);
  std::vector<std::uint64_t> keys{0, kMax, 1, kMax, 0};
  for (int i = 0; i < 5000; ++i) keys.push_back(present_[rng() % present_.size()]);
  for (const auto& o : option_variants()) {
    std::vector<std::uint64_t> out(keys.size(), 12345);
    std::vector<std::uint8_t> found;
    SEGPACK_ASSERT_OK(get_many(r_, keys, out, std::nullopt, o, &found));
    ASSERT_EQ(found, std::vector<std::uint8_t>(keys.size(), 1));
    for (std::size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(out[i], m_.at(keys[i])) << i;
    EXPECT_EQ(out[0], 100u);
    EXPECT_EQ(out[1], 200u);
    EXPECT_EQ(out[2], kMax);
  }
}

TEST_F(GetManyIntMap, MissingKeysWithoutDefaultAreNotFound) {
  std::vector<std::uint64_t> keys(present_.begin(), present_.begin() + 1000);
  std::uint64_t absent = 2;
  while (m_.count(absent)) ++absent;
  keys[700] = absent;
  for (const auto& o : option_variants()) {
    std::vector<std::uint64_t> out(keys.size());
    const Status st = get_many(r_, keys, out, std::nullopt, o);
    EXPECT_EQ(st.code(), ErrorCode::not_found) << st.to_string();
    EXPECT_TRUE(names(st, std::to_string(absent))) << st.message();
  }
}

TEST_F(GetManyIntMap, DefaultAndFoundFlags) {
  std::vector<std::uint64_t> keys;
  std::mt19937_64 rng(2);
  for (int i = 0; i < 4000; ++i) keys.push_back(i % 3 == 0 ? rng() : present_[rng() % present_.size()]);
  keys.push_back(0);
  keys.push_back(kMax);
  for (const auto& o : option_variants()) {
    std::vector<std::uint64_t> out(keys.size());
    std::vector<std::uint8_t> found;
    SEGPACK_ASSERT_OK(get_many(r_, keys, out, std::uint64_t{777}, o, &found));
    ASSERT_EQ(found.size(), keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const auto it = m_.find(keys[i]);
      ASSERT_EQ(found[i], it != m_.end() ? 1 : 0) << i;
      ASSERT_EQ(out[i], it != m_.end() ? it->second : 777u) << i;
    }
    // Without the found vector.
    std::vector<std::uint64_t> out2(keys.size());
    SEGPACK_ASSERT_OK(get_many(r_, keys, out2, std::uint64_t{777}, o));
    EXPECT_EQ(out2, out);
  }
}

TEST_F(GetManyIntMap, SizeMismatchIsInvalidArgument) {
  const std::uint64_t keys[] = {0, 1};
  std::vector<std::uint64_t> out(3);
  EXPECT_EQ(get_many(r_, keys, out).code(), ErrorCode::invalid_argument);
  std::vector<std::uint64_t> none;
  EXPECT_EQ(get_many(r_, keys, none).code(), ErrorCode::invalid_argument);
  SEGPACK_ASSERT_OK(get_many(r_, {}, none));
}

TEST(GetManyIntMapEmpty, EmptyMap) {
  auto b = build_intmap({});
  ASSERT_TRUE(b.ok());
  auto r = IntMapReader::open(Buffer::from_vector(*b));
  ASSERT_TRUE(r.ok());
  const std::uint64_t keys[] = {0, kMax};
  std::vector<std::uint64_t> out(2);
  EXPECT_EQ(get_many(*r, keys, out).code(), ErrorCode::not_found);
  std::vector<std::uint8_t> found;
  SEGPACK_ASSERT_OK(get_many(*r, keys, out, std::uint64_t{5}, {}, &found));
  EXPECT_EQ(out, (std::vector<std::uint64_t>{5, 5}));
  EXPECT_EQ(found, (std::vector<std::uint8_t>{0, 0}));
}

}  // namespace
}  // namespace segpack
