"""MapBuffer(..., index_cache=path): a local file of the map's header and index.

Over a range reader the index comes from the cache when the file holds the
data's own header (checked with one 16-byte read); otherwise it is fetched and
the file is (re)written, atomically. Other maps only write the file.
"""

import os
import pickle
import struct

import pytest

import segpack
import segpack.errors as E
from conftest import HEADER
from mapbuffer_api_helpers import D, RangeReader, SizedRangeReader, build, check_contents


def header_and_index(raw):
    n = struct.unpack_from("<I", raw, 12)[0]
    return raw[: HEADER + 16 * n]


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "m.mbi"


@pytest.mark.parametrize("codec", [None, "zstd"], ids=str)
def test_dict_map_writes_header_and_index(cache, codec):
    mb = segpack.MapBuffer(D, compress=codec, index_cache=cache)
    raw = bytes(mb.tobytes())
    assert cache.read_bytes() == header_and_index(raw)
    assert len(cache.read_bytes()) == HEADER + mb.index().nbytes


def test_same_file_as_mapbuffer_writes(tmp_path):
    mapbuffer = pytest.importorskip("mapbuffer")
    raw = build(D)
    theirs = tmp_path / "theirs.mbi"
    m = mapbuffer.MapBuffer(raw, index_cache=str(theirs))
    m.index()
    segpack.MapBuffer(raw, index_cache=tmp_path / "ours.mbi")
    assert (tmp_path / "ours.mbi").read_bytes() == theirs.read_bytes()
    # and a cache mapbuffer wrote serves a segpack range reader
    reader = SizedRangeReader(raw)
    check_contents(segpack.MapBuffer(reader, index_cache=theirs))
    assert reader.calls[0] == (0, HEADER)


@pytest.mark.parametrize("reader_type", [RangeReader, SizedRangeReader])
def test_range_reader_takes_the_index_from_the_cache(cache, reader_type):
    raw = build(D)
    n = len(D)
    first = reader_type(raw)
    mb = segpack.MapBuffer(first, index_cache=cache)
    assert first.calls == [(0, HEADER), (HEADER, HEADER + 16 * n)]  # fetched once, then cached
    assert cache.read_bytes() == header_and_index(raw)

    second = reader_type(raw)
    mb2 = segpack.MapBuffer(second, index_cache=cache)
    assert second.calls == [(0, HEADER)]  # only the header, to check the cache against
    check_contents(mb2)
    assert mb2.index().tolist() == mb.index().tolist()
    assert mb2.validate()


def test_cache_not_rewritten_when_complete(cache):
    segpack.MapBuffer(D, index_cache=cache)
    before = os.stat(cache)
    segpack.MapBuffer(D, index_cache=cache)
    segpack.MapBuffer(SizedRangeReader(build(D)), index_cache=cache)
    after = os.stat(cache)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_stale_cache_is_rewritten(cache):
    segpack.MapBuffer({5: b"other", 6: b"map"}, index_cache=cache)
    raw = build(D)
    reader = SizedRangeReader(raw)
    check_contents(segpack.MapBuffer(reader, index_cache=cache))
    assert reader.calls[:2] == [(0, HEADER), (HEADER, HEADER + 16 * len(D))]
    assert cache.read_bytes() == header_and_index(raw)


def test_cache_with_the_same_header_but_a_bad_index_is_dropped(cache):
    raw = build(D)
    bad = bytearray(header_and_index(raw))
    struct.pack_into("<Q", bad, HEADER + 8, 12345)  # first offset: not 16 + 16N
    cache.write_bytes(bytes(bad))
    reader = SizedRangeReader(raw)
    check_contents(segpack.MapBuffer(reader, index_cache=cache))
    assert cache.read_bytes() == header_and_index(raw)


def test_cache_pointing_past_the_source_is_dropped(cache):
    raw = build(D)
    bad = bytearray(header_and_index(raw))
    n = len(D)
    struct.pack_into("<Q", bad, HEADER + 16 * (n - 1) + 8, len(raw) + 100)  # last offset past the end
    cache.write_bytes(bytes(bad))
    check_contents(segpack.MapBuffer(SizedRangeReader(raw), index_cache=cache))
    assert cache.read_bytes() == header_and_index(raw)


@pytest.mark.parametrize("content", [b"", b"mapbufr", "header only"])
def test_partial_cache_is_completed(cache, content):
    raw = build(D)
    # mapbuffer writes the header first, then appends the index
    cache.write_bytes(raw[:HEADER] if content == "header only" else content)
    check_contents(segpack.MapBuffer(SizedRangeReader(raw), index_cache=cache))
    assert cache.read_bytes() == header_and_index(raw)


def test_cache_does_not_hide_corruption(cache):
    raw = bytearray(build(D))
    mb = segpack.MapBuffer(bytes(raw), index_cache=cache)
    raw[raw.index(b"hello")] = ord("H")
    mb.buffer = bytes(raw)
    with pytest.raises(E.ChecksumError):
        mb[1]
    with pytest.raises(E.ChecksumError):
        segpack.MapBuffer(SizedRangeReader(bytes(raw)), index_cache=cache)[1]


def test_corrupt_data_header_is_reported_not_cached(cache):
    raw = build(D)
    segpack.MapBuffer(raw, index_cache=cache)
    with pytest.raises(E.ValidationError):
        segpack.MapBuffer(SizedRangeReader(b"mapbufX" + raw[7:]), index_cache=cache)
    with pytest.raises(E.TruncatedError):
        segpack.MapBuffer(SizedRangeReader(raw[:5]), index_cache=cache)
    assert cache.read_bytes() == header_and_index(raw)


def test_unwritable_cache_raises(tmp_path):
    with pytest.raises(OSError, match="index_cache"):
        segpack.MapBuffer(D, index_cache=tmp_path / "missing-folder" / "m.mbi")


def test_empty_map(cache):
    segpack.MapBuffer({}, index_cache=cache)
    assert cache.read_bytes() == build({})
    reader = SizedRangeReader(build({}))
    assert len(segpack.MapBuffer(reader, index_cache=cache)) == 0
    assert reader.calls == [(0, HEADER)]


def test_index_cache_is_kept_by_pickle_and_buffer_assignment(cache, tmp_path):
    mb = segpack.MapBuffer(SizedRangeReader(build(D)), index_cache=str(cache))
    back = pickle.loads(pickle.dumps(mb))
    check_contents(back)
    assert back.__reduce_ex__(4)[1][2]["index_cache"] == str(cache)
    other = {9: b"nine"}
    mb.buffer = build(other)
    assert cache.read_bytes() == header_and_index(build(other))
