"""segpack.MapBuffer lifetime: close and with, zero-copy views that outlive the map, reference cycles."""

import gc
import mmap

import numpy as np
import pytest

import segpack
from conftest import CODECS, random_dict
from mapbuffer_api_helpers import D, build

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


def test_repr_mentions_state():
    mb = segpack.MapBuffer(D)
    assert "MapBuffer" in repr(mb)
    mb.close()
    assert "closed" in repr(mb)


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


# ---------------------------------------------------------------- garbage collection


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
