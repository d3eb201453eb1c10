"""segpack.MapBuffer: opening every kind of source, range readers, unaligned buffers."""

import io
import mmap
import pathlib
import struct

import numpy as np
import pytest

import segpack
import segpack.errors as E
from conftest import CODECS, random_dict, read_index
from mapbuffer_api_helpers import D, RangeReader, SizedRangeReader, build, check_contents

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


def test_unaligned_buffer():
    raw = build()
    backing = bytearray(b"\0" + raw)
    mv = memoryview(backing)[1:]
    mb = segpack.MapBuffer(mv)
    check_contents(mb)
    assert mb.validate() is True
    assert struct.unpack_from("<Q", bytes(mv), 16)[0] == int(mb.index()[0, 0])


# ---------------------------------------------------------------- range readers


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


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_view_over_range_reader(codec):
    mb = segpack.MapBuffer(SizedRangeReader(build(codec=codec)))
    for k, v in D.items():
        mv = mb.view(k)
        assert isinstance(mv, memoryview)
        assert mv.tobytes() == v
