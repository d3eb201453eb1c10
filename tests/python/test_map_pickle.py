"""Pickling and copying MapBuffer and IntMap, and assigning their `buffer`.

In-memory maps pickle as their bytes (protocol 5: one PickleBuffer, out of band
with a buffer_callback), file-backed maps as their path and options, maps over
a range reader as the reader object; unpickling reopens through the
constructor. copy.copy shares the data; copy.deepcopy shares bytes objects and
files and copies writable memory.
"""

import copy
import io
import mmap
import multiprocessing
import os
import pickle

import numpy as np
import pytest

import segpack
import segpack.errors as E
from mapbuffer_api_helpers import D, SizedRangeReader, build, check_contents

PROTOCOLS = range(2, pickle.HIGHEST_PROTOCOL + 1)
INTS = {1: 10, 5: 50, 2**63: 7, 0: 2**64 - 1}


def decode_utf8(b):  # module level: picklable, unlike a lambda
    return bytes(b).decode("utf8")


def encode_utf8(s):
    return s.encode("utf8")


def roundtrip(obj, protocol):
    return pickle.loads(pickle.dumps(obj, protocol=protocol))


@pytest.fixture(
    params=[
        "dict",
        "bytes",
        "bytearray",
        "memoryview",
        "numpy",
        "mmap",
        "bytesio",
        "path",
        "pathlib",
        "file",
        "reader",
    ]
)
def backing(request, tmp_path):
    """(kind, data for the constructor) for every way a map can be opened; `make(raw)` for either map type."""
    kind = request.param
    files = []

    def make(raw, source=None):
        p = tmp_path / "m.bin"
        p.write_bytes(raw)
        if kind == "dict":
            return source
        if kind == "bytes":
            return raw
        if kind == "bytearray":
            return bytearray(raw)
        if kind == "memoryview":
            return memoryview(raw)
        if kind == "numpy":
            return np.frombuffer(raw, dtype=np.uint8).copy()
        if kind == "mmap":
            f = open(p, "rb")
            files.append(f)
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if kind == "bytesio":
            return io.BytesIO(raw)
        if kind == "path":
            return str(p)
        if kind == "pathlib":
            return p
        if kind == "file":
            f = open(p, "rb")
            files.append(f)
            return f
        return SizedRangeReader(raw)

    yield kind, make
    for f in files:
        f.close()


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_mapbuffer_round_trip_every_backing(backing, protocol):
    kind, make = backing
    mb = segpack.MapBuffer(make(build(D), D))
    back = roundtrip(mb, protocol)
    assert type(back) is segpack.MapBuffer
    check_contents(back)
    assert bytes(back.tobytes()) == bytes(mb.tobytes())
    assert back.validate()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_intmap_round_trip_every_backing(backing, protocol):
    kind, make = backing
    raw = bytes(segpack.IntMap(INTS).tobytes())
    im = segpack.IntMap(make(raw, INTS))
    back = roundtrip(im, protocol)
    assert type(back) is segpack.IntMap
    assert back.todict() == INTS
    assert bytes(back.tobytes()) == raw


@pytest.mark.parametrize("codec", [None, "zstd", "br"], ids=str)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_options_travel_with_the_pickle(tmp_path, codec, protocol):
    cache = tmp_path / "idx.cache"
    d = {k: v.decode("latin1") for k, v in D.items()}
    mb = segpack.MapBuffer(
        d,
        compress=codec,
        tobytesfn=encode_utf8,
        frombytesfn=decode_utf8,
        check_crc=False,
        compute_crc=False,
        index_cache=cache,
        level=2 if codec else None,
        max_output=1000,
    )
    back = roundtrip(mb, protocol)
    assert back.todict() == {k: v.encode("utf8").decode("utf8") for k, v in d.items()}
    assert back.compress == codec
    assert back.check_crc is False and back.compute_crc is False and back.format_version == 0
    assert back.tobytesfn is encode_utf8 and back.frombytesfn is decode_utf8
    # the writing options too: dict2buf builds the same bytes
    assert back.dict2buf(d) == mb.dict2buf(d)


def test_zero_copy_option_round_trips():
    back = roundtrip(segpack.MapBuffer(D, zero_copy=True), 5)
    assert back.zero_copy is True
    assert isinstance(back[1], memoryview)


def test_writable_memory_stays_writable():
    raw = build(D)
    for protocol in PROTOCOLS:
        back = roundtrip(segpack.MapBuffer(bytearray(raw)), protocol)
        back[1] = b"HELLO"
        assert back[1] == b"HELLO"
    back = roundtrip(segpack.IntMap(bytearray(segpack.IntMap(INTS).tobytes())), 4)
    back[1] = 11
    assert back[1] == 11


# ---------------------------------------------------------------- protocol 5: out of band, zero-copy


def test_protocol_5_hands_out_one_buffer_over_the_maps_memory():
    raw = bytearray(build(D))
    mb = segpack.MapBuffer(raw)
    buffers = []
    data = pickle.dumps(mb, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 1
    assert len(data) < 200  # the values are not in the pickle
    assert b"seventy-seven" not in data
    view = buffers[0].raw()
    assert view.nbytes == len(raw)
    assert np.shares_memory(np.frombuffer(view, dtype=np.uint8), np.frombuffer(raw, dtype=np.uint8))
    back = pickle.loads(data, buffers=buffers)
    check_contents(back)
    # the loaded map reads the same memory: no copy on either side
    assert np.shares_memory(np.frombuffer(back.view(77), dtype=np.uint8), np.frombuffer(raw, dtype=np.uint8))
    assert back.tobytes() == raw


def test_protocol_5_in_band_and_intmap():
    im = segpack.IntMap(INTS)
    buffers = []
    data = pickle.dumps(im, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 1
    assert pickle.loads(data, buffers=buffers).todict() == INTS
    assert pickle.loads(pickle.dumps(im, protocol=5)).todict() == INTS  # in band


@pytest.mark.parametrize("kind", ["path", "file", "reader"])
def test_nothing_out_of_band_for_files_and_readers(tmp_path, kind):
    p = tmp_path / "m.mb"
    p.write_bytes(build(D))
    src = {"path": str(p), "file": None, "reader": SizedRangeReader(build(D))}[kind]
    f = open(p, "rb") if kind == "file" else None
    mb = segpack.MapBuffer(src if f is None else f)
    buffers = []
    pickle.dumps(mb, protocol=5, buffer_callback=buffers.append)
    assert buffers == []
    if f:
        f.close()


# ---------------------------------------------------------------- file-backed: path and options, never the bytes


@pytest.mark.parametrize("opener", ["path", "pathlib", "file", "file_bytes_name"])
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_file_backed_pickle_holds_the_path_not_the_values(tmp_path, opener, protocol):
    values = {k: b"VALUE-%d-" % k * 20 for k in range(50)}
    p = tmp_path / "big.mb"
    segpack.write_mapbuffer(p, values)
    f = None
    if opener == "path":
        mb = segpack.MapBuffer(str(p))
    elif opener == "pathlib":
        mb = segpack.MapBuffer(p)
    else:  # an open file: its name; a bytes name is pickled as a str (bytes would be data)
        f = open(p if opener == "file" else os.fsencode(str(p)), "rb")
        mb = segpack.MapBuffer(f)
    data = pickle.dumps(mb, protocol=protocol)
    assert b"VALUE-" not in data
    assert len(data) < 300
    assert str(p).encode() in data  # the absolute path
    back = pickle.loads(data)
    assert back.todict() == values
    assert repr(str(p)) in repr(back)
    if f:
        f.close()


def test_file_backed_is_reopened_on_load(tmp_path):
    p = tmp_path / "m.mb"
    segpack.write_mapbuffer(p, {1: b"old"})
    data = pickle.dumps(segpack.MapBuffer(p))
    segpack.write_mapbuffer(p, {1: b"new"})  # replaced atomically
    assert pickle.loads(data)[1] == b"new"
    os.remove(p)
    with pytest.raises(OSError):
        pickle.loads(data)


def test_relative_path_is_stored_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    segpack.write_mapbuffer("rel.mb", {1: b"x"})
    segpack.write_intmap("rel.im", {1: 2})
    mb_data = pickle.dumps(segpack.MapBuffer("rel.mb"))
    im_data = pickle.dumps(segpack.IntMap("rel.im"))
    monkeypatch.chdir(os.path.dirname(tmp_path))
    assert pickle.loads(mb_data)[1] == b"x"
    assert pickle.loads(im_data)[1] == 2


def test_intmap_file_backed_holds_the_path(tmp_path):
    p = tmp_path / "m.im"
    segpack.write_intmap(p, {k: 0xABCDEF0123 for k in range(100)})
    data = pickle.dumps(segpack.IntMap(p))
    assert len(data) < 300
    assert (0xABCDEF0123).to_bytes(8, "little") not in data
    assert pickle.loads(data).todict() == {k: 0xABCDEF0123 for k in range(100)}


def test_file_object_without_a_path_name_does_not_pickle(tmp_path):
    p = tmp_path / "m.mb"
    p.write_bytes(build(D))
    fd = os.open(p, os.O_RDONLY)
    with open(fd, "rb") as f:  # f.name is the descriptor, an int
        mb = segpack.MapBuffer(f)
        with pytest.raises(TypeError, match="file object whose name is not a path"):
            pickle.dumps(mb)
        check_contents(copy.copy(mb))  # a copy shares the mapping


# ---------------------------------------------------------------- range readers


def test_range_reader_pickles_as_the_reader():
    reader = SizedRangeReader(build(D))
    mb = segpack.MapBuffer(reader)
    back = roundtrip(mb, 4)
    check_contents(back)
    assert repr(back).startswith("<segpack.MapBuffer over SizedRangeReader,")


def test_unpicklable_reader_or_function_raises_pickles_error():
    class Local(SizedRangeReader):  # not importable by name
        pass

    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(segpack.MapBuffer(Local(build(D))))
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(segpack.MapBuffer(D, frombytesfn=lambda b: b))


# ---------------------------------------------------------------- validation on load, closed maps


def test_unpickling_runs_the_validated_open():
    mb = segpack.MapBuffer(D)
    rebuild, (cls, data, options) = mb.__reduce_ex__(4)
    assert cls is segpack.MapBuffer
    with pytest.raises(E.ValidationError):
        rebuild(cls, b"mapbufX" + bytes(data)[7:], options)
    with pytest.raises(E.TruncatedError):
        rebuild(cls, bytes(data)[:20], options)


def test_closed_maps_do_not_pickle_or_copy():
    for m in (segpack.MapBuffer(D), segpack.IntMap(INTS)):
        m.close()
        with pytest.raises(ValueError, match="closed"):
            pickle.dumps(m)
        with pytest.raises(ValueError, match="closed"):
            copy.copy(m)
        with pytest.raises(ValueError, match="closed"):
            copy.deepcopy(m)


# ---------------------------------------------------------------- copy / deepcopy


def test_copy_shares_the_memory():
    raw = bytearray(build(D))
    mb = segpack.MapBuffer(raw, frombytesfn=decode_utf8, tobytesfn=encode_utf8)
    c = copy.copy(mb)
    assert c is not mb and c.frombytesfn is decode_utf8
    mb[1] = "HELLO"
    assert c[1] == "HELLO"  # the same bytearray
    assert c.tobytes() is raw


def test_deepcopy_shares_bytes_and_copies_writable_memory():
    raw = build(D)
    mb = segpack.MapBuffer(raw)
    d = copy.deepcopy(mb)
    assert d.tobytes() is raw  # immutable bytes are shared
    check_contents(d)

    wraw = bytearray(raw)
    wmb = segpack.MapBuffer(wraw)
    wd = copy.deepcopy(wmb)
    assert wd.tobytes() is not wraw
    wd[1] = b"HELLO"  # still writable
    assert wd[1] == b"HELLO" and wmb[1] == b"hello"

    arr = np.frombuffer(raw, dtype=np.uint8).copy()
    ad = copy.deepcopy(segpack.MapBuffer(arr))
    ad[1] = b"HELLO"
    assert arr.tobytes() == raw

    im = segpack.IntMap(bytearray(segpack.IntMap(INTS).tobytes()))
    imd = copy.deepcopy(im)
    imd[1] = 12
    assert im[1] == 10 and imd[1] == 12


def test_deepcopy_of_reader_and_file_maps(tmp_path):
    reader = SizedRangeReader(build(D))
    mb = segpack.MapBuffer(reader)
    d = copy.deepcopy(mb)
    check_contents(d)
    p = tmp_path / "m.mb"
    p.write_bytes(build(D))
    check_contents(copy.deepcopy(segpack.MapBuffer(p)))
    check_contents(copy.copy(segpack.MapBuffer(p)))
    holder = copy.deepcopy({"a": mb, "b": mb})  # the memo keeps one copy
    assert holder["a"] is holder["b"]


# ---------------------------------------------------------------- multiprocessing


def lookup_many(args):
    mb, keys = args
    return [bytes(mb[k]) for k in keys]


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_pool_map_over_a_mapbuffer_argument(tmp_path, kind):
    if kind == "file":
        p = tmp_path / "m.mb"
        segpack.write_mapbuffer(p, D, compress="zstd")
        mb = segpack.MapBuffer(p)
    else:
        mb = segpack.MapBuffer(D, compress="zstd")
    keys = sorted(D)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        got = pool.map(lookup_many, [(mb, keys[:3]), (mb, keys[3:])])
    assert got[0] + got[1] == [D[k] for k in keys]


# ---------------------------------------------------------------- .buffer


def test_buffer_reads_like_tobytes():
    mb = segpack.MapBuffer(D)
    assert mb.buffer is mb.tobytes()
    im = segpack.IntMap(INTS)
    assert im.buffer is im.tobytes()
    assert bytes(im.buffer) == bytes(segpack.IntMap(INTS).tobytes())


@pytest.mark.parametrize("codec", [None, "gzip", "br", "zstd"], ids=str)
def test_assigning_buffer_reopens_with_the_same_options(codec):
    mb = segpack.MapBuffer(D, compress=codec, frombytesfn=bytes, check_crc=True)
    raw = bytearray(mb.buffer)
    last = int(mb.index()[-1, 0])  # the key stored last: its payload ends the buffer
    raw[-1] ^= 0xFF  # its crc
    mb.buffer = bytes(raw)
    assert mb.frombytesfn is bytes
    with pytest.raises(E.ChecksumError):
        mb[last]
    mb.check_crc = False
    other = {5: b"five"}
    mb.buffer = segpack.MapBuffer(other).tobytes()
    assert mb.todict() == other and mb.check_crc is False


def test_assigning_bad_buffer_leaves_the_map_unchanged():
    mb = segpack.MapBuffer(D)
    with pytest.raises(E.TruncatedError):
        mb.buffer = b"mapbufr"
    with pytest.raises(TypeError):
        mb.buffer = 3.5
    check_contents(mb)
    im = segpack.IntMap(INTS)
    with pytest.raises(E.ValidationError):
        im.buffer = b"intm\x00\x03\x05\x00\x00\x00"
    assert im.todict() == INTS


def test_assigning_intmap_buffer_makes_it_writable():
    im = segpack.IntMap({1: 5, 2: 7})
    with pytest.raises(ValueError):
        im[1] = 8  # bytes: read-only
    im.buffer = bytearray(im.buffer)
    im[1] = 8
    assert im[1] == 8
    with pytest.raises(KeyError):
        im[9] = 1


def test_assigning_buffer_of_a_closed_map_raises():
    mb = segpack.MapBuffer(D)
    mb.close()
    with pytest.raises(ValueError, match="closed"):
        mb.buffer = build(D)


def test_bytes_paths_for_writers_and_pickles(tmp_path):
    p = os.fsencode(str(tmp_path / "b.mb"))
    with segpack.MapBufferWriter(p) as w:  # a bytes path is a path here (data to the constructors)
        w.add(1, b"x")
    segpack.write_intmap(os.fsencode(str(tmp_path / "b.im")), {1: 2})
    with open(p, "rb") as f:
        data = pickle.dumps(segpack.MapBuffer(f))
    assert pickle.loads(data)[1] == b"x"
    with open(tmp_path / "b.im", "rb") as f:
        assert pickle.loads(pickle.dumps(segpack.IntMap(f)))[1] == 2
