"""repr() of the map, writer and buffer types says what they are."""

import re

import numpy as np

import segpack
from mapbuffer_api_helpers import D, SizedRangeReader, build


def test_mapbuffer_repr(tmp_path):
    raw = build(D, "zstd")
    mb = segpack.MapBuffer(raw)
    assert repr(mb) == f"<segpack.MapBuffer 7 items, zstd, v1, {len(raw)} bytes>"
    assert (
        repr(segpack.MapBuffer({1: b"x"}, compute_crc=False))
        == "<segpack.MapBuffer 1 item, none, v0, 33 bytes>"
    )
    p = tmp_path / "m.mb"
    p.write_bytes(raw)
    with segpack.MapBuffer(str(p)) as fm:
        assert repr(fm) == f"<segpack.MapBuffer {str(p)!r} 7 items, zstd, v1, {len(raw)} bytes>"
    assert repr(fm) == f"<segpack.MapBuffer {str(p)!r} closed>"
    rm = segpack.MapBuffer(SizedRangeReader(raw))
    assert repr(rm) == f"<segpack.MapBuffer over SizedRangeReader, 7 items, zstd, v1, {len(raw)} bytes>"
    mb.close()
    assert repr(mb) == "<segpack.MapBuffer closed>"


def test_intmap_repr(tmp_path):
    im = segpack.IntMap({1: 2, 3: 4})
    assert repr(im) == "<segpack.IntMap 2 items, 42 bytes>"
    segpack.write_intmap(tmp_path / "a.im", {1: 2})
    assert re.fullmatch(
        r"<segpack.IntMap '.*a\.im' 1 item, 26 bytes>", repr(segpack.IntMap(tmp_path / "a.im"))
    )
    im.close()
    assert repr(im) == "<segpack.IntMap closed>"


def test_writer_repr(tmp_path):
    w = segpack.MapBufferWriter(tmp_path / "o.mb", "br")
    p = repr(str(tmp_path / "o.mb"))
    assert repr(w) == f"<segpack.MapBufferWriter {p} br, 0 items>"
    w.add(1, b"a")
    w.add(2, b"b")
    assert repr(w) == f"<segpack.MapBufferWriter {p} br, 2 items>"
    w.commit()
    assert repr(w) == f"<segpack.MapBufferWriter {p} br, committed 2 items>"
    with segpack.MapBufferWriter(tmp_path / "x.mb") as w2:
        w2.add(1, b"a")
        w2.abort()
    assert repr(w2).endswith(" none, aborted 1 item>")


def test_buffer_reprs():
    b = segpack.BufferWithSegments(b"abcdef", np.array([[0, 3], [3, 3]], dtype=np.uint64))
    assert repr(b) == "<BufferWithSegments segments=2 size=6>"
    assert repr(b.segments()) == "<BufferSegments segments=2>"
    assert repr(b[1]) == "<BufferSegment offset=3 len=3>"
    c = segpack.BufferWithSegmentsCollection(b, b)
    assert repr(c) == "<BufferWithSegmentsCollection buffers=2 segments=4>"


def test_codec_object_reprs():
    assert repr(segpack.Compressor("gzip", 6)) == "<segpack.Compressor codec=gzip level=6>"
    assert repr(segpack.Compressor("br")) == "<segpack.Compressor codec=br level=None>"
    assert repr(segpack.ZstdCompressor()) == "<segpack.ZstdCompressor level=3>"
    assert (
        repr(segpack.ZstdCompressor(level=5, write_checksum=True, write_content_size=False))
        == "<segpack.ZstdCompressor level=5 write_checksum=True write_content_size=False>"
    )
    params = segpack.ZstdCompressionParameters(compression_level=2, window_log=20)
    # ZstdCompressionParameters' write_dict_id defaults to 0, as python-zstandard's
    assert repr(segpack.ZstdCompressor(compression_params=params)) == (
        "<segpack.ZstdCompressor level=2 write_dict_id=False window_log=20>"
    )
    d = segpack.ZstdCompressionDict(b"raw content " * 8, dict_type=1)
    assert repr(d) == f"<segpack.ZstdCompressionDict dict_id=0 size={len(d)} type=1>"
    samples = [b"sample %d " % i + b"payload " * (i % 5 + 1) for i in range(300)]
    trained = segpack.train_dictionary(1024, samples, threads=1)
    assert re.fullmatch(
        rf"<segpack.ZstdCompressionDict dict_id={trained.dict_id()} size={len(trained)} type=2 k=\d+ d=\d+>",
        repr(trained),
    )
    assert repr(segpack.ZstdCompressor(dict_data=trained)) == (
        f"<segpack.ZstdCompressor level=3 dict_id={trained.dict_id()}>"
    )
    assert repr(segpack.Decompressor("lzma")) == "<segpack.Decompressor codec=lzma>"
    assert repr(segpack.Decompressor("zstd", max_output_size=100)) == (
        "<segpack.Decompressor codec=zstd max_output_size=100>"
    )
    assert repr(segpack.ZstdDecompressor()) == "<segpack.ZstdDecompressor>"
    assert repr(segpack.ZstdDecompressor(dict_data=trained, max_window_size=1 << 20, max_output_size=5)) == (
        f"<segpack.ZstdDecompressor max_output_size=5 max_window_size=1048576 dict_id={trained.dict_id()}>"
    )
