"""Streaming writers: MapBufferWriter, write_mapbuffer, write_intmap."""

import os

import mapbuffer
import pytest

import segpack
from conftest import CODECS, compressible_dict, random_dict

D = random_dict(200, seed=21, max_len=300)


def expected(d=D, codec=None, crc=True, level=None):
    return bytes(segpack.MapBuffer(d, compress=codec, compute_crc=crc, level=level).tobytes())


@pytest.mark.parametrize("crc", [True, False], ids=["v1", "v0"])
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_writer_context_manager(tmp_path, codec, crc):
    p = tmp_path / "out.mb"
    with segpack.MapBufferWriter(p, codec, compute_crc=crc) as w:
        for k, v in D.items():
            w.add(k, v)
        assert len(w) == len(D)
        assert not p.exists()  # appears only at commit
    assert p.read_bytes() == expected(codec=codec, crc=crc)
    assert sorted(os.listdir(tmp_path)) == ["out.mb"]
    mb = segpack.MapBuffer(p)
    assert mb.todict() == D
    assert mb.validate() is True


def test_writer_str_path_and_explicit_commit(tmp_path):
    p = str(tmp_path / "out.mb")
    w = segpack.MapBufferWriter(p, "zstd")
    for k, v in D.items():
        w.add(k, v)
    w.commit()
    assert open(p, "rb").read() == expected(codec="zstd")
    with pytest.raises(ValueError):
        w.add(1, b"x")
    with pytest.raises(ValueError):
        w.commit()


def test_writer_level(tmp_path):
    d = compressible_dict()
    p1, p19 = tmp_path / "l1.mb", tmp_path / "l19.mb"
    with segpack.MapBufferWriter(p1, "zstd", level=1) as w:
        for k, v in d.items():
            w.add(k, v)
    with segpack.MapBufferWriter(p19, "zstd", level=19) as w:
        for k, v in d.items():
            w.add(k, v)
    assert p1.read_bytes() == expected(d, "zstd", level=1)
    assert p19.read_bytes() == expected(d, "zstd", level=19)
    assert p1.read_bytes() != p19.read_bytes()
    assert segpack.MapBuffer(p19).todict() == d


def test_writer_empty(tmp_path):
    p = tmp_path / "e.mb"
    with segpack.MapBufferWriter(p):
        pass
    assert p.read_bytes() == expected({})


def test_writer_tobytesfn(tmp_path):
    p = tmp_path / "s.mb"
    d = {1: "a", 2: "bé"}
    with segpack.MapBufferWriter(p, tobytesfn=str.encode) as w:
        for k, v in d.items():
            w.add(k, v)
    assert p.read_bytes() == expected({k: v.encode() for k, v in d.items()})


@pytest.mark.parametrize("crc", [True, False], ids=["v1", "v0"])
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_write_mapbuffer_equals_in_memory(tmp_path, codec, crc):
    p = tmp_path / "w.mb"
    ret = segpack.write_mapbuffer(p, D, compress=codec, compute_crc=crc)
    assert ret == p
    assert p.read_bytes() == expected(codec=codec, crc=crc)


def test_write_mapbuffer_pairs_and_generator(tmp_path):
    p1, p2 = tmp_path / "a.mb", tmp_path / "b.mb"
    segpack.write_mapbuffer(p1, list(D.items()))
    segpack.write_mapbuffer(p2, ((k, v) for k, v in D.items()))
    assert p1.read_bytes() == expected()
    assert p2.read_bytes() == expected()


def test_write_mapbuffer_readable_by_mapbuffer(tmp_path):
    p = tmp_path / "w.mb"
    segpack.write_mapbuffer(p, D, compress="br")
    m = mapbuffer.MapBuffer(p.read_bytes())
    assert {int(k): bytes(v) for k, v in m.todict().items()} == D


def test_write_mapbuffer_overwrites_existing(tmp_path):
    p = tmp_path / "w.mb"
    p.write_bytes(b"old content")
    segpack.write_mapbuffer(p, {1: b"new"})
    assert segpack.MapBuffer(p)[1] == b"new"


def test_exception_in_with_leaves_no_file(tmp_path):
    p = tmp_path / "x.mb"
    with pytest.raises(RuntimeError, match="boom"):
        with segpack.MapBufferWriter(p, "zstd") as w:
            for k, v in D.items():
                w.add(k, v)
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_exception_in_with_keeps_old_file(tmp_path):
    p = tmp_path / "x.mb"
    old = expected({1: b"old"})
    p.write_bytes(old)
    with pytest.raises(KeyError):
        with segpack.MapBufferWriter(p) as w:
            w.add(1, b"new")
            raise KeyError("x")
    assert p.read_bytes() == old
    assert os.listdir(tmp_path) == ["x.mb"]


def test_abort_leaves_nothing(tmp_path):
    p = tmp_path / "x.mb"
    w = segpack.MapBufferWriter(p)
    w.add(1, b"x")
    w.abort()
    assert os.listdir(tmp_path) == []


def test_abandoned_writer_leaves_nothing(tmp_path):
    import gc

    p = tmp_path / "x.mb"
    w = segpack.MapBufferWriter(p)
    w.add(1, b"x")
    del w
    gc.collect()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("use_with", [True, False])
def test_duplicate_keys_raise_at_commit_old_file_untouched(tmp_path, use_with):
    p = tmp_path / "x.mb"
    old = expected({9: b"old"})
    p.write_bytes(old)
    if use_with:
        with pytest.raises(ValueError):
            with segpack.MapBufferWriter(p) as w:
                w.add(1, b"a")
                w.add(2, b"b")
                w.add(1, b"c")  # reported at commit
    else:
        w = segpack.MapBufferWriter(p)
        w.add(1, b"a")
        w.add(1, b"c")
        with pytest.raises(ValueError):
            w.commit()
    assert p.read_bytes() == old
    assert os.listdir(tmp_path) == ["x.mb"]


def test_write_mapbuffer_duplicate_pairs(tmp_path):
    p = tmp_path / "x.mb"
    with pytest.raises(ValueError):
        segpack.write_mapbuffer(p, [(1, b"a"), (1, b"b")])
    assert os.listdir(tmp_path) == []


def test_writer_bad_key_and_value(tmp_path):
    p = tmp_path / "x.mb"
    w = segpack.MapBufferWriter(p)
    with pytest.raises(ValueError):
        w.add(-1, b"x")
    with pytest.raises(ValueError):
        w.add(2**64, b"x")
    with pytest.raises(TypeError):
        w.add("k", b"x")
    with pytest.raises(TypeError):
        w.add(1, "not bytes")
    w.abort()
    assert os.listdir(tmp_path) == []


def test_writer_unknown_codec(tmp_path):
    with pytest.raises(segpack.UnsupportedCompressionType):
        segpack.MapBufferWriter(tmp_path / "x.mb", "snappy")
    assert os.listdir(tmp_path) == []


def test_writer_missing_directory(tmp_path):
    with pytest.raises(OSError):
        with segpack.MapBufferWriter(tmp_path / "no" / "such" / "x.mb") as w:
            w.add(1, b"x")


# ---------------------------------------------------------------- IntMap


def test_write_intmap(tmp_path):
    d = {k: k * 7 for k in range(0, 5000, 3)} | {2**64 - 1: 2**64 - 1}
    p = tmp_path / "x.im"
    segpack.write_intmap(p, d)
    assert p.read_bytes() == bytes(segpack.IntMap(d).tobytes())
    assert segpack.IntMap(p).todict() == d
    assert sorted(os.listdir(tmp_path)) == ["x.im"]
    segpack.write_intmap(str(tmp_path / "e.im"), {})
    assert (tmp_path / "e.im").read_bytes() == b"intm\x00\x03\x00\x00\x00\x00"


def test_write_intmap_matches_mapbuffer(tmp_path):
    d = {k: k * 7 for k in range(1, 300)}
    p = tmp_path / "x.im"
    segpack.write_intmap(p, d)
    assert p.read_bytes() == bytes(mapbuffer.IntMap(d).tobytes())


def test_write_intmap_bad_value_leaves_nothing(tmp_path):
    p = tmp_path / "x.im"
    with pytest.raises(ValueError):
        segpack.write_intmap(p, {1: -5})
    assert os.listdir(tmp_path) == []


def test_intmap_from_arrays_equals_dict():
    import numpy as np

    keys = np.arange(1000, dtype=np.uint64)[::-1] * 3
    vals = keys + 1
    im = segpack.IntMap.from_arrays(keys, vals)
    as_dict = {int(k): int(v) for k, v in zip(keys, vals)}
    assert bytes(im.tobytes()) == bytes(segpack.IntMap(as_dict).tobytes())


def test_writer_tobytesfn_that_commits_the_writer(tmp_path):
    p = tmp_path / "re.mb"
    w = None

    def tobytes(v):
        w.commit()  # re-entrant: the writer is gone when add() resumes
        return v

    w = segpack.MapBufferWriter(p, tobytesfn=tobytes)
    with pytest.raises(ValueError, match="closed"):
        w.add(1, b"x")
    assert segpack.MapBuffer(p).todict() == {}  # committed empty, by tobytesfn
    with pytest.raises(ValueError, match="closed"):
        w.commit()


def test_writer_used_from_another_thread_during_commit(tmp_path):
    # commit() releases the GIL; add(), commit() and abort() from another thread
    # meanwhile must find the writer closed, not race with the commit.
    import threading

    p = tmp_path / "big.mb"
    d = random_dict(100000, seed=5, max_len=40)
    w = segpack.MapBufferWriter(p)
    for k, v in d.items():
        w.add(k, v)
    done = threading.Event()
    seen = []

    def meddle():
        while not done.is_set():
            for call in (lambda: w.add(2**63, b"late"), w.commit, w.abort):
                try:
                    call()
                except ValueError as e:
                    seen.append(str(e))

    t = threading.Thread(target=meddle)
    t.start()
    try:
        w.commit()
    except ValueError:
        pass  # the other thread may have committed or aborted first: also fine
    finally:
        done.set()
        t.join()
    if p.exists():
        mb = segpack.MapBuffer(p)
        assert mb.validate()
        assert len(mb) in (len(d), len(d) + 1)
    assert all("closed" in s for s in seen)


def test_reference_cycle_through_tobytesfn_is_collected(tmp_path):
    import gc
    import weakref

    class Box:
        pass

    def make():
        box = Box()
        w = segpack.MapBufferWriter(tmp_path / "c.mb", tobytesfn=lambda v, box=box: v)
        box.w = w  # w -> tobytesfn -> box -> w
        w.add(1, b"x")
        return weakref.ref(box)

    ref = make()
    gc.collect()
    assert ref() is None
    assert not (tmp_path / "c.mb").exists()  # collected without commit: nothing published
