"""segpack.MapBuffer lookups: item access, membership, iteration, the index."""

import numpy as np
import pytest

import segpack
from conftest import CODECS, eytzinger, random_dict, read_index
from mapbuffer_api_helpers import D, build

# ---------------------------------------------------------------- lookups


def test_getitem_missing_key_raises_keyerror():
    mb = segpack.MapBuffer(D)
    for k in (4, 2**41, 2**64 - 1, -1, 2**64, 2**100, -(2**70)):
        with pytest.raises(KeyError):
            mb[k]


def test_getitem_above_every_key_raises_keyerror_imap(tmp_path):
    # mapbuffer reads before the index here; segpack must simply raise KeyError
    p = tmp_path / "m.mb"
    p.write_bytes(build())
    mb = segpack.MapBuffer(p)
    for k in (max(D) + 1, 2**64 - 1):
        with pytest.raises(KeyError):
            mb[k]


def test_getitem_str_key_raises_typeerror():
    mb = segpack.MapBuffer(D)
    with pytest.raises(TypeError):
        mb["1"]
    with pytest.raises(TypeError):
        mb[1.0]


def test_index_like_keys_accepted():
    mb = segpack.MapBuffer(D)
    assert mb[np.uint64(2)] == D[2]
    assert mb[np.int64(10)] == D[10]
    assert mb[True] == D[1]


def test_contains():
    mb = segpack.MapBuffer(D)
    for k in D:
        assert k in mb
    for k in (4, -1, 2**64, "1", b"1", 1.5, None, (1,)):
        assert (k in mb) is False


def test_get_default():
    mb = segpack.MapBuffer(D)
    assert mb.get(1) == b"hello"
    assert mb.get(4) is None
    assert mb.get(4, b"d") == b"d"
    assert mb.get(-1, 5) == 5
    assert mb.get(2**64, 6) == 6
    assert mb.get(3, b"d") == b""


def test_len_and_empty():
    assert len(segpack.MapBuffer(D)) == len(D)
    e = segpack.MapBuffer({})
    assert len(e) == 0
    assert list(e) == []
    assert e.todict() == {}
    assert e.get(1) is None
    assert 0 not in e
    with pytest.raises(KeyError):
        e[0]
    assert e.index().shape == (0, 2)
    assert e.validate() is True


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_iteration_order_is_index_order(codec):
    d = random_dict(100, seed=11)
    mb = segpack.MapBuffer(d, compress=codec)
    idx_keys = [int(k) for k in mb.index()[:, 0]]
    assert idx_keys == eytzinger(sorted(d))
    assert list(mb) == idx_keys
    assert list(mb.keys()) == idx_keys
    assert list(mb.values()) == [d[k] for k in idx_keys]
    assert list(mb.items()) == [(k, d[k]) for k in idx_keys]
    assert mb.todict() == d


def test_keys_are_ints_compare_equal():
    mb = segpack.MapBuffer(D)
    for k in mb.keys():
        assert k in D


def test_size_method():
    raw = build()
    mb = segpack.MapBuffer(raw)
    for k, v in D.items():
        assert mb.size(k) == len(v)
    with pytest.raises(KeyError):
        mb.size(4)


# ---------------------------------------------------------------- the index


def test_index_shape_dtype_offsets():
    raw = build()
    mb = segpack.MapBuffer(raw)
    idx = mb.index()
    assert idx.shape == (len(D), 2)
    assert idx.dtype == np.uint64
    assert [tuple(map(int, row)) for row in idx] == read_index(raw)
    assert int(idx[0, 1]) == 16 + 16 * len(D)
    assert np.all(np.diff(idx[:, 1].astype(np.int64)) >= 0)


def test_getindex():
    mb = segpack.MapBuffer(D)
    keys = list(mb.keys())
    for i, k in enumerate(keys):
        assert mb.getindex(i) == D[k]
    assert mb.getindex(-1) == D[keys[-1]]
    assert mb.getindex(-len(D)) == D[keys[0]]
    with pytest.raises(IndexError):
        mb.getindex(len(D))
    with pytest.raises(IndexError):
        mb.getindex(-len(D) - 1)


def test_find_index_position():
    mb = segpack.MapBuffer(D)
    idx = mb.index()
    for k in D:
        i = mb.find_index_position(k)
        assert isinstance(i, int)
        assert int(idx[i, 0]) == k
    assert mb.find_index_position(4) is None
    assert mb.find_index_position(2**64 - 1) is None
    assert mb.find_index_position(-1) is None
    assert segpack.MapBuffer({}).find_index_position(0) is None
