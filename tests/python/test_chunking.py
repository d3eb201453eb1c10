"""segpack.chunk / tobytes / frombytes: fastremap.tobytes' bytes for every input
it accepts, round trips over random arrays (hypothesis), and typed errors."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segpack

fastremap = pytest.importorskip("fastremap")

FASTREMAP_DTYPES = [
    np.bool_,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.float32,
    np.float64,
]


def raw(x):
    """The bytes of x's elements in C order, as uint8 (any dtype, any layout)."""
    return np.ascontiguousarray(x).view(np.uint8)


def layouts(a, rng):
    """The same values in several memory layouts."""
    yield a
    yield np.asfortranarray(a)
    yield a[::-1, :, ::-1]
    big = np.zeros((a.shape[0] * 2, a.shape[1], a.shape[2] * 3), a.dtype)
    big[::2, :, ::3] = a
    yield big[::2, :, ::3]
    yield np.ascontiguousarray(a.transpose(2, 0, 1)).transpose(1, 2, 0)


def naive_chunks(a, cs, order, grid, edges, fill=0):
    g = [-(-n // c) for n, c in zip(a.shape, cs)]
    pts = list(itertools.product(*[range(x) for x in g]))
    if grid == "F":
        pts.sort(key=lambda p: p[::-1])
    elif grid == "morton":

        def key(p):
            code, out = 0, 0
            for b in range(20):
                for d, n in enumerate(g):
                    if (1 << b) < n:
                        code |= ((p[d] >> b) & 1) << out
                        out += 1
            return code

        pts.sort(key=key)
    out, boxes = [], []
    for p in pts:
        sl = tuple(slice(q * c, min((q + 1) * c, n)) for q, c, n in zip(p, cs, a.shape))
        piece = a[sl]
        if edges == "pad":
            full = np.full(cs, fill, dtype=a.dtype)
            full[tuple(slice(0, s) for s in piece.shape)] = piece
            piece = full
        out.append(piece.tobytes(order))
        boxes.append([[s.start for s in sl], [s.stop for s in sl]])
    return pts, boxes, out


def test_tobytes_matches_fastremap():
    rng = np.random.default_rng(11)
    for it in range(60):
        cs = tuple(int(x) for x in rng.integers(1, 5, 3))
        shape = tuple(int(c * m) for c, m in zip(cs, rng.integers(1, 4, 3)))
        dt = FASTREMAP_DTYPES[it % len(FASTREMAP_DTYPES)]
        a = (rng.integers(0, 200, shape) % (2 if dt is np.bool_ else 200)).astype(dt)
        for arr in layouts(a, rng):
            for order in "CF":
                assert segpack.tobytes(arr, cs, order) == fastremap.tobytes(arr, cs, order)


def test_tobytes_chunk_size_forms_and_empty():
    a = np.arange(4 * 6 * 2, dtype=np.uint8).reshape(4, 6, 2)
    for cs in [(2, 3, 1), [2, 3, 1], np.array([2, 3, 1]), (2.0, 3.0, 1.0)]:
        assert segpack.tobytes(a, cs) == fastremap.tobytes(a, cs)
    z = np.zeros((0, 4, 4), np.uint8)
    assert segpack.tobytes(z, (2, 2, 2)) == fastremap.tobytes(z, (2, 2, 2)) == []


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # fastremap divides by a zero chunk size
@pytest.mark.parametrize(
    "cs, order",
    [
        ((3, 3, 1), "C"),
        ((8, 6, 2), "C"),
        ((0, 3, 1), "C"),
        ((2, 3), "C"),
        ((2, 3, 1, 1), "C"),
        ((2.5, 3, 1), "C"),
        ((2, 3, 1), "c"),
        ((2, 3, 1), "X"),
    ],
)
def test_tobytes_raises_where_fastremap_does(cs, order):
    a = np.zeros((4, 6, 2), np.uint8)
    with pytest.raises(ValueError):
        fastremap.tobytes(a, cs, order)
    with pytest.raises(ValueError):
        segpack.tobytes(a, cs, order)


def test_tobytes_negative_chunk_size_raises():
    a = np.zeros((4, 6, 2), np.uint8)
    assert fastremap.tobytes(a, (-2, 3, 1)) == []  # fastremap's defect
    with pytest.raises(ValueError, match="positive"):
        segpack.tobytes(a, (-2, 3, 1))


@pytest.mark.parametrize("grid", ["F", "C", "morton"])
@pytest.mark.parametrize("edges", ["truncate", "pad"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_chunk_against_naive(grid, edges, order):
    rng = np.random.default_rng(5)
    a = rng.integers(0, 1000, (7, 5, 6, 2)).astype(np.int32)
    cs = (3, 2, 4, 2)
    c = segpack.chunk(a[:, ::-1], cs, order=order, grid=grid, edges=edges, fill=-1)
    pts, boxes, want = naive_chunks(a[:, ::-1], cs, order, grid, edges, fill=-1)
    assert [bytes(x) for x in c] == want
    assert c.grid_coords.tolist() == [list(p) for p in pts]
    assert c.bboxes.tolist() == boxes
    assert c.bboxes.shape == (len(c), 2, 4)
    assert isinstance(c.buffer, segpack.BufferWithSegments)
    back = segpack.frombytes(c)
    assert np.array_equal(back, a[:, ::-1])


def test_chunk_is_one_buffer():
    a = np.arange(64, dtype=np.uint16).reshape(8, 8)
    c = segpack.chunk(a, (4, 4))
    offsets = c.buffer.offsets()
    lengths = c.buffer.lengths()
    assert offsets.tolist() == [0, 32, 64, 96]
    assert lengths.tolist() == [32] * 4
    assert len(c.buffer.tobytes()) == 128


@pytest.mark.parametrize(
    "dtype", [np.bool_, np.float16, np.complex128, "datetime64[ms]", [("a", "<i4"), ("b", "u1")], ">u4", "S3"]
)
def test_any_dtype(dtype):
    data = np.arange(5 * 7 * 3 * np.dtype(dtype).itemsize, dtype=np.uint8) % 251
    a = data.view(dtype).reshape(5, 7, 3)
    c = segpack.chunk(a, (2, 3, 2), edges="truncate")
    assert np.array_equal(raw(segpack.frombytes(c)), raw(a))
    assert [bytes(x) for x in c] == naive_chunks(a, (2, 3, 2), "C", "F", "truncate")[2]


def test_frombytes_list_out_and_region():
    a = np.arange(10 * 9, dtype=np.float64).reshape(10, 9)
    parts = segpack.tobytes(a, (5, 3), "F")
    back = segpack.frombytes(parts, a.shape, (5, 3), a.dtype, order="F")
    assert np.array_equal(back, a)
    out = np.zeros((9, 10), np.float64).T  # F layout
    assert segpack.frombytes(parts, a.shape, (5, 3), a.dtype, order="F", out=out) is out
    assert np.array_equal(out, a)
    reg = segpack.frombytes(parts, a.shape, (5, 3), a.dtype, order="F", region=(slice(2, 7), slice(4, None)))
    assert np.array_equal(reg, a[2:7, 4:])
    c = segpack.chunk(a, (5, 3))
    assert np.array_equal(segpack.frombytes(c.buffer, a.shape, (5, 3), a.dtype), a)


def test_bad_input():
    a = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match="positive"):
        segpack.chunk(a, (0, 2))
    with pytest.raises(ValueError, match="2 dimensions"):
        segpack.chunk(a, (2, 2, 2))
    with pytest.raises(ValueError, match="evenly divide"):
        segpack.chunk(a, (3, 2))
    for kw in [{"order": "X"}, {"grid": "Z"}, {"edges": "wrap"}]:
        with pytest.raises(ValueError):
            segpack.chunk(a, (2, 2), **kw)
    with pytest.raises(TypeError):
        segpack.chunk(np.array([[None]], dtype=object), (1, 1))
    with pytest.raises(TypeError):
        segpack.chunk(a, "ab")
    with pytest.raises(ValueError, match="fill"):
        segpack.chunk(a, (3, 3), edges="pad", fill=300)
    parts = segpack.tobytes(a, (2, 2))
    with pytest.raises(ValueError, match="chunks given"):
        segpack.frombytes(parts[:3], a.shape, (2, 2), a.dtype)
    with pytest.raises(ValueError, match="bytes"):
        segpack.frombytes(parts[:3] + [b"x"], a.shape, (2, 2), a.dtype)
    with pytest.raises(TypeError):
        segpack.frombytes(parts[:3] + [1], a.shape, (2, 2), a.dtype)
    with pytest.raises(TypeError):
        segpack.frombytes(parts, a.shape, (2, 2), a.dtype, out=np.zeros((4, 4), np.int8))
    with pytest.raises(ValueError):
        segpack.frombytes(parts, a.shape, (2, 2), a.dtype, out=np.zeros((4, 3), np.uint8))
    with pytest.raises(ValueError, match="outside"):
        segpack.frombytes(parts, a.shape, (2, 2), a.dtype, region=(slice(0, 5),))
    with pytest.raises(ValueError, match="read-only"):
        ro = np.zeros((4, 4), np.uint8)
        ro.flags.writeable = False
        segpack.frombytes(parts, a.shape, (2, 2), a.dtype, out=ro)
    with pytest.raises(TypeError):
        segpack.frombytes(parts, a.shape, (2, 2), object)
    with pytest.raises(TypeError):
        segpack.frombytes(parts)


@st.composite
def arrays(draw):
    nd = draw(st.integers(1, 5))
    shape = tuple(draw(st.lists(st.integers(1, 7 if nd > 2 else 20), min_size=nd, max_size=nd)))
    dtype = np.dtype(draw(st.sampled_from(["u1", "i2", "<f4", ">f8", "c16", "?", "V3"])))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, int(np.prod(shape)) * dtype.itemsize, dtype=np.uint8)
    a = data.view(dtype).reshape(shape)
    layout = draw(st.sampled_from(["C", "F", "rev", "step", "perm"]))
    if layout == "F":
        a = np.asfortranarray(a)
    elif layout == "rev":
        a = a[(slice(None, None, -1),) * nd]
    elif layout == "step":
        big = np.zeros(tuple(2 * n for n in shape), dtype)
        big[(slice(None, None, 2),) * nd] = a
        a = big[(slice(None, None, 2),) * nd]
    elif layout == "perm":
        perm = draw(st.permutations(range(nd)))
        inv = np.argsort(perm)
        a = np.ascontiguousarray(a.transpose(perm)).transpose(inv)
    cs = tuple(draw(st.integers(1, n + 1)) for n in shape)
    return a, cs


@settings(max_examples=150, deadline=None)
@given(
    arrays(),
    st.sampled_from("CF"),
    st.sampled_from(["F", "C", "morton"]),
    st.sampled_from(["truncate", "pad"]),
    st.integers(1, 2),
    st.data(),
)
def test_round_trip(a_cs, order, grid, edges, threads, data):
    a, cs = a_cs
    c = segpack.chunk(a, cs, order=order, grid=grid, edges=edges, threads=threads)
    assert len(c) == int(np.prod([-(-n // k) for n, k in zip(a.shape, cs)]))
    assert np.array_equal(raw(segpack.frombytes(c, threads=threads)), raw(a))
    parts = [bytes(x) for x in c]
    region = tuple(
        slice(lo, data.draw(st.integers(lo, n))) for n in a.shape for lo in [data.draw(st.integers(0, n))]
    )
    got = segpack.frombytes(parts, a.shape, cs, a.dtype, order=order, grid=grid, edges=edges, region=region)
    assert np.array_equal(raw(got), raw(a[region]))
    for i, (g, box) in enumerate(zip(c.grid_coords, c.bboxes)):
        assert (box[0] == g * np.array(cs)).all()
        assert (box[1] == np.minimum((g + 1) * np.array(cs), a.shape)).all()
        if edges == "truncate":
            piece = a[tuple(slice(s, e) for s, e in zip(box[0], box[1]))]
            assert bytes(c[i]) == piece.tobytes(order)
