// Partial-index mode of MapBufferReader and IntMapReader over a range source: what opening
// reads, what lookups cost (read_many calls), that results equal the full
// reader's, and that bad index blocks give format errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "segpack/get_many.h"
#include "segpack/internal/bytes.h"
#include "segpack/intmap.h"
#include "segpack/mapbuffer.h"
#include "segpack/source.h"
#include "test_util.h"

namespace segpack {
namespace {

// Counts calls and bytes; `damage` rewrites bytes of every answer that
// overlaps it (a corrupt block on the wire), `short_from` cuts answers that
// start at or past it.
class MeteredSource final : public RangeSource {
 public:
  explicit MeteredSource(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
  Result<Buffer> read(std::uint64_t offset, std::uint64_t length) override {
    ++reads;
    return take(offset, length);
  }
  Result<Buffer> read_to_end(std::uint64_t offset) override {
    ++reads;
    if (offset > bytes_.size()) return out_of_range("past the end");
    return take(offset, bytes_.size() - offset);
  }
  Result<std::vector<Buffer>> read_many(std::span<const ByteRange> ranges) override {
    ++batches;
    std::vector<Buffer> out;
    for (const ByteRange& r : ranges) {
      SEGPACK_ASSIGN_OR_RETURN(Buffer b, take(r.offset, r.length));
      out.push_back(std::move(b));
    }
    return out;
  }
  std::optional<std::uint64_t> size() override { return bytes_.size(); }

  std::uint64_t reads = 0, batches = 0, bytes_read = 0;
  std::uint64_t short_from = UINT64_MAX;

 private:
  Result<Buffer> take(std::uint64_t offset, std::uint64_t length) {
    if (!range_ok(offset, length, bytes_.size())) return out_of_range("past the end");
    if (offset >= short_from && length > 0) --length;
    bytes_read += length;
    return Buffer::copy_of(ByteSpan(bytes_.data() + offset, length));
  }
  std::vector<std::uint8_t> bytes_;
};

struct Map {
  std::vector<std::uint64_t> keys;
  std::vector<std::uint8_t> bytes;
};

Map make_map(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Map m;
  std::vector<std::string> values;
  m.keys.resize(n);
  for (std::size_t i = 0; i < n; ++i) m.keys[i] = rng() >> (i % 3 == 0 ? 0 : 20);
  std::sort(m.keys.begin(), m.keys.end());
  m.keys.erase(std::unique(m.keys.begin(), m.keys.end()), m.keys.end());
  std::vector<MapBufferItem> items;
  values.reserve(m.keys.size());
  for (std::uint64_t k : m.keys) values.push_back(std::to_string(k % 1000) + std::string(k % 7, 'x'));
  for (std::size_t i = 0; i < m.keys.size(); ++i) {
    items.push_back({m.keys[i], ByteSpan(reinterpret_cast<const std::uint8_t*>(values[i].data()), values[i].size())});
  }
  m.bytes = *build_mapbuffer(items);
  return m;
}

MapBufferReadOptions partial(std::uint64_t prefix = 65520, std::uint64_t block = 4096,
                             std::uint64_t cache = std::uint64_t{16} << 20) {
  MapBufferReadOptions o;
  o.partial_index_threshold = 0;
  o.partial_index_prefix = prefix;
  o.partial_index_block = block;
  o.partial_index_cache = cache;
  return o;
}

int levels(std::size_t n) { return std::bit_width(n); }  // depth of the tree of n nodes

TEST(PartialIndex, OpenReadsHeaderAndTopLevelsOnly) {
  const Map m = make_map(100000, 1);
  auto src = std::make_shared<MeteredSource>(m.bytes);
  auto r = MapBufferReader::open_source(src);  // the default threshold: 1.6 MB index > 1 MiB
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->partial_index());
  EXPECT_EQ(src->bytes_read, 16u + 16u * 4095u);  // 12 levels: 64 KiB with the header
  EXPECT_LE(src->reads + src->batches, 2u);
  EXPECT_EQ(r->size(), m.keys.size());
  EXPECT_TRUE(r->index_bytes().empty());

  // A small index keeps the full read.
  const Map small = make_map(1000, 2);
  auto s2 = std::make_shared<MeteredSource>(small.bytes);
  auto r2 = MapBufferReader::open_source(s2);
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2->partial_index());
  EXPECT_EQ(r2->index_bytes().size(), 16u * small.keys.size());
}

TEST(PartialIndex, OneLookupCostsAtMostTheLevelsBelowThePrefix) {
  const Map m = make_map(200000, 3);
  const int below = levels(m.keys.size()) - 12;
  std::mt19937_64 rng(4);
  for (int t = 0; t < 20; ++t) {
    auto src = std::make_shared<MeteredSource>(m.bytes);
    auto r = MapBufferReader::open_source(src, partial());
    ASSERT_TRUE(r.ok());
    const std::uint64_t before = src->batches + src->reads;
    const std::uint64_t key = m.keys[rng() % m.keys.size()];
    auto pos = r->lookup(key);
    ASSERT_TRUE(pos.ok()) << pos.status().message();
    ASSERT_TRUE(pos->has_value());
    EXPECT_EQ(r->key_at(**pos), key);
    const std::uint64_t cost = src->batches + src->reads - before;
    EXPECT_LE(cost, static_cast<std::uint64_t>(below));
    EXPECT_LE(cost, 2u);  // 6 levels below the prefix: one round of 9 rows (+ the next record, rarely)
    auto v = r->get(key);
    ASSERT_TRUE(v.ok()) << v.status().message();
  }
}

TEST(PartialIndex, GetManyOfHundredKeysCostsFewBatches) {
  const Map m = make_map(300000, 5);
  auto full_src = std::make_shared<MeteredSource>(m.bytes);
  MapBufferReadOptions never;
  never.partial_index_threshold = UINT64_MAX;
  auto full = MapBufferReader::open_source(full_src, never);
  ASSERT_TRUE(full.ok());
  ASSERT_FALSE(full->partial_index());

  // Small blocks: two rounds of 7 rows for the 7 levels below a 1023-record prefix.
  for (std::uint64_t block : {std::uint64_t{1024}, std::uint64_t{4096}, std::uint64_t{65536}}) {
    auto src = std::make_shared<MeteredSource>(m.bytes);
    auto r = MapBufferReader::open_source(src, partial(16 * 1023, block));
    ASSERT_TRUE(r.ok());
    std::mt19937_64 rng(6);
    std::vector<std::uint64_t> keys;
    for (int i = 0; i < 100; ++i) keys.push_back(m.keys[rng() % m.keys.size()]);
    const std::uint64_t before = src->batches + src->reads;
    auto got = get_many(*r, keys);
    ASSERT_TRUE(got.ok()) << got.status().message();
    const std::uint64_t cost = src->batches + src->reads - before;
    const int rows = std::bit_width(block / 16);  // tree levels per round
    const int below = levels(m.keys.size()) - 10;
    // Rounds, plus one for the successors' records, plus one for the items.
    EXPECT_LE(cost, static_cast<std::uint64_t>((below + rows - 1) / rows + 2)) << block;
    EXPECT_LE(cost, 4u) << block;
    auto want = get_many(*full, keys);
    ASSERT_TRUE(want.ok());
    ASSERT_EQ(got->size(), want->size());
    for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_TRUE(std::ranges::equal((*got)[i], (*want)[i])) << i;
  }
}

TEST(PartialIndex, RandomMapsAgreeWithTheFullReader) {
  std::mt19937_64 rng(7);
  for (std::size_t n : {1u, 2u, 3u, 7u, 100u, 1000u, 4097u, 20000u}) {
    const Map m = make_map(n, n);
    auto full = MapBufferReader::open(Buffer::copy_of(ByteSpan(m.bytes)));
    ASSERT_TRUE(full.ok());
    // Tiny prefix, tiny blocks, a cache of one block: every path is exercised.
    for (std::uint64_t cache : {std::uint64_t{64}, std::uint64_t{1} << 20}) {
      auto src = std::make_shared<MeteredSource>(m.bytes);
      auto r = MapBufferReader::open_source(src, partial(16 * 3, 64, cache));
      ASSERT_TRUE(r.ok()) << r.status().message();
      std::vector<std::uint64_t> probes;
      for (std::size_t i = 0; i < std::min<std::size_t>(n, 300); ++i) probes.push_back(m.keys[rng() % n]);
      for (int i = 0; i < 100; ++i) probes.push_back(rng() >> (i % 2 ? 0 : 20));  // mostly absent
      probes.push_back(0);
      probes.push_back(UINT64_MAX);
      auto many = r->lookup_many(probes);
      ASSERT_TRUE(many.ok()) << many.status().message();
      for (std::size_t j = 0; j < probes.size(); ++j) {
        const std::optional<std::size_t> want = full->find(probes[j]);
        EXPECT_EQ((*many)[j], want) << n << " key " << probes[j];
        auto one = r->lookup(probes[j]);
        ASSERT_TRUE(one.ok());
        EXPECT_EQ(*one, want);
        EXPECT_EQ(r->find(probes[j]), want);
        if (want) {
          auto a = r->item_range(*want);
          auto b = full->item_range(*want);
          ASSERT_TRUE(a.ok() && b.ok());
          EXPECT_EQ(*a, *b);
          EXPECT_EQ(*r->get(probes[j]), *full->get(probes[j]));
        }
      }
      // Everything else loads the rest of the index.
      EXPECT_TRUE(r->validate().ok());
      EXPECT_FALSE(r->partial_index());
      ASSERT_EQ(r->index_bytes().size(), 16 * n);
      EXPECT_EQ(std::memcmp(r->index_bytes().data(), full->index_bytes().data(), 16 * n), 0);
      for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(r->key_at(i), full->key_at(i));
    }
  }
}

TEST(PartialIndex, LoadIndexIsSharedByCopies) {
  const Map m = make_map(5000, 8);
  auto src = std::make_shared<MeteredSource>(m.bytes);
  auto r = MapBufferReader::open_source(src, partial(16 * 63));
  ASSERT_TRUE(r.ok());
  const MapBufferReader copy = r->with_check_crc(false);
  ASSERT_TRUE(copy.load_index().ok());
  EXPECT_FALSE(r->partial_index());
  const std::uint64_t before = src->reads + src->batches;
  ASSERT_TRUE(r->load_index().ok());
  for (std::uint64_t k : m.keys) ASSERT_TRUE(r->find(k).has_value());
  EXPECT_EQ(src->reads + src->batches, before);  // no more reads: the whole index is in memory
}

TEST(PartialIndex, CopiesShareTheCacheAcrossThreads) {
  const Map m = make_map(50000, 10);
  // BufferSource serves any number of threads; a 4-block cache forces evictions.
  auto r = MapBufferReader::open_source(std::make_shared<BufferSource>(Buffer::copy_of(ByteSpan(m.bytes))),
                                        partial(16 * 63, 256, 4 * 256));
  ASSERT_TRUE(r.ok());
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const MapBufferReader mine = *r;  // a copy: the same LazyIndex
      std::mt19937_64 rng(t);
      for (int round = 0; round < 20; ++round) {
        std::vector<std::uint64_t> keys;
        for (int i = 0; i < 50; ++i) keys.push_back(m.keys[rng() % m.keys.size()]);
        auto pos = mine.lookup_many(keys);
        if (!pos.ok()) {
          ++bad[t];
          continue;
        }
        for (std::size_t i = 0; i < keys.size(); ++i) {
          if (!(*pos)[i] || mine.key_at(*(*pos)[i]) != keys[i]) ++bad[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[t], 0) << t;
}

// Record i's offset field in the file.
std::size_t offset_field(std::size_t i) { return 16 + 16 * i + 8; }

TEST(PartialIndex, CorruptDeepBlockIsAFormatError) {
  const Map m = make_map(20000, 9);
  auto full = MapBufferReader::open(Buffer::copy_of(ByteSpan(m.bytes)));
  ASSERT_TRUE(full.ok());
  // A key stored deep in the tree (past a 63-record prefix).
  const std::size_t deep = m.keys.size() - 10;
  const std::uint64_t key = full->key_at(deep);
  for (std::uint64_t bad : {std::uint64_t{3}, std::uint64_t{1} << 60}) {
    std::vector<std::uint8_t> bytes = m.bytes;
    internal::store_le<std::uint64_t>(bytes.data() + offset_field(deep), bad);
    auto src = std::make_shared<MeteredSource>(bytes);
    auto r = MapBufferReader::open_source(src, partial(16 * 63, 256));
    ASSERT_TRUE(r.ok());
    auto v = r->get(key);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().category(), ErrorCategory::format) << v.status().message();
    auto g = get_many(*r, std::vector<std::uint64_t>{key});
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.status().category(), ErrorCategory::format) << g.status().message();
    EXPECT_FALSE(r->validate().ok());
  }
  // A source that answers short for the deeper blocks.
  auto src = std::make_shared<MeteredSource>(m.bytes);
  auto r = MapBufferReader::open_source(src, partial(16 * 63, 256));
  ASSERT_TRUE(r.ok());
  src->short_from = 16 + 16 * 63;
  auto one = r->lookup(key);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().code(), ErrorCode::out_of_range);
  EXPECT_EQ(one.status().category(), ErrorCategory::format);
  EXPECT_EQ(r->find(key), std::nullopt);  // find() cannot say why: lookup() does
  auto g = get_many(*r, std::vector<std::uint64_t>{key});
  EXPECT_FALSE(g.ok());
  auto e = r->entry(deep);
  EXPECT_FALSE(e.ok());
  src->short_from = 16;  // the whole index, short
  EXPECT_FALSE(r->load_index().ok());
  EXPECT_TRUE(r->partial_index());
}

// ---------------------------------------------------------------- IntMap

struct Pairs {
  std::vector<std::uint64_t> keys;  // sorted, distinct
  std::vector<std::uint8_t> bytes;
};

Pairs make_intmap(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Pairs m;
  m.keys.resize(n);
  for (std::size_t i = 0; i < n; ++i) m.keys[i] = rng() >> (i % 3 == 0 ? 0 : 20);
  std::sort(m.keys.begin(), m.keys.end());
  m.keys.erase(std::unique(m.keys.begin(), m.keys.end()), m.keys.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
  for (std::uint64_t k : m.keys) pairs.emplace_back(k, k * 3 + 1);
  m.bytes = *build_intmap(pairs);
  return m;
}

IntMapReadOptions intmap_partial(std::uint64_t prefix = 65520, std::uint64_t block = 4096) {
  IntMapReadOptions o;
  o.partial_index_threshold = 0;
  o.partial_index_prefix = prefix;
  o.partial_index_block = block;
  return o;
}

TEST(IntMapPartialIndex, OpenReadsHeaderAndTopLevelsOnly) {
  const Pairs m = make_intmap(100000, 11);
  auto src = std::make_shared<MeteredSource>(m.bytes);
  auto r = IntMapReader::open_source(src, IntMapReadOptions{});  // the default threshold: 1.6 MB > 1 MiB
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->partial_index());
  EXPECT_EQ(src->reads + src->batches, 1u);
  EXPECT_EQ(src->bytes_read, 10u + 16u * 65520u / 16u);  // 12 levels with the header, one read
  EXPECT_EQ(r->size(), m.keys.size());
  EXPECT_TRUE(r->buffer().empty());
  EXPECT_EQ(r->header_bytes().size(), kIntMapHeaderSize);

  // A small map is read whole in that same first read.
  const Pairs small = make_intmap(1000, 12);
  auto s2 = std::make_shared<MeteredSource>(small.bytes);
  auto r2 = IntMapReader::open_source(s2, IntMapReadOptions{});
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2->partial_index());
  EXPECT_EQ(s2->reads, 1u);
  EXPECT_EQ(r2->buffer().size(), small.bytes.size());
}

TEST(IntMapPartialIndex, RandomMapsAgreeWithTheFullReader) {
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    const Pairs m = make_intmap(3000 + 4000 * seed, 100 + seed);
    auto full = IntMapReader::open(Buffer::copy_of(ByteSpan(m.bytes.data(), m.bytes.size())));
    ASSERT_TRUE(full.ok());
    auto src = std::make_shared<MeteredSource>(m.bytes);
    auto r = IntMapReader::open_source(src, intmap_partial(16 * 63, 256));
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_TRUE(r->partial_index());
    std::mt19937_64 rng(seed);
    std::vector<std::uint64_t> probe;
    for (int j = 0; j < 200; ++j) {
      probe.push_back(j % 2 ? m.keys[rng() % m.keys.size()] : rng());
    }
    for (std::uint64_t k : probe) {
      auto a = full->get(k);
      auto b = r->get(k);
      ASSERT_EQ(a.ok(), b.ok()) << k;
      if (a.ok()) EXPECT_EQ(*a, *b);
      EXPECT_EQ(full->find(k), r->find(k));
    }
    std::vector<std::uint64_t> va(probe.size()), vb(probe.size());
    ASSERT_TRUE(get_many(*full, probe, va, 7).ok());
    ASSERT_TRUE(get_many(*r, probe, vb, 7).ok());
    EXPECT_EQ(va, vb);
    EXPECT_EQ(get_many(*r, probe, vb, std::nullopt).code(), ErrorCode::not_found);
    for (std::size_t i = 0; i < r->size(); i += 97) {
      EXPECT_EQ(r->key_at(i), full->key_at(i));
      EXPECT_EQ(r->value_at(i), full->value_at(i));
    }
    ASSERT_TRUE(r->validate().ok());  // loads the rest
    EXPECT_FALSE(r->partial_index());
  }
}

TEST(IntMapPartialIndex, GetManyOfHundredKeysCostsFewBatches) {
  const Pairs m = make_intmap(200000, 13);
  auto src = std::make_shared<MeteredSource>(m.bytes);
  auto r = IntMapReader::open_source(src, IntMapReadOptions{});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->partial_index());
  std::mt19937_64 rng(5);
  std::vector<std::uint64_t> keys;
  for (int j = 0; j < 100; ++j) keys.push_back(m.keys[rng() % m.keys.size()]);
  std::vector<std::uint64_t> out(keys.size());
  const std::uint64_t before = src->reads + src->batches;
  ASSERT_TRUE(get_many(*r, keys, out).ok());
  // 18 levels: 12 in the prefix, a 4 KiB block (256 pairs) spans 9 more.
  EXPECT_LE(src->reads + src->batches - before, 2u);
  for (std::size_t j = 0; j < keys.size(); ++j) EXPECT_EQ(out[j], keys[j] * 3 + 1);
}

TEST(IntMapPartialIndex, CorruptDeepBlockIsAFormatError) {
  const Pairs m = make_intmap(5000, 14);
  auto src = std::make_shared<MeteredSource>(m.bytes);
  auto r = IntMapReader::open_source(src, intmap_partial(16 * 63, 256));
  ASSERT_TRUE(r.ok());
  src->short_from = 10 + 16 * 63;  // every deeper block answers one byte short
  auto g = r->get(m.keys[m.keys.size() / 3]);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().category(), ErrorCategory::format) << g.status().message();
  std::vector<std::uint64_t> out(m.keys.size());
  const Status st = get_many(*r, m.keys, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.category(), ErrorCategory::format);
  src->short_from = 10;  // the whole rest, short
  const Status v = r->validate();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.category(), ErrorCategory::format);
}

}  // namespace
}  // namespace segpack
