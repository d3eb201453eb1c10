"""Golden files (tests/data/): each reads back to the known content and is re-created by segpack.

What is compared byte for byte, and why the compressed maps are not, is in tests/data/README.md.
"""

import importlib.util
import pathlib
import struct
import sys

import pytest

import segpack
from conftest import read_index, ref_crc32c

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_golden", DATA / "make_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


G = _load_generator()
MAPBUFFER_CASES = [(v, c) for v in G.VERSIONS for c in G.CODECS]
little_endian_only = pytest.mark.skipif(
    sys.byteorder != "little", reason="the golden segment records are little-endian"
)


def golden(rel):
    return (DATA / rel).read_bytes()


def stored_items(raw):
    """(key, stored bytes) in index order, sliced by hand from the documented layout."""
    index = read_index(raw)
    ends = [off for _, off in index[1:]] + [len(raw)]
    return [(key, raw[off:end]) for (key, off), end in zip(index, ends)]


def reference_decompress(stream, codec):
    """Decodes with the Python libraries (not segpack's), so the files are checked independently."""
    if codec == "none":
        return stream
    if codec == "gzip":
        import gzip

        return gzip.decompress(stream)
    if codec == "br":
        brotli = pytest.importorskip("brotli")
        return brotli.decompress(stream)
    if codec == "zstd":
        zstandard = pytest.importorskip("zstandard")
        return zstandard.ZstdDecompressor().decompress(stream)
    if codec == "lzma":
        import lzma

        return lzma.decompress(stream, format=lzma.FORMAT_XZ)
    raise ValueError(codec)


def check_mapbuffer(raw, version, codec):
    assert raw[:7] == b"mapbufr"
    assert raw[7] == version
    assert (
        raw[8:12]
        == {"none": b"none", "gzip": b"gzip", "br": b"00br", "zstd": b"zstd", "lzma": b"lzma"}[codec]
    )
    assert struct.unpack_from("<I", raw, 12)[0] == len(G.MAPBUFFER_CONTENT)
    mb = segpack.MapBuffer(raw)
    assert mb.validate() is True
    assert mb.format_version == version
    assert mb.compress == (None if codec == "none" else codec)
    assert len(mb) == len(G.MAPBUFFER_CONTENT)
    for key, value in G.MAPBUFFER_CONTENT.items():
        assert mb[key] == value
    assert {k: bytes(v) for k, v in mb.todict().items()} == G.MAPBUFFER_CONTENT
    # The same content through the documented layout and the reference decoders.
    for key, stored in stored_items(raw):
        if version == 1:
            stored, crc = stored[:-4], struct.unpack("<I", stored[-4:])[0]
            assert crc == ref_crc32c(stored), key
        assert reference_decompress(stored, codec) == G.MAPBUFFER_CONTENT[key], key


def test_the_golden_file_list_is_complete():
    present = sorted(
        str(p.relative_to(DATA))
        for p in DATA.rglob("*")
        if p.is_file() and p.parent != DATA and "__pycache__" not in p.parts
    )
    assert present == sorted(G.ALL_FILES)


# ---------------------------------------------------------------- MapBuffer


@pytest.mark.parametrize("version,codec", MAPBUFFER_CASES, ids=[f"v{v}-{c}" for v, c in MAPBUFFER_CASES])
def test_mapbuffer_golden_reads_back(version, codec):
    check_mapbuffer(golden(G.mapbuffer_file(version, codec)), version, codec)


@pytest.mark.parametrize("version,codec", MAPBUFFER_CASES, ids=[f"v{v}-{c}" for v, c in MAPBUFFER_CASES])
def test_mapbuffer_golden_is_recreated(version, codec):
    want = golden(G.mapbuffer_file(version, codec))
    got = bytes(segpack.MapBuffer(G.MAPBUFFER_CONTENT, compress=codec, compute_crc=version == 1).tobytes())
    if codec == "none":
        assert got == want, "segpack no longer writes this file byte for byte: a format change?"
        return
    # Compressed streams depend on the encoder library's version (tests/data/README.md): the
    # header, the key order and the decoded values must match; the stream bytes may not.
    assert got[:16] == want[:16]
    assert [k for k, _ in read_index(got)] == [k for k, _ in read_index(want)]
    check_mapbuffer(got, version, codec)


def test_mapbuffer_package_golden_reads_back():
    raw = golden(G.PEER_FILE)
    check_mapbuffer(raw, 1, G.PEER_CODEC)
    # Written by the peer, not by segpack: its empty value is a different brotli stream.
    assert raw != golden(G.mapbuffer_file(1, G.PEER_CODEC))


def test_mapbuffer_package_golden_is_recreated():
    pytest.importorskip("mapbuffer")
    got = G.peer_file()
    want = golden(G.PEER_FILE)
    assert got[:16] == want[:16]
    assert [k for k, _ in read_index(got)] == [k for k, _ in read_index(want)]
    check_mapbuffer(got, 1, G.PEER_CODEC)


# ---------------------------------------------------------------- IntMap


def test_intmap_golden_reads_back():
    raw = golden(G.INTMAP_FILE)
    assert raw[:6] == b"intm\x00\x03"
    assert len(raw) == 10 + 16 * len(G.INTMAP_CONTENT)
    im = segpack.IntMap(raw)
    assert im.validate() is True
    assert im.todict() == G.INTMAP_CONTENT
    for key, value in G.INTMAP_CONTENT.items():
        assert im[key] == value


def test_intmap_golden_is_recreated():
    assert bytes(segpack.IntMap(G.INTMAP_CONTENT).tobytes()) == golden(G.INTMAP_FILE)


def test_intmap_golden_is_what_the_mapbuffer_package_writes():
    mapbuffer = pytest.importorskip("mapbuffer")
    assert bytes(mapbuffer.IntMap(G.INTMAP_CONTENT).tobytes()) == golden(G.INTMAP_FILE)


# ---------------------------------------------------------------- segment records


def contiguous_records(lengths):
    offsets = [sum(lengths[:i]) for i in range(len(lengths))]
    return G.table_records(list(zip(offsets, lengths)))


@little_endian_only
def test_batch_segments_golden_reads_back():
    data, records = golden("segments/batch.data"), golden("segments/batch.records")
    assert data == b"".join(G.BATCH_VALUES)
    assert records == contiguous_records([len(v) for v in G.BATCH_VALUES])
    bws = segpack.BufferWithSegments(data, records)
    assert [bytes(s) for s in bws] == G.BATCH_VALUES


@little_endian_only
def test_batch_segments_golden_is_recreated():
    frames = [segpack.compress(v, "zstd") for v in G.BATCH_VALUES]
    for threads in (1, 2):
        (bws,) = segpack.multi_decompress_to_buffer(frames, threads=threads).buffers()
        assert bws.tobytes() == golden("segments/batch.data")
        assert bytes(memoryview(bws.segments())) == golden("segments/batch.records")


@little_endian_only
def test_table_segments_golden_reads_back_and_is_recreated():
    data, records = golden("segments/table.data"), golden("segments/table.records")
    assert data == G.TABLE_DATA
    bws = segpack.BufferWithSegments(data, records)
    assert [bytes(s) for s in bws] == [data[o : o + n] for o, n in G.TABLE_SEGMENTS]
    assert [(s.offset, len(s)) for s in bws] == G.TABLE_SEGMENTS
    assert bytes(memoryview(bws.segments())) == records


@little_endian_only
@pytest.mark.parametrize("name", ["batch", "table"])
def test_segments_golden_reads_in_python_zstandard(name):
    zstandard = pytest.importorskip("zstandard")
    if not hasattr(zstandard, "BufferWithSegments"):
        pytest.skip(f"zstandard's {zstandard.backend} backend has no BufferWithSegments")
    data, records = golden(f"segments/{name}.data"), golden(f"segments/{name}.records")
    ours = [bytes(s) for s in segpack.BufferWithSegments(data, records)]
    assert [bytes(s) for s in zstandard.BufferWithSegments(data, records)] == ours
