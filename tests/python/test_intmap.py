"""segpack.IntMap: API, sources, and malformed input."""

import gc
import io
import mmap
import struct

import mapbuffer
import numpy as np
import pytest

import segpack
import segpack.errors as E
from conftest import eytzinger, raw_intmap, read_index

D = {1: 10, 2: 20, 3: 0, 10: 2**64 - 1, 2**40: 7, 0: 99, 2**63: 5, 2**64 - 1: 1}


def build(d=D):
    return bytes(segpack.IntMap(d).tobytes())


class RangeReader:
    def __init__(self, data, sized=True):
        self.data = bytes(data)
        self.sized = sized
        self.calls = []

    def __getitem__(self, sl):
        self.calls.append((sl.start, sl.stop))
        return self.data[sl]

    def __len__(self):
        if not self.sized:
            raise TypeError
        return len(self.data)


def check(im, d=D):
    assert len(im) == len(d)
    for k, v in d.items():
        assert im[k] == v
        assert k in im
        assert im.get(k) == v
    assert im.todict() == d


# ---------------------------------------------------------------- format


def test_layout():
    raw = build()
    assert raw[:4] == b"intm"
    assert raw[4] == 0
    assert raw[5] == 3
    assert struct.unpack_from("<I", raw, 6)[0] == len(D)
    assert len(raw) == 10 + 16 * len(D)
    pairs = read_index(raw, header=10)
    assert [k for k, _ in pairs] == eytzinger(sorted(D))
    assert all(D[k] == v for k, v in pairs)


def test_empty():
    im = segpack.IntMap({})
    assert bytes(im.tobytes()) == b"intm\x00\x03\x00\x00\x00\x00"
    assert len(im) == 0
    assert 0 not in im
    assert im.get(0, 5) == 5
    with pytest.raises(KeyError):
        im[0]
    assert im.index().shape == (0, 2)
    assert im.validate() is True
    assert len(segpack.IntMap()) == 0


# ---------------------------------------------------------------- sources


SOURCE_KINDS = [
    "dict",
    "bytes",
    "bytearray",
    "memoryview",
    "numpy",
    "mmap",
    "file",
    "path",
    "str",
    "range",
    "range_unsized",
    "bytesio",
]


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_sources(tmp_path, kind):
    raw = build()
    p = tmp_path / "x.im"
    p.write_bytes(raw)
    closers = []
    src = {
        "dict": lambda: D,
        "bytes": lambda: raw,
        "bytearray": lambda: bytearray(raw),
        "memoryview": lambda: memoryview(raw),
        "numpy": lambda: np.frombuffer(raw, dtype=np.uint8),
        "path": lambda: p,
        "str": lambda: str(p),
        "range": lambda: RangeReader(raw),
        "range_unsized": lambda: RangeReader(raw, sized=False),
        "bytesio": lambda: io.BytesIO(raw),
    }.get(kind)
    if kind == "file":
        f = open(p, "rb")
        closers.append(f)
        source = f
    elif kind == "mmap":
        f = open(p, "rb")
        closers.append(f)
        source = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        closers.insert(0, source)
    else:
        source = src()
    im = segpack.IntMap(source)
    check(im)
    assert im.validate() is True
    im.close()
    for c in closers:
        c.close()


def test_range_reader_fetches_index_once():
    raw = build()
    r = RangeReader(raw)
    im = segpack.IntMap(r)
    n = len(r.calls)
    assert n <= 2
    for k in D:
        im[k]
    assert 12345 not in im
    assert len(r.calls) == n


# ---------------------------------------------------------------- API


def test_missing_and_bad_keys():
    im = segpack.IntMap(D)
    for k in (4, 2**63 + 1, -1, 2**64, 2**70):
        with pytest.raises(KeyError):
            im[k]
        assert k not in im
        assert im.get(k) is None
    with pytest.raises(TypeError):
        im["a"]
    assert ("a" in im) is False
    assert (1.5 in im) is False


def test_above_every_key_on_file_map(tmp_path):
    p = tmp_path / "x.im"
    p.write_bytes(build({1: 2, 3: 4}))
    im = segpack.IntMap(p)
    for k in (4, 2**64 - 1):
        with pytest.raises(KeyError):
            im[k]


def test_iteration_order_and_index():
    im = segpack.IntMap(D)
    order = eytzinger(sorted(D))
    assert list(im) == order
    assert list(im.keys()) == order
    assert list(im.values()) == [D[k] for k in order]
    assert list(im.items()) == [(k, D[k]) for k in order]
    idx = im.index()
    assert idx.dtype == np.uint64
    assert idx.shape == (len(D), 2)
    assert [int(k) for k in idx[:, 0]] == order
    assert [int(v) for v in idx[:, 1]] == [D[k] for k in order]


def test_index_equals_mapbuffer():
    d = {k: k * 3 for k in range(1, 200, 3)}
    assert np.array_equal(segpack.IntMap(d).index(), mapbuffer.IntMap(d).index())


def test_getindex_find_index_position():
    im = segpack.IntMap(D)
    order = eytzinger(sorted(D))
    for i, k in enumerate(order):
        assert im.getindex(i) == D[k]
        assert im.find_index_position(k) == i
    assert im.getindex(-1) == D[order[-1]]
    with pytest.raises(IndexError):
        im.getindex(len(D))
    assert im.find_index_position(4) is None
    assert im.find_index_position(-1) is None


def test_header_and_version():
    im = segpack.IntMap(D)
    assert bytes(im.header) == build()[:10]
    assert im.format_version == 0


def test_setitem_and_setindex_on_bytearray():
    ba = bytearray(build())
    im = segpack.IntMap(ba)
    im[1] = 12345
    assert im[1] == 12345
    i = im.find_index_position(2)
    im.setindex(i, 2**64 - 2)
    assert im[2] == 2**64 - 2
    assert segpack.IntMap(bytes(ba)).todict() == {**D, 1: 12345, 2: 2**64 - 2}
    with pytest.raises(KeyError):
        im[4] = 1
    with pytest.raises(ValueError):
        im[1] = -1
    with pytest.raises(ValueError):
        im[1] = 2**64


def test_setitem_on_readonly_raises():
    raw = build()
    im = segpack.IntMap(raw)
    with pytest.raises((ValueError, TypeError, BufferError)):
        im[1] = 5
    assert im[1] == 10


def test_build_rejects_bad_values():
    with pytest.raises(ValueError):
        segpack.IntMap({1: -1})
    with pytest.raises(ValueError):
        segpack.IntMap({1: 2**64})
    with pytest.raises(ValueError):
        segpack.IntMap({-1: 1})
    with pytest.raises(TypeError):
        segpack.IntMap({1: "x"})


def test_close_and_with(tmp_path):
    p = tmp_path / "x.im"
    p.write_bytes(build())
    with segpack.IntMap(p) as im:
        assert im[1] == 10
    assert im.closed
    for op in (
        lambda: im[1],
        lambda: len(im),
        lambda: 1 in im,
        lambda: im.get(1),
        lambda: list(im),
        lambda: im.todict(),
        lambda: im.index(),
        lambda: im.validate(),
        lambda: im.tobytes(),
    ):
        with pytest.raises(ValueError):
            op()


def test_index_view_survives_close(tmp_path):
    p = tmp_path / "x.im"
    p.write_bytes(build())
    im = segpack.IntMap(p)
    idx = im.index()
    im.close()
    del im
    gc.collect()
    assert [int(k) for k in idx[:, 0]] == eytzinger(sorted(D))


def test_from_arrays():
    keys = np.array(list(D.keys()), dtype=np.uint64)
    vals = np.array(list(D.values()), dtype=np.uint64)
    im = segpack.IntMap.from_arrays(keys, vals)
    assert bytes(im.tobytes()) == build()
    check(im)
    im2 = segpack.IntMap.from_arrays([3, 1, 2], [30, 10, 20])
    assert im2.todict() == {1: 10, 2: 20, 3: 30}
    assert bytes(im2.tobytes()) == bytes(mapbuffer.IntMap({1: 10, 2: 20, 3: 30}).tobytes())
    empty = segpack.IntMap.from_arrays(np.array([], dtype=np.uint64), np.array([], dtype=np.uint64))
    assert len(empty) == 0


def test_from_arrays_errors():
    with pytest.raises(ValueError):
        segpack.IntMap.from_arrays([1, 2, 3], [1, 2])
    with pytest.raises(ValueError):
        segpack.IntMap.from_arrays([1, 1], [1, 2])  # duplicate key


def test_duplicate_keys_from_items():
    class Pairs:
        def items(self):
            return [(1, 2), (1, 3)]

        def keys(self):
            return [1, 1]

    with pytest.raises(ValueError):
        segpack.IntMap(Pairs())


# ---------------------------------------------------------------- malformed


def test_intmap_bad_magic():
    raw = b"intX" + build()[4:]
    with pytest.raises(E.ValidationError):
        segpack.IntMap(raw)
    with pytest.raises(E.ValidationError):
        segpack.IntMap(bytes(segpack.MapBuffer({1: b"x"}).tobytes()))


@pytest.mark.parametrize("version", [1, 7, 255])
def test_intmap_unknown_version(version):
    raw = bytearray(build())
    raw[4] = version
    with pytest.raises(E.UnsupportedFormatError):
        segpack.IntMap(bytes(raw))


@pytest.mark.parametrize("width", [0, 1, 2, 4, 255])
def test_intmap_bad_width_byte(width):
    raw = bytearray(build())
    raw[5] = width
    with pytest.raises(E.UnsupportedFormatError):
        segpack.IntMap(bytes(raw))


def test_intmap_truncated_every_prefix():
    raw = build()
    for n in range(len(raw)):
        with pytest.raises(E.TruncatedError):
            segpack.IntMap(raw[:n])
        with pytest.raises(E.TruncatedError):
            segpack.IntMap(RangeReader(raw[:n], sized=bool(n % 2)))


def test_intmap_count_larger_than_buffer():
    raw = b"intm\x00\x03" + struct.pack("<I", 2**32 - 1) + bytes(90)
    with pytest.raises(E.TruncatedError):
        segpack.IntMap(raw)
    with pytest.raises(E.SegpackError):
        segpack.IntMap(RangeReader(raw, sized=False))


@pytest.mark.parametrize("extra", [b"\0", b"\0" * 16, b"junk"])
def test_intmap_trailing_bytes(extra):
    with pytest.raises(E.ValidationError):
        segpack.IntMap(build() + extra)
    with pytest.raises(E.ValidationError):
        segpack.IntMap(b"intm\x00\x03\x00\x00\x00\x00" + extra)


def test_intmap_non_eytzinger_order():
    d = {k: k for k in range(1, 11)}
    raw = raw_intmap(sorted(d.items()))
    im = segpack.IntMap(raw)
    with pytest.raises(E.ValidationError):
        im.validate()
    with pytest.raises(E.ValidationError):
        segpack.IntMap.validate_buffer(raw)


def test_intmap_duplicate_keys_invalid():
    raw = raw_intmap([(5, 1), (5, 2), (6, 3)])
    with pytest.raises(E.ValidationError):
        segpack.IntMap(raw).validate()


def test_intmap_hand_built_valid():
    raw = raw_intmap([(k, D[k]) for k in eytzinger(sorted(D))])
    assert raw == build()
    assert segpack.IntMap.validate_buffer(raw) is True


def test_reference_cycle_through_range_reader_is_collected():
    import weakref

    def make():
        reader = RangeReader(build())
        im = segpack.IntMap(reader)
        reader.im = im  # im -> reader -> im
        assert im[next(iter(D))] == D[next(iter(D))]
        return weakref.ref(reader)

    ref = make()
    gc.collect()
    assert ref() is None
