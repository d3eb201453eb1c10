"""segpack's segment buffers: BufferSegment, BufferSegments, BufferWithSegments,
BufferWithSegmentsCollection.

Differential tests run the same operation on python-zstandard's types (the
reference, see /work/shared/reference/segment-buffers.md) and on ours and
compare results, exception types and messages. Then our extras: negative
indexes, slicing, value equality, numpy views, pickling, and the thread pool
knobs.
"""

import copy
import gc
import json
import os
import pickle
import struct
import textwrap
import weakref

import numpy as np
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

import segpack
from conftest import run_isolated

MODS = pytest.mark.parametrize("mod", [zstandard, segpack], ids=["zstandard", "segpack"])

OUTSIDE = "offset within segments array references memory outside buffer"
NOT_16 = "segments array size is not a multiple of 16"

DATA = b"0123456789abcdefghij"  # 20 bytes
# duplicate, overlapping, unsorted, gapped, empty, empty at the very end
PAIRS = [(0, 3), (5, 4), (5, 4), (19, 1), (2, 10), (20, 0), (0, 0), (7, 13)]


def recs(pairs):
    """Native-endian (offset, length) u64 records, as both libraries expect."""
    return b"".join(struct.pack("=QQ", o, n) for o, n in pairs)


def expected(data=DATA, pairs=PAIRS):
    return [bytes(data[o : o + n]) for o, n in pairs]


def bws(mod=segpack, data=DATA, pairs=PAIRS):
    return mod.BufferWithSegments(data, recs(pairs))


def outcome(fn):
    """(exception type, message) or ("ok", result) of fn()."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - we compare whatever is raised
        return type(e), str(e)


# ================================================================ differential


@MODS
def test_basic_members_match_reference(mod):
    b = bws(mod)
    assert len(b) == len(PAIRS)
    assert b.size == len(DATA)
    assert b.tobytes() == DATA
    for i, (o, n) in enumerate(PAIRS):
        seg = b[i]
        assert seg.offset == o
        assert len(seg) == n
        assert seg.tobytes() == DATA[o : o + n]
        assert bytes(memoryview(seg)) == DATA[o : o + n]
    assert [x.tobytes() for x in b] == expected()
    assert bytes(b.segments()) == recs(PAIRS)
    assert bytes(memoryview(b)) == DATA


def test_same_results_as_zstandard():
    z, s = bws(zstandard), bws(segpack)
    assert (len(z), z.size, z.tobytes()) == (len(s), s.size, s.tobytes())
    assert [(x.offset, x.tobytes()) for x in z] == [(x.offset, x.tobytes()) for x in s]
    assert bytes(z.segments()) == bytes(s.segments())
    zc = zstandard.BufferWithSegmentsCollection(z, bws(zstandard, pairs=PAIRS[:2]))
    sc = segpack.BufferWithSegmentsCollection(s, bws(segpack, pairs=PAIRS[:2]))
    assert (len(zc), zc.size()) == (len(sc), sc.size())
    assert [zc[i].tobytes() for i in range(len(zc))] == [sc[i].tobytes() for i in range(len(sc))]


ERROR_CASES = {
    "segments_15_bytes": lambda m: m.BufferWithSegments(DATA, b"x" * 15),
    "segments_17_bytes": lambda m: m.BufferWithSegments(DATA, b"x" * 17),
    "segments_1_byte": lambda m: m.BufferWithSegments(DATA, b"\0"),
    "offset_past_end": lambda m: m.BufferWithSegments(DATA, recs([(21, 0)])),
    "length_past_end": lambda m: m.BufferWithSegments(DATA, recs([(0, 21)])),
    "end_past_end": lambda m: m.BufferWithSegments(DATA, recs([(0, 3), (15, 6)])),
    "segment_over_empty_data": lambda m: m.BufferWithSegments(b"", recs([(0, 1)])),
    "index_eq_len": lambda m: bws(m)[len(PAIRS)],
    "index_huge": lambda m: bws(m)[10**6],
    "index_str": lambda m: bws(m)["0"],
    "empty_bws_index": lambda m: m.BufferWithSegments(b"", b"")[0],
    "collection_no_args": lambda m: m.BufferWithSegmentsCollection(),
    "collection_bytes_arg": lambda m: m.BufferWithSegmentsCollection(b"abc"),
    "collection_mixed_args": lambda m: m.BufferWithSegmentsCollection(bws(m), b"abc"),
    "collection_empty_member": lambda m: m.BufferWithSegmentsCollection(m.BufferWithSegments(b"", b"")),
    "collection_empty_second_member": lambda m: m.BufferWithSegmentsCollection(
        bws(m), m.BufferWithSegments(DATA, b"")
    ),
    "collection_index_eq_len": lambda m: m.BufferWithSegmentsCollection(bws(m), bws(m))[2 * len(PAIRS)],
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_errors_match_reference(case):
    ref_type, ref_msg = outcome(lambda: ERROR_CASES[case](zstandard))
    our_type, our_msg = outcome(lambda: ERROR_CASES[case](segpack))
    assert ref_type != "ok", "the case must be an error in the reference"
    assert our_type is ref_type, (our_type, our_msg, ref_type, ref_msg)
    # ours may add detail after the reference message
    assert our_msg.startswith(ref_msg), (our_msg, ref_msg)


def test_error_messages_are_the_documented_ones():
    with pytest.raises(ValueError, match=f"^{NOT_16}$"):
        segpack.BufferWithSegments(DATA, b"x" * 15)
    with pytest.raises(ValueError, match=f"^{OUTSIDE}"):
        segpack.BufferWithSegments(DATA, recs([(0, 21)]))
    with pytest.raises(IndexError, match="^offset must be less than 8$"):
        bws()[8]
    with pytest.raises(ValueError, match="^must pass at least 1 argument$"):
        segpack.BufferWithSegmentsCollection()
    with pytest.raises(TypeError, match="^arguments must be BufferWithSegments instances$"):
        segpack.BufferWithSegmentsCollection(bws(), b"x")
    with pytest.raises(ValueError):
        segpack.BufferWithSegmentsCollection(bws(), segpack.BufferWithSegments(b"", b""))


@MODS
def test_non_buffer_data_is_type_error(mod):
    for bad in ("abc", 5, None, [1, 2]):
        with pytest.raises(TypeError):
            mod.BufferWithSegments(bad, b"")
    with pytest.raises(TypeError):
        mod.BufferWithSegments(DATA, "0" * 16)


@MODS
def test_overlapping_unsorted_gapped_accepted(mod):
    pairs = [(10, 5), (0, 20), (3, 3), (3, 3), (19, 1), (0, 0), (20, 0)]
    b = bws(mod, pairs=pairs)
    assert [x.tobytes() for x in b] == expected(pairs=pairs)


@MODS
def test_segments_are_copied(mod):
    table = bytearray(recs([(0, 3)]))
    b = mod.BufferWithSegments(DATA, table)
    table[:] = recs([(1, 5)])
    assert b[0].tobytes() == b"012"
    assert bytes(b.segments()) == recs([(0, 3)])


@MODS
def test_data_is_not_copied(mod):
    data = bytearray(DATA)
    b = mod.BufferWithSegments(data, recs([(0, 3)]))
    seg = b[0]
    data[0:3] = b"XYZ"
    assert seg.tobytes() == b"XYZ"
    assert b.tobytes()[:3] == b"XYZ"


@MODS
def test_source_export_is_held(mod):
    data = bytearray(DATA)
    b = mod.BufferWithSegments(data, recs([(0, 3)]))
    with pytest.raises(BufferError):
        data.extend(b"more")  # resizing would move the memory the segments point into
    del b
    gc.collect()
    data.extend(b"more")  # released with the last view


@MODS
def test_data_owner_kept_alive(mod):
    src = bytearray(DATA)
    b = mod.BufferWithSegments(src, recs(PAIRS))
    seg = b[1]
    del src
    gc.collect()
    assert b[0].tobytes() == b"012"
    del b
    gc.collect()
    assert seg.tobytes() == b"5678"  # the segment keeps its parent (and the data) alive
    assert bytes(memoryview(seg)) == b"5678"


def test_owner_released_when_last_view_dies():
    src = np.frombuffer(DATA, dtype=np.uint8).copy()
    ref = weakref.ref(src)
    b = segpack.BufferWithSegments(src, recs(PAIRS))
    seg = b[4]
    mv = b.memoryviews()[1]
    offs = b.offsets()
    del src, b
    gc.collect()
    assert ref() is not None
    assert seg.tobytes() == DATA[2:12]
    assert bytes(mv) == b"5678"
    assert offs.tolist() == [o for o, _ in PAIRS]
    del seg, mv, offs
    gc.collect()
    assert ref() is None, "the source must not leak once every view is gone"


@MODS
def test_buffer_protocol_is_read_only(mod):
    b = bws(mod)
    for obj in (b, b[0], b.segments()):
        mv = memoryview(obj)
        assert mv.readonly
        with pytest.raises(TypeError):
            mv[0:1] = b"x"
    assert memoryview(b).nbytes == len(DATA)
    assert memoryview(b.segments()).nbytes == 16 * len(PAIRS)


def test_buffer_protocol_rejects_writable_request():
    import ctypes

    b = bws()
    for obj in (b, b[0], b.segments()):
        with pytest.raises(TypeError):
            (ctypes.c_char * 1).from_buffer(obj)  # asks for a writable buffer
    arr = np.frombuffer(b, dtype=np.uint8)
    assert not arr.flags.writeable
    assert arr.tobytes() == DATA


@MODS
def test_collection_flat_indexing(mod):
    a = bws(mod, pairs=[(0, 2), (2, 3)])
    b = bws(mod, data=b"XYZ", pairs=[(0, 1), (1, 2), (0, 3)])
    c = mod.BufferWithSegmentsCollection(a, b)
    assert len(c) == 5
    assert c.size() == 2 + 3 + 1 + 2 + 3
    assert [c[i].tobytes() for i in range(5)] == [b"01", b"234", b"X", b"YZ", b"XYZ"]
    with pytest.raises(IndexError, match="^offset must be less than 5$"):
        c[5]


# ================================================================ our extras


def test_negative_indexing():
    b = bws()
    n = len(PAIRS)
    for i in range(-n, 0):
        assert b[i].tobytes() == expected()[i]
        assert b[i].offset == PAIRS[i][0]
    with pytest.raises(IndexError):
        b[-n - 1]
    c = segpack.BufferWithSegmentsCollection(b, bws(pairs=[(1, 1)]))
    assert c[-1] == b"1"
    assert c[-2] == expected()[-1]
    assert c[-(n + 1)] == expected()[0]
    with pytest.raises(IndexError):
        c[-(n + 2)]


def test_index_accepts_index_protocol():
    b = bws()
    assert b[np.int64(1)] == b"5678"
    assert b[np.uint8(3)] == b"j"
    with pytest.raises(TypeError):
        b[1.0]


SLICES = [
    slice(None),
    slice(1, 4),
    slice(None, None, 2),
    slice(None, None, -1),
    slice(-3, None),
    slice(6, 1, -2),
    slice(100, 200),
    slice(-100, 2),
    slice(3, 3),
    slice(1, None, 3),
]


@pytest.mark.parametrize("sl", SLICES, ids=str)
def test_slicing_returns_buffer_with_segments(sl):
    b = bws()
    part = b[sl]
    assert isinstance(part, segpack.BufferWithSegments)
    assert part.tolist() == expected()[sl]
    assert part.offsets().tolist() == [o for o, _ in PAIRS][sl]
    assert part.lengths().tolist() == [n for _, n in PAIRS][sl]
    assert part.size == b.size  # same backing buffer, not a compacted copy
    assert bytes(part.segments()) == recs(PAIRS[sl])


def test_slice_outlives_parent_and_source():
    src = bytearray(DATA)
    part = segpack.BufferWithSegments(src, recs(PAIRS))[::-2]
    del src
    gc.collect()
    assert part.tolist() == expected()[::-2]


def test_slice_step_zero():
    with pytest.raises(ValueError):
        bws()[::0]


def test_collection_slicing_returns_segments():
    c = segpack.BufferWithSegmentsCollection(bws(), bws(data=b"xyz", pairs=[(0, 3)]))
    everything = expected() + [b"xyz"]
    got = c[::-1]
    assert [bytes(x) for x in got] == everything[::-1]
    assert all(isinstance(x, segpack.BufferSegment) for x in got)
    assert [bytes(x) for x in c[2:10:3]] == everything[2:10:3]


def test_segment_value_equality():
    b = bws()
    seg = b[1]  # b"5678"
    assert seg == b"5678"
    assert b"5678" == seg
    assert seg == bytearray(b"5678")
    assert seg == memoryview(b"5678")
    assert seg == np.frombuffer(b"5678", dtype=np.uint8)
    assert seg == b[2]  # same bytes, same offset
    other = segpack.BufferWithSegments(b"xx5678", recs([(2, 4)]))[0]
    assert seg == other and other.offset != seg.offset  # value, not position
    assert seg != b"5679"
    assert seg != b"567"
    assert not (seg == b"56789")
    assert seg != "5678"
    assert seg != None  # noqa: E711
    assert seg != 5678
    assert b[5] == b"" and b[6] == b""


def test_segment_hash_equals_bytes_hash():
    b = bws()
    for seg, want in zip(b, expected()):
        assert hash(seg) == hash(want)
    assert b[1] in {b"5678"}
    assert b"5678" in {b[1]}
    assert {b[1]: "x"}[b"5678"] == "x"
    assert len({b[1], b[2], b"5678"}) == 1


def test_segment_bytes_and_repr():
    seg = bws()[1]
    assert bytes(seg) == b"5678"
    assert "offset=5" in repr(seg) and "len=4" in repr(seg)


def test_offsets_lengths_numpy_views():
    b = bws()
    offs, lens = b.offsets(), b.lengths()
    for arr, want in ((offs, [o for o, _ in PAIRS]), (lens, [n for _, n in PAIRS])):
        assert isinstance(arr, np.ndarray)
        assert arr.dtype == np.uint64
        assert arr.ndim == 1
        assert arr.tolist() == want
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = 1
        with pytest.raises(ValueError):
            arr.setflags(write=True)
    # views of the one interleaved (offset, length) table, not copies
    assert offs.strides == lens.strides == (16,)
    assert lens.__array_interface__["data"][0] == offs.__array_interface__["data"][0] + 8
    assert np.may_share_memory(offs, lens)
    del b
    gc.collect()
    assert offs.tolist() == [o for o, _ in PAIRS]
    assert lens.tolist() == [n for _, n in PAIRS]


def test_offsets_lengths_edge_values_and_empty():
    data = np.zeros(10, dtype=np.uint8)
    b = segpack.BufferWithSegments(data, recs([(10, 0), (3, 7)]))
    assert b.offsets().tolist() == [10, 3]
    assert b.lengths().tolist() == [0, 7]
    e = segpack.BufferWithSegments(b"", b"")
    assert e.offsets().dtype == np.uint64 and e.offsets().shape == (0,)
    assert e.lengths().shape == (0,)


def test_memoryviews():
    b = bws()
    mvs = b.memoryviews()
    assert isinstance(mvs, list) and len(mvs) == len(PAIRS)
    for mv, want in zip(mvs, expected()):
        assert isinstance(mv, memoryview)
        assert mv.readonly
        assert bytes(mv) == want
    del b
    gc.collect()
    assert [bytes(m) for m in mvs] == expected()
    c = segpack.BufferWithSegmentsCollection(bws(), bws(data=b"xyz", pairs=[(1, 2)]))
    assert [bytes(m) for m in c.memoryviews()] == expected() + [b"yz"]


def test_tolist_and_concat():
    b = bws()
    assert b.tolist() == expected()
    assert all(type(x) is bytes for x in b.tolist())
    assert b.concat() == b"".join(expected())
    assert b[::2].concat() == b"".join(expected()[::2])
    c = segpack.BufferWithSegmentsCollection(b, bws(data=b"xyz", pairs=[(0, 3)]))
    assert c.tolist() == expected() + [b"xyz"]
    assert [x.tolist() for x in c.buffers()] == [expected(), [b"xyz"]]


def test_empty_buffer_with_segments():
    for b in (segpack.BufferWithSegments(b"", b""), segpack.BufferWithSegments(DATA, b"")):
        assert len(b) == 0
        assert list(b) == []
        assert b.tolist() == [] and b.memoryviews() == []
        assert b.concat() == b""
        assert b[:].tolist() == []
        assert len(b.segments()) == 0 and bytes(b.segments()) == b""
        assert pickle.loads(pickle.dumps(b)).tolist() == []


def test_buffer_segment_and_segments_constructors():
    seg = segpack.BufferSegment(b"abc", 7)
    assert seg.offset == 7 and seg == b"abc" and len(seg) == 3
    assert segpack.BufferSegment(bytearray(b"xy")).offset == 0
    t = segpack.BufferSegments(recs([(0, 1), (2, 3)]))
    assert len(t) == 2 and bytes(t) == recs([(0, 1), (2, 3)])
    with pytest.raises(ValueError, match=f"^{NOT_16}$"):
        segpack.BufferSegments(b"x" * 15)
    assert len(bws().segments()) == len(PAIRS)


# ---------------------------------------------------------------- pickling


def four_objects():
    b = bws()
    c = segpack.BufferWithSegmentsCollection(b, bws(data=b"xyz", pairs=[(0, 3), (1, 1)]))
    return {"BufferWithSegments": b, "BufferSegment": b[1], "BufferSegments": b.segments(), "Collection": c}


def same(a, b):
    assert type(a) is type(b)
    if isinstance(a, segpack.BufferWithSegments):
        assert a.tolist() == b.tolist()
    elif isinstance(a, segpack.BufferSegment):
        assert (a.offset, bytes(a)) == (b.offset, bytes(b))
    elif isinstance(a, segpack.BufferSegments):
        assert (len(a), bytes(a)) == (len(b), bytes(b))
    else:
        assert a.tolist() == b.tolist()
        assert len(a.buffers()) == len(b.buffers())


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
@pytest.mark.parametrize("kind", ["BufferWithSegments", "BufferSegment", "BufferSegments", "Collection"])
def test_pickle_round_trip(kind, protocol):
    obj = four_objects()[kind]
    back = pickle.loads(pickle.dumps(obj, protocol=protocol))
    same(obj, back)


@pytest.mark.parametrize("kind", ["BufferWithSegments", "BufferSegment", "BufferSegments", "Collection"])
def test_copy_and_deepcopy(kind):
    obj = four_objects()[kind]
    same(obj, copy.copy(obj))
    same(obj, copy.deepcopy(obj))


def test_pickle_keeps_offsets_when_segments_cover_the_buffer():
    b = bws()
    back = pickle.loads(pickle.dumps(b))
    assert back.offsets().tolist() == b.offsets().tolist()
    assert back.tobytes() == DATA


def test_pickle_compacts_sparse_buffers():
    data = bytes(range(256)) * 40
    b = segpack.BufferWithSegments(data, recs([(5000, 3), (100, 4)]))
    blob = pickle.dumps(b, protocol=4)
    assert len(blob) < 500  # the 10 KiB of unreferenced bytes are not shipped
    back = pickle.loads(blob)
    assert back.tolist() == b.tolist()


def test_pickle_protocol5_out_of_band():
    payload = bytes(range(256)) * 64
    b = segpack.BufferWithSegments(payload, recs([(0, 8000), (8000, 8384)]))
    buffers = []
    blob = pickle.dumps(b, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == 1
    assert len(blob) < 1000  # the data went out of band
    assert bytes(buffers[0].raw()) == payload
    back = pickle.loads(blob, buffers=buffers)
    assert back.tolist() == b.tolist()
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads(blob)  # out-of-band data must be supplied


def test_pickle_protocol5_collection_out_of_band():
    c = four_objects()["Collection"]
    buffers = []
    blob = pickle.dumps(c, protocol=5, buffer_callback=buffers.append)
    assert len(buffers) == len(c.buffers())
    back = pickle.loads(blob, buffers=buffers)
    assert back.tolist() == c.tolist()


@pytest.mark.parametrize("kind", ["BufferSegment", "BufferSegments"])
def test_pickle_protocol5_small_types_in_band(kind):
    obj = four_objects()[kind]
    buffers = []
    blob = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    same(obj, pickle.loads(blob, buffers=buffers))


# ---------------------------------------------------------------- properties


@st.composite
def data_and_segments(draw):
    data = draw(st.binary(max_size=300))
    n = len(data)
    pairs = []
    for _ in range(draw(st.integers(0, 25))):
        off = draw(st.integers(0, n))
        pairs.append((off, draw(st.integers(0, n - off))))
    return data, pairs


@settings(max_examples=150, deadline=None)
@given(
    ds=data_and_segments(),
    start=st.integers(-30, 30) | st.none(),
    stop=st.integers(-30, 30) | st.none(),
    step=st.sampled_from([None, 1, 2, 3, -1, -2, -5]),
)
def test_property_segments_match_python_slicing(ds, start, stop, step):
    data, pairs = ds
    want = [data[o : o + n] for o, n in pairs]
    b = segpack.BufferWithSegments(data, recs(pairs))
    assert len(b) == len(pairs)
    assert b.tolist() == want
    assert [bytes(x) for x in b] == want
    assert [x.offset for x in b] == [o for o, _ in pairs]
    assert b.offsets().tolist() == [o for o, _ in pairs]
    assert b.lengths().tolist() == [n for _, n in pairs]
    assert b.concat() == b"".join(want)
    sl = slice(start, stop, step)
    assert b[sl].tolist() == want[sl]
    # python-zstandard agrees on every valid input
    z = zstandard.BufferWithSegments(data, recs(pairs))
    assert [z[i].tobytes() for i in range(len(z))] == want
    if pairs:
        c = segpack.BufferWithSegmentsCollection(b, b)
        assert c.tolist() == want + want
        assert c.size() == 2 * sum(n for _, n in pairs)
    assert pickle.loads(pickle.dumps(b, protocol=5)).tolist() == want


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=64), off=st.integers(0, 2**64 - 1), length=st.integers(0, 2**64 - 1))
def test_property_out_of_bounds_segment_rejected(data, off, length):
    valid = off + length <= len(data)  # Python ints: no overflow
    if valid:
        assert segpack.BufferWithSegments(data, recs([(off, length)]))[0] == data[off : off + length]
    else:
        with pytest.raises(ValueError, match=f"^{OUTSIDE}"):
            segpack.BufferWithSegments(data, recs([(0, 0), (off, length)]))


# ---------------------------------------------------------------- pool sizing


@pytest.fixture
def restore_pool():
    before = segpack.get_num_threads()
    yield before
    segpack.set_num_threads(before)
    assert segpack.get_num_threads() == before


def test_set_get_num_threads(restore_pool):
    items = [bytes([i]) * 5000 for i in range(40)]
    for n in (3, 1, 2):
        segpack.set_num_threads(n)
        assert segpack.get_num_threads() == n
        for threads in (-1, 2, 1):
            c = segpack.multi_compress_to_buffer(items, threads=threads)
            assert segpack.multi_decompress_to_buffer(c, threads=threads).tolist() == items
    segpack.set_num_threads(0)  # automatic
    assert segpack.get_num_threads() >= 1


def test_set_num_threads_rejects_bad_sizes(restore_pool):
    with pytest.raises(ValueError, match=r"^set_num_threads: n must be at most 1024 workers, got 1025$"):
        segpack.set_num_threads(1025)
    with pytest.raises(ValueError, match=r"^set_num_threads: n must be at most 1024 workers, got 10{30}$"):
        segpack.set_num_threads(10**30)
    with pytest.raises(ValueError, match=r"^set_num_threads: n must be >= 0 \(0: automatic, .*\), got -1$"):
        segpack.set_num_threads(-1)
    with pytest.raises(ValueError, match=r"got -10{30}$"):
        segpack.set_num_threads(-(10**30))
    for bad in (2.0, "2", None, True, b"2"):
        with pytest.raises(TypeError, match=r"^set_num_threads: n must be an int \(0: automatic\), not "):
            segpack.set_num_threads(bad)
    assert segpack.get_num_threads() == restore_pool
    segpack.set_num_threads(np.int64(2))  # any integer with __index__
    assert segpack.get_num_threads() == 2


def test_num_threads_env_variable():
    import subprocess
    import sys

    proc = run_isolated(
        """
        import segpack
        print(segpack.get_num_threads())
        segpack.set_num_threads(1)
        segpack.set_num_threads(0)
        print(segpack.get_num_threads())
        """
    )
    assert proc.returncode == 0, proc.stderr
    env_default = proc.stdout.split()
    assert env_default[0] == env_default[1]
    code = "import segpack; print(segpack.get_num_threads())"
    env = {**os.environ, "SEGPACK_NUM_THREADS": "5"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "5"


# ---------------------------------------------------------------- uninitialised instances
#
# cls.__new__(cls) gives an instance whose C++ object was never constructed
# (python-zstandard segfaults on len() of such a collection). Every operation
# must raise TypeError instead of reading the uninitialised object. Each
# operation runs in a forked child so a crash shows as a signal.

UNINIT_OPS = {
    "BufferSegment": ["len", "bytes", "tobytes", "offset", "repr", "eq", "hash", "memoryview", "pickle"],
    "BufferSegments": ["len", "memoryview", "pickle"],
    "BufferWithSegments": [
        "len", "tobytes", "tolist", "segments", "concat", "size", "repr",
        "index", "slice", "iter", "memoryview", "memoryviews", "offsets", "lengths", "pickle",
        "collection", "multi_compress", "multi_decompress",
    ],
    "BufferWithSegmentsCollection": [
        "len", "tolist", "memoryviews", "buffers", "size", "repr",
        "index", "slice", "iter", "pickle", "multi_compress", "multi_decompress",
    ],
}  # fmt: skip

_UNINIT_SCRIPT = """
import json, os, pickle, sys, warnings
warnings.simplefilter("ignore", RuntimeWarning)  # nanobind: "uninitialized instance"
import segpack
OPS = {
    "len": len,
    "index": lambda o: o[0],
    "slice": lambda o: o[0:1],
    "iter": list,
    "memoryview": lambda o: bytes(memoryview(o)),
    "bytes": bytes,
    "tobytes": lambda o: o.tobytes(),
    "tolist": lambda o: o.tolist(),
    "memoryviews": lambda o: o.memoryviews(),
    "offsets": lambda o: o.offsets(),
    "lengths": lambda o: o.lengths(),
    "segments": lambda o: o.segments(),
    "concat": lambda o: o.concat(),
    "buffers": lambda o: o.buffers(),
    "size": lambda o: o.size() if callable(o.size) else o.size,
    "offset": lambda o: o.offset,
    "repr": repr,
    "eq": lambda o: o == b"",
    "hash": hash,
    "pickle": pickle.dumps,
    "collection": lambda o: segpack.BufferWithSegmentsCollection(o),
    "multi_compress": lambda o: segpack.multi_compress_to_buffer(o),
    "multi_decompress": lambda o: segpack.multi_decompress_to_buffer(o),
}
res = {}
for cname, ops in json.loads(sys.argv[1]).items():
    cls = getattr(segpack, cname)
    for name in ops:
        r, w = os.pipe()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                OPS[name](cls.__new__(cls))
                out = "no error"
            except BaseException as e:
                out = type(e).__name__
            os.write(w, out.encode())
            os._exit(0)
        os.close(w)
        got = os.read(r, 200).decode()
        os.close(r)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            got = "killed by signal %d" % os.WTERMSIG(status)
        res[cname + "." + name] = got
print(json.dumps(res))
"""


@pytest.fixture(scope="module")
def uninit_results():
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_UNINIT_SCRIPT), json.dumps(UNINIT_OPS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _uninit_params():
    for cname, ops in UNINIT_OPS.items():
        for op in ops:
            marks = []
            yield pytest.param(cname, op, marks=marks, id=f"{cname}.{op}")


@pytest.mark.parametrize("cname,op", list(_uninit_params()))
def test_uninitialised_instance_raises_type_error(uninit_results, cname, op):
    assert uninit_results[f"{cname}.{op}"] == "TypeError"
