// Chunking and assembly against a naive element-by-element reference, over
// random shapes, strides (negative and non-contiguous included), item sizes,
// chunk sizes, chunk orders, grid orders and edge policies.
#include "segpack/chunking.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "segpack/internal/transpose.h"

namespace segpack {
namespace {

// A random strided array over a random backing buffer.
struct RandomArray {
  std::vector<std::uint8_t> backing;
  ArrayView view;
};

RandomArray random_array(std::mt19937_64& rng, std::size_t nd, std::size_t k, std::int64_t max_extent) {
  RandomArray a;
  std::vector<std::int64_t> shape(nd), step(nd);
  for (std::size_t d = 0; d < nd; ++d) {
    shape[d] = std::uniform_int_distribution<std::int64_t>(1, max_extent)(rng);
    step[d] = std::uniform_int_distribution<int>(0, 3)(rng) == 0 ? 2 : 1;
  }
  // A random memory order of the dimensions (outermost first).
  std::vector<std::size_t> perm(nd);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  if (rng() % 3 == 0) std::iota(perm.begin(), perm.end(), 0);  // C often
  std::vector<std::int64_t> strides(nd);
  std::int64_t s = static_cast<std::int64_t>(k);
  for (std::size_t j = nd; j-- > 0;) {
    const std::size_t d = perm[j];
    strides[d] = s * step[d];
    s *= shape[d] * step[d];
  }
  a.backing.resize(static_cast<std::size_t>(s));
  for (auto& b : a.backing) b = static_cast<std::uint8_t>(rng());
  const std::uint8_t* base = a.backing.data();
  for (std::size_t d = 0; d < nd; ++d) {
    if (rng() % 4 == 0) {  // reversed
      base += (shape[d] - 1) * strides[d];
      strides[d] = -strides[d];
    }
  }
  a.view = ArrayView{base, shape, strides, k};
  return a;
}

const std::uint8_t* elem(const ArrayView& v, const std::vector<std::int64_t>& idx) {
  const std::uint8_t* p = v.data;
  for (std::size_t d = 0; d < idx.size(); ++d) p += idx[d] * v.strides[d];
  return p;
}

// Chunk i's bytes, element by element.
std::vector<std::uint8_t> naive_chunk(const ArrayView& v, const ChunkLayout& L, std::size_t i,
                                      const std::vector<std::uint8_t>& fill) {
  const std::size_t nd = L.ndim(), k = L.itemsize;
  std::vector<std::int64_t> cshape(nd);
  std::int64_t count = 1;
  for (std::size_t d = 0; d < nd; ++d) {
    cshape[d] = L.edges == EdgePolicy::pad ? L.chunk_size[d] : L.extent(i, d);
    count *= cshape[d];
  }
  std::vector<std::uint8_t> out;
  std::vector<std::int64_t> local(nd, 0), idx(nd);
  for (std::int64_t e = 0; e < count; ++e) {
    bool inside = true;
    for (std::size_t d = 0; d < nd; ++d) {
      idx[d] = L.bboxes[i * 2 * nd + d] + local[d];
      inside &= idx[d] < L.shape[d];
    }
    if (inside) {
      const std::uint8_t* p = elem(v, idx);
      out.insert(out.end(), p, p + k);
    } else {
      out.insert(out.end(), fill.begin(), fill.end());
    }
    // advance in chunk order
    if (L.order == ChunkOrder::c) {
      for (std::size_t d = nd; d-- > 0;) {
        if (++local[d] < cshape[d]) break;
        local[d] = 0;
      }
    } else {
      for (std::size_t d = 0; d < nd; ++d) {
        if (++local[d] < cshape[d]) break;
        local[d] = 0;
      }
    }
  }
  return out;
}

std::uint64_t morton(const std::int64_t* g, const std::vector<std::int64_t>& grid) {
  std::uint64_t c = 0;
  int out = 0;
  for (int b = 0; b < 20; ++b) {
    for (std::size_t d = 0; d < grid.size(); ++d) {
      if ((std::int64_t{1} << b) < grid[d]) c |= static_cast<std::uint64_t>((g[d] >> b) & 1) << out++;
    }
  }
  return c;
}

void random_against_naive(std::uint64_t seed, int iters) {
  std::mt19937_64 rng(seed);
  const std::size_t sizes[] = {1, 2, 3, 4, 8, 16};
  for (int iter = 0; iter < iters; ++iter) {
    const std::size_t nd = 1 + rng() % 5;
    const std::size_t k = sizes[rng() % 6];
    // Every 8th array is large enough for the register-block transposes and long row runs.
    RandomArray a = random_array(rng, nd, k, iter % 8 == 0 ? (nd <= 3 ? 40 : 12) : (nd <= 2 ? 40 : 9));
    ChunkOptions opts;
    opts.order = rng() % 2 ? ChunkOrder::c : ChunkOrder::f;
    opts.grid = static_cast<GridOrder>(rng() % 3);
    opts.edges = static_cast<EdgePolicy>(1 + rng() % 2);
    if (rng() % 2) {
      opts.fill.resize(k);
      for (auto& b : opts.fill) b = static_cast<std::uint8_t>(rng());
    }
    opts.parallel.threads = 1 + rng() % 2;
    opts.parallel.inline_below_bytes = 0;
    opts.prefault = rng() % 2 == 0;
    std::vector<std::int64_t> cs(nd);
    for (std::size_t d = 0; d < nd; ++d) cs[d] = 1 + static_cast<std::int64_t>(rng() % (a.view.shape[d] + 2));
    auto r = chunk_array(a.view, cs, opts);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const ChunkLayout& L = r->layout;
    const std::vector<std::uint8_t> fill = opts.fill.empty() ? std::vector<std::uint8_t>(k, 0) : opts.fill;
    std::int64_t n = 1;
    for (std::size_t d = 0; d < nd; ++d) n *= L.grid_shape[d];
    ASSERT_EQ(L.count(), static_cast<std::size_t>(n));
    ASSERT_EQ(r->chunks.size(), L.count());
    for (std::size_t i = 0; i < L.count(); ++i) {
      const ByteSpan got = r->chunks[i];
      const std::vector<std::uint8_t> want = naive_chunk(a.view, L, i, fill);
      ASSERT_EQ(got.size(), want.size()) << "iter " << iter << " chunk " << i;
      ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin())) << "iter " << iter << " chunk " << i;
    }
    // Grid order.
    for (std::size_t i = 1; i < L.count(); ++i) {
      const std::int64_t* p = &L.grid_coords[(i - 1) * nd];
      const std::int64_t* q = &L.grid_coords[i * nd];
      if (opts.grid == GridOrder::morton) {
        EXPECT_LT(morton(p, L.grid_shape), morton(q, L.grid_shape));
      } else if (opts.grid == GridOrder::c) {
        EXPECT_TRUE(std::lexicographical_compare(p, p + nd, q, q + nd));
      } else {
        EXPECT_TRUE(std::lexicographical_compare(std::reverse_iterator(p + nd), std::reverse_iterator(p),
                                                 std::reverse_iterator(q + nd), std::reverse_iterator(q)));
      }
    }
    // Round trip into a C-contiguous array, and a region of it.
    std::vector<std::int64_t> st(nd);
    std::int64_t s = static_cast<std::int64_t>(k);
    for (std::size_t d = nd; d-- > 0;) {
      st[d] = s;
      s *= a.view.shape[d];
    }
    std::vector<std::uint8_t> back(static_cast<std::size_t>(s));
    std::vector<ByteSpan> spans;
    for (std::size_t i = 0; i < L.count(); ++i) spans.push_back(r->chunks[i]);
    ASSERT_TRUE(assemble_into(MutableArrayView{back.data(), a.view.shape, st, k}, L, spans, {}, opts.parallel).ok());
    std::vector<std::int64_t> idx(nd, 0);
    for (std::int64_t e = 0; e < s / static_cast<std::int64_t>(k); ++e) {
      std::int64_t off = 0;
      for (std::size_t d = 0; d < nd; ++d) off += idx[d] * st[d];
      ASSERT_EQ(0, std::memcmp(back.data() + off, elem(a.view, idx), k)) << "iter " << iter;
      for (std::size_t d = nd; d-- > 0;) {
        if (++idx[d] < a.view.shape[d]) break;
        idx[d] = 0;
      }
    }
    // Round trip into a Fortran-ordered array (the other memory order than a C one).
    std::vector<std::int64_t> fst(nd);
    std::int64_t fs = static_cast<std::int64_t>(k);
    for (std::size_t d = 0; d < nd; ++d) {
      fst[d] = fs;
      fs *= a.view.shape[d];
    }
    std::vector<std::uint8_t> fback(static_cast<std::size_t>(fs));
    ASSERT_TRUE(assemble_into(MutableArrayView{fback.data(), a.view.shape, fst, k}, L, spans, {}, opts.parallel).ok());
    std::fill(idx.begin(), idx.end(), 0);
    for (std::int64_t e = 0; e < fs / static_cast<std::int64_t>(k); ++e) {
      std::int64_t off = 0;
      for (std::size_t d = 0; d < nd; ++d) off += idx[d] * fst[d];
      ASSERT_EQ(0, std::memcmp(fback.data() + off, elem(a.view, idx), k)) << "iter " << iter << " (F destination)";
      for (std::size_t d = nd; d-- > 0;) {
        if (++idx[d] < a.view.shape[d]) break;
        idx[d] = 0;
      }
    }
    // A region, into a reversed (negative-stride) destination.
    std::vector<std::int64_t> r0(nd), rs(nd), rst(nd);
    std::int64_t rsz = static_cast<std::int64_t>(k);
    for (std::size_t d = nd; d-- > 0;) {
      r0[d] = static_cast<std::int64_t>(rng() % a.view.shape[d]);
      rs[d] = 1 + static_cast<std::int64_t>(rng() % (a.view.shape[d] - r0[d]));
      rst[d] = rsz;
      rsz *= rs[d];
    }
    std::vector<std::uint8_t> reg(static_cast<std::size_t>(rsz));
    std::uint8_t* rbase = reg.data() + (rs[0] - 1) * rst[0];
    rst[0] = -rst[0];
    ASSERT_TRUE(assemble_into(MutableArrayView{rbase, rs, rst, k}, L, spans, r0, opts.parallel).ok());
    std::fill(idx.begin(), idx.end(), 0);
    for (std::int64_t e = 0; e < rsz / static_cast<std::int64_t>(k); ++e) {
      std::int64_t off = 0;
      std::vector<std::int64_t> gi(nd);
      for (std::size_t d = 0; d < nd; ++d) {
        off += idx[d] * rst[d];
        gi[d] = idx[d] + r0[d];
      }
      ASSERT_EQ(0, std::memcmp(rbase + off, elem(a.view, gi), k)) << "iter " << iter;
      for (std::size_t d = nd; d-- > 0;) {
        if (++idx[d] < rs[d]) break;
        idx[d] = 0;
      }
    }
  }
}

TEST(Chunking, RandomAgainstNaive) { random_against_naive(11, 400); }

// Every transpose kernel this machine can run, forced through the whole
// chunking path and tested on its own against an element-by-element copy.
class TransposeKernel : public ::testing::TestWithParam<internal::TransposeIsa> {
 protected:
  void SetUp() override { ASSERT_TRUE(internal::force_transpose_isa(GetParam())); }
  void TearDown() override { internal::reset_transpose_isa(); }
};

TEST_P(TransposeKernel, IsUsed) { EXPECT_EQ(internal::transpose_isa(), GetParam()); }

TEST_P(TransposeKernel, ChunkingAgainstNaive) { random_against_naive(23, 250); }

TEST_P(TransposeKernel, TilesAgainstNaive) {
  std::mt19937_64 rng(5);
  const std::size_t sizes[] = {1, 2, 3, 4, 8, 16};
  for (int iter = 0; iter < 600; ++iter) {
    const std::size_t k = sizes[(iter / 4) % 6];
    const auto kk = static_cast<std::int64_t>(k);
    // Sizes around the register blocks (up to 32 x 32), sometimes whole 64-byte lines.
    const std::int64_t ea =
        iter % 4 == 0 ? 64 / std::min<std::int64_t>(kk, 64) : 1 + static_cast<std::int64_t>(rng() % 40);
    const std::int64_t eb = 1 + static_cast<std::int64_t>(rng() % 70);
    const std::int64_t ssa = eb * kk + static_cast<std::int64_t>(rng() % 3) * kk + static_cast<std::int64_t>(rng() % 2);
    const std::int64_t dsb = iter % 4 == 0 ? (ea * kk + 63) / 64 * 64 : ea * kk + static_cast<std::int64_t>(rng() % 9);
    std::vector<std::uint8_t> src(static_cast<std::size_t>(ea * ssa + 64));
    for (auto& b : src) b = static_cast<std::uint8_t>(rng());
    std::vector<std::uint8_t> got(static_cast<std::size_t>(eb * dsb + 128), 0xAB), want = got;
    // A 64-byte aligned destination when whole lines are asked for (the streaming stores' case).
    const std::size_t shift = (64 - reinterpret_cast<std::uintptr_t>(got.data()) % 64) % 64;
    const std::size_t doff = iter % 4 == 0 ? shift : static_cast<std::size_t>(rng() % 8);
    const std::size_t soff =
        static_cast<std::size_t>(rng() % 8) % (src.size() - static_cast<std::size_t>(ea * ssa) + 1);
    for (std::int64_t a = 0; a < ea; ++a) {
      for (std::int64_t b = 0; b < eb; ++b) {
        std::memcpy(want.data() + doff + b * dsb + a * kk, src.data() + soff + a * ssa + b * kk, k);
      }
    }
    internal::transpose_tile(got.data() + doff, dsb, src.data() + soff, ssa, ea, eb, k, iter % 2 == 0);
    ASSERT_EQ(got, want) << "iter " << iter << " k " << k << " ea " << ea << " eb " << eb;
  }
}

// Outputs of 64 MiB and more are written with streaming stores: large
// arrays in mismatched (C array, F chunks) and matching orders with edge
// chunks, spot-checked (first chunk, a middle one, the last: an edge one).
TEST_P(TransposeKernel, LargeArraysStream) {
  struct Case {
    std::size_t k;
    std::vector<std::int64_t> shape;
    ChunkOrder order;
    EdgePolicy edges;
  };
  const Case cases[] = {{1, {256, 512, 512}, ChunkOrder::f, EdgePolicy::pad},
                        {4, {130, 512, 250}, ChunkOrder::f, EdgePolicy::pad},
                        {1, {520, 520, 250}, ChunkOrder::c, EdgePolicy::pad},
                        {4, {260, 260, 250}, ChunkOrder::c, EdgePolicy::truncate}};
  for (const Case& c : cases) {
    const auto kk = static_cast<std::int64_t>(c.k);
    const std::vector<std::int64_t> strides{c.shape[1] * c.shape[2] * kk, c.shape[2] * kk, kk};
    std::vector<std::uint8_t> data(static_cast<std::size_t>(c.shape[0] * strides[0]));
    std::mt19937_64 rng(c.k);
    for (std::size_t i = 0; i + 8 <= data.size(); i += 8) {
      const std::uint64_t x = rng();
      std::memcpy(data.data() + i, &x, 8);
    }
    const ArrayView v{data.data(), c.shape, strides, c.k};
    ChunkOptions o;
    o.order = c.order;
    o.edges = c.edges;
    o.fill.assign(c.k, 0x5A);
    o.parallel.threads = 1;
    auto r = chunk_array(v, std::vector<std::int64_t>{64, 64, 64}, o);
    ASSERT_TRUE(r.ok());
    ASSERT_GE(r->layout.total_bytes, std::uint64_t{64} << 20);
    for (const std::size_t i : {std::size_t{0}, r->layout.count() / 2 + 1, r->layout.count() - 1}) {
      const ByteSpan got = r->chunks[i];
      const std::vector<std::uint8_t> want = naive_chunk(v, r->layout, i, o.fill);
      ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin(), want.end())) << "k " << c.k << " chunk " << i;
    }
    // And back: assembly of as many bytes streams too.
    std::vector<ByteSpan> spans;
    for (std::size_t i = 0; i < r->chunks.size(); ++i) spans.push_back(r->chunks[i]);
    std::vector<std::uint8_t> back(data.size());
    ASSERT_TRUE(assemble_into(MutableArrayView{back.data(), c.shape, strides, c.k}, r->layout, spans, {}).ok());
    EXPECT_TRUE(back == data) << "k " << c.k;
  }
}

std::string isa_name(const ::testing::TestParamInfo<internal::TransposeIsa>& info) {
  return std::string(internal::transpose_isa_name(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllKernels, TransposeKernel, ::testing::ValuesIn(internal::transpose_available_isas()),
                         isa_name);

TEST(Chunking, FortranGridIsFastremapOrder) {
  auto L = plan_chunks(std::vector<std::int64_t>{4, 6, 2}, std::vector<std::int64_t>{2, 3, 1}, 1, {});
  ASSERT_TRUE(L.ok());
  ASSERT_EQ(L->count(), 8u);
  const std::vector<std::int64_t> want = {0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1};
  EXPECT_EQ(L->grid_coords, want);
}

TEST(Chunking, MortonOrderIsCompressedZOrder) {
  ChunkOptions o;
  o.grid = GridOrder::morton;
  auto L = plan_chunks(std::vector<std::int64_t>{4, 2}, std::vector<std::int64_t>{1, 1}, 1, o);
  ASSERT_TRUE(L.ok());
  // grid (4, 2): bit 0 of x, bit 0 of y, bit 1 of x.
  const std::vector<std::int64_t> want = {0, 0, 1, 0, 0, 1, 1, 1, 2, 0, 3, 0, 2, 1, 3, 1};
  EXPECT_EQ(L->grid_coords, want);
}

TEST(Chunking, BboxesAreClipped) {
  ChunkOptions o;
  o.edges = EdgePolicy::pad;
  auto L = plan_chunks(std::vector<std::int64_t>{5}, std::vector<std::int64_t>{3}, 2, o);
  ASSERT_TRUE(L.ok());
  EXPECT_EQ(L->bboxes, (std::vector<std::int64_t>{0, 3, 3, 5}));
  EXPECT_EQ(L->segments[1].length, 6u);  // padded
  o.edges = EdgePolicy::truncate;
  L = plan_chunks(std::vector<std::int64_t>{5}, std::vector<std::int64_t>{3}, 2, o);
  ASSERT_TRUE(L.ok());
  EXPECT_EQ(L->segments[1].length, 4u);
  EXPECT_EQ(L->total_bytes, 10u);
}

TEST(Chunking, BadArguments) {
  const std::vector<std::int64_t> shape{4, 4};
  auto bad = [&](std::vector<std::int64_t> cs, ChunkOptions o = {}, std::size_t k = 1) {
    auto r = plan_chunks(shape, cs, k, o);
    return !r.ok() && r.status().code() == ErrorCode::invalid_argument;
  };
  EXPECT_TRUE(bad({2}));
  EXPECT_TRUE(bad({2, 2, 2}));
  EXPECT_TRUE(bad({0, 2}));
  EXPECT_TRUE(bad({-2, 2}));
  EXPECT_TRUE(bad({3, 2}));  // does not divide, edges = error
  ChunkOptions t;
  t.edges = EdgePolicy::truncate;
  EXPECT_FALSE(bad({3, 2}, t));
  t.fill = {1, 2};
  EXPECT_TRUE(bad({3, 2}, t, 1));  // fill of the wrong size
  EXPECT_TRUE(bad({2, 2}, {}, 0));
  auto r = plan_chunks(std::vector<std::int64_t>{}, std::vector<std::int64_t>{}, 1, {});
  EXPECT_EQ(r.status().code(), ErrorCode::invalid_argument);
}

TEST(Chunking, ZeroSizeGivesNoChunks) {
  auto L = plan_chunks(std::vector<std::int64_t>{0, 4}, std::vector<std::int64_t>{2, 2}, 1, {});
  ASSERT_TRUE(L.ok());
  EXPECT_EQ(L->count(), 0u);
  std::vector<std::uint8_t> none;
  auto r = chunk_array(ArrayView{none.data(), {0, 4}, {4, 1}, 1}, std::vector<std::int64_t>{2, 2}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->chunks.size(), 0u);
}

TEST(Chunking, AssemblyChecksItsInput) {
  std::vector<std::uint8_t> src(16);
  std::iota(src.begin(), src.end(), 0);
  auto r = chunk_array(ArrayView{src.data(), {4, 4}, {4, 1}, 1}, std::vector<std::int64_t>{2, 2}, {});
  ASSERT_TRUE(r.ok());
  std::vector<ByteSpan> spans;
  for (std::size_t i = 0; i < r->chunks.size(); ++i) spans.push_back(r->chunks[i]);
  std::vector<std::uint8_t> out(16);
  MutableArrayView dst{out.data(), {4, 4}, {4, 1}, 1};
  EXPECT_TRUE(assemble_into(dst, r->layout, spans, {}).ok());
  EXPECT_EQ(out, src);
  auto code = [](const Status& s) { return s.code(); };
  EXPECT_EQ(code(assemble_into(dst, r->layout, std::span(spans).first(3), {})), ErrorCode::invalid_argument);
  std::vector<ByteSpan> shorter = spans;
  shorter[2] = shorter[2].first(3);
  EXPECT_EQ(code(assemble_into(dst, r->layout, shorter, {})), ErrorCode::invalid_argument);
  EXPECT_EQ(code(assemble_into(MutableArrayView{out.data(), {4, 4}, {8, 2}, 2}, r->layout, spans, {})),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code(assemble_into(MutableArrayView{out.data(), {3, 4}, {4, 1}, 1}, r->layout, spans, {})),
            ErrorCode::invalid_argument);
  const std::vector<std::int64_t> start{2, 1};
  EXPECT_EQ(code(assemble_into(MutableArrayView{out.data(), {3, 2}, {2, 1}, 1}, r->layout, spans, start)),
            ErrorCode::invalid_argument);
  EXPECT_TRUE(assemble_into(MutableArrayView{out.data(), {2, 3}, {3, 1}, 1}, r->layout, spans, start).ok());
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + 6),
            (std::vector<std::uint8_t>{9, 10, 11, 13, 14, 15}));
}

TEST(Chunking, ArenaReusesReleasedBlocks) {
  const std::uint8_t* first = nullptr;
  {
    auto b = arena_buffer(std::size_t{8} << 20);
    ASSERT_TRUE(b.ok());
    first = b->data();
    std::memset(b->mutable_span().data(), 1, b->size());
  }
  auto b = arena_buffer(std::size_t{7} << 20);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data(), first);
  EXPECT_TRUE(b->writable());
}

}  // namespace
}  // namespace segpack
