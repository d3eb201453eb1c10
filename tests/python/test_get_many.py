"""MapBuffer.get_many and IntMap.get_many: many lookups in one call.

The reference is always the one-key path: mb.get_many(keys) must equal
[mb[k] for k in keys], im.get_many(keys) must equal [im[k] for k in keys].
"""

import functools
import gc
import random

import numpy as np
import pytest

import segpack
import segpack.errors as E
from conftest import CODECS, read_index

THREADS = [-1, 1, 2]
VERSIONS = pytest.mark.parametrize("crc", [True, False], ids=["v1", "v0"])

SMALL = {1: b"hello", 2: b"world!", 3: b"", 10: b"x" * 100, 2**40: b"big key", 0: b"zero",
         77: b"seventy-seven", 2**64 - 1: b"max key"}  # fmt: skip


def big_dict(n=1500, seed=0):
    """Enough data (> 48 KiB) that threads=2 really uses the pool."""
    rng = random.Random(seed)
    words = [b"alpha ", b"beta ", b"gamma ", b"delta "]
    d = {}
    while len(d) < n:
        k = rng.randrange(0, 2**64)
        kind = rng.randrange(3)
        if kind == 0:
            d[k] = rng.randbytes(rng.randint(0, 120))
        elif kind == 1:
            d[k] = b"".join(rng.choice(words) for _ in range(rng.randint(0, 30)))
        else:
            d[k] = b""
    d[0] = b"key zero"
    d[2**64 - 1] = b"key max"
    return d


BIG = big_dict()


@functools.cache
def raw_map(codec, crc, which="big"):
    d = BIG if which == "big" else SMALL
    return bytes(segpack.MapBuffer(d, compress=codec, compute_crc=crc).tobytes())


def lookup_keys(d, seed=1, n=600):
    """Present keys in random order, with repeats."""
    rng = random.Random(seed)
    ks = list(d)
    return [rng.choice(ks) for _ in range(n)] + ks[:5] + ks[:5]


def key_forms(keys):
    return {
        "list": lambda: list(keys),
        "tuple": lambda: tuple(keys),
        "numpy_uint64": lambda: np.array(keys, dtype=np.uint64),
        "generator": lambda: (k for k in keys),
    }


class RangeReader:
    """An object with slice __getitem__ (e.g. an HTTP range reader)."""

    def __init__(self, data):
        self.data = bytes(data)

    def __getitem__(self, sl):
        assert isinstance(sl, slice)
        return self.data[sl]

    def __len__(self):
        return len(self.data)


# ================================================================ MapBuffer.get_many


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("form", ["list", "tuple", "numpy_uint64", "generator"])
@VERSIONS
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_get_many_matches_getitem(codec, crc, form, threads):
    mb = segpack.MapBuffer(raw_map(codec, crc))
    assert mb.format_version == (1 if crc else 0)
    keys = lookup_keys(BIG)
    got = mb.get_many(key_forms(keys)[form](), threads=threads)
    assert isinstance(got, segpack.BufferWithSegments)
    assert len(got) == len(keys)
    assert got.tolist() == [mb[k] for k in keys]
    assert got.tolist() == [BIG[k] for k in keys]


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_get_many_numpy_int64_keys(codec):
    mb = segpack.MapBuffer(raw_map(codec, True))
    small_keys = [k for k in lookup_keys(BIG) if k < 2**63]
    got = mb.get_many(np.array(small_keys, dtype=np.int64), threads=2)
    assert got.tolist() == [BIG[k] for k in small_keys]


def test_get_many_other_integer_key_types():
    mb = segpack.MapBuffer(SMALL)
    want = [b"hello", b"world!", b"seventy-seven"]
    assert mb.get_many(np.array([1, 2, 77], dtype=np.int32)).tolist() == want
    assert mb.get_many(np.array([1, 2], dtype=np.uint16)).tolist() == [b"hello", b"world!"]
    assert mb.get_many([np.uint64(77), np.int8(3), True]).tolist() == [b"seventy-seven", b"", b"hello"]
    assert mb.get_many(range(0, 4)).tolist() == [b"zero", b"hello", b"world!", b""]
    assert mb.get_many(np.array([[1, 2], [3, 10]], dtype=np.uint64).ravel()).tolist() == [
        b"hello", b"world!", b"", b"x" * 100]  # fmt: skip


@pytest.mark.parametrize("bad", [["1"], [1.0], [None], [1, b"2"], np.array([1.0, 2.0])], ids=repr)
def test_get_many_non_integer_keys(bad):
    with pytest.raises(TypeError):
        segpack.MapBuffer(SMALL).get_many(bad)


def test_get_many_non_iterable_keys():
    mb = segpack.MapBuffer(SMALL)
    with pytest.raises(TypeError):
        mb.get_many(5)
    with pytest.raises(TypeError):
        mb.get_many(None)


def test_get_many_small_map_every_codec():
    for codec in CODECS:
        for crc in (True, False):
            mb = segpack.MapBuffer(raw_map(codec, crc, "small"))
            keys = list(SMALL) * 2
            assert mb.get_many(keys).tolist() == [SMALL[k] for k in keys]
            assert mb.get_many([0, 2**64 - 1]).tolist() == [b"zero", b"max key"]


# ---------------------------------------------------------------- missing keys


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_missing_key_raises_key_error_with_that_key(codec, threads):
    mb = segpack.MapBuffer(raw_map(codec, True))
    present = lookup_keys(BIG)
    missing = next(k for k in range(1, 10**6) if k not in BIG)
    keys = present[:300] + [missing] + present[300:]
    for form in ("list", "tuple", "numpy_uint64", "generator"):
        with pytest.raises(KeyError) as ei:
            mb.get_many(key_forms(keys)[form](), threads=threads)
        assert ei.value.args[0] == missing
    with pytest.raises(KeyError) as ei:
        segpack.MapBuffer(SMALL).get_many([1, 4, 5], threads=threads)
    assert ei.value.args[0] == 4  # the first missing one


@pytest.mark.parametrize("bad", [-1, -(2**63), 2**64, 2**70])
def test_impossible_key_raises_key_error_with_that_key(bad):
    mb = segpack.MapBuffer(SMALL)
    with pytest.raises(KeyError) as ei:
        mb.get_many([1, bad, 2])
    assert ei.value.args[0] == bad
    if -(2**63) <= bad < 0:
        with pytest.raises(KeyError) as ei:
            mb.get_many(np.array([1, bad], dtype=np.int64))
        assert ei.value.args[0] == bad


@pytest.mark.parametrize("kind", ["MapBuffer", "IntMap"])
def test_impossible_key_from_generator_names_that_key(kind):
    m = segpack.MapBuffer(SMALL) if kind == "MapBuffer" else segpack.IntMap({1: 2, 3: 4})
    with pytest.raises(KeyError) as ei:
        m.get_many(k for k in [1, -5])
    assert ei.value.args[0] == -5


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_default_for_missing_keys(codec, threads):
    mb = segpack.MapBuffer(raw_map(codec, True))
    present = lookup_keys(BIG)
    missing = [k for k in range(1, 100) if k not in BIG][:3]
    keys = missing[:1] + present + missing + [-1, 2**64, -(2**70), 2**100] + present[:7]
    want = [BIG.get(k, b"<none>") for k in keys]
    assert mb.get_many(keys, default=b"<none>", threads=threads).tolist() == want
    assert mb.get_many((k for k in keys), default=b"<none>", threads=threads).tolist() == want
    np_keys = [k for k in keys if 0 <= k < 2**64]
    assert mb.get_many(np.array(np_keys, dtype=np.uint64), default=b"<none>").tolist() == [
        BIG.get(k, b"<none>") for k in np_keys]  # fmt: skip
    i64 = [k for k in keys if -(2**63) <= k < 2**63]
    assert mb.get_many(np.array(i64, dtype=np.int64), default=b"<none>").tolist() == [
        BIG.get(k, b"<none>") for k in i64]  # fmt: skip


def test_default_forms():
    mb = segpack.MapBuffer(SMALL)
    for dflt in (b"d", bytearray(b"d"), memoryview(b"d"), np.frombuffer(b"d", dtype=np.uint8)):
        assert mb.get_many([4, 1], default=dflt).tolist() == [b"d", b"hello"]
    assert mb.get_many([4, 1], default=b"").tolist() == [b"", b"hello"]
    with pytest.raises(TypeError):
        mb.get_many([4], default="d")
    with pytest.raises(TypeError):
        mb.get_many([4], default=5)


def test_default_with_impossible_keys_when_every_small_key_is_present():
    # The stand-in for an impossible key must be a key that is NOT in the map.
    d = {k: str(k).encode() for k in range(200)}
    mb = segpack.MapBuffer(d)
    got = mb.get_many([-1, 0, 2**64, 199, -2], default=b"D")
    assert got.tolist() == [b"D", b"0", b"D", b"199", b"D"]
    got = mb.get_many(np.array([-1, 5], dtype=np.int64), default=b"D")
    assert got.tolist() == [b"D", b"5"]


def test_empty_map():
    mb = segpack.MapBuffer({})
    assert len(mb.get_many([])) == 0
    with pytest.raises(KeyError):
        mb.get_many([0])
    assert mb.get_many([0, -1, 2**64 - 1], default=b"x").tolist() == [b"x"] * 3


EMPTY_KEYS = {
    "list": lambda: [],
    "tuple": lambda: (),
    "uint64": lambda: np.array([], dtype=np.uint64),
    "int64": lambda: np.array([], dtype=np.int64),
    "generator": lambda: (k for k in []),
}


@pytest.mark.parametrize("kind", list(EMPTY_KEYS))
def test_empty_keys(kind):
    for codec in CODECS:
        mb = segpack.MapBuffer(raw_map(codec, True, "small"))
        got = mb.get_many(EMPTY_KEYS[kind](), threads=2)
        assert isinstance(got, segpack.BufferWithSegments)
        assert len(got) == 0 and got.tolist() == []


# ---------------------------------------------------------------- zero copy


@VERSIONS
def test_zero_copy_points_into_the_map(crc):
    raw = raw_map(None, crc)
    mb = segpack.MapBuffer(bytearray(raw))
    keys = lookup_keys(BIG)
    got = mb.get_many(keys, zero_copy=True, threads=2)
    assert got.tolist() == [BIG[k] for k in keys]
    assert got.size == len(raw)  # the backing buffer is the map itself
    assert got.tobytes() == raw
    copied = mb.get_many(keys)
    assert copied.size == sum(len(BIG[k]) for k in keys)


@VERSIONS
def test_zero_copy_survives_close(crc, tmp_path):
    raw = raw_map(None, crc)
    keys = lookup_keys(BIG)[:100]
    want = [BIG[k] for k in keys]
    path = tmp_path / "m.mb"
    path.write_bytes(raw)
    sources = {"bytes": lambda: raw, "bytearray": lambda: bytearray(raw), "path": lambda: str(path)}
    for make in sources.values():
        mb = segpack.MapBuffer(make())
        got = mb.get_many(keys, zero_copy=True)
        mvs = got.memoryviews()
        seg = got[3]
        mb.close()
        del mb
        gc.collect()
        assert got.tolist() == want
        assert [bytes(m) for m in mvs] == want
        assert seg == want[3]


def test_zero_copy_compressed_maps_return_values():
    for codec in ("gzip", "br", "zstd", "lzma"):
        mb = segpack.MapBuffer(raw_map(codec, True))
        keys = lookup_keys(BIG)[:200]
        assert mb.get_many(keys, zero_copy=True, threads=2).tolist() == [BIG[k] for k in keys]


def test_zero_copy_with_default():
    mb = segpack.MapBuffer(raw_map(None, True, "small"))
    got = mb.get_many([1, 12345, 77], default=b"DEF", zero_copy=True)
    assert got.tolist() == [b"hello", b"DEF", b"seventy-seven"]


# ---------------------------------------------------------------- range readers


@pytest.mark.parametrize("crc", [True, False], ids=["v1", "v0"])
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_range_reader(codec, crc):
    mb = segpack.MapBuffer(RangeReader(raw_map(codec, crc)))
    keys = lookup_keys(BIG)[:150]
    want = [BIG[k] for k in keys]
    for threads in (1, 2):
        assert mb.get_many(keys, threads=threads).tolist() == want
        assert mb.get_many(np.array(keys, dtype=np.uint64), threads=threads, zero_copy=True).tolist() == want
    missing = next(k for k in range(1, 100) if k not in BIG)
    with pytest.raises(KeyError) as ei:
        mb.get_many([keys[0], missing])
    assert ei.value.args[0] == missing
    assert mb.get_many([missing, keys[0]], default=b"-").tolist() == [b"-", want[0]]
    mb.close()


def test_range_reader_exception_propagates():
    raw = raw_map(None, True, "small")

    class Flaky(RangeReader):
        calls = 0

        def __getitem__(self, sl):
            self.calls += 1
            if self.calls > 2:
                raise OSError("network down")
            return super().__getitem__(sl)

    mb = segpack.MapBuffer(Flaky(raw))
    with pytest.raises(OSError, match="network down"):
        mb.get_many([1, 2, 77])


# ---------------------------------------------------------------- corruption and limits


def corrupt_crc_of(raw, key):
    """raw with the stored crc32c of `key`'s item flipped."""
    idx = read_index(raw)
    offsets = sorted(o for _, o in idx) + [len(raw)]
    off = dict(idx)[key]
    end = offsets[offsets.index(off) + 1]
    b = bytearray(raw)
    b[end - 1] ^= 0x55  # last byte of the item's crc
    return bytes(b)


@pytest.mark.parametrize("zero_copy", [False, True])
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_corrupt_crc_names_the_key(codec, zero_copy):
    victim = 2**40
    raw = corrupt_crc_of(raw_map(codec, True, "small"), victim)
    mb = segpack.MapBuffer(raw)
    assert mb.get_many([1, 2, 77]).tolist() == [b"hello", b"world!", b"seventy-seven"]  # others are fine
    for threads in (1, 2):
        with pytest.raises(E.ChecksumError, match=f"key {victim}"):
            mb.get_many([1, victim, 2], threads=threads, zero_copy=zero_copy)
    with pytest.raises(E.ChecksumError):
        mb[victim]
    # with check_crc=False the value comes back as stored
    assert segpack.MapBuffer(raw, check_crc=False).get_many([victim]).tolist() == [b"big key"]


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_corrupt_crc_big_map_with_workers(codec):
    raw = raw_map(codec, True)
    keys = lookup_keys(BIG)
    victim = keys[400]
    mb = segpack.MapBuffer(corrupt_crc_of(raw, victim))
    with pytest.raises(E.ChecksumError, match=f"key {victim}"):
        mb.get_many(keys, threads=2)


@pytest.mark.parametrize("codec", ["gzip", "br", "zstd", "lzma"])
def test_corrupt_payload_is_decompression_error(codec):
    raw = raw_map(codec, False, "small")  # v0: no crc to catch it first
    idx = dict(read_index(raw))
    b = bytearray(raw)
    off = idx[10]
    for i in range(off, off + 8):
        b[i] ^= 0xFF
    mb = segpack.MapBuffer(bytes(b))
    with pytest.raises((E.DecompressionError, E.ChecksumError)):
        mb.get_many([1, 10])


def test_max_output_size():
    mb = segpack.MapBuffer(raw_map("zstd", True, "small"))
    assert mb.get_many([10, 1], max_output_size=105).tolist() == [b"x" * 100, b"hello"]
    with pytest.raises(E.LimitExceededError):
        mb.get_many([10, 1], max_output_size=104)


def test_frombytesfn_not_applied():
    mb = segpack.MapBuffer(SMALL, frombytesfn=lambda v: bytes(v).upper())
    assert mb[1] == b"HELLO"
    assert mb.get_many([1]).tolist() == [b"hello"]
    mb.frombytesfn = None  # break the cycle through the lambda


def test_closed_map():
    mb = segpack.MapBuffer(SMALL)
    mb.close()
    with pytest.raises(ValueError, match="closed"):
        mb.get_many([1])


def test_result_outlives_map():
    mb = segpack.MapBuffer(raw_map("zstd", True))
    keys = lookup_keys(BIG)[:50]
    got = mb.get_many(keys)
    del mb
    gc.collect()
    assert got.tolist() == [BIG[k] for k in keys]


# ================================================================ IntMap.get_many

IM = {0: 2**64 - 1, 2**64 - 1: 0, 5: 6, 2**63: 2**63 + 1, 12: 0}


@functools.cache
def big_intmap_raw():
    rng = random.Random(9)
    d = {rng.randrange(2**64): rng.randrange(2**64) for _ in range(20000)}
    d.update(IM)
    return bytes(segpack.IntMap(d).tobytes()), d


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("form", ["list", "tuple", "numpy_uint64", "generator"])
def test_intmap_get_many_matches_getitem(form, threads):
    raw, d = big_intmap_raw()
    im = segpack.IntMap(raw)
    keys = lookup_keys(d, n=5000)
    got = im.get_many(key_forms(keys)[form](), threads=threads)
    assert isinstance(got, np.ndarray)
    assert got.dtype == np.uint64 and got.shape == (len(keys),)
    assert got.tolist() == [im[k] for k in keys]
    assert got.tolist() == [d[k] for k in keys]


def test_intmap_numpy_int64_keys():
    raw, d = big_intmap_raw()
    im = segpack.IntMap(raw)
    keys = [k for k in lookup_keys(d, n=3000) if k < 2**63]
    got = im.get_many(np.array(keys, dtype=np.int64), threads=2)
    assert got.tolist() == [d[k] for k in keys]


def test_intmap_extreme_keys_and_values():
    im = segpack.IntMap(IM)
    got = im.get_many([0, 2**64 - 1, 5, 2**63, 12, 0])
    assert got.tolist() == [2**64 - 1, 0, 6, 2**63 + 1, 0, 2**64 - 1]
    got = im.get_many(np.array([0, 2**64 - 1], dtype=np.uint64))
    assert got.tolist() == [2**64 - 1, 0]


def test_intmap_missing_key():
    im = segpack.IntMap(IM)
    for keys, missing in (([0, 7, 5], 7), ([3], 3), ([5, 2**64 - 2], 2**64 - 2)):
        with pytest.raises(KeyError) as ei:
            im.get_many(keys)
        assert ei.value.args[0] == missing
        with pytest.raises(KeyError) as ei:
            im.get_many(np.array(keys, dtype=np.uint64))
        assert ei.value.args[0] == missing
    for bad in (-1, 2**64):
        with pytest.raises(KeyError) as ei:
            im.get_many([0, bad])
        assert ei.value.args[0] == bad
    with pytest.raises(KeyError) as ei:
        im.get_many(np.array([5, -3], dtype=np.int64))
    assert ei.value.args[0] == -3


@pytest.mark.parametrize("threads", [1, 2])
def test_intmap_default(threads):
    raw, d = big_intmap_raw()
    im = segpack.IntMap(raw)
    present = lookup_keys(d, n=3000)
    missing = [k for k in range(1, 100) if k not in d][:4]
    keys = present + missing + [-1, 2**64, 0] + present[:3]
    got = im.get_many(keys, default=42, threads=threads)
    assert got.tolist() == [d.get(k, 42) if 0 <= k < 2**64 else 42 for k in keys]
    assert im.get_many([1, -1], default=2**64 - 1).tolist() == [d.get(1, 2**64 - 1), 2**64 - 1]
    assert im.get_many(np.array([-1, 0], dtype=np.int64), default=7).tolist() == [7, d[0]]
    # the stand-in for an impossible key is 0, which IS a key here: the default must still win
    assert im.get_many([-1], default=3).tolist() == [3]


def test_intmap_default_type():
    im = segpack.IntMap(IM)
    with pytest.raises(TypeError):
        im.get_many([1], default=-1)
    with pytest.raises(TypeError):
        im.get_many([1], default=b"x")


def test_intmap_empty_and_bad_keys():
    im = segpack.IntMap(IM)
    for keys in ([], (), np.array([], dtype=np.uint64), (k for k in [])):
        got = im.get_many(keys)
        assert got.dtype == np.uint64 and got.shape == (0,)
    with pytest.raises(TypeError):
        im.get_many(["a"])
    with pytest.raises(TypeError):
        im.get_many([1.5])
    im.close()
    with pytest.raises(ValueError, match="closed"):
        im.get_many([0])


def test_intmap_result_is_independent():
    im = segpack.IntMap(IM)
    got = im.get_many([5, 5])
    got[0] = 1  # a fresh array: writing to it does not touch the map
    assert im[5] == 6
    del im
    gc.collect()
    assert got.tolist() == [1, 6]


def test_intmap_range_reader():
    raw, d = big_intmap_raw()
    im = segpack.IntMap(RangeReader(raw))
    keys = lookup_keys(d, n=500)
    assert im.get_many(keys, threads=2).tolist() == [d[k] for k in keys]
    im.close()


def test_intmap_on_empty_map():
    im = segpack.IntMap({})
    assert im.get_many([]).shape == (0,)
    with pytest.raises(KeyError):
        im.get_many([0])
    assert im.get_many([0, 2**64 - 1, -1], default=9).tolist() == [9, 9, 9]
