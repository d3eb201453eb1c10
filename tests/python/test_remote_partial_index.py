"""Partial-index mode of MapBuffer over URLs and range readers.

A map whose index is larger than 1 MiB (or any, with partial_index=True)
reads only the top of its Eytzinger index when opened; lookups fetch the
blocks they reach. Request counts come from nginx's own log.
"""

from __future__ import annotations

import os
import pickle
import random

import pytest

import segpack

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")

import test_remote as remote_tests  # noqa: E402
from servers import nginx_available  # noqa: E402
from test_remote import _fresh_cache, gets, write  # noqa: E402, F401  (_fresh_cache: autouse)

needs_nginx = pytest.mark.skipif(not nginx_available(), reason="nginx is not installed")

N = 150_000  # a 2.4 MB index: 18 levels, 12 of them in the first 64 KiB


def sample(n, seed=0, max_len=24):
    return remote_tests.sample(n, seed, max_len)


@pytest.fixture(scope="module")
def big():
    return sample(N, 1)


@needs_nginx
def test_open_reads_the_top_of_the_index_and_get_many_few_requests(nginx, big):
    write(nginx.root, "p.mb", big)
    local = segpack.MapBuffer(os.path.join(nginx.root, "p.mb"))
    url = nginx.file_url("p.mb")

    nginx.mark()
    m = segpack.MapBuffer(url)
    opened = gets(nginx.requests())
    assert len(opened) == 1  # header + 12 levels of the tree = the first 64 KiB
    assert m.partial_index and len(m) == N

    keys = random.Random(2).sample(sorted(big), 100)
    nginx.mark()
    got = m.get_many(keys)
    batch = gets(nginx.requests())
    assert [bytes(v) for v in got] == [big[k] for k in keys]
    # One round of index blocks (6 levels below the prefix; split at 200 ranges per
    # request), rarely one more for a successor record, then the items.
    assert 2 <= len(batch) <= 8, [e.ranges for e in batch]
    assert m.partial_index

    # The full-index mode of the same file: the whole 2.4 MB index on open.
    segpack.remote_cache_clear()
    nginx.mark()
    full = segpack.MapBuffer(url, partial_index=False)
    assert not full.partial_index
    assert len(gets(nginx.requests())) == 2
    assert [bytes(v) for v in full.get_many(keys)] == [bytes(v) for v in got]

    # Single lookups; missing keys; reopen costs nothing.
    segpack.remote_cache_clear()
    m = segpack.MapBuffer(url)
    nginx.mark()
    assert m[keys[0]] == big[keys[0]]
    assert len(gets(nginx.requests())) <= 3
    assert m.get(4) is None and 4 not in m and keys[1] in m
    with pytest.raises(KeyError):
        m[10**15]
    assert m.get_many([keys[2], 4], default=b"-")[1] == b"-"
    nginx.mark()
    again = segpack.MapBuffer(url)
    assert len(again) == N and again.partial_index
    assert gets(nginx.requests()) == []
    assert again.find_index_position(keys[5]) == local.find_index_position(keys[5])


@needs_nginx
def test_walking_reads_the_rest_of_the_index(nginx):
    data = sample(5000, 3)
    write(nginx.root, "w.mb", data)
    m = segpack.MapBuffer(nginx.file_url("w.mb"), partial_index=True)
    assert m.partial_index
    assert m[next(iter(data))] == data[next(iter(data))]
    assert m.todict() == data
    assert not m.partial_index
    assert sorted(m.keys()) == sorted(data)
    assert m.validate()
    assert m.index().shape == (5000, 2)
    c = pickle.loads(pickle.dumps(segpack.MapBuffer(nginx.file_url("w.mb"), partial_index=True)))
    k0 = next(iter(data))
    assert c.partial_index and c[k0] == data[k0]


def test_corrupt_deep_block_is_a_validation_error(big):
    raw = bytearray(segpack.MapBuffer(big).tobytes())
    # The last index record lies in the deepest level, far past the 64 KiB read on
    # open: point its offset past the end of the file.
    m0 = segpack.MapBuffer(bytes(raw))
    last = len(big) - 1
    key = int(m0.index()[last][0])
    raw[16 + 16 * last + 8 : 16 + 16 * last + 16] = (len(raw) + 100).to_bytes(8, "little")

    class Reader:
        def __init__(self, b):
            self.b = b

        def __getitem__(self, s):
            return self.b[s]

        def __len__(self):
            return len(self.b)

    m = segpack.MapBuffer(Reader(bytes(raw)))
    assert m.partial_index
    with pytest.raises(segpack.ValidationError):
        m[key]
    with pytest.raises(segpack.ValidationError):
        m.get_many([key])


def test_range_reader_error_during_a_lookup_is_its_own(big):
    raw = segpack.MapBuffer(big).tobytes()

    class Flaky:
        """Serves the first 64 KiB, then fails."""

        def __getitem__(self, s):
            if (s.stop or len(raw)) > 65536:
                raise ConnectionError("no more")
            return raw[s]

        def __len__(self):
            return len(raw)

    m = segpack.MapBuffer(Flaky())
    assert m.partial_index
    key = sorted(big)[-1]
    with pytest.raises(ConnectionError):
        m[key]
    with pytest.raises(ConnectionError):
        key in m  # noqa: B015
    with pytest.raises(ConnectionError):
        m.get(key)
    with pytest.raises(ConnectionError):
        m.get_many([key])


@needs_nginx
def test_gather_over_a_partial_index_map_batches_its_lookups(nginx, big):
    write(nginx.root, "g.mb", big)
    url = nginx.file_url("g.mb")
    rng = random.Random(5)
    present = rng.sample(sorted(big), 50)
    absent = [k for k in (rng.randrange(1 << 63) for _ in range(200)) if k not in big][:50]
    keys = present + absent
    m = segpack.MapBuffer(url)
    assert m.partial_index
    nginx.mark()
    (got,) = segpack.gather([m], keys)
    fetched = gets(nginx.requests())
    assert got == {k: big[k] for k in present}
    # the index blocks of all 100 keys in one batch (a few multi-range requests), then the
    # items: not one request per key
    assert 2 <= len(fetched) <= 8, [e.ranges for e in fetched]
