"""Partial-index mode of IntMap over URLs and range readers.

An IntMap's pairs are its whole index: one whose pairs are larger than 1 MiB
(or any, with partial_index=True) reads only its header and the top of the
Eytzinger tree when opened; lookups fetch the blocks they reach. Request
counts come from nginx's own log.
"""

from __future__ import annotations

import os
import pickle
import random

import pytest

import segpack

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")

from test_remote import _fresh_cache, gets, needs_nginx  # noqa: E402, F401  (_fresh_cache: autouse)

N = 150_000  # 2.4 MB of pairs: 18 levels, 12 of them in the first 64 KiB


def pairs(n, seed):
    rng = random.Random(seed)
    return {k * 7 + 1: rng.randrange(1 << 64) for k in range(n)}


def write_intmap(folder, name, data):
    path = os.path.join(folder, name)
    segpack.write_intmap(path, data)
    return path


BIG = pairs(N, 1)


@needs_nginx
def test_open_reads_one_request_and_get_many_few(nginx):
    big = BIG
    write_intmap(nginx.root, "p.im", big)
    url = nginx.file_url("p.im")

    nginx.mark()
    m = segpack.IntMap(url)
    assert len(gets(nginx.requests())) == 1  # header + 12 levels of the tree = the first 64 KiB
    assert m.partial_index and len(m) == N

    keys = random.Random(2).sample(sorted(big), 100)
    nginx.mark()
    got = m.get_many(keys)
    batch = gets(nginx.requests())
    assert got.tolist() == [big[k] for k in keys]
    # One round of blocks (6 levels below the prefix; split at 200 ranges per request).
    assert 1 <= len(batch) <= 4, [e.ranges for e in batch]
    assert m.partial_index

    # The full mode of the same file: all the pairs on open, the same values.
    segpack.remote_cache_clear()
    full = segpack.IntMap(url, partial_index=False)
    assert not full.partial_index
    assert full.get_many(keys).tolist() == got.tolist()

    # Single lookups of keys not fetched yet cost a request or so each; missing keys.
    for k in [k for k in sorted(big)[::9973] if k not in keys][:3]:
        nginx.mark()
        assert m[k] == big[k] and k in m
        assert len(gets(nginx.requests())) <= 3
    assert 4 not in m and m.get(4, 5) == 5
    with pytest.raises(KeyError):
        m[10**15]
    assert m.get_many([keys[2], 4], default=9).tolist() == [big[keys[2]], 9]


@needs_nginx
def test_walking_reads_the_rest(nginx):
    data = pairs(5000, 3)
    write_intmap(nginx.root, "w.im", data)
    url = nginx.file_url("w.im")
    m = segpack.IntMap(url, partial_index=True)
    assert m.partial_index
    k0 = next(iter(data))
    assert m[k0] == data[k0]
    assert m.todict() == data
    assert not m.partial_index
    assert sorted(m.keys()) == sorted(data)
    assert m.validate()
    assert m.index().shape == (5000, 2)
    assert bytes(m.tobytes()) == bytes(segpack.IntMap(data).tobytes())
    c = pickle.loads(pickle.dumps(segpack.IntMap(url, partial_index=True)))
    assert c.partial_index and c[k0] == data[k0]


def test_short_deep_block_is_a_validation_error():
    big = BIG
    raw = bytes(segpack.IntMap(big).tobytes())

    class Reader:
        """Serves the first 64 KiB whole, anything deeper one byte short."""

        def __getitem__(self, s):
            start = s.start or 0
            stop = len(raw) if s.stop is None else s.stop
            return raw[start : stop - 1] if start >= 65536 else raw[start:stop]

        def __len__(self):
            return len(raw)

    m = segpack.IntMap(Reader())
    assert m.partial_index
    key = sorted(big)[-1]
    with pytest.raises(segpack.ValidationError):
        m[key]
    with pytest.raises(segpack.ValidationError):
        m.get_many([key])
