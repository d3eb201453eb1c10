"""python-zstandard's own BufferWithSegments is accepted wherever segpack's is (read in place)."""

import numpy as np
import pytest

import segpack

zstd = pytest.importorskip("zstandard")

ITEMS = [b"alpha" * 50, b"", b"beta" * 300, b"gamma"]


def zbws(items):
    offsets = np.cumsum([0] + [len(x) for x in items[:-1]])
    segs = np.array([[o, len(x)] for o, x in zip(offsets, items)], dtype=np.uint64)
    return zstd.BufferWithSegments(b"".join(items), segs.tobytes())


@pytest.mark.skipif(not hasattr(zstd, "BufferWithSegments"), reason="python-zstandard's C backend only")
def test_multi_functions_and_methods_take_zstandard_buffers():
    src = zbws(ITEMS)
    frames = segpack.multi_compress_to_buffer(src, codec="zstd")
    assert segpack.multi_decompress_to_buffer(frames).tolist() == ITEMS
    assert segpack.ZstdCompressor().multi_compress_to_buffer(src).tolist() == frames.tolist()
    zframes = zbws([bytes(f) for f in frames])
    assert segpack.multi_decompress_to_buffer(zframes).tolist() == ITEMS
    assert segpack.ZstdDecompressor().multi_decompress_to_buffer(zframes).tolist() == ITEMS
    assert segpack.Decompressor("zstd").multi_decompress_to_buffer(zframes, threads=2).tolist() == ITEMS
    # python-zstandard's collection of them too
    coll = zstd.BufferWithSegmentsCollection(src, src)
    assert segpack.multi_compress_to_buffer(coll, codec="gzip").size() > 0


@pytest.mark.skipif(not hasattr(zstd, "BufferWithSegments"), reason="python-zstandard's C backend only")
def test_collection_of_zstandard_buffers_is_zero_copy():
    data = bytearray(b"".join(ITEMS))
    offsets = np.cumsum([0] + [len(x) for x in ITEMS[:-1]])
    segs = np.array([[o, len(x)] for o, x in zip(offsets, ITEMS)], dtype=np.uint64)
    src = zstd.BufferWithSegments(bytes(data), segs.tobytes())
    c = segpack.BufferWithSegmentsCollection(
        src, segpack.BufferWithSegments(b"xy", np.array([[0, 2]], dtype=np.uint64))
    )
    assert c.tolist() == ITEMS + [b"xy"]
    view = c.memoryviews()[0]
    assert np.shares_memory(
        np.frombuffer(view, dtype=np.uint8), np.frombuffer(memoryview(src), dtype=np.uint8)
    )
    del src  # the collection keeps python-zstandard's buffer alive
    assert c.tolist() == ITEMS + [b"xy"]


class Segmented(bytes):
    """Any object exporting a buffer and a segments() table is taken for python-zstandard's type."""

    def segments(self):
        return self.table


def segmented(data, pairs):
    b = Segmented(data)
    b.table = np.array(pairs, dtype=np.uint64).tobytes()
    return b


def test_duck_typed_segment_buffers():
    src = segmented(b"abcdef", [[0, 3], [3, 3]])
    assert segpack.multi_decompress_to_buffer(segpack.multi_compress_to_buffer(src)).tolist() == [
        b"abc",
        b"def",
    ]
    assert segpack.BufferWithSegmentsCollection(src).tolist() == [b"abc", b"def"]


def test_bad_segment_tables_are_value_errors():
    with pytest.raises(ValueError, match="outside buffer"):
        segpack.multi_compress_to_buffer(segmented(b"abc", [[0, 9]]))
    with pytest.raises(ValueError, match="outside buffer"):
        segpack.BufferWithSegmentsCollection(segmented(b"abc", [[2, 2]]))
    bad = Segmented(b"abc")
    bad.table = b"12345"
    with pytest.raises(ValueError, match="multiple of 16"):
        segpack.multi_compress_to_buffer(bad)
    bad.table = 5
    with pytest.raises(TypeError, match=r"Segmented.segments\(\) must return a bytes-like object, not int"):
        segpack.multi_compress_to_buffer(bad)
