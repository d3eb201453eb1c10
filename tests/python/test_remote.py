"""Remote maps: MapBuffer(url) / IntMap(url) / segpack.gather over real servers.

nginx (multi-range requests answered as multipart/byteranges) and moto's S3
server are started by the fixtures of servers.py; request counts come from the
servers' own logs. Faults go through servers.FaultProxy. fsspec's memory://
and file:// filesystems cover the generic path without a server.
"""

from __future__ import annotations

import http.server
import os
import pickle
import random
import threading

import pytest

import segpack
from segpack import remote

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")

from servers import moto_available, nginx_available  # noqa: E402

needs_nginx = pytest.mark.skipif(not nginx_available(), reason="nginx is not installed")
needs_moto = pytest.mark.skipif(not moto_available(), reason="moto[server] is not installed")


@pytest.fixture(autouse=True)
def _fresh_cache():
    segpack.remote_cache_clear()
    yield
    segpack.remote_cache_clear()


def sample(n, seed=0, max_len=300):
    rng = random.Random(seed)
    return {k * 7 + 1: rng.randbytes(rng.randrange(max_len)) for k in range(n)}


def write(folder, name, data, **kw):
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(segpack.MapBuffer(data, **kw).tobytes())
    return path


def gets(entries):
    return [e for e in entries if e.method == "GET"]


# ---------------------------------------------------------------- no server


def test_url_detection():
    assert remote.is_url("http://x/y") and remote.is_url("s3://b/k") and remote.is_url("memory://a")
    assert not remote.is_url("/tmp/x.mb") and not remote.is_url("x.mb") and not remote.is_url(b"http://x")
    with pytest.raises(TypeError, match="URLs"):
        segpack.MapBuffer(b"", storage_options={"a": 1})


@pytest.mark.parametrize("codec", [None, "zstd"])
def test_memory_and_file_urls_read_like_local(tmp_path, codec):
    import fsspec

    data = sample(500, 1)
    blob = segpack.MapBuffer(data, compress=codec).tobytes()
    with fsspec.open("memory://segpack-test/a.mb", "wb") as f:
        f.write(blob)
    local = write(str(tmp_path), "a.mb", data, compress=codec)
    for url in ("memory://segpack-test/a.mb", "file://" + local):
        m = segpack.MapBuffer(url)
        assert len(m) == len(data) and m.compress == codec
        keys = random.Random(2).sample(sorted(data), 100)
        assert [bytes(v) for v in m.get_many(keys)] == [data[k] for k in keys]
        assert m[keys[0]] == data[keys[0]] and m.get(0) is None
        assert m.todict() == data
        assert bytes(m.tobytes()) == bytes(blob)
        assert url in repr(m)
    # an fsspec file object
    with fsspec.open("memory://segpack-test/a.mb", "rb") as f:
        m = segpack.MapBuffer(f)
        assert m[keys[1]] == data[keys[1]]


def test_intmap_url(tmp_path):
    im = segpack.IntMap({1: 2, 5: 6, 2**64 - 1: 3})
    p = tmp_path / "i.im"
    p.write_bytes(bytes(im.tobytes()))
    m = segpack.IntMap("file://" + str(p))
    assert dict(m.items()) == {1: 2, 5: 6, 2**64 - 1: 3}


def test_missing_file_is_remote_error(tmp_path):
    with pytest.raises(segpack.RemoteError) as e:
        segpack.MapBuffer("file://" + str(tmp_path / "nope.mb"), retries=0)
    assert "nope.mb" in e.value.url


def test_past_the_end_is_an_error_not_empty_bytes(tmp_path):
    p = write(str(tmp_path), "a.mb", sample(10))
    rf = segpack.RemoteFile("file://" + p)
    size = len(rf)
    assert rf[size - 4 : size] == open(p, "rb").read()[-4:]
    with pytest.raises(segpack.RemoteError) as e:
        rf.read_ranges([(size - 2, 4)])
    assert e.value.range == (size - 2, 4)


def test_pickle_is_url_and_options_and_opens_lazily(tmp_path):
    data = sample(2000, 3, max_len=2000)  # a few MB: its bytes would show in the pickle
    p = write(str(tmp_path), "a.mb", data)
    m = segpack.MapBuffer("file://" + p, timeout=5.0, retries=1)
    blob = pickle.dumps(m)
    assert len(blob) < 1000
    lazy = pickle.loads(blob)
    assert "opens on first use" in repr(lazy)
    assert pickle.dumps(lazy) == blob or len(pickle.dumps(lazy)) < 1000  # re-pickled unopened
    k = sorted(data)[7]
    assert lazy[k] == data[k]  # opened now
    assert "opens on first use" not in repr(lazy)
    assert lazy.todict() == data
    im = segpack.IntMap({1: 2})
    q = tmp_path / "i.im"
    q.write_bytes(bytes(im.tobytes()))
    lim = pickle.loads(pickle.dumps(segpack.IntMap("file://" + str(q))))
    assert len(lim) == 1 and lim[1] == 2


def test_cache_is_bounded_and_clearable(tmp_path):
    p = write(str(tmp_path), "a.mb", sample(100))
    segpack.MapBuffer("file://" + p)
    info = segpack.remote_cache_info()
    assert info["entries"] == 1 and 0 < info["bytes"] <= info["limit"]
    segpack.set_remote_cache_size(10)
    assert segpack.remote_cache_info()["entries"] == 0
    segpack.MapBuffer("file://" + p)
    assert segpack.remote_cache_info()["entries"] == 0  # larger than the limit: not kept
    segpack.set_remote_cache_size(256 << 20)
    segpack.MapBuffer("file://" + p)
    segpack.remote_cache_clear()
    assert segpack.remote_cache_info()["entries"] == 0


def test_gather_local_and_memory(tmp_path):
    import fsspec

    a, b = sample(300, 1), {k + 1: v for k, v in sample(300, 2).items()}
    pa = write(str(tmp_path), "a.mb", a)
    with fsspec.open("memory://segpack-test/b.mb", "wb") as f:
        f.write(segpack.MapBuffer(b, compress="zstd").tobytes())
    keys = sorted(a)[:50] + sorted(b)[:50] + [10**12]
    got = segpack.gather([pa, "memory://segpack-test/b.mb", segpack.MapBuffer(a)], keys)
    assert got[0] == {k: a[k] for k in keys if k in a}
    assert got[1] == {k: b[k] for k in keys if k in b}
    assert got[2] == got[0]
    assert segpack.gather([], keys) == []


# ---------------------------------------------------------------- a server without range support


class _NoRanges(http.server.SimpleHTTPRequestHandler):
    """http.server ignores Range: every GET is a 200 with the whole file."""

    def log_message(self, *args):
        pass


@pytest.fixture
def plain_http(tmp_path):
    """A local helper (servers.py has no server without range support): http.server on 127.0.0.1."""
    handler = lambda *a, **kw: _NoRanges(*a, directory=str(tmp_path), **kw)  # noqa: E731
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield tmp_path, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
    t.join()


def test_server_answering_200_falls_back_to_single_ranges(plain_http):
    folder, url = plain_http
    data = sample(400, 4)
    write(str(folder), "a.mb", data)
    m = segpack.MapBuffer(url + "/a.mb", first_read=64)
    keys = sorted(data)[::9]
    assert [bytes(v) for v in m.get_many(keys)] == [data[k] for k in keys]


# ---------------------------------------------------------------- nginx


def big_map(folder, n=20000, seed=5):
    """A map whose index (16 * n bytes) does not fit in the first 64 KiB read."""
    data = sample(n, seed, max_len=200)
    write(folder, "big.mb", data)
    return data


@needs_nginx
def test_nginx_open_get_many_and_reopen_request_counts(nginx):
    data = big_map(nginx.root)
    url = nginx.file_url("big.mb")
    local = segpack.MapBuffer(os.path.join(nginx.root, "big.mb"))
    nginx.mark()
    m = segpack.MapBuffer(url)
    opened = gets(nginx.requests())
    assert len(opened) == 2  # header + first 64 KiB, then the rest of the 320 KB index
    assert all(e.status == 206 for e in opened)
    assert not [e for e in nginx.requests() if e.method == "HEAD"]

    keys = random.Random(6).sample(sorted(data), 100)
    nginx.mark()
    got = m.get_many(keys)
    batch = gets(nginx.requests())
    assert 1 <= len(batch) <= 2  # one multi-range request (coalesced ranges)
    assert batch[0].ranges > 10
    assert [bytes(v) for v in got] == [bytes(v) for v in local.get_many(keys)]

    nginx.mark()
    assert m[keys[3]] == data[keys[3]]
    assert len(gets(nginx.requests())) == 1

    import fsspec

    segpack.remote_cache_clear()
    with fsspec.filesystem("http").open(url, "rb", cache_type="none") as f:  # an fsspec file: same requests
        nginx.mark()
        fm = segpack.MapBuffer(f)
        assert [bytes(v) for v in fm.get_many(keys)] == [bytes(v) for v in got]
        assert len(gets(nginx.requests())) == 3

    nginx.mark()
    again = segpack.MapBuffer(url)  # reopen: header and index from the cache
    assert len(again) == len(data)
    assert gets(nginx.requests()) == []


@needs_nginx
def test_nginx_small_file_opens_in_one_request(nginx):
    data = sample(200, 7)
    write(nginx.root, "small.mb", data)
    nginx.mark()
    m = segpack.MapBuffer(nginx.file_url("small.mb"))
    assert len(gets(nginx.requests())) == 1
    nginx.mark()
    # the whole file came with the first read: no more requests at all
    assert m.todict() == data
    assert gets(nginx.requests()) == []


@needs_nginx
def test_nginx_many_ranges_split_into_few_requests(nginx):
    data = big_map(nginx.root, n=20000, seed=8)
    m = segpack.MapBuffer(nginx.file_url("big.mb"), coalesce_gap=0)
    keys = sorted(data)[::40]  # 500 keys, none adjacent
    nginx.mark()
    got = m.get_many(keys)
    reqs = gets(nginx.requests())
    assert 2 <= len(reqs) <= 3  # ~500 ranges (neighbours merge), at most 200 per request
    assert [bytes(v) for v in got] == [data[k] for k in keys]


@needs_nginx
def test_gather_over_nginx(nginx):
    files = {f"g{i}.mb": {k * 3 + i: os.urandom(k % 50) for k in range(300)} for i in range(20)}
    for name, d in files.items():
        write(nginx.root, name, d)
    keys = list(range(0, 900, 7))
    nginx.mark()
    got = segpack.gather([nginx.file_url(n) for n in files], keys, max_concurrency=8)
    for d, g in zip(files.values(), got):
        assert g == {k: d[k] for k in keys if k in d}
    assert len(gets(nginx.requests())) <= 2 * len(files)  # one open + one batch each (small files: 1)


# ---------------------------------------------------------------- S3 (moto)


@needs_moto
def test_s3_open_get_many_and_reopen(s3, s3_bucket):
    data = sample(3000, 9, max_len=100)
    blob = segpack.MapBuffer(data, compress="zstd").tobytes()
    url = s3.put(s3_bucket, "a.mb", bytes(blob))
    opts = s3.storage_options()
    s3.mark()
    m = segpack.MapBuffer(url, storage_options=opts)
    opened = gets(s3.requests())
    assert len(opened) <= 2 and not [e for e in s3.requests() if e.method == "HEAD"]
    keys = random.Random(10).sample(sorted(data), 100)
    s3.mark()
    got = m.get_many(keys)
    assert [bytes(v) for v in got] == [data[k] for k in keys]
    assert 1 <= len(gets(s3.requests())) <= 100  # concurrent single-range GETs of the coalesced ranges
    s3.mark()
    segpack.MapBuffer(url, storage_options=opts)
    assert gets(s3.requests()) == []
    pickled = pickle.dumps(m)
    assert len(pickled) < 2000 and blob[100:200] not in pickled
    segpack.remote_cache_clear()
    assert pickle.loads(pickled)[keys[0]] == data[keys[0]]


@needs_moto
def test_gather_over_s3(s3, s3_bucket):
    files = {f"f{i}.mb": {k * 2 + i % 2: bytes([k % 256]) * (k % 40) for k in range(200)} for i in range(10)}
    urls = [s3.put(s3_bucket, n, bytes(segpack.MapBuffer(d).tobytes())) for n, d in files.items()]
    keys = list(range(0, 400, 5))
    got = segpack.gather(urls, keys, storage_options=s3.storage_options())
    for d, g in zip(files.values(), got):
        assert g == {k: d[k] for k in keys if k in d}


# ---------------------------------------------------------------- faults (through the proxy)


@pytest.fixture
def proxied(nginx, fault_proxy):
    """(map data, proxy, URL through the proxy) for a file on nginx."""
    data = sample(3000, 11, max_len=400)
    write(nginx.root, "f.mb", data)
    proxy = fault_proxy(nginx.url)
    return data, proxy, proxy.url + "/f.mb"


def _keys(data, n=50, seed=12):
    return random.Random(seed).sample(sorted(data), n)


def last_key(m):
    """The key of the item stored last in the file (past the first read's bytes)."""
    return int(m.index()[-1][0])


@needs_nginx
def test_fault_5xx_then_success(proxied):
    data, proxy, url = proxied
    proxy.fault("error", 2, status=503)
    m = segpack.MapBuffer(url, retries=3)
    keys = _keys(data)
    proxy.fault("error", 1, status=500)
    assert [bytes(v) for v in m.get_many(keys)] == [data[k] for k in keys]


@needs_nginx
def test_fault_permanent_5xx_names_url_and_range(proxied):
    data, proxy, url = proxied
    m = segpack.MapBuffer(url, retries=2)
    proxy.fault("error", None, status=502)
    with pytest.raises(segpack.RemoteError) as e:
        m[last_key(m)]
    assert not isinstance(e.value, FileNotFoundError)
    assert isinstance(e.value, OSError) and isinstance(e.value, segpack.SegpackError)
    assert e.value.url == url
    assert e.value.range is not None and e.value.range[1] > 0
    assert "502" in str(e.value)
    with pytest.raises(segpack.RemoteError):
        segpack.MapBuffer(proxy.url + "/other.mb", retries=1)


@needs_nginx
@pytest.mark.parametrize("kind", ["short", "truncate"])
def test_fault_short_read_is_retried_never_wrong_bytes(proxied, kind):
    data, proxy, url = proxied
    m = segpack.MapBuffer(url)
    keys = _keys(data)
    proxy.fault(kind, 1, keep=10)
    assert [bytes(v) for v in m.get_many(keys)] == [data[k] for k in keys]
    proxy.fault(kind, None, keep=10)
    with pytest.raises(segpack.RemoteError):
        m.get_many(keys)
    with pytest.raises(segpack.RemoteError):
        m[last_key(m)]


@needs_nginx
def test_fault_reset(proxied):
    data, proxy, url = proxied
    proxy.fault("reset", 1)
    m = segpack.MapBuffer(url)
    keys = _keys(data)
    proxy.fault("reset", 2)
    assert [bytes(v) for v in m.get_many(keys)] == [data[k] for k in keys]
    proxy.fault("reset", None)
    with pytest.raises(segpack.RemoteError):
        m.get_many(keys)


@needs_nginx
def test_fault_stall_times_out(proxied):
    data, proxy, url = proxied
    m = segpack.MapBuffer(url, timeout=0.5, retries=1)
    proxy.fault("stall", None)
    with pytest.raises(segpack.RemoteError) as e:
        m.get_many(_keys(data))
    assert e.value.url == url


@needs_nginx
def test_file_replaced_by_a_shorter_one(nginx):
    data = sample(3000, 13, max_len=400)
    path = write(nginx.root, "r.mb", data)
    m = segpack.MapBuffer(nginx.file_url("r.mb"))
    index = m.index()
    write(nginx.root, "r.tmp", sample(1500, 14, max_len=400))
    new_size = os.path.getsize(os.path.join(nginx.root, "r.tmp"))
    os.replace(os.path.join(nginx.root, "r.tmp"), path)
    inside = [int(k) for k, off in index if 1 << 16 < off < new_size - 500][:20]
    past = [int(k) for k, off in index if off > new_size][:20]
    assert inside and past
    for batch in (inside, past):  # inside the new file (another size), past its end (416)
        with pytest.raises(segpack.RemoteError) as e:
            m.get_many(batch)
        assert e.value.url == nginx.file_url("r.mb")
    with pytest.raises(segpack.RemoteError):
        m[last_key(m)]
    assert segpack.remote_cache_info()["entries"] == 0  # the stale entry was dropped


@needs_nginx
def test_index_cache_file_saves_the_index_request(nginx, tmp_path):
    big_map(nginx.root, n=20000, seed=15)
    url = nginx.file_url("big.mb")
    cache = tmp_path / "big.idx"
    segpack.MapBuffer(url, index_cache=cache)
    assert cache.stat().st_size == 16 + 16 * 20000
    segpack.remote_cache_clear()  # a new process, as far as the in-process cache knows
    nginx.mark()
    m = segpack.MapBuffer(url, index_cache=cache)
    assert len(gets(nginx.requests())) == 1  # the first read; the index comes from the file
    k = int(m.index()[-1][0])
    assert m[k] == segpack.MapBuffer(os.path.join(nginx.root, "big.mb"))[k]


@needs_nginx
def test_no_threads_left_behind(nginx):
    files = {f"t{i}.mb": {k: bytes([i]) * k for k in range(50)} for i in range(12)}
    for name, d in files.items():
        write(nginx.root, name, d)
    segpack.gather([nginx.file_url(n) for n in files][:1], [1])  # fsspec's loop thread starts once
    before = threading.active_count()
    for _ in range(3):
        segpack.remote_cache_clear()
        got = segpack.gather([nginx.file_url(n) for n in files], range(0, 50, 3), max_concurrency=6)
        assert got[2][3] == bytes([2]) * 3
    assert threading.active_count() == before


@needs_moto
def test_s3_faults_through_the_proxy(s3, s3_bucket, fault_proxy):
    data = sample(2000, 16, max_len=200)
    url = s3.put(s3_bucket, "p.mb", bytes(segpack.MapBuffer(data).tobytes()))
    proxy = fault_proxy(s3.url)
    opts = s3.storage_options(endpoint_url=proxy.url)
    opts["config_kwargs"] = {"retries": {"max_attempts": 1}}  # botocore's own retries off: ours count
    proxy.fault("error", 1, status=503)
    m = segpack.MapBuffer(url, storage_options=opts, retries=3)
    keys = _keys(data, 30)
    proxy.fault("error", 1, status=500)
    assert [bytes(v) for v in m.get_many(keys)] == [data[k] for k in keys]
    proxy.fault("error", None, status=503)
    with pytest.raises(segpack.RemoteError) as e:
        m[last_key(m)]
    assert not isinstance(e.value, FileNotFoundError)
    assert e.value.url == url and e.value.range is not None


@needs_nginx
def test_missing_url_is_remote_error_without_retries(nginx):
    import errno

    with pytest.raises(segpack.RemoteError) as e:
        segpack.MapBuffer(nginx.file_url("missing.mb"), retries=3)
    assert e.value.errno == errno.ENOENT and "404" in str(e.value)
    assert e.value.url == nginx.file_url("missing.mb")
    assert len(gets(nginx.requests())) <= 2  # a 404 is not retried (len() and the header read each ask once)
