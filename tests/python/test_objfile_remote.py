"""Object files over URLs: segpack.load(url) / ObjectFile(url) against real servers.

nginx (multi-range requests answered as multipart/byteranges) and moto's S3 server come from the
fixtures of servers.py; request counts are read from the servers' own logs. Faults go through
servers.FaultProxy. fsspec's memory:// and file:// filesystems cover the generic path.
"""

from __future__ import annotations

import io
import os
import pickle

import numpy as np
import pytest

import segpack

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")

# The remote maps' markers, request filter and autouse fixture (an empty remote cache per test).
from test_remote import _fresh_cache, gets, needs_moto, needs_nginx  # noqa: E402, F401


def sample(seed=0, rows=16384):
    """Four arrays (rows * 8 float64 each: 1 MiB at the default) and some in-band values."""
    rng = np.random.default_rng(seed)
    return {
        "w": [rng.standard_normal((rows, 8)) for _ in range(3)],
        "f": np.asfortranarray(rng.integers(0, 1000, (rows, 2))),
        "name": "model",
        "steps": list(range(10)),
    }


def small_sample(seed=1):
    rng = np.random.default_rng(seed)
    return {"a": rng.standard_normal(500), "b": np.arange(100, dtype=np.int16), "s": "x"}


def assert_same(a, b):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
        assert a.flags.f_contiguous == b.flags.f_contiguous
        assert np.array_equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b


def arrays(obj):
    return obj["w"] + [obj["f"]]


def dumped(obj, **kw) -> bytes:
    out = io.BytesIO()
    segpack.dump(obj, out, **kw)
    return out.getvalue()


# ---------------------------------------------------------------- no server


@pytest.mark.parametrize("codec", [None, "zstd"])
def test_file_and_memory_urls_load_like_local(tmp_path, codec):
    import fsspec

    obj = sample(rows=2000)
    path = str(tmp_path / "o.spk")
    segpack.dump(obj, path, codec=codec)
    with fsspec.open("memory://segpack-objtest/o.spk", "wb") as f:
        f.write(open(path, "rb").read())
    local = segpack.load(path)
    for url in ("file://" + path, "memory://segpack-objtest/o.spk"):
        assert_same(segpack.load(url), local)
        with segpack.ObjectFile(url) as of:
            assert of.name == url and url in repr(of)
            assert of.info() == segpack.ObjectFile(path).info()
            assert of.file_size == os.path.getsize(path)
            of.verify()
            assert_same(of.load(), obj)
            assert_same(of.load(), obj)  # again: fetched again
    with fsspec.open("memory://segpack-objtest/o.spk", "rb") as f:  # an fsspec file object
        assert_same(segpack.load(f), obj)


def test_remote_arrays_are_read_only_unless_writable(tmp_path):
    path = str(tmp_path / "o.spk")
    segpack.dump(sample(rows=100), path)
    url = "file://" + path
    got = segpack.load(url)  # views of the bytes received (checked in place)
    assert not any(a.flags.writeable for a in arrays(got))
    assert all(a.flags.aligned for a in arrays(got))
    for writable in (True, "copy-on-write"):
        w = segpack.load(url, writable=writable, mmap=False)  # copied into new aligned memory
        assert all(a.flags.writeable and a.ctypes.data % 64 == 0 for a in arrays(w))
        assert w["w"][0].ctypes.data % 4096 == 0  # the page alignment of a large buffer is kept
        w["w"][0][0, 0] = 42.0
    assert segpack.load(path)["w"][0][0, 0] != 42.0  # private memory: the file is untouched


def test_remote_options_apply_to_urls_only(tmp_path):
    path = str(tmp_path / "o.spk")
    segpack.dump(small_sample(), path)
    with pytest.raises(TypeError, match="URLs"):
        segpack.ObjectFile(path, storage_options={"a": 1})
    with pytest.raises(TypeError, match="URLs"):
        segpack.load(path, first_read=1024)
    with pytest.raises(ValueError):
        segpack.ObjectFile("file://" + path, timeout=0)


def test_missing_url_is_remote_error(tmp_path):
    with pytest.raises(segpack.RemoteError) as e:
        segpack.load("file://" + str(tmp_path / "nope.spk"), retries=0)
    assert "nope.spk" in e.value.url


def test_not_a_container_is_a_format_error(tmp_path):
    p = tmp_path / "junk"
    p.write_bytes(os.urandom(5000))
    with pytest.raises(segpack.ValidationError):
        segpack.load("file://" + str(p))
    q = tmp_path / "tiny"
    q.write_bytes(b"\x89SPKOBJ\n")
    with pytest.raises(segpack.TruncatedError):
        segpack.load("file://" + str(q))


def test_local_objectfile_pickles_as_its_path(tmp_path):
    obj = sample(rows=20000)  # a few MB: its bytes would show in the pickle
    path = tmp_path / "o.spk"
    segpack.dump(obj, path)
    of = segpack.ObjectFile(path, writable="copy-on-write")
    blob = pickle.dumps(of)
    assert len(blob) < 1000 and str(path).encode() in blob
    lazy = pickle.loads(blob)
    assert "opens on first use" in repr(lazy)
    got = lazy.load()
    assert_same(got, obj)
    assert got["w"][0].flags.writeable  # the options travel with it
    assert "opens on first use" not in repr(lazy)
    with pytest.raises(TypeError, match="bytes or a stream"):
        pickle.dumps(segpack.ObjectFile(path.read_bytes()))
    of.close()
    with pytest.raises(ValueError, match="closed"):
        pickle.dumps(of)


def test_url_objectfile_pickles_as_url_and_options(tmp_path):
    obj = sample(rows=20000)
    path = str(tmp_path / "o.spk")
    segpack.dump(obj, path)
    url = "file://" + path
    of = segpack.ObjectFile(url, timeout=5.0, retries=1)
    blob = pickle.dumps(of)
    assert len(blob) < 1000 and url.encode() in blob
    segpack.remote_cache_clear()
    lazy = pickle.loads(blob)  # reads nothing
    assert "opens on first use" in repr(lazy) and segpack.remote_cache_info()["entries"] == 0
    assert lazy._remote.timeout == 5.0 and lazy._remote.retries == 1
    assert_same(lazy.load(), obj)
    assert len(pickle.dumps(lazy)) < 1000  # an opened one pickles the same way


# ---------------------------------------------------------------- nginx


@needs_nginx
def test_nginx_open_load_and_reopen_request_counts(nginx):
    obj = sample()  # 4 MiB in 4 arrays: the table lies far past the first 64 KiB
    segpack.dump(obj, os.path.join(nginx.root, "o.spk"))
    url = nginx.file_url("o.spk")
    nginx.mark()
    of = segpack.ObjectFile(url)
    opened = gets(nginx.requests())
    assert len(opened) == 2  # the first 64 KiB (header, payload), then the table at the end
    assert all(e.status == 206 for e in opened) and not [e for e in nginx.requests() if e.method == "HEAD"]
    nginx.mark()
    got = of.load()
    loaded = gets(nginx.requests())
    assert len(loaded) == 1  # every buffer in one request
    assert_same(got, obj)

    nginx.mark()
    again = segpack.ObjectFile(url)  # reopen: header, payload and table from the cache
    assert again.info() == of.info()
    assert gets(nginx.requests()) == []
    assert_same(again.load(), obj)
    assert len(gets(nginx.requests())) == 1  # the buffers only: they are not cached

    segpack.remote_cache_clear()
    nginx.mark()
    assert_same(segpack.load(url), obj)
    assert len(gets(nginx.requests())) == 3  # open (2) + one batch


@needs_nginx
def test_nginx_small_file_is_one_request(nginx):
    obj = small_sample()
    segpack.dump(obj, os.path.join(nginx.root, "s.spk"))
    nginx.mark()
    assert_same(segpack.load(nginx.file_url("s.spk")), obj)
    assert len(gets(nginx.requests())) == 1  # the first read holds the whole file


@needs_nginx
def test_nginx_first_read_option(nginx):
    obj = sample(rows=4096)  # 1 MiB
    segpack.dump(obj, os.path.join(nginx.root, "m.spk"))
    nginx.mark()
    of = segpack.ObjectFile(nginx.file_url("m.spk"), first_read=2 << 20)
    assert len(gets(nginx.requests())) == 1
    assert_same(of.load(), obj)
    assert len(gets(nginx.requests())) == 1


@needs_nginx
def test_nginx_large_payload_still_opens_in_two_requests(nginx):
    obj = {"names": [f"item-{i}" for i in range(30000)], "x": np.arange(100000.0)}  # payload > 64 KiB
    segpack.dump(obj, os.path.join(nginx.root, "p.spk"))
    nginx.mark()
    of = segpack.ObjectFile(nginx.file_url("p.spk"))
    reqs = gets(nginx.requests())
    assert len(reqs) == 2 and reqs[1].ranges == 2  # the payload's rest and the table in one request
    nginx.mark()
    assert_same(of.load(), obj)
    assert len(gets(nginx.requests())) == 1


@needs_nginx
@pytest.mark.parametrize("codec", ["zstd", "gzip", "mixed"])
def test_nginx_compressed_and_many_buffers(nginx, codec):
    rng = np.random.default_rng(3)
    obj = {
        "many": [np.full(3000, i, dtype=np.int64) for i in range(300)],
        "big": np.repeat(rng.integers(0, 50, 40000), 8).astype(np.float32),
    }

    def choose(info):
        return "zstd" if info.index % 2 else None

    c = choose if codec == "mixed" else codec
    segpack.dump(obj, os.path.join(nginx.root, "c.spk"), codec=c)
    url = nginx.file_url("c.spk")
    nginx.mark()
    of = segpack.ObjectFile(url)
    opened = len(gets(nginx.requests()))
    assert opened <= 2
    nginx.mark()
    got = of.load()
    assert len(gets(nginx.requests())) == 1  # 301 buffers, one request
    assert_same(got, obj)
    assert_same(got, segpack.load(os.path.join(nginx.root, "c.spk")))


@needs_nginx
def test_nginx_missing_url_is_one_request(nginx):
    import errno

    with pytest.raises(segpack.RemoteError) as e:
        segpack.load(nginx.file_url("missing.spk"), retries=3)
    assert e.value.errno == errno.ENOENT and "404" in str(e.value)
    assert len(gets(nginx.requests())) == 1  # a 404 is not retried, nor asked twice


# ---------------------------------------------------------------- S3 (moto)


@needs_moto
def test_s3_open_load_reopen_and_pickle(s3, s3_bucket):
    obj = sample(rows=4096)  # 1 MiB: moto reads the whole object for every GET
    blob = dumped(obj)
    url = s3.put(s3_bucket, "o.spk", blob)
    opts = s3.storage_options()
    s3.mark()
    of = segpack.ObjectFile(url, storage_options=opts)
    assert len(gets(s3.requests())) <= 2 and not [e for e in s3.requests() if e.method == "HEAD"]
    s3.mark()
    assert_same(of.load(), obj)
    assert 1 <= len(gets(s3.requests())) <= 4  # concurrent GETs of the coalesced ranges
    s3.mark()
    again = segpack.ObjectFile(url, storage_options=opts)
    assert gets(s3.requests()) == []
    pickled = pickle.dumps(again)
    assert len(pickled) < 2000 and blob[5000:5100] not in pickled
    segpack.remote_cache_clear()
    assert_same(pickle.loads(pickled).load(), obj)


# ---------------------------------------------------------------- faults (through the proxy)


def named(err, url, status=None):
    """err is a RemoteError (an OSError and SegpackError, never a FileNotFoundError) naming `url`,
    a byte range, and the HTTP `status` when given."""
    assert isinstance(err, OSError) and isinstance(err, segpack.SegpackError)
    assert not isinstance(err, FileNotFoundError)
    assert (err.url, err.range is not None and err.range[1] > 0) == (url, True)
    assert status is None or status in str(err)


@pytest.fixture
def proxied(nginx, fault_proxy):
    """(object, proxy, URL through the proxy) for an object file on nginx."""
    obj = sample(rows=2048, seed=4)
    segpack.dump(obj, os.path.join(nginx.root, "f.spk"))
    proxy = fault_proxy(nginx.url)
    return obj, proxy, proxy.url + "/f.spk"


@needs_nginx
def test_fault_5xx_then_success(proxied):
    obj, proxy, url = proxied
    proxy.fault("error", 2, status=503)
    of = segpack.ObjectFile(url, retries=3)
    proxy.fault("error", 1, status=500)
    assert_same(of.load(), obj)


@needs_nginx
def test_fault_permanent_5xx_names_url_and_range(proxied):
    obj, proxy, url = proxied
    of = segpack.ObjectFile(url, retries=2)
    proxy.fault("error", None, status=502)
    with pytest.raises(segpack.RemoteError) as e:
        of.load()
    named(e.value, url, "502")
    segpack.remote_cache_clear()
    with pytest.raises(segpack.RemoteError) as e:
        segpack.ObjectFile(url, retries=1)
    assert e.value.url == url


@needs_nginx
@pytest.mark.parametrize("kind", ["short", "truncate"])
def test_fault_short_read_is_retried_never_wrong_data(proxied, kind):
    obj, proxy, url = proxied
    of = segpack.ObjectFile(url)
    proxy.fault(kind, 1, keep=100)
    assert_same(of.load(), obj)
    proxy.fault(kind, None, keep=100)
    with pytest.raises(segpack.RemoteError):
        of.load()


@needs_nginx
def test_fault_reset(proxied):
    obj, proxy, url = proxied
    proxy.fault("reset", 1)
    of = segpack.ObjectFile(url)
    proxy.fault("reset", 2)
    assert_same(of.load(), obj)
    proxy.fault("reset", None)
    with pytest.raises(segpack.RemoteError):
        of.load()


@needs_nginx
def test_fault_stall_times_out(proxied):
    obj, proxy, url = proxied
    of = segpack.ObjectFile(url, timeout=0.5, retries=1)
    proxy.fault("stall", None)
    with pytest.raises(segpack.RemoteError) as e:
        of.load()
    assert e.value.url == url


@needs_nginx
def test_file_replaced_by_a_shorter_one(nginx):
    path = os.path.join(nginx.root, "r.spk")
    segpack.dump(sample(rows=4096, seed=5), path)
    of = segpack.ObjectFile(nginx.file_url("r.spk"))
    segpack.dump(sample(rows=1024, seed=6), path)  # atomically replaced by a shorter file
    with pytest.raises(segpack.RemoteError) as e:
        of.load()
    named(e.value, nginx.file_url("r.spk"))
    assert segpack.remote_cache_info()["entries"] == 0  # the stale entries were dropped


@needs_nginx
def test_file_replaced_by_same_size_other_bytes_is_a_checksum_error(nginx):
    path = os.path.join(nginx.root, "q.spk")
    obj = sample(rows=4096, seed=7)
    segpack.dump(obj, path)
    of = segpack.ObjectFile(nginx.file_url("q.spk"))
    offset = of.info()[2].offset
    data = bytearray(open(path, "rb").read())
    data[offset + 100] ^= 0xFF
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    with pytest.raises(segpack.ChecksumError, match="buffer 2"):
        of.load()
    with pytest.raises(segpack.ChecksumError, match="buffer 2"):  # checked in the copy pass too
        segpack.ObjectFile(nginx.file_url("q.spk"), writable=True).load()


@needs_nginx
def test_pickled_objectfile_loads_in_another_process(nginx):
    """What a Dask worker does with a task's ObjectFile argument: a fresh process unpickles the
    URL and options (not the bytes) and opens the file there, on first use."""
    from conftest import run_isolated

    obj = sample(rows=8192, seed=9)  # 2 MiB
    segpack.dump(obj, os.path.join(nginx.root, "t.spk"))
    blob = pickle.dumps(segpack.ObjectFile(nginx.file_url("t.spk")))
    assert len(blob) < 1000
    nginx.mark()
    out = run_isolated(
        f"""
        import pickle, segpack
        f = pickle.loads({blob!r})
        assert "opens on first use" in repr(f)
        print(float(f.load()["w"][1].sum()))
        """
    )
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) == float(obj["w"][1].sum())
    assert len(gets(nginx.requests())) == 3  # opened there: 2 requests, then the buffers in one
