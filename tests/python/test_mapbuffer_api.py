"""segpack.MapBuffer API: a superset of mapbuffer.MapBuffer's."""

import gc
import io
import mmap
import pathlib
import struct

import numpy as np
import pytest

import segpack
import segpack.errors as E
from conftest import CODECS, compressible_dict, eytzinger, random_dict, read_index

D = {1: b"hello", 2: b"world!", 3: b"", 10: b"x" * 100, 2**40: b"big key", 0: b"zero", 77: b"seventy-seven"}


def build(d=D, codec=None, crc=True):
    return bytes(segpack.MapBuffer(d, compress=codec, compute_crc=crc).tobytes())


def check_contents(mb, d=D):
    assert len(mb) == len(d)
    for k, v in d.items():
        assert mb[k] == v
        assert k in mb
    assert {k: bytes(v) for k, v in mb.todict().items()} == d


# ---------------------------------------------------------------- range readers


class RangeReader:
    """An object with slice __getitem__ (e.g. an HTTP range reader); counts calls."""

    def __init__(self, data):
        self.data = bytes(data)
        self.calls = []

    def __getitem__(self, sl):
        assert isinstance(sl, slice), f"range readers are only sliced, got {sl!r}"
        assert sl.step is None
        self.calls.append((sl.start, sl.stop))
        return self.data[sl]


class SizedRangeReader(RangeReader):
    def __len__(self):
        return len(self.data)


# ---------------------------------------------------------------- construction


@pytest.mark.parametrize("codec", CODECS, ids=str)
@pytest.mark.parametrize(
    "kind", ["bytes", "bytearray", "memoryview", "numpy", "mmap", "file", "str_path", "pathlib", "bytesio"]
)
def test_constructor_sources(tmp_path, kind, codec):
    raw = build(codec=codec)
    p = tmp_path / "m.mb"
    p.write_bytes(raw)
    closers = []
    if kind == "bytes":
        src = raw
    elif kind == "bytearray":
        src = bytearray(raw)
    elif kind == "memoryview":
        src = memoryview(raw)
    elif kind == "numpy":
        src = np.frombuffer(raw, dtype=np.uint8).copy()
    elif kind == "mmap":
        f = open(p, "rb")
        closers.append(f)
        src = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    elif kind == "file":
        src = open(p, "rb")
        closers.append(src)
    elif kind == "str_path":
        src = str(p)
    elif kind == "pathlib":
        src = pathlib.Path(p)
    elif kind == "bytesio":
        src = io.BytesIO(raw)
    mb = segpack.MapBuffer(src)
    try:
        check_contents(mb)
        assert mb.compress == codec
        assert mb.validate() is True
        assert bytes(mb.tobytes()) == raw
    finally:
        mb.close()
        for c in closers:
            c.close()


def test_constructor_none_is_empty():
    mb = segpack.MapBuffer()
    assert len(mb) == 0
    assert bytes(mb.tobytes()) == build({})


def test_constructor_rejects_unusable_type():
    with pytest.raises(TypeError):
        segpack.MapBuffer(12345)


def test_constructor_numpy_non_contiguous_rejected_or_correct():
    raw = build()
    arr = np.frombuffer(raw * 2, dtype=np.uint8)[::2]  # not contiguous
    try:
        mb = segpack.MapBuffer(arr)
    except (TypeError, ValueError, BufferError):
        return
    # if accepted, it must be read as the logical bytes of the array
    assert bytes(mb.tobytes()) == arr.tobytes()


def test_file_map_survives_closing_the_file(tmp_path):
    p = tmp_path / "m.mb"
    p.write_bytes(build())
    with open(p, "rb") as f:
        mb = segpack.MapBuffer(f)
    check_contents(mb)


@pytest.mark.parametrize("codec", CODECS, ids=str)
@pytest.mark.parametrize("reader_cls", [RangeReader, SizedRangeReader], ids=["unsized", "sized"])
def test_range_reader_call_counts(codec, reader_cls):
    d = random_dict(50, seed=5)
    raw = build(d, codec=codec)
    r = reader_cls(raw)
    mb = segpack.MapBuffer(r)
    # header and whole index: fetched once each
    assert len(r.calls) == 2
    assert r.calls[0] == (0, 16)
    assert r.calls[1] == (16, 16 + 16 * len(d))
    assert len(mb) == len(d)
    assert mb.compress == codec
    assert len(r.calls) == 2  # header is cached
    keys = list(d)
    for n, k in enumerate(keys[:10], start=1):
        assert mb[k] == d[k]
        assert len(r.calls) == 2 + n  # one read per item lookup
    # membership, missing keys and find_index_position read only the cached index
    before = len(r.calls)
    assert keys[0] in mb
    assert 123 not in mb or 123 in d
    assert mb.find_index_position(keys[1]) is not None
    assert mb.get(2**64 - 1, b"dflt") == b"dflt"
    assert len(r.calls) == before


@pytest.mark.parametrize("reader_cls", [RangeReader, SizedRangeReader], ids=["unsized", "sized"])
def test_range_reader_reads_last_item(reader_cls):
    d = random_dict(20, seed=6, min_len=1)
    raw = build(d)
    last_key = read_index(raw)[-1][0]
    mb = segpack.MapBuffer(reader_cls(raw))
    assert mb[last_key] == d[last_key]
    assert mb.todict() == d
    assert mb.validate() is True


def test_range_reader_checks_crc():
    raw = bytearray(build())
    raw[-1] ^= 0xFF  # crc of the last item
    last_key = read_index(raw)[-1][0]
    mb = segpack.MapBuffer(RangeReader(raw))
    with pytest.raises(E.ChecksumError):
        mb[last_key]


def test_range_reader_exception_propagates():
    class Failing:
        def __init__(self, data):
            self.data = data
            self.fail = False

        def __getitem__(self, sl):
            if self.fail:
                raise ConnectionError("network down")
            return self.data[sl]

    r = Failing(build())
    mb = segpack.MapBuffer(r)
    r.fail = True
    with pytest.raises(ConnectionError):
        mb[1]


def test_range_reader_tobytes():
    raw = build()
    mb = segpack.MapBuffer(SizedRangeReader(raw))
    assert bytes(mb.tobytes()) == raw


# ---------------------------------------------------------------- lookups


def test_getitem_missing_key_raises_keyerror():
    mb = segpack.MapBuffer(D)
    for k in (4, 2**41, 2**64 - 1, -1, 2**64, 2**100, -(2**70)):
        with pytest.raises(KeyError):
            mb[k]


def test_getitem_above_every_key_raises_keyerror_imap(tmp_path):
    # mapbuffer reads before the index here; segpack must simply raise KeyError
    p = tmp_path / "m.mb"
    p.write_bytes(build())
    mb = segpack.MapBuffer(p)
    for k in (max(D) + 1, 2**64 - 1):
        with pytest.raises(KeyError):
            mb[k]


def test_getitem_str_key_raises_typeerror():
    mb = segpack.MapBuffer(D)
    with pytest.raises(TypeError):
        mb["1"]
    with pytest.raises(TypeError):
        mb[1.0]


def test_index_like_keys_accepted():
    mb = segpack.MapBuffer(D)
    assert mb[np.uint64(2)] == D[2]
    assert mb[np.int64(10)] == D[10]
    assert mb[True] == D[1]


def test_contains():
    mb = segpack.MapBuffer(D)
    for k in D:
        assert k in mb
    for k in (4, -1, 2**64, "1", b"1", 1.5, None, (1,)):
        assert (k in mb) is False


def test_get_default():
    mb = segpack.MapBuffer(D)
    assert mb.get(1) == b"hello"
    assert mb.get(4) is None
    assert mb.get(4, b"d") == b"d"
    assert mb.get(-1, 5) == 5
    assert mb.get(2**64, 6) == 6
    assert mb.get(3, b"d") == b""


def test_len_and_empty():
    assert len(segpack.MapBuffer(D)) == len(D)
    e = segpack.MapBuffer({})
    assert len(e) == 0
    assert list(e) == []
    assert e.todict() == {}
    assert e.get(1) is None
    assert 0 not in e
    with pytest.raises(KeyError):
        e[0]
    assert e.index().shape == (0, 2)
    assert e.validate() is True


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_iteration_order_is_index_order(codec):
    d = random_dict(100, seed=11)
    mb = segpack.MapBuffer(d, compress=codec)
    idx_keys = [int(k) for k in mb.index()[:, 0]]
    assert idx_keys == eytzinger(sorted(d))
    assert list(mb) == idx_keys
    assert list(mb.keys()) == idx_keys
    assert list(mb.values()) == [d[k] for k in idx_keys]
    assert list(mb.items()) == [(k, d[k]) for k in idx_keys]
    assert mb.todict() == d


def test_keys_are_ints_compare_equal():
    mb = segpack.MapBuffer(D)
    for k in mb.keys():
        assert k in D


def test_index_shape_dtype_offsets():
    raw = build()
    mb = segpack.MapBuffer(raw)
    idx = mb.index()
    assert idx.shape == (len(D), 2)
    assert idx.dtype == np.uint64
    assert [tuple(map(int, row)) for row in idx] == read_index(raw)
    assert int(idx[0, 1]) == 16 + 16 * len(D)
    assert np.all(np.diff(idx[:, 1].astype(np.int64)) >= 0)


def test_getindex():
    mb = segpack.MapBuffer(D)
    keys = list(mb.keys())
    for i, k in enumerate(keys):
        assert mb.getindex(i) == D[k]
    assert mb.getindex(-1) == D[keys[-1]]
    assert mb.getindex(-len(D)) == D[keys[0]]
    with pytest.raises(IndexError):
        mb.getindex(len(D))
    with pytest.raises(IndexError):
        mb.getindex(-len(D) - 1)


def test_find_index_position():
    mb = segpack.MapBuffer(D)
    idx = mb.index()
    for k in D:
        i = mb.find_index_position(k)
        assert isinstance(i, int)
        assert int(idx[i, 0]) == k
    assert mb.find_index_position(4) is None
    assert mb.find_index_position(2**64 - 1) is None
    assert mb.find_index_position(-1) is None
    assert segpack.MapBuffer({}).find_index_position(0) is None


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_datasize(codec):
    raw = build(codec=codec)
    mb = segpack.MapBuffer(raw)
    assert mb.datasize() == len(raw) - 16 - 16 * len(D)
    assert segpack.MapBuffer({}).datasize() == 0


@pytest.mark.parametrize("crc", [True, False])
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_header_compress_format_version(codec, crc):
    raw = build(codec=codec, crc=crc)
    mb = segpack.MapBuffer(raw)
    assert bytes(mb.header) == raw[:16]
    assert mb.compress == codec
    assert mb.format_version == (1 if crc else 0)
    assert mb.validate() is True


def test_compress_aliases():
    base = build(codec="gzip")
    assert build(codec=True) == base
    assert bytes(segpack.MapBuffer(D, compress="GZIP").tobytes()) == base
    assert build(codec=False) == build(codec=None)
    assert build(codec="") == build(codec=None)


def test_unknown_codec_name_raises():
    with pytest.raises(segpack.UnsupportedCompressionType):
        segpack.MapBuffer(D, compress="snappy")
    with pytest.raises(ValueError):  # it is also a ValueError, as in mapbuffer
        segpack.MapBuffer(D, compress="snappy")


def test_validate_buffer_static(codec):
    assert segpack.MapBuffer.validate_buffer(build(codec=codec)) is True
    bad = bytearray(build(codec=codec))
    bad[-1] ^= 1
    with pytest.raises(E.ValidationError):
        segpack.MapBuffer.validate_buffer(bytes(bad))


def test_tobytes_of_built_and_read():
    raw = build()
    assert isinstance(segpack.MapBuffer(D).tobytes(), (bytes, bytearray, memoryview))
    mb = segpack.MapBuffer(raw)
    assert bytes(mb.tobytes()) == raw


def test_tobytesfn_frombytesfn():
    d = {1: "één", 2: "two", 3: ""}
    mb = segpack.MapBuffer(
        d, tobytesfn=lambda s: s.encode("utf8"), frombytesfn=lambda b: bytes(b).decode("utf8")
    )
    for k, v in d.items():
        assert mb[k] == v
        assert mb.get(k) == v
    assert mb.todict() == d
    assert sorted(mb.values()) == sorted(d.values())
    raw = bytes(mb.tobytes())
    assert raw == build({k: v.encode("utf8") for k, v in d.items()})
    mb2 = segpack.MapBuffer(raw, frombytesfn=lambda b: bytes(b).decode("utf8"))
    assert mb2[1] == "één"
    # the raw view is not passed through frombytesfn
    assert bytes(mb2.view(1)) == "één".encode("utf8")


def test_values_not_bytes_without_tobytesfn_raise_typeerror():
    with pytest.raises(TypeError):
        segpack.MapBuffer({1: "str"})
    with pytest.raises(TypeError):
        segpack.MapBuffer({1: 5})


def test_bad_keys_when_writing():
    with pytest.raises(ValueError):
        segpack.MapBuffer({-1: b"x"})
    with pytest.raises(ValueError):
        segpack.MapBuffer({2**64: b"x"})
    with pytest.raises(TypeError):
        segpack.MapBuffer({"a": b"x"})


def test_bytearray_value_not_mutated():
    v = bytearray(b"abc")
    mb = segpack.MapBuffer({1: v})
    assert v == bytearray(b"abc")
    assert mb[1] == b"abc"


def test_value_types_memoryview_numpy():
    mb = segpack.MapBuffer({1: memoryview(b"abc"), 2: np.arange(4, dtype=np.uint8), 3: bytearray(b"z")})
    assert mb[1] == b"abc"
    assert mb[2] == bytes([0, 1, 2, 3])
    assert mb[3] == b"z"


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_check_crc_false_strips_crc(codec):
    raw = bytearray(build(codec=codec))
    idx = read_index(raw)
    # corrupt the crc (last 4 bytes) of every item
    ends = [o for _, o in idx[1:]] + [len(raw)]
    for end in ends:
        raw[end - 1] ^= 0x5A
    raw = bytes(raw)
    lax = segpack.MapBuffer(raw, check_crc=False)
    check_contents(lax)
    strict = segpack.MapBuffer(raw)
    with pytest.raises(E.ChecksumError):
        strict[1]
    strict.check_crc = False
    assert strict[1] == D[1]


def test_check_crc_false_on_v0_is_fine():
    raw = build(crc=False)
    check_contents(segpack.MapBuffer(raw, check_crc=False))


# ---------------------------------------------------------------- in-place overwrite


@pytest.mark.parametrize("crc", [True, False])
def test_setitem_same_length_on_bytearray(crc):
    ba = bytearray(build(crc=crc))
    mb = segpack.MapBuffer(ba)
    mb[1] = b"HELLO"
    assert mb[1] == b"HELLO"
    assert mb[2] == b"world!"
    assert mb.validate() is True
    # the underlying buffer changed, and its crc was rewritten
    fresh = segpack.MapBuffer(bytes(ba))
    assert fresh[1] == b"HELLO"
    assert fresh.validate() is True
    assert bytes(ba) == build({**D, 1: b"HELLO"}, crc=crc)


def test_setitem_empty_value():
    ba = bytearray(build())
    mb = segpack.MapBuffer(ba)
    mb[3] = b""
    assert mb[3] == b""
    assert mb.validate() is True


def test_setindex_same_length():
    ba = bytearray(build())
    mb = segpack.MapBuffer(ba)
    i = mb.find_index_position(2)
    mb.setindex(i, b"WORLD?")
    assert mb[2] == b"WORLD?"
    assert mb.getindex(i) == b"WORLD?"
    assert segpack.MapBuffer(bytes(ba)).validate() is True
    mb.setindex(-1, mb.getindex(-1))
    assert mb.validate() is True


def test_setitem_different_length_raises_valueerror():
    raw = build()
    ba = bytearray(raw)
    mb = segpack.MapBuffer(ba)
    with pytest.raises(ValueError):
        mb[1] = b"hello!"
    with pytest.raises(ValueError):
        mb[1] = b"hell"
    assert bytes(ba) == raw
    assert mb[1] == b"hello"


def test_setitem_missing_key_raises_keyerror():
    mb = segpack.MapBuffer(bytearray(build()))
    with pytest.raises(KeyError):
        mb[4] = b"x"


def test_setitem_on_readonly_raises():
    raw = build()
    mb = segpack.MapBuffer(raw)
    with pytest.raises((ValueError, TypeError, BufferError)):
        mb[1] = b"HELLO"
    assert mb[1] == b"hello"
    assert raw == build()


def test_setitem_on_readonly_file_map_raises(tmp_path):
    p = tmp_path / "m.mb"
    p.write_bytes(build())
    mb = segpack.MapBuffer(p)
    with pytest.raises((ValueError, TypeError, BufferError)):
        mb[1] = b"HELLO"
    mb.close()
    assert p.read_bytes() == build()


def test_delitem_not_supported():
    mb = segpack.MapBuffer(bytearray(build()))
    with pytest.raises(TypeError):
        del mb[1]


# ---------------------------------------------------------------- levels


def test_level_changes_output_and_reads_back():
    d = compressible_dict()
    lo = bytes(segpack.MapBuffer(d, compress="zstd", level=1).tobytes())
    hi = bytes(segpack.MapBuffer(d, compress="zstd", level=19).tobytes())
    assert lo != hi
    assert len(hi) < len(lo)
    for raw in (lo, hi):
        mb = segpack.MapBuffer(raw)
        assert mb.todict() == d
        assert mb.validate() is True


@pytest.mark.parametrize("codec,lo,hi", [("gzip", 1, 12), ("br", 0, 11), ("lzma", 0, 9)])
def test_level_other_codecs(codec, lo, hi):
    d = compressible_dict(n=10)
    a = bytes(segpack.MapBuffer(d, compress=codec, level=lo).tobytes())
    b = bytes(segpack.MapBuffer(d, compress=codec, level=hi).tobytes())
    assert a != b
    assert segpack.MapBuffer(a).todict() == d
    assert segpack.MapBuffer(b).todict() == d


def test_default_level_matches_mapbuffer_defaults():
    d = compressible_dict(n=5)
    assert bytes(segpack.MapBuffer(d, compress="zstd").tobytes()) == bytes(
        segpack.MapBuffer(d, compress="zstd", level=3).tobytes()
    )
    assert bytes(segpack.MapBuffer(d, compress="gzip").tobytes()) == bytes(
        segpack.MapBuffer(d, compress="gzip", level=9).tobytes()
    )


def test_invalid_level_raises():
    with pytest.raises((ValueError, segpack.CompressionError)):
        segpack.MapBuffer(D, compress="gzip", level=99)


# ---------------------------------------------------------------- close / with


def _ops_after_close(mb):
    ops = [
        lambda: mb[1],
        lambda: len(mb),
        lambda: mb.get(1),
        lambda: 1 in mb,
        lambda: list(mb.keys()),
        lambda: list(mb),
        lambda: mb.todict(),
        lambda: mb.validate(),
        lambda: mb.index(),
        lambda: mb.getindex(0),
        lambda: mb.view(1),
        lambda: mb.tobytes(),
        lambda: mb.header,
        lambda: mb.find_index_position(1),
        lambda: mb.datasize(),
    ]
    for op in ops:
        with pytest.raises(ValueError):
            op()


def test_close_then_operations_raise_valueerror():
    mb = segpack.MapBuffer(build())
    mb.close()
    assert mb.closed
    _ops_after_close(mb)
    mb.close()  # idempotent


def test_with_statement_closes(tmp_path):
    p = tmp_path / "m.mb"
    p.write_bytes(build())
    with segpack.MapBuffer(p) as mb:
        assert mb[1] == b"hello"
        assert not mb.closed
    assert mb.closed
    _ops_after_close(mb)


def test_iterator_after_close_raises():
    mb = segpack.MapBuffer(build())
    it = iter(mb.values())
    next(it)
    mb.close()
    with pytest.raises(ValueError):
        next(it)


def test_close_releases_buffer_export(tmp_path):
    p = tmp_path / "m.mb"
    p.write_bytes(build())
    with open(p, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    mb = segpack.MapBuffer(mm)
    assert mb[1] == b"hello"
    mb.close()
    mm.close()  # BufferError if segpack still held an export


def test_exception_in_with_propagates():
    with pytest.raises(RuntimeError, match="boom"):
        with segpack.MapBuffer(build()) as mb:
            raise RuntimeError("boom")
    assert mb.closed


# ---------------------------------------------------------------- zero copy


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_view_equals_value(codec):
    mb = segpack.MapBuffer(build(codec=codec))
    for k, v in D.items():
        mv = mb.view(k)
        assert isinstance(mv, memoryview)
        assert mv.readonly
        assert mv.tobytes() == v
        assert len(mv) == len(v)
    with pytest.raises(KeyError):
        mb.view(4)
    with pytest.raises(TypeError):
        mb.view("x")


def test_view_is_zero_copy_over_buffer():
    raw = bytearray(build(crc=False))
    mb = segpack.MapBuffer(raw)
    mv = mb.view(1)
    off = mb.index()[mb.find_index_position(1), 1]
    raw[int(off)] = ord("J")  # edit the backing store: the view sees it
    assert mv.tobytes() == b"Jello"


@pytest.mark.parametrize("crc", [True, False])
def test_view_survives_close_and_gc_on_file_map(tmp_path, crc):
    d = random_dict(30, seed=3, min_len=1, max_len=5000)
    p = tmp_path / "m.mb"
    p.write_bytes(build(d, crc=crc))
    mb = segpack.MapBuffer(str(p))
    views = {k: mb.view(k) for k in d}
    mb.close()
    for k, mv in views.items():
        assert mv.tobytes() == d[k]
    mb2 = segpack.MapBuffer(p)
    views2 = {k: mb2.view(k) for k in d}
    del mb2
    gc.collect()
    for k, mv in views2.items():
        assert bytes(mv) == d[k]
        assert np.frombuffer(mv, dtype=np.uint8).tobytes() == d[k]


def test_view_survives_close_of_bytes_map():
    raw = build()
    mb = segpack.MapBuffer(raw)
    mv = mb.view(2)
    mb.close()
    del raw
    gc.collect()
    assert mv.tobytes() == b"world!"


def test_zero_copy_option_returns_memoryview(codec):
    mb = segpack.MapBuffer(build(codec=codec), zero_copy=True)
    v = mb[1]
    assert isinstance(v, memoryview)
    assert v.tobytes() == b"hello"
    assert bytes(mb.get(2)) == b"world!"
    assert isinstance(mb.getindex(0), memoryview)


def test_zero_copy_file_map_view_after_close(tmp_path):
    p = tmp_path / "m.mb"
    p.write_bytes(build())
    mb = segpack.MapBuffer(p, zero_copy=True)
    v = mb[10]
    mb.close()
    del mb
    gc.collect()
    assert v.tobytes() == b"x" * 100


# ---------------------------------------------------------------- exceptions


def test_exception_hierarchy():
    for name in (
        "ValidationError",
        "DecompressionError",
        "CompressionError",
        "UnsupportedCompressionType",
        "ChecksumError",
        "TruncatedError",
    ):
        cls = getattr(segpack, name)
        assert cls is getattr(E, name)
        assert issubclass(cls, Exception)
        assert issubclass(cls, E.SegpackError)
    assert issubclass(segpack.UnsupportedCompressionType, ValueError)
    assert issubclass(segpack.ChecksumError, segpack.ValidationError)
    assert issubclass(segpack.TruncatedError, segpack.ValidationError)
    assert issubclass(segpack.DecompressionError, segpack.ValidationError)


def test_errors_caught_by_except_exception():
    bad = bytearray(build())
    bad[-1] ^= 1
    mb = segpack.MapBuffer(bytes(bad))
    last = read_index(bad)[-1][0]
    try:
        mb[last]
    except Exception as e:  # noqa: BLE001 - the point of the test
        assert isinstance(e, segpack.ChecksumError)
    else:
        pytest.fail("no error raised")


def test_repr_mentions_state():
    mb = segpack.MapBuffer(D)
    assert "MapBuffer" in repr(mb)
    mb.close()
    assert "closed" in repr(mb)


def test_dict2buf_matches_constructor():
    mb = segpack.MapBuffer({})
    assert bytes(mb.dict2buf(D)) == build()
    assert bytes(mb.dict2buf(D, compress="zstd")) == build(codec="zstd")


def test_size_method():
    raw = build()
    mb = segpack.MapBuffer(raw)
    for k, v in D.items():
        assert mb.size(k) == len(v)
    with pytest.raises(KeyError):
        mb.size(4)


def test_mapping_protocol_via_items_object():
    class Mapping:
        def __init__(self, d):
            self.d = d

        def items(self):
            return self.d.items()

        def keys(self):
            return self.d.keys()

    assert bytes(segpack.MapBuffer(Mapping(D)).tobytes()) == build()


def test_unaligned_buffer():
    raw = build()
    backing = bytearray(b"\0" + raw)
    mv = memoryview(backing)[1:]
    mb = segpack.MapBuffer(mv)
    check_contents(mb)
    assert mb.validate() is True
    assert struct.unpack_from("<Q", bytes(mv), 16)[0] == int(mb.index()[0, 0])


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_view_over_range_reader(codec):
    mb = segpack.MapBuffer(SizedRangeReader(build(codec=codec)))
    for k, v in D.items():
        mv = mb.view(k)
        assert isinstance(mv, memoryview)
        assert mv.tobytes() == v


def test_reference_cycle_through_frombytesfn_is_collected():
    # A MapBuffer holds Python objects (frombytesfn, tobytesfn, the data object, a
    # range reader); a cycle through them must be visible to the cyclic GC.
    import weakref

    class Box:
        pass

    def make():
        box = Box()
        mb = segpack.MapBuffer({1: b"abc"}, frombytesfn=lambda x, box=box: x)
        box.mb = mb  # mb -> frombytesfn -> box -> mb
        assert mb[1] == b"abc"
        return weakref.ref(box)

    ref = make()
    gc.collect()
    assert ref() is None


# ---- building from a dict: the fast path, its fallback, and mutation -------------------------------------


def test_build_fast_path_falls_back_for_late_non_exact_entries():
    base = {i * 7919: bytes([i % 251]) * (i % 50) for i in range(3000)}
    want = build(base)
    late_key = dict(base)
    del late_key[2999 * 7919]
    late_key[np.uint64(2999 * 7919)] = base[2999 * 7919]  # not an exact int: __index__
    assert build(late_key) == want
    late_value = dict(base)
    late_value[2998 * 7919] = bytearray(base[2998 * 7919])  # not an exact bytes
    assert build(late_value) == want
    with_bool = {True: b"one", 0: b"zero"}  # bool is an int subclass
    assert build(with_bool) == build({1: b"one", 0: b"zero"})


def test_build_failure_and_success_leave_refcounts_unchanged():
    import sys

    values = [bytes([i % 256]) * 10 + b"unique%d" % i for i in range(2000)]
    before = [sys.getrefcount(v) for v in values]
    d = {i: v for i, v in enumerate(values)}
    segpack.MapBuffer(d)
    d[-5] = b"bad key, late in the dict"
    with pytest.raises(ValueError):
        segpack.MapBuffer(d)
    del d
    assert [sys.getrefcount(v) for v in values] == before


def test_build_survives_key_index_that_mutates_the_dict():
    d = {i: b"v%d" % i for i in range(100)}
    original = dict(d)

    class Evil:
        def __index__(self):
            d.clear()  # frees every value the dict held
            gc.collect()
            return 1000

    d[Evil()] = b"evil"
    mb = segpack.MapBuffer(d)
    # Built from the pairs as they were when the build started.
    assert len(mb) == 101
    assert mb[1000] == b"evil"
    for k, v in original.items():
        assert mb[k] == v


def test_build_survives_tobytesfn_that_mutates_the_dict():
    d = {i: "v%d" % i for i in range(100)}
    original = dict(d)

    def tobytes(s):
        d.clear()
        return s.encode()

    mb = segpack.MapBuffer(d, tobytesfn=tobytes)
    assert {k: bytes(v) for k, v in mb.todict().items()} == {k: v.encode() for k, v in original.items()}


def test_build_while_another_thread_replaces_the_values():
    # The GIL is released while the map is written: the values must stay alive
    # even when the dict drops them meanwhile. Each value is a function of its
    # key, so every map built must hold exactly those values.
    import threading
    import time

    def value(k):
        return (b"%d:" % k) * (1 + k % 7)

    d = {k: value(k) for k in range(20000)}
    stop = time.monotonic() + 1.0
    errors = []

    def churn():
        while time.monotonic() < stop:
            for k in range(0, 20000, 3):
                d[k] = value(k)  # a new object: the old one is freed
            time.sleep(0)

    t = threading.Thread(target=churn)
    t.start()
    try:
        while time.monotonic() < stop:
            mb = segpack.MapBuffer(d)
            assert mb.validate()
            for k in range(0, 20000, 997):
                if mb[k] != value(k):
                    errors.append(k)
    finally:
        t.join()
    assert not errors
