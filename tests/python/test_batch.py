"""Batch compression: multi_compress_to_buffer / multi_decompress_to_buffer.

Module functions and the Compressor / Decompressor / ZstdCompressor /
ZstdDecompressor methods, every codec, threads -1/0/1/2; compatibility with
python-zstandard; error types and messages; and one named regression test per
python-zstandard defect listed in /work/shared/reference/segment-buffers.md
(test_regression_*).
"""

import functools
import random
import struct
import warnings

import numpy as np
import pytest
import zstandard

import segpack
import segpack.errors as E
from conftest import CODECS, COMPRESSED_CODECS, run_isolated

THREADS = [-1, 0, 1, 2]


def make_items(n=48, seed=0):
    """Mixed items, empty ones at the start, middle and end; > 48 KiB in
    total so threads=2 really uses the pool."""
    rng = random.Random(seed)
    words = [b"alpha ", b"beta ", b"gamma ", b"delta ", bytes(range(256))]
    items = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            items.append(rng.randbytes(rng.randint(0, 1500)))  # incompressible
        else:
            items.append(b"".join(rng.choice(words) for _ in range(rng.randint(0, 600))))
    items[0] = items[n // 2] = items[-1] = b""
    items.insert(5, b"x")
    return items


ITEMS = make_items()
assert sum(map(len, ITEMS)) > 64 * 1024


@functools.cache
def frames_for(codec):
    """ITEMS compressed one by one (no batch code involved)."""
    return tuple(segpack.compress(x, codec) if codec else x for x in ITEMS)


def zstd_no_size(data):
    return zstandard.ZstdCompressor(write_content_size=False).compress(data)


def bws_of(items):
    """A BufferWithSegments holding `items` back to back."""
    recs, off = [], 0
    for x in items:
        recs.append(struct.pack("=QQ", off, len(x)))
        off += len(x)
    return segpack.BufferWithSegments(b"".join(bytes(x) for x in items), b"".join(recs))


def collection_of(items, parts=3):
    step = max(1, -(-len(items) // parts))
    parts = [bws_of(items[i : i + step]) for i in range(0, len(items), step)]
    return segpack.BufferWithSegmentsCollection(*parts)


def sizes_bytes(sizes):
    return struct.pack(f"={len(sizes)}Q", *sizes)


# ================================================================ round trips


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_round_trip_module_functions(codec, threads):
    c = segpack.multi_compress_to_buffer(ITEMS, codec=codec, threads=threads)
    assert isinstance(c, segpack.BufferWithSegmentsCollection)
    assert len(c) == len(ITEMS)
    assert len(c.buffers()) == 1  # one output buffer
    # order preserved: frame i decodes to item i on its own
    for frame, item in zip(c, ITEMS):
        assert segpack.decompress(frame, codec) == item
    d = segpack.multi_decompress_to_buffer(c, codec=codec, threads=threads)
    assert isinstance(d, segpack.BufferWithSegmentsCollection)
    assert d.tolist() == ITEMS
    assert len(d.buffers()) == 1
    assert d.size() == sum(map(len, ITEMS))


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_decompress_frames_made_elsewhere(codec, threads):
    d = segpack.multi_decompress_to_buffer(list(frames_for(codec)), codec=codec, threads=threads)
    assert d.tolist() == ITEMS


@pytest.mark.parametrize("threads", [None, *THREADS])
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_round_trip_objects(codec, threads):
    kw = {} if threads is None else {"threads": threads}
    comp = segpack.Compressor(codec)
    dec = segpack.Decompressor(codec)
    c = comp.multi_compress_to_buffer(ITEMS, **kw)
    assert len(c) == len(ITEMS)
    assert dec.multi_decompress_to_buffer(c, **kw).tolist() == ITEMS
    assert [dec.decompress(f) for f in c] == ITEMS


@pytest.mark.parametrize("threads", [None, *THREADS])
def test_round_trip_zstd_objects(threads):
    kw = {} if threads is None else {"threads": threads}
    c = segpack.ZstdCompressor().multi_compress_to_buffer(ITEMS, **kw)
    assert segpack.ZstdDecompressor().multi_decompress_to_buffer(c, **kw).tolist() == ITEMS
    c19 = segpack.ZstdCompressor(level=19).multi_compress_to_buffer(ITEMS, **kw)
    assert segpack.ZstdDecompressor().multi_decompress_to_buffer(c19, **kw).tolist() == ITEMS
    assert c19.size() <= c.size()


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
def test_levels(codec):
    lo, hi = segpack.codec_level_range(codec)
    for level in sorted({max(lo, 0), hi}):
        c = segpack.multi_compress_to_buffer(ITEMS[:10], codec=codec, level=level)
        assert segpack.multi_decompress_to_buffer(c, codec=codec).tolist() == ITEMS[:10]
    with pytest.raises(ValueError):
        segpack.Compressor(codec, hi + 1)
    with pytest.raises(ValueError):
        segpack.multi_compress_to_buffer([b"a"], codec=codec, level=hi + 1)


def test_many_small_items_order_preserved():
    items = [str(i).encode() * (i % 7) for i in range(3000)]
    for threads in (1, 2, -1):
        c = segpack.multi_compress_to_buffer(items, threads=threads)
        assert segpack.multi_decompress_to_buffer(c, threads=threads).tolist() == items


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_empty_items_kept(codec, threads):
    big = [b""] * 50 + [b"x" * 70000] + [b""] * 50
    for items in ([b""], [b"", b""], [b"", b"a", b""], [b"abc", b""], big):
        c = segpack.multi_compress_to_buffer(items, codec=codec, threads=threads)
        assert len(c) == len(items)
        assert segpack.multi_decompress_to_buffer(c, codec=codec, threads=threads).tolist() == items


# ---------------------------------------------------------------- input kinds


def _compress_inputs(items):
    return {
        "list": list(items),
        "tuple": tuple(items),
        "bws": bws_of(items),
        "collection": collection_of(items),
        "bytearray": [bytearray(x) for x in items],
        "memoryview": [memoryview(x) for x in items],
        "numpy_uint8": [np.frombuffer(x, dtype=np.uint8) for x in items],
        "segments": list(bws_of(items)),
        "mixed": [f(x) for f, x in zip([bytes, bytearray, memoryview] * len(items), items)],
    }


@pytest.mark.parametrize("kind", list(_compress_inputs([b"a"])))
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_compress_input_kinds(codec, kind):
    data = _compress_inputs(ITEMS)[kind]
    for threads in (1, 2):
        c = segpack.multi_compress_to_buffer(data, codec=codec, threads=threads)
        assert segpack.multi_decompress_to_buffer(c, codec=codec).tolist() == ITEMS


def test_compress_numpy_non_uint8_items():
    arrays = [np.arange(10, dtype=np.int32), np.linspace(0, 1, 7), np.zeros(0, dtype=np.int64)]
    c = segpack.multi_compress_to_buffer(arrays, codec=None)
    assert c.tolist() == [a.tobytes() for a in arrays]
    c = segpack.multi_compress_to_buffer(arrays, codec="zstd")
    assert segpack.multi_decompress_to_buffer(c).tolist() == [a.tobytes() for a in arrays]


@pytest.mark.parametrize("kind", list(_compress_inputs([b"a"])))
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_decompress_input_kinds(codec, kind):
    data = _compress_inputs(frames_for(codec))[kind]
    for threads in (1, 2):
        assert segpack.multi_decompress_to_buffer(data, codec=codec, threads=threads).tolist() == ITEMS


def test_input_list_may_change_after_call():
    items = [b"abc" * 1000, b"def" * 1000]
    c = segpack.multi_compress_to_buffer(items)
    items.clear()
    assert segpack.multi_decompress_to_buffer(c).tolist() == [b"abc" * 1000, b"def" * 1000]


def test_output_keeps_no_reference_to_input():
    src = [bytearray(b"q" * 5000) for _ in range(20)]
    c = segpack.multi_compress_to_buffer(src, codec=None, threads=2)
    for b in src:
        b.extend(b"zz")  # no export still held: the call copied what it needed
        b[0:1] = b"!"
    assert c.tolist() == [b"q" * 5000] * 20


# ---------------------------------------------------------------- python-zstandard compatibility


@pytest.mark.parametrize("threads", THREADS)
def test_our_zstd_frames_decode_with_zstandard(threads):
    c = segpack.multi_compress_to_buffer(ITEMS, codec="zstd", threads=threads)
    zd = zstandard.ZstdDecompressor()
    assert [zd.decompress(bytes(f)) for f in c] == ITEMS
    for f, item in zip(c, ITEMS):
        p = zstandard.get_frame_parameters(bytes(f))
        assert p.content_size == len(item)  # written like zstandard.ZstdCompressor()
        assert not p.has_checksum
    # python-zstandard's own batch needs content sizes in every frame: ours have them.
    # (threads=0: with threads=2 python-zstandard aborts on a trailing empty frame.)
    out = zd.multi_decompress_to_buffer(list(c), threads=0)
    assert [out[i].tobytes() for i in range(len(out))] == ITEMS


@pytest.mark.parametrize("threads", THREADS)
def test_zstandard_batch_output_decodes_with_ours(threads):
    items = ITEMS[:-1]  # python-zstandard drops a trailing empty item (see the regression test)
    zc = zstandard.ZstdCompressor(level=3).multi_compress_to_buffer(items, threads=max(threads, 0))
    frames = [zc[i].tobytes() for i in range(len(zc))]
    assert segpack.multi_decompress_to_buffer(frames, threads=threads).tolist() == items
    # the collection itself is a sequence of buffer-protocol segments
    assert segpack.multi_decompress_to_buffer(zc, threads=threads).tolist() == items
    assert segpack.ZstdDecompressor().multi_decompress_to_buffer(frames, threads=threads).tolist() == items


def test_zstandard_sizes_argument_format_accepted():
    frames = list(frames_for("zstd"))
    sizes = struct.pack(f"={len(frames)}Q", *map(len, ITEMS))  # python-zstandard's documented form
    zd = zstandard.ZstdDecompressor().multi_decompress_to_buffer(frames, decompressed_sizes=sizes)
    ours = segpack.multi_decompress_to_buffer(frames, decompressed_sizes=sizes)
    assert [zd[i].tobytes() for i in range(len(zd))] == ours.tolist() == ITEMS


# ---------------------------------------------------------------- decompressed_sizes


@pytest.mark.parametrize(
    "form", ["bytes", "bytearray", "numpy_uint64", "numpy_int64", "list", "tuple", "with_zeros"]
)
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_decompressed_sizes_forms(codec, form):
    lens = [len(x) for x in ITEMS]
    sizes = {
        "bytes": sizes_bytes(lens),
        "bytearray": bytearray(sizes_bytes(lens)),
        "numpy_uint64": np.array(lens, dtype=np.uint64),
        "numpy_int64": np.array(lens, dtype=np.int64),
        "list": lens,
        "tuple": tuple(lens),
        "with_zeros": [0 if i % 2 else n for i, n in enumerate(lens)],  # 0 = from the frame
    }[form]
    frames = list(frames_for(codec))
    for threads in (1, 2):
        got = segpack.multi_decompress_to_buffer(frames, sizes, codec=codec, threads=threads)
        assert got.tolist() == ITEMS
    dec = segpack.Decompressor(codec)
    got = dec.multi_decompress_to_buffer(collection_of(frames), decompressed_sizes=sizes)
    assert got.tolist() == ITEMS


@pytest.mark.parametrize("count", ["none", "one", "n-1", "n+1", "2n"])
def test_decompressed_sizes_wrong_length(count):
    frames = list(frames_for("zstd"))
    n = len(frames)
    n = {"none": 0, "one": 1, "n-1": n - 1, "n+1": n + 1, "2n": 2 * n}[count]
    lens = ([len(x) for x in ITEMS] * 2)[:n]
    with pytest.raises(ValueError, match="^decompressed_sizes size mismatch"):
        segpack.multi_decompress_to_buffer(frames, sizes_bytes(lens))
    with pytest.raises(ValueError, match="^decompressed_sizes size mismatch"):
        segpack.multi_decompress_to_buffer(frames, np.array(lens, dtype=np.uint64))
    with pytest.raises(ValueError, match="^decompressed_sizes"):
        segpack.multi_decompress_to_buffer(frames, lens)
    with pytest.raises(ValueError, match="^decompressed_sizes size mismatch"):
        segpack.multi_decompress_to_buffer(frames, sizes_bytes([len(x) for x in ITEMS]) + b"\0")


def test_decompressed_sizes_bad_values():
    frames = [segpack.compress(b"abc", "zstd")]
    with pytest.raises(OverflowError):
        segpack.multi_decompress_to_buffer(frames, [-1])
    with pytest.raises(OverflowError):
        segpack.multi_decompress_to_buffer(frames, [2**64])
    with pytest.raises(TypeError):
        segpack.multi_decompress_to_buffer(frames, ["3"])
    with pytest.raises(TypeError):
        segpack.multi_decompress_to_buffer(frames, 3)


@pytest.mark.parametrize("codec", CODECS, ids=str)
@pytest.mark.parametrize("delta", [1, -1])
def test_decompressed_size_mismatch_names_item(codec, delta):
    frames = list(frames_for(codec))
    lens = [len(x) for x in ITEMS]
    i = 7
    assert lens[i] > 0
    lens[i] += delta
    for threads in (1, 2):
        with pytest.raises(E.DecompressionError, match=f"^error decompressing item {i}: "):
            segpack.multi_decompress_to_buffer(frames, lens, codec=codec, threads=threads)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
def test_corrupt_frame_names_lowest_failing_item(codec):
    frames = list(frames_for(codec))
    for bad in ([3], [3, 9], [9, 3, 30], [0, len(frames) - 1]):
        broken = list(frames)
        for i in bad:
            broken[i] = b"garbage!" * 4
        for threads in (1, 2):
            with pytest.raises(E.DecompressionError, match=f"^error decompressing item {min(bad)}: "):
                segpack.multi_decompress_to_buffer(broken, codec=codec, threads=threads)


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
def test_truncated_frame_is_an_error(codec):
    frames = list(frames_for(codec))
    i = next(k for k, x in enumerate(ITEMS) if len(x) > 100)
    frames[i] = frames[i][: len(frames[i]) // 2]
    with pytest.raises(E.DecompressionError, match=f"^error decompressing item {i}: "):
        segpack.multi_decompress_to_buffer(frames, codec=codec, threads=2)


def test_corrupt_frame_lowest_item_across_known_and_unknown_sizes():
    good = segpack.compress(b"hello world " * 100, "zstd")
    known_but_corrupt = good[:-5] + b"\xff" * 5  # header declares 1200 bytes
    assert zstandard.get_frame_parameters(known_but_corrupt).content_size == 1200
    for threads in (1, 2):
        with pytest.raises(E.DecompressionError, match="^error decompressing item 0: "):
            segpack.multi_decompress_to_buffer([known_but_corrupt, b"garbage!"], threads=threads)


@pytest.fixture
def two_workers():
    before = segpack.get_num_threads()
    segpack.set_num_threads(2)
    yield
    segpack.set_num_threads(before)


def test_corrupt_frame_lowest_item_with_workers(two_workers):
    # Item 0 is slow to decode (1 MiB of lzma, tens of ms), items 1.. are all
    # corrupt: item 1 must be named, whichever worker gets where first.
    rng = random.Random(3)
    words = [rng.randbytes(rng.randint(2, 9)) for _ in range(2000)]
    text = b" ".join(rng.choice(words) for _ in range(200000))[: 1 << 20]
    slow = segpack.compress(text, "lzma", 0)
    bad = segpack.compress(b"hello world " * 100, "lzma")[:-8] + b"\xff" * 8
    items = [slow] + [bad] * 63
    warm = [bytes([i]) * 20000 for i in range(8)]
    segpack.multi_decompress_to_buffer(segpack.multi_compress_to_buffer(warm, threads=2), threads=2)
    named = set()
    for _ in range(5):
        with pytest.raises(E.DecompressionError) as ei:
            segpack.multi_decompress_to_buffer(items, codec="lzma", threads=2)
        named.add(str(ei.value).split(":")[0])
    assert named == {"error decompressing item 1"}


@pytest.mark.parametrize("empty", [[], (), "bws", "bws_nonempty_data"])
def test_empty_input_is_value_error(empty):
    if empty == "bws":
        empty = segpack.BufferWithSegments(b"", b"")
    elif empty == "bws_nonempty_data":
        empty = segpack.BufferWithSegments(b"abc", b"")
    for fn in (
        segpack.multi_compress_to_buffer,
        segpack.multi_decompress_to_buffer,
        segpack.Compressor("gzip").multi_compress_to_buffer,
        segpack.Decompressor("gzip").multi_decompress_to_buffer,
        segpack.ZstdCompressor().multi_compress_to_buffer,
        segpack.ZstdDecompressor().multi_decompress_to_buffer,
    ):
        for threads in (0, 2):
            with pytest.raises(ValueError, match="^no source elements found$"):
                fn(empty, threads=threads)


@pytest.mark.parametrize(
    "arg",
    [b"abc", bytearray(b"abc"), memoryview(b"abc"), "abc", 5, {b"a"}, {1: b"a"}, np.zeros(4, np.uint8)],
    ids=["bytes", "bytearray", "memoryview", "str", "int", "set", "dict", "ndarray"],
)
def test_non_list_input_is_type_error(arg):
    for fn in (segpack.multi_compress_to_buffer, segpack.multi_decompress_to_buffer):
        with pytest.raises(TypeError, match="^argument must be list or BufferWithSegments$"):
            fn(arg)
    with pytest.raises(TypeError, match="^argument must be list or BufferWithSegments$"):
        segpack.ZstdDecompressor().multi_decompress_to_buffer(arg)


def test_none_input_is_type_error():
    for fn in (segpack.multi_compress_to_buffer, segpack.multi_decompress_to_buffer):
        with pytest.raises(TypeError):
            fn(None)


def test_generator_input_is_type_error():
    with pytest.raises(TypeError, match="^argument must be list or BufferWithSegments$"):
        segpack.multi_compress_to_buffer(x for x in [b"a"])


@pytest.mark.parametrize("bad", ["str", 5, None, 1.5, [b"a"]], ids=repr)
def test_bad_item_is_type_error(bad):
    for fn in (segpack.multi_compress_to_buffer, segpack.multi_decompress_to_buffer):
        with pytest.raises(TypeError, match="^item 2 not a bytes like object$"):
            fn([b"a", b"b", bad, b"c", "also bad"])


def test_zstandard_item_messages_agree():
    for items in ([b"a", "str"], [b"a", b"b", 5]):
        with pytest.raises(TypeError) as ours:
            segpack.multi_compress_to_buffer(items)
        with pytest.raises(TypeError) as ref:
            zstandard.ZstdCompressor().multi_compress_to_buffer(items)
        assert str(ours.value) == str(ref.value)
    with pytest.raises(ValueError) as ours:
        segpack.multi_compress_to_buffer([])
    with pytest.raises(ValueError) as ref:
        zstandard.ZstdCompressor().multi_compress_to_buffer([])
    assert str(ours.value) == str(ref.value)
    # (python-zstandard's compressor says "list of BufferWithSegments": its decompressor's wording is used)
    with pytest.raises(TypeError) as ours:
        segpack.multi_decompress_to_buffer(b"abc")
    with pytest.raises(TypeError) as ref:
        zstandard.ZstdDecompressor().multi_decompress_to_buffer(b"abc")
    assert str(ours.value) == str(ref.value)
    for items in ([b"a", "str"], [b"a", b"b", 5]):
        with pytest.raises(TypeError) as ours:
            segpack.multi_decompress_to_buffer(items)
        with pytest.raises(TypeError) as ref:
            zstandard.ZstdDecompressor().multi_decompress_to_buffer(items)
        assert str(ours.value) == str(ref.value)


@pytest.mark.parametrize("codec", ["nope", "snappy", b"abcd", 7, 2.5])
def test_unknown_codec(codec):
    with pytest.raises(E.UnsupportedCompressionType):
        segpack.multi_compress_to_buffer([b"a"], codec=codec)
    with pytest.raises(E.UnsupportedCompressionType):
        segpack.multi_decompress_to_buffer([b"a"], codec=codec)
    with pytest.raises(E.UnsupportedCompressionType):
        segpack.Compressor(codec)
    with pytest.raises(E.UnsupportedCompressionType):
        segpack.Decompressor(codec)


def test_codec_is_checked_before_input():
    with pytest.raises(E.UnsupportedCompressionType):
        segpack.multi_decompress_to_buffer([], codec="nope")


def test_none_codec_copies_items():
    c = segpack.multi_compress_to_buffer(ITEMS, codec=None, threads=2)
    assert c.tolist() == ITEMS
    assert segpack.multi_decompress_to_buffer([b"\xff" * 10, b""], codec=None).tolist() == [b"\xff" * 10, b""]


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
def test_empty_frame_is_decompression_error(codec):
    with pytest.raises(E.DecompressionError, match="^error decompressing item 1: "):
        segpack.multi_decompress_to_buffer([frames_for(codec)[1], b""], codec=codec)


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
def test_max_output_size_module_function(codec):
    frames = list(frames_for(codec))
    total = sum(map(len, ITEMS))
    assert segpack.multi_decompress_to_buffer(frames, codec=codec, max_output_size=total).tolist() == ITEMS
    with pytest.raises(E.LimitExceededError, match="^error decompressing item "):
        segpack.multi_decompress_to_buffer(frames, codec=codec, threads=2, max_output_size=total - 1)


# ================================================================ regressions (python-zstandard defects)


def test_regression_u64_overflow_segment_rejected():
    """(a) python-zstandard checks offset + length in u64, which wraps:
    (2**64 - 16, 19) over b"abc" passes its check and reads before the buffer."""
    for off, length in [(2**64 - 16, 19), (2**64 - 1, 4), (1, 2**64 - 1), (2**64 - 1, 2**64 - 1), (3, 2**63)]:
        with pytest.raises(ValueError, match="^offset within segments array references memory outside"):
            segpack.BufferWithSegments(b"abc", struct.pack("=QQ", off, length))
    b = segpack.BufferWithSegments(b"abc", struct.pack("=QQ", 3, 0))  # the edge itself is fine
    assert b[0] == b""


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_regression_trailing_empty_item_kept(codec):
    """(b) python-zstandard's multi_compress_to_buffer([b"abc", b""], threads=2)
    returns one segment."""
    c = segpack.multi_compress_to_buffer([b"abc", b""], codec=codec, threads=2)
    assert len(c) == 2
    assert segpack.multi_decompress_to_buffer(c, codec=codec, threads=2).tolist() == [b"abc", b""]
    # python-zstandard aborts (SIGABRT) decompressing [frame(b"abc"), frame(b"")] with threads=2
    frames = [segpack.compress(b"abc", codec), segpack.compress(b"", codec)]
    assert segpack.multi_decompress_to_buffer(frames, codec=codec, threads=2).tolist() == [b"abc", b""]
    big = [bytes([i]) * 4000 for i in range(30)] + [b"", b""]  # large enough for the workers
    c = segpack.multi_compress_to_buffer(big, codec=codec, threads=2)
    assert len(c) == len(big)
    assert segpack.multi_decompress_to_buffer(c, codec=codec, threads=2).tolist() == big


def test_regression_collection_with_decompressed_sizes():
    """(c) python-zstandard rejects correct sizes for a collection, and over-reads
    a short sizes array. Ours: works, and short / truncated input is an error."""
    frames = list(frames_for("zstd"))
    coll = collection_of(frames, parts=4)
    assert len(coll.buffers()) == 4
    lens = [len(x) for x in ITEMS]
    for sizes in (sizes_bytes(lens), np.array(lens, dtype=np.uint64), lens):
        for threads in (1, 2):
            got = segpack.multi_decompress_to_buffer(coll, decompressed_sizes=sizes, threads=threads)
            assert got.tolist() == ITEMS
    # sizes array shorter than the number of frames (counted across members)
    for short in (sizes_bytes(lens[:-1]), sizes_bytes(lens[: len(coll.buffers())]), b""):
        with pytest.raises(ValueError, match="^decompressed_sizes size mismatch"):
            segpack.multi_decompress_to_buffer(coll, decompressed_sizes=short)
    # truncated frames inside a collection
    i = next(k for k, x in enumerate(ITEMS) if len(x) > 100)
    cut = list(frames)
    cut[i] = cut[i][:-3]
    with pytest.raises(E.DecompressionError, match=f"^error decompressing item {i}: "):
        segpack.multi_decompress_to_buffer(collection_of(cut, parts=4), decompressed_sizes=sizes_bytes(lens))


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
def test_regression_decompressor_limit_honoured_by_workers(codec):
    """(d) python-zstandard's workers ignore the decompressor's parameters.
    Decompressor(max_output_size=...) must hold with threads=2."""
    rng = random.Random(5)
    items = [rng.randbytes(8192) for _ in range(8)]  # incompressible: > 48 KiB of input
    if codec == "zstd":
        frames = [zstd_no_size(x) for x in items]  # no declared size: decoded by the workers
    else:
        frames = [segpack.compress(x, codec) for x in items]
    total = sum(map(len, items))
    ok = segpack.Decompressor(codec, max_output_size=total).multi_decompress_to_buffer(frames, threads=2)
    assert ok.tolist() == items
    for limit in (total - 1, total // 2, 100):
        with pytest.raises(E.LimitExceededError):
            segpack.Decompressor(codec, max_output_size=limit).multi_decompress_to_buffer(frames, threads=2)
    if codec == "zstd":
        with pytest.raises(E.LimitExceededError):
            segpack.ZstdDecompressor(max_output_size=total - 1).multi_decompress_to_buffer(frames, threads=2)
        sized = [segpack.compress(x, "zstd") for x in items]
        with pytest.raises(E.LimitExceededError):
            segpack.ZstdDecompressor(max_output_size=total - 1).multi_decompress_to_buffer(sized, threads=2)


def _zstd_frame_claiming_1gib(single_segment):
    """A 23-byte zstd frame whose header declares 2**30 content bytes
    (4-byte Frame_Content_Size) followed by one short raw block."""
    if single_segment:
        header = b"\x28\xb5\x2f\xfd" + bytes([0xA0]) + struct.pack("<I", 2**30)  # window = content size
        content = b"\xab" * 11
    else:
        header = b"\x28\xb5\x2f\xfd" + bytes([0x80, 10 << 3]) + struct.pack("<I", 2**30)  # window 1 MiB
        content = b"\xab" * 10
    block = (1 | (0 << 1) | (len(content) << 3)).to_bytes(3, "little")  # last block, raw
    frame = header + block + content
    assert len(frame) == 23
    return frame


@pytest.mark.parametrize("single_segment", [True, False], ids=["single_segment", "windowed"])
def test_regression_frame_claiming_1gib_does_not_allocate(single_segment):
    """(e) python-zstandard allocates the 1 GiB a 23-byte frame claims before
    failing. Under an address-space limit 512 MiB above the current size (set
    after the pool's threads exist), ours must fail with a typed error."""
    frame = _zstd_frame_claiming_1gib(single_segment)
    assert zstandard.get_frame_parameters(frame).content_size == 2**30
    code = f"""
        import resource, struct, segpack
        warm = [bytes([i]) * 20000 for i in range(8)]
        c = segpack.multi_compress_to_buffer(warm, threads=2)
        assert segpack.multi_decompress_to_buffer(c, threads=2).tolist() == warm
        with open("/proc/self/status") as f:
            vm = int([l for l in f if l.startswith("VmSize:")][0].split()[1]) * 1024
        lim = vm + 512 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
        frame = {frame!r}
        good = c.tolist()
        ops = [
            lambda: segpack.multi_decompress_to_buffer([frame], threads=2),
            lambda: segpack.multi_decompress_to_buffer([frame] * 4, threads=2),
            lambda: segpack.multi_decompress_to_buffer(good + [frame], threads=2),
            lambda: segpack.multi_decompress_to_buffer([frame] * 4, threads=2, max_output_size=2**40),
            lambda: segpack.ZstdDecompressor().multi_decompress_to_buffer([frame] * 2, threads=2),
            lambda: segpack.multi_decompress_to_buffer([frame], [2**30], threads=2),
        ]
        for op in ops:
            try:
                op()
            except segpack.SegpackError as e:
                print("ok", type(e).__name__)
            except BaseException as e:
                print("wrong", type(e).__name__, e)
            else:
                print("no-error")
    """
    proc = run_isolated(code)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    assert proc.stdout.count("ok ") == 6, proc.stdout + proc.stderr
    assert "MemoryError" not in proc.stdout, lines


@pytest.mark.parametrize("threads", [1, 2])
def test_regression_concatenated_frames(threads):
    """(f) python-zstandard decodes only the first of concatenated frames and
    ignores trailing garbage silently."""
    a, b = b"first " * 300, b"second " * 200
    fa, fb = segpack.compress(a, "zstd"), segpack.compress(b, "zstd")
    fb_nosize = zstd_no_size(b)
    skippable = struct.pack("<II", 0x184D2A50, 4) + b"SKIP"
    cases = {
        "two": (fa + fb, a + b),
        "three": (fa + fb + fa, a + b + a),
        "unknown_second": (fa + fb_nosize, a + b),
        "skippable_between": (fa + skippable + fb, a + b),
    }
    frames = [f for f, _ in cases.values()] * 10
    want = [w for _, w in cases.values()] * 10
    assert segpack.multi_decompress_to_buffer(frames, threads=threads).tolist() == want
    sizes = [len(w) for w in want]
    assert segpack.multi_decompress_to_buffer(frames, sizes, threads=threads).tolist() == want
    assert segpack.ZstdDecompressor().multi_decompress_to_buffer(frames, threads=threads).tolist() == want
    for garbage in (b"\x00", b"junk", b"\x28\xb5\x2f\xfd", fa[:-1]):
        broken = frames[:3] + [fa + garbage] + frames[3:]
        with pytest.raises(E.DecompressionError, match="^error decompressing item 3: "):
            segpack.multi_decompress_to_buffer(broken, threads=threads)


def test_gzip_multi_member_stream_decodes_like_decompress():
    a, b = b"hello world " * 20, b"x" * 1000
    stream = segpack.compress(a, "gzip") + segpack.compress(b, "gzip")
    assert segpack.decompress(stream, "gzip") == a + b
    for threads in (1, 2):
        assert segpack.multi_decompress_to_buffer([stream], codec="gzip", threads=threads).tolist() == [a + b]


def test_regression_uninitialised_collection_len():
    """(g) python-zstandard segfaults on len() of BufferWithSegmentsCollection.__new__(cls)."""
    cls = segpack.BufferWithSegmentsCollection
    obj = cls.__new__(cls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanobind: uninitialized instance
        with pytest.raises(TypeError):
            len(obj)
        with pytest.raises(TypeError):
            obj.size()
        with pytest.raises(TypeError):
            obj.tolist()
    b = segpack.BufferWithSegments.__new__(segpack.BufferWithSegments)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(TypeError):
            len(b)


@pytest.mark.parametrize("threads", THREADS)
def test_regression_empty_list_decompress(threads):
    """(h) python-zstandard's multi_decompress_to_buffer([]) dies of SIGFPE."""
    with pytest.raises(ValueError, match="^no source elements found$"):
        segpack.multi_decompress_to_buffer([], threads=threads)
    with pytest.raises(ValueError, match="^no source elements found$"):
        segpack.ZstdDecompressor().multi_decompress_to_buffer([], threads=threads)
    with pytest.raises(ValueError, match="^no source elements found$"):
        segpack.multi_decompress_to_buffer([], decompressed_sizes=b"", threads=threads)


@pytest.mark.parametrize("threads", THREADS)
def test_regression_frames_without_content_size(threads):
    """python-zstandard refuses frames that do not declare their size
    ("could not determine decompressed size of item N"); ours decodes them."""
    frames = [zstd_no_size(x) for x in ITEMS]
    assert zstandard.get_frame_parameters(frames[7]).content_size == zstandard.CONTENTSIZE_UNKNOWN
    assert segpack.multi_decompress_to_buffer(frames, threads=threads).tolist() == ITEMS
    mixed = [f if i % 2 else s for i, (f, s) in enumerate(zip(frames, frames_for("zstd")))]
    assert segpack.ZstdDecompressor().multi_decompress_to_buffer(mixed, threads=threads).tolist() == ITEMS
    lens = [len(x) for x in ITEMS]
    assert segpack.multi_decompress_to_buffer(frames, lens, threads=threads).tolist() == ITEMS
    wrong = list(lens)
    wrong[7] += 1
    with pytest.raises(E.DecompressionError, match="^error decompressing item 7: "):
        segpack.multi_decompress_to_buffer(frames, wrong, threads=threads)


def test_non_contiguous_item_is_named():
    arr = np.arange(64, dtype=np.uint8)[::2]  # a strided view: no C-contiguous buffer
    with pytest.raises(TypeError, match="^item 1 not a bytes like object"):
        segpack.multi_compress_to_buffer([b"abc", arr])
