"""Property tests (hypothesis): round trips and byte equality with mapbuffer."""

import mapbuffer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segpack
from conftest import CODECS, eytzinger

u64 = st.integers(min_value=0, max_value=2**64 - 1)
i63 = st.integers(min_value=0, max_value=2**63 - 1)
values = st.binary(max_size=200)

dicts_u64 = st.dictionaries(u64, values, max_size=60)
dicts_i63 = st.dictionaries(i63, values, max_size=60)
# small key space: dense maps and many near-collisions in the search
dicts_dense = st.dictionaries(st.integers(0, 300), values, max_size=120)


@pytest.mark.parametrize("codec", CODECS, ids=str)
@settings(max_examples=60, deadline=None)
@given(d=dicts_u64, crc=st.booleans())
def test_roundtrip_every_codec(codec, d, crc):
    mb = segpack.MapBuffer(d, compress=codec, compute_crc=crc)
    raw = bytes(mb.tobytes())
    back = segpack.MapBuffer(raw)
    assert back.compress == codec
    assert back.format_version == (1 if crc else 0)
    assert len(back) == len(d)
    assert back.todict() == d
    for k, v in d.items():
        assert back[k] == v
        assert k in back
    assert list(back.keys()) == eytzinger(sorted(d))
    assert back.validate() is True


@settings(max_examples=150, deadline=None)
@given(d=dicts_u64, probes=st.lists(u64, max_size=20))
def test_lookup_agrees_with_dict(d, probes):
    mb = segpack.MapBuffer(d)
    for p in probes + [0, 2**64 - 1]:
        assert (p in mb) == (p in d)
        assert mb.get(p, b"<missing>") == d.get(p, b"<missing>")
        pos = mb.find_index_position(p)
        assert (pos is not None) == (p in d)


@settings(max_examples=150, deadline=None)
@given(d=st.one_of(dicts_i63, dicts_dense), crc=st.booleans())
def test_bytes_equal_mapbuffer_uncompressed(d, crc):
    ours = bytes(segpack.MapBuffer(d, compute_crc=crc).tobytes())
    theirs = bytes(mapbuffer.MapBuffer(d, compute_crc=crc).tobytes())
    assert ours == theirs


@settings(max_examples=40, deadline=None)
@given(d=dicts_i63, codec=st.sampled_from(CODECS))
def test_mapbuffer_reads_segpack_property(d, codec):
    raw = bytes(segpack.MapBuffer(d, compress=codec).tobytes())
    m = mapbuffer.MapBuffer(raw)
    assert {int(k): bytes(v) for k, v in m.todict().items()} == d


@settings(max_examples=100, deadline=None)
@given(d=st.dictionaries(u64, u64, max_size=100), probes=st.lists(u64, max_size=10))
def test_intmap_roundtrip(d, probes):
    im = segpack.IntMap(bytes(segpack.IntMap(d).tobytes()))
    assert im.todict() == d
    assert im.validate() is True
    for p in probes:
        assert im.get(p) == d.get(p)


@settings(max_examples=100, deadline=None)
@given(d=st.dictionaries(i63, u64, max_size=100))
def test_intmap_bytes_equal_mapbuffer(d):
    assert bytes(segpack.IntMap(d).tobytes()) == bytes(mapbuffer.IntMap(d).tobytes())


@settings(max_examples=40, deadline=None)
@given(d=dicts_u64, codec=st.sampled_from(CODECS))
def test_range_reader_roundtrip(d, codec):
    raw = bytes(segpack.MapBuffer(d, compress=codec).tobytes())

    class R:
        def __getitem__(self, sl):
            return raw[sl]

    mb = segpack.MapBuffer(R())
    assert mb.todict() == d
