// BufferWithSegments and BufferWithSegmentsCollection: overflow-safe bounds,
// raw 16-byte records, python-zstandard's acceptance rules (overlap, disorder,
// gaps), subrange/select, ownership, and the collection's flat indexing.
#include "segpack/segments.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "test_util.h"

namespace segpack {
namespace {

using testing::bytes_of;
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::string str(ByteSpan s) { return {s.begin(), s.end()}; }

std::vector<std::uint8_t> records_of(const std::vector<Segment>& segs) {
  std::vector<std::uint8_t> out(segs.size() * sizeof(Segment));
  if (!segs.empty()) std::memcpy(out.data(), segs.data(), out.size());
  return out;
}

Buffer text(std::string_view s) { return Buffer::copy_of(bytes_of(s)); }

TEST(Segments, MakeAndRead) {
  auto b = BufferWithSegments::make(text("hello world"), {{0, 5}, {6, 5}, {5, 1}});
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  ASSERT_EQ(b->size(), 3u);
  EXPECT_FALSE(b->empty());
  EXPECT_EQ(str((*b)[0]), "hello");
  EXPECT_EQ(str((*b)[1]), "world");
  EXPECT_EQ(str((*b)[2]), " ");
  EXPECT_EQ(b->total_length(), 11u);
  EXPECT_EQ(b->data().size(), 11u);
  EXPECT_EQ(str(b->concatenated()), "helloworld ");
  EXPECT_EQ(b->segments()[1], (Segment{6, 5}));
}

TEST(Segments, ViewsBorrowTheBackingBuffer) {
  Buffer data = text("abcdef");
  auto b = BufferWithSegments::make(data, {{2, 3}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)[0].data(), data.data() + 2) << "segments must not copy";
  EXPECT_EQ(b->segment(0).data(), data.data() + 2);
}

TEST(Segments, SegmentBufferKeepsOwnerAlive) {
  Buffer seg;
  std::weak_ptr<const void> watch;
  {
    Buffer data = text("0123456789");
    watch = data.owner();
    auto b = BufferWithSegments::make(std::move(data), {{3, 4}});
    ASSERT_TRUE(b.ok());
    seg = b->segment(0);
  }
  EXPECT_FALSE(watch.expired()) << "a segment Buffer must share the owner";
  EXPECT_EQ(str(seg.span()), "3456");
  seg = Buffer();
  EXPECT_TRUE(watch.expired());
}

TEST(Segments, CopiesShareBufferAndTable) {
  auto b = BufferWithSegments::make(text("xyz"), {{0, 1}, {1, 2}});
  ASSERT_TRUE(b.ok());
  BufferWithSegments c = *b;
  EXPECT_EQ(c.data().data(), b->data().data());
  EXPECT_EQ(c.segments().data(), b->segments().data());
}

TEST(Segments, DefaultConstructedIsEmpty) {
  BufferWithSegments b;
  EXPECT_EQ(b.size(), 0u);
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.segments().empty());
  EXPECT_TRUE(b.segment_records().empty());
  EXPECT_EQ(b.total_length(), 0u);
  EXPECT_TRUE(b.concatenated().empty());
  EXPECT_EQ(b.subrange(0, 0).size(), 0u);
  auto sel = b.select({});
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(sel->size(), 0u);
  const std::size_t idx[] = {0};
  EXPECT_EQ(b.select(idx).status().code(), ErrorCode::out_of_range);
}

TEST(Segments, NoSegmentsOverAnyBuffer) {
  auto b = BufferWithSegments::make(text("abc"), {});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size(), 0u);
  EXPECT_EQ(b->data().size(), 3u);
  auto e = BufferWithSegments::make(Buffer(), {});
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());
}

TEST(Segments, EmptySegmentsAnywhereInside) {
  // Zero-length segments at the start, the middle and exactly at the end are inside.
  auto b = BufferWithSegments::make(text("abc"), {{0, 0}, {1, 0}, {3, 0}, {0, 3}});
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_TRUE((*b)[0].empty());
  EXPECT_TRUE((*b)[2].empty());
  EXPECT_EQ(str((*b)[3]), "abc");
  // Zero-length over an empty buffer at offset 0 is inside too.
  EXPECT_TRUE(BufferWithSegments::make(Buffer(), {{0, 0}}).ok());
}

TEST(Segments, OverlappingUnsortedGappedAccepted) {
  // python-zstandard accepts all of these; so do we.
  auto b = BufferWithSegments::make(text("abcdefghij"), {{5, 5}, {0, 3}, {2, 6}, {2, 6}, {9, 1}});
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(str((*b)[0]), "fghij");
  EXPECT_EQ(str((*b)[1]), "abc");
  EXPECT_EQ(str((*b)[2]), "cdefgh");
  EXPECT_EQ(str((*b)[3]), "cdefgh");
  EXPECT_EQ(str((*b)[4]), "j");
  EXPECT_EQ(b->total_length(), 5u + 3 + 6 + 6 + 1);
  EXPECT_EQ(str(b->concatenated()), "fghijabccdefghcdefghj");
  // Gaps: bytes 3..4 unused.
  auto g = BufferWithSegments::make(text("abcdefgh"), {{0, 3}, {5, 3}});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(str(g->concatenated()), "abcfgh");
}

TEST(Segments, OutOfBoundsRejected) {
  const Buffer d = text("abc");
  for (Segment s : {Segment{0, 4}, Segment{1, 3}, Segment{3, 1}, Segment{4, 0}, Segment{kMax, 0}, Segment{0, kMax},
                    Segment{kMax, kMax}, Segment{kMax - 15, 19}, Segment{kMax - 1, 2}, Segment{2, kMax - 1}}) {
    auto b = BufferWithSegments::make(d, {{0, 1}, s});
    EXPECT_EQ(b.status().code(), ErrorCode::out_of_range) << s.offset << "," << s.length;
    // The message names the offending segment (index 1) and the buffer size.
    EXPECT_NE(b.status().message().find("segment 1"), std::string::npos) << b.status().message();
    EXPECT_NE(b.status().message().find("3-byte"), std::string::npos) << b.status().message();
  }
  // Segments over an empty buffer: anything but (0, 0) is outside.
  EXPECT_EQ(BufferWithSegments::make(Buffer(), {{0, 1}}).status().code(), ErrorCode::out_of_range);
  EXPECT_EQ(BufferWithSegments::make(Buffer(), {{1, 0}}).status().code(), ErrorCode::out_of_range);
}

// python-zstandard's defect: offset + length wraps around u64, so (2^64-16, 19)
// passes a naive check over 3 bytes and reads 16 bytes before the buffer.
TEST(Segments, OffsetPlusLengthOverflowRejected) {
  const std::vector<Segment> segs{{kMax - 15, 19}};
  ASSERT_EQ(segs[0].offset + segs[0].length, 3u) << "the sum wraps to exactly the buffer size";
  auto b = BufferWithSegments::make(text("abc"), segs);
  EXPECT_EQ(b.status().code(), ErrorCode::out_of_range) << b.status().to_string();
  const auto rec = records_of(segs);
  auto r = BufferWithSegments::from_records(text("abc"), rec);
  EXPECT_EQ(r.status().code(), ErrorCode::out_of_range) << r.status().to_string();
}

TEST(Segments, FirstBadSegmentIsNamed) {
  auto b = BufferWithSegments::make(text("abcd"), {{0, 1}, {1, 1}, {0, 9}, {9, 9}});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("segment 2 "), std::string::npos) << b.status().message();
}

TEST(Segments, FromRecordsRoundTrip) {
  const std::vector<Segment> segs{{4, 2}, {0, 4}, {6, 0}, {1, 5}};
  const auto rec = records_of(segs);
  auto b = BufferWithSegments::from_records(text("abcdef"), rec);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  ASSERT_EQ(b->size(), segs.size());
  for (std::size_t i = 0; i < segs.size(); ++i) EXPECT_EQ(b->segments()[i], segs[i]);
  EXPECT_EQ(str((*b)[0]), "ef");
  EXPECT_EQ(str((*b)[3]), "bcdef");
  // segment_records() gives the same 16-byte native records back.
  const ByteSpan back = b->segment_records();
  EXPECT_EQ(std::vector<std::uint8_t>(back.begin(), back.end()), rec);
  // The records are copied: changing the source afterwards has no effect.
  auto mutable_rec = rec;
  auto c = BufferWithSegments::from_records(text("abcdef"), mutable_rec);
  ASSERT_TRUE(c.ok());
  std::memset(mutable_rec.data(), 0xFF, mutable_rec.size());
  EXPECT_EQ(c->segments()[0], segs[0]);
}

TEST(Segments, FromRecordsUnalignedInput) {
  // Records may start at any address (they are copied with memcpy).
  const std::vector<Segment> segs{{1, 2}, {0, 3}};
  const auto rec = records_of(segs);
  std::vector<std::uint8_t> shifted(rec.size() + 1);
  std::memcpy(shifted.data() + 1, rec.data(), rec.size());
  auto b = BufferWithSegments::from_records(text("xyz"), ByteSpan(shifted).subspan(1));
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(str((*b)[0]), "yz");
  EXPECT_EQ(str((*b)[1]), "xyz");
}

TEST(Segments, FromRecordsSizeNotMultipleOf16) {
  const auto rec = records_of({{0, 1}, {1, 1}});
  for (std::size_t n : {1u, 8u, 15u, 17u, 31u}) {
    auto b = BufferWithSegments::from_records(text("ab"), ByteSpan(rec).first(n));
    EXPECT_EQ(b.status().code(), ErrorCode::invalid_argument) << n;
    EXPECT_NE(b.status().message().find("multiple of 16"), std::string::npos) << b.status().message();
  }
  auto empty = BufferWithSegments::from_records(text("ab"), ByteSpan());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 0u);
}

TEST(Segments, AdoptTakesSegmentsAsGiven) {
  auto b = BufferWithSegments::adopt(text("abcdef"), {{3, 3}, {0, 3}});
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(str(b[0]), "def");
  EXPECT_EQ(str(b[1]), "abc");
}

TEST(Segments, Subrange) {
  auto b = BufferWithSegments::make(text("abcdefgh"), {{0, 1}, {1, 2}, {3, 3}, {6, 2}});
  ASSERT_TRUE(b.ok());
  BufferWithSegments mid = b->subrange(1, 2);
  ASSERT_EQ(mid.size(), 2u);
  EXPECT_EQ(str(mid[0]), "bc");
  EXPECT_EQ(str(mid[1]), "def");
  EXPECT_EQ(mid.data().data(), b->data().data()) << "subrange shares the buffer";
  EXPECT_EQ(mid.total_length(), 5u);
  EXPECT_EQ(b->subrange(0, 4).size(), 4u);
  EXPECT_EQ(b->subrange(4, 0).size(), 0u);
  EXPECT_EQ(b->subrange(2, 0).size(), 0u);
  // The subrange outlives its parent object (the buffer is shared).
  BufferWithSegments tail;
  {
    auto tmp = BufferWithSegments::make(text("12345"), {{0, 2}, {2, 3}});
    ASSERT_TRUE(tmp.ok());
    tail = tmp->subrange(1, 1);
  }
  EXPECT_EQ(str(tail[0]), "345");
}

TEST(Segments, SelectWithRepeatsAndOrder) {
  auto b = BufferWithSegments::make(text("abcdef"), {{0, 2}, {2, 2}, {4, 2}});
  ASSERT_TRUE(b.ok());
  const std::size_t idx[] = {2, 0, 2, 1};
  auto s = b->select(idx);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 4u);
  EXPECT_EQ(str(s->concatenated()), "efabefcd");
  EXPECT_EQ(s->data().data(), b->data().data());
  const std::size_t bad[] = {0, 3};
  auto e = b->select(bad);
  EXPECT_EQ(e.status().code(), ErrorCode::out_of_range);
  EXPECT_NE(e.status().message().find("3"), std::string::npos) << e.status().message();
  const std::size_t huge[] = {std::numeric_limits<std::size_t>::max()};
  EXPECT_EQ(b->select(huge).status().code(), ErrorCode::out_of_range);
}

TEST(Segments, RandomSegmentsMatchAnIndependentCheck) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 2000; ++round) {
    const std::size_t size = rng() % 40;
    std::vector<Segment> segs(1 + rng() % 4);
    for (auto& s : segs) {
      switch (rng() % 4) {
        case 0: s = {rng() % 50, rng() % 50}; break;
        case 1: s = {kMax - rng() % 64, rng() % 64}; break;
        case 2: s = {rng() % 64, kMax - rng() % 64}; break;
        default: s = {rng(), rng()}; break;
      }
    }
    bool inside = true;
    for (const auto& s : segs) {
      inside = inside && static_cast<unsigned __int128>(s.offset) + s.length <= size;
    }
    auto b = BufferWithSegments::make(Buffer::copy_of(testing::random_bytes(size, round)), segs);
    EXPECT_EQ(b.ok(), inside) << "round " << round;
    if (b.ok()) {
      // Reading every segment stays inside (ASan checks the bytes).
      std::uint64_t sum = 0;
      for (std::size_t i = 0; i < b->size(); ++i) {
        for (std::uint8_t c : (*b)[i]) sum += c;
      }
      (void)sum;
    } else {
      EXPECT_EQ(b.status().code(), ErrorCode::out_of_range);
    }
  }
}

// ---------------------------------------------------------------- collection

BufferWithSegments bws(std::string_view s, std::vector<Segment> segs) {
  auto b = BufferWithSegments::make(text(s), std::move(segs));
  EXPECT_TRUE(b.ok()) << b.status().to_string();
  return std::move(b).value();
}

TEST(SegmentsCollection, MakeErrors) {
  auto none = BufferWithSegmentsCollection::make({});
  EXPECT_EQ(none.status().code(), ErrorCode::invalid_argument) << none.status().to_string();
  auto with_empty = BufferWithSegmentsCollection::make({bws("ab", {{0, 2}}), bws("cd", {})});
  EXPECT_EQ(with_empty.status().code(), ErrorCode::invalid_argument) << with_empty.status().to_string();
  EXPECT_NE(with_empty.status().message().find("argument 1"), std::string::npos) << with_empty.status().message();
  auto default_member = BufferWithSegmentsCollection::make({BufferWithSegments()});
  EXPECT_EQ(default_member.status().code(), ErrorCode::invalid_argument);
  // A member whose segments are all empty still has segments: accepted.
  EXPECT_TRUE(BufferWithSegmentsCollection::make({bws("", {{0, 0}})}).ok());
}

TEST(SegmentsCollection, DefaultConstructedIsEmpty) {
  // python-zstandard's BufferWithSegmentsCollection.__new__(cls) then len() segfaults.
  BufferWithSegmentsCollection c;
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.part_count(), 0u);
  EXPECT_EQ(c.total_length(), 0u);
  EXPECT_TRUE(c.spans().empty());
}

TEST(SegmentsCollection, LocateAcrossParts) {
  auto c = BufferWithSegmentsCollection::make(
      {bws("abc", {{0, 1}, {1, 1}, {2, 1}}), bws("XY", {{0, 2}}), bws("mnop", {{3, 1}, {0, 0}}), bws("q", {{0, 1}})});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->size(), 7u);
  EXPECT_EQ(c->part_count(), 4u);
  const std::pair<std::size_t, std::size_t> want[] = {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {2, 0}, {2, 1}, {3, 0}};
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(c->locate(i), want[i]) << i;
  const char* text_of[] = {"a", "b", "c", "XY", "p", "", "q"};
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(str((*c)[i]), text_of[i]) << i;
  EXPECT_EQ(c->total_length(), 7u);
  const auto spans = c->spans();
  ASSERT_EQ(spans.size(), 7u);
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(spans[i].data(), (*c)[i].data());
    EXPECT_EQ(spans[i].size(), (*c)[i].size());
  }
  EXPECT_EQ(str(c->part(1)[0]), "XY");
}

TEST(SegmentsCollection, LocateManyRandomParts) {
  std::mt19937_64 rng(5);
  std::vector<BufferWithSegments> parts;
  std::vector<std::pair<std::size_t, std::size_t>> expected;
  for (std::size_t p = 0; p < 50; ++p) {
    const std::size_t k = 1 + rng() % 5;
    std::vector<Segment> segs;
    for (std::size_t j = 0; j < k; ++j) {
      segs.push_back({j, 1});
      expected.push_back({p, j});
    }
    parts.push_back(bws("abcde", segs));
  }
  auto c = BufferWithSegmentsCollection::make(std::move(parts));
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(c->locate(i), expected[i]) << i;
}

}  // namespace
}  // namespace segpack
