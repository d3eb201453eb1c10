"""Differential tests: segpack.MapBuffer / IntMap against the real mapbuffer package."""

import mmap

import mapbuffer
import numpy as np
import pytest

import segpack
from conftest import CODECS, eytzinger, random_dict

DATASETS = {
    "empty": {},
    "one": {7: b"seven"},
    "empty_values": {1: b"", 2: b"", 3: b"", 99: b""},
    "doc_example": {3: b"", 1: b"hello", 2: b"world!"},
    "extreme_keys": {0: b"zero", 2**63 - 1: b"max signed"},
    "ten": {i: bytes([i]) * i for i in range(1, 11)},
    "random_1": random_dict(1, seed=1),
    "random_2": random_dict(2, seed=2),
    "random_3": random_dict(3, seed=3),
    "random_31": random_dict(31, seed=31),
    "random_32": random_dict(32, seed=32),
    "random_100": random_dict(100, seed=100),
    "random_1000": random_dict(1000, seed=1000),
    "dense_1000": {i: i.to_bytes(4, "little") for i in range(1, 1001)},
}


CROSS = ["empty", "one", "empty_values", "doc_example", "extreme_keys", "random_100", "random_1000"]


def _mb_todict(m):
    """mapbuffer's todict with int keys and bytes values (gzip gives bytearray)."""
    return {int(k): bytes(v) for k, v in m.todict().items()}


@pytest.mark.parametrize("compute_crc", [True, False], ids=["v1", "v0"])
@pytest.mark.parametrize("name", list(DATASETS))
def test_uncompressed_bytes_identical(name, compute_crc):
    d = DATASETS[name]
    ours = bytes(segpack.MapBuffer(d, compute_crc=compute_crc).tobytes())
    theirs = bytes(mapbuffer.MapBuffer(d, compute_crc=compute_crc).tobytes())
    assert ours == theirs


def test_documented_example_bytes():
    ours = bytes(segpack.MapBuffer({3: b"", 1: b"hello", 2: b"world!"}).tobytes())
    expected = bytes.fromhex(
        "6d61706275667201 6e6f6e65 03000000 "
        "0200000000000000 4000000000000000 "
        "0100000000000000 4a00000000000000 "
        "0300000000000000 5300000000000000"
    )
    expected += b"world!" + bytes.fromhex("9656996d") + b"hello" + bytes.fromhex("4cbb719a")
    expected += bytes.fromhex("00000000")
    assert ours == expected


def test_empty_map_is_exactly_the_header():
    for crc in (True, False):
        b = bytes(segpack.MapBuffer({}, compute_crc=crc).tobytes())
        assert len(b) == 16
        assert b[:7] == b"mapbufr"
        assert b[7] == (1 if crc else 0)
        assert b[8:12] == b"none"
        assert b[12:16] == b"\x00\x00\x00\x00"


@pytest.mark.parametrize("compute_crc", [True, False], ids=["v1", "v0"])
@pytest.mark.parametrize("codec", CODECS, ids=str)
@pytest.mark.parametrize("name", CROSS[1:])
def test_mapbuffer_reads_segpack_output(name, codec, compute_crc):
    d = DATASETS[name]
    ours = bytes(segpack.MapBuffer(d, compress=codec, compute_crc=compute_crc).tobytes())
    m = mapbuffer.MapBuffer(ours)
    assert m.compress == codec
    assert m.format_version == (1 if compute_crc else 0)
    assert _mb_todict(m) == d
    for k in list(d)[:20]:
        assert bytes(m[k]) == d[k]
    assert m.validate()


@pytest.mark.parametrize("compute_crc", [True, False], ids=["v1", "v0"])
@pytest.mark.parametrize("codec", CODECS, ids=str)
@pytest.mark.parametrize("name", CROSS)
def test_segpack_reads_mapbuffer_output(name, codec, compute_crc):
    d = DATASETS[name]
    theirs = bytes(mapbuffer.MapBuffer(d, compress=codec, compute_crc=compute_crc).tobytes())
    mb = segpack.MapBuffer(theirs)
    assert mb.compress == codec
    assert mb.format_version == (1 if compute_crc else 0)
    assert len(mb) == len(d)
    assert {k: bytes(v) for k, v in mb.todict().items()} == d
    for k, v in d.items():
        assert mb[k] == v
    assert mb.validate() is True


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_segpack_reads_mapbuffer_file_mmap(tmp_path, codec):
    d = DATASETS["random_100"]
    p = tmp_path / "x.mb"
    p.write_bytes(mapbuffer.MapBuffer(d, compress=codec).tobytes())
    with open(p, "rb") as f:
        mb = segpack.MapBuffer(f)
        assert mb.todict() == d
    mb2 = segpack.MapBuffer(p)
    assert mb2.todict() == d


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_mapbuffer_reads_segpack_file_mmap(tmp_path, codec):
    d = DATASETS["random_100"]
    p = tmp_path / "x.mb"
    segpack.write_mapbuffer(p, d, compress=codec)
    with open(p, "rb") as f:
        m = mapbuffer.MapBuffer(f)
        assert _mb_todict(m) == d


@pytest.mark.parametrize("name", ["ten", "random_100", "random_1000", "extreme_keys"])
def test_index_equals_mapbuffer_index(name):
    d = DATASETS[name]
    ours = segpack.MapBuffer(d).index()
    theirs = mapbuffer.MapBuffer(d).index()
    assert ours.dtype == np.uint64
    assert ours.shape == theirs.shape == (len(d), 2)
    assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("name", ["ten", "random_1000"])
def test_iteration_order_equals_mapbuffer(name):
    d = DATASETS[name]
    mb = segpack.MapBuffer(d)
    m = mapbuffer.MapBuffer(d)
    assert list(mb.keys()) == [int(k) for k in m.keys()]
    assert list(mb.values()) == [bytes(v) for v in m.values()]
    assert list(mb.keys()) == eytzinger(sorted(d))


@pytest.mark.parametrize("name", ["empty", "ten", "random_1000"])
def test_datasize_equals_mapbuffer(name):
    d = DATASETS[name]
    assert segpack.MapBuffer(d).datasize() == mapbuffer.MapBuffer(d).datasize()


def test_header_equals_mapbuffer(codec):
    d = DATASETS["random_31"]
    ours = segpack.MapBuffer(d, compress=codec).header
    assert bytes(ours) == bytes(mapbuffer.MapBuffer(d, compress=codec).header)


def test_tobytesfn_bytes_identical_to_mapbuffer():
    d = {1: "één", 2: "two", 3: ""}
    ours = bytes(segpack.MapBuffer(d, tobytesfn=lambda s: s.encode("utf8")).tobytes())
    theirs = bytes(mapbuffer.MapBuffer(d, tobytesfn=lambda s: s.encode("utf8")).tobytes())
    assert ours == theirs


# ---- keys >= 2**63: mapbuffer stores them but cannot look them up


HIGH_KEYS = {2**63: b"a", 2**64 - 1: b"max", 2**63 + 12345: b"", 5: b"low", 0: b"zero"}


@pytest.mark.parametrize("compute_crc", [True, False], ids=["v1", "v0"])
def test_high_keys_bytes_identical(compute_crc):
    ours = bytes(segpack.MapBuffer(HIGH_KEYS, compute_crc=compute_crc).tobytes())
    theirs = bytes(mapbuffer.MapBuffer(HIGH_KEYS, compute_crc=compute_crc).tobytes())
    assert ours == theirs


def test_high_keys_lookup_in_segpack(codec):
    mb = segpack.MapBuffer(HIGH_KEYS, compress=codec)
    for k, v in HIGH_KEYS.items():
        assert k in mb
        assert mb[k] == v
        assert mb.get(k) == v
        assert mb.find_index_position(k) is not None
    assert 2**63 + 1 not in mb
    assert mb.todict() == HIGH_KEYS
    # also when reading mapbuffer's bytes
    theirs = bytes(mapbuffer.MapBuffer(HIGH_KEYS, compress=codec).tobytes())
    assert segpack.MapBuffer(theirs).todict() == HIGH_KEYS


def test_high_keys_random_lookup():
    d = random_dict(500, seed=7, key_max=2**64 - 1)
    assert any(k >= 2**63 for k in d)
    ours = segpack.MapBuffer(d)
    assert bytes(ours.tobytes()) == bytes(mapbuffer.MapBuffer(d).tobytes())
    for k, v in d.items():
        assert ours[k] == v


# ---- IntMap


INTMAP_DATASETS = {
    "empty": {},
    "one": {1: 2},
    "ten": {i: i * i for i in range(1, 11)},
    "extremes": {0: 0, 2**63 - 1: 2**64 - 1, 12: 2**63},
    "random_1000": {
        k: int.from_bytes(v[:8].ljust(8, b"\0"), "little") for k, v in random_dict(1000, seed=9).items()
    },
}


@pytest.mark.parametrize("name", list(INTMAP_DATASETS))
def test_intmap_bytes_identical(name):
    d = INTMAP_DATASETS[name]
    assert bytes(segpack.IntMap(d).tobytes()) == bytes(mapbuffer.IntMap(d).tobytes())


@pytest.mark.parametrize("name", [n for n in INTMAP_DATASETS if n != "empty"])
def test_intmap_cross_readable(name):
    d = INTMAP_DATASETS[name]
    ours = bytes(segpack.IntMap(d).tobytes())
    theirs = bytes(mapbuffer.IntMap(d).tobytes())
    seg = segpack.IntMap(theirs)
    assert seg.todict() == d
    for k, v in d.items():
        assert seg[k] == v
    m = mapbuffer.IntMap(ours)
    assert {int(k): int(v) for k, v in m.todict().items()} == d
    for k in list(d)[:50]:  # only present keys: mapbuffer misreads on a key above the maximum
        assert int(m[k]) == d[k]
    assert np.array_equal(seg.index(), m.index())


def test_intmap_high_keys():
    d = {2**63: 1, 2**64 - 1: 2**64 - 1, 3: 4}
    assert bytes(segpack.IntMap(d).tobytes()) == bytes(mapbuffer.IntMap(d).tobytes())
    im = segpack.IntMap(bytes(mapbuffer.IntMap(d).tobytes()))
    for k, v in d.items():
        assert im[k] == v


def test_intmap_file_cross_readable(tmp_path):
    d = INTMAP_DATASETS["random_1000"]
    p = tmp_path / "x.im"
    p.write_bytes(mapbuffer.IntMap(d).tobytes())
    assert segpack.IntMap(p).todict() == d
    with open(p, "rb") as f:
        assert segpack.IntMap(f).todict() == d
    p2 = tmp_path / "y.im"
    segpack.write_intmap(p2, d)
    with open(p2, "rb") as f:
        m = mapbuffer.IntMap(f)
        assert {int(k): int(v) for k, v in m.items()} == d
        del m


def test_segpack_reads_mapbuffer_over_mmap_object(tmp_path):
    d = DATASETS["random_100"]
    p = tmp_path / "x.mb"
    p.write_bytes(mapbuffer.MapBuffer(d, compress="zstd").tobytes())
    with open(p, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    mb = segpack.MapBuffer(mm)
    assert mb.todict() == d
    mb.close()
    mm.close()
