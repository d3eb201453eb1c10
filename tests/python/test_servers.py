"""The test servers themselves (tests/python/servers.py): nginx serves ranges and
multi-ranges and logs every request, moto's S3 server stores and serves ranges
and logs them, the fault proxy passes bodies through untouched and injects the
faults it is asked for. Everything on 127.0.0.1."""

import http.client
import os
import socket
import time

import pytest
import s3fs

from servers import FaultProxy, NginxServer

DATA = bytes(range(256)) * 400  # 102,400 bytes


def get(url: str, path: str, headers=None, timeout: float = 10.0):
    """One request on a fresh connection: (status, headers, body)."""
    host, port = url.removeprefix("http://").split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.headers, r.read()
    finally:
        c.close()


def multipart_parts(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """(Content-Range, bytes) of each part of a multipart/byteranges body."""
    boundary = content_type.split("boundary=")[1].strip('"').encode()
    parts = []
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, payload = chunk.partition(b"\r\n\r\n")
        crange = next(
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-range")
        )
        parts.append((crange, payload[:-2]))  # the CRLF before the next boundary
    return parts


@pytest.fixture
def served(nginx):
    with open(os.path.join(nginx.root, "data.bin"), "wb") as f:
        f.write(DATA)
    return nginx


# ---- nginx ------------------------------------------------------------------------
def test_nginx_single_range(served):
    status, headers, body = get(served.url, "/data.bin", {"Range": "bytes=100-199"})
    assert status == 206
    assert body == DATA[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(DATA)}"


def test_nginx_multi_range_is_multipart(served):
    status, headers, body = get(served.url, "/data.bin", {"Range": "bytes=0-9,5000-5099,102300-"})
    assert status == 206
    assert headers["Content-Type"].startswith("multipart/byteranges")
    assert multipart_parts(headers["Content-Type"], body) == [
        (f"bytes 0-9/{len(DATA)}", DATA[:10]),
        (f"bytes 5000-5099/{len(DATA)}", DATA[5000:5100]),
        (f"bytes 102300-102399/{len(DATA)}", DATA[102300:]),
    ]


def test_nginx_log_counts_requests(served):
    get(served.url, "/data.bin", {"Range": "bytes=0-15"})
    get(served.url, "/data.bin", {"Range": "bytes=16-31,64-127"})
    get(served.url, "/missing.bin")
    reqs = served.requests()
    assert [(r.method, r.path, r.range, r.status) for r in reqs] == [
        ("GET", "/data.bin", "bytes=0-15", 206),
        ("GET", "/data.bin", "bytes=16-31,64-127", 206),
        ("GET", "/missing.bin", None, 404),
    ]
    assert [r.ranges for r in reqs] == [1, 2, 0]
    assert reqs[0].bytes_sent > 16  # head + body
    served.mark()
    assert served.requests() == []
    get(served.url, "/data.bin")
    assert [(r.range, r.status) for r in served.requests()] == [(None, 200)]


def test_nginx_keepalive_requests_all_logged(served):
    host, port = served.url.removeprefix("http://").split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    for i in range(20):
        c.request("GET", "/data.bin", headers={"Range": f"bytes={i}-{i}"})
        assert c.getresponse().read() == DATA[i : i + 1]
    c.close()
    assert [r.range for r in served.requests()] == [f"bytes={i}-{i}" for i in range(20)]


def test_nginx_stops_when_the_body_raises(tmp_path):
    with pytest.raises(ZeroDivisionError), NginxServer(str(tmp_path)) as web:
        proc, port, tmp = web.proc, web.port, web.tmp
        1 / 0  # noqa: B018
    assert proc.poll() is not None
    assert not os.path.exists(tmp)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


# ---- moto S3 ----------------------------------------------------------------------
def test_s3_ranges_through_s3fs_and_counted(s3, s3_bucket):
    url = s3.put(s3_bucket, "dir/data.bin", DATA)
    s3.mark()
    fs = s3fs.S3FileSystem(**s3.storage_options())
    assert fs.cat_file(url, start=1000, end=1100) == DATA[1000:1100]
    assert fs.cat_file(url, start=0, end=10) == DATA[:10]
    reqs = [r for r in s3.requests() if r.method == "GET" and r.path.endswith("/dir/data.bin")]
    assert [(r.range, r.status) for r in reqs] == [("bytes=1000-1099", 206), ("bytes=0-9", 206)]
    assert s3.requests()[-1].bytes_sent == 10


def test_s3_put_many_and_list(s3, s3_bucket):
    urls = s3.put_many(s3_bucket, {f"f{i}.bin": bytes([i]) * (i + 1) for i in range(10)})
    assert urls == [f"s3://{s3_bucket}/f{i}.bin" for i in range(10)]
    listed = s3.client().list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert sorted((o["Key"], o["Size"]) for o in listed) == sorted((f"f{i}.bin", i + 1) for i in range(10))
    assert sum(r.method == "PUT" for r in s3.requests()) == 10


# ---- the fault proxy ----------------------------------------------------------------
def test_proxy_passes_multipart_through_untouched(served, fault_proxy):
    proxy = fault_proxy(served.url)
    rng = {"Range": "bytes=0-9,5000-5099,70000-70999"}
    direct = get(served.url, "/data.bin", rng)
    proxied = get(proxy.url, "/data.bin", rng)
    assert proxied[0] == 206
    # nginx numbers its boundaries per response: compare the parts, not the boundary.
    assert multipart_parts(proxied[1]["Content-Type"], proxied[2]) == multipart_parts(
        direct[1]["Content-Type"], direct[2]
    )
    assert int(proxied[1]["Content-Length"]) == len(proxied[2])
    assert proxy.count == 1
    assert proxy.requests[0].range == rng["Range"]
    assert len(served.requests()) == 2


def test_proxy_keepalive_and_counts(served, fault_proxy):
    proxy = fault_proxy(served.url)
    host, port = proxy.url.removeprefix("http://").split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    for i in range(10):
        c.request("GET", "/data.bin", headers={"Range": f"bytes={i * 10}-{i * 10 + 9}"})
        assert c.getresponse().read() == DATA[i * 10 : i * 10 + 10]
    c.request("HEAD", "/data.bin")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"" and int(r.headers["Content-Length"]) == len(DATA)
    c.close()
    assert proxy.count == 11
    assert [r.method for r in served.requests()] == ["GET"] * 10 + ["HEAD"]
    proxy.reset_counts()
    assert proxy.count == 0


def test_proxy_delay_is_added(served, fault_proxy):
    proxy = fault_proxy(served.url, delay_ms=50)
    t0 = time.monotonic()
    for _ in range(3):
        assert get(proxy.url, "/data.bin", {"Range": "bytes=0-0"})[2] == DATA[:1]
    assert time.monotonic() - t0 >= 0.15  # a lower bound only: each response waited 50 ms


def test_proxy_error_first_k_then_through(served, fault_proxy):
    proxy = fault_proxy(served.url)
    proxy.fault("error", count=2, status=503)
    statuses = [get(proxy.url, "/data.bin", {"Range": "bytes=0-3"})[0] for _ in range(4)]
    assert statuses == [503, 503, 206, 206]
    assert [r.fault for r in proxy.requests] == ["error", "error", None, None]
    assert len(served.requests()) == 2  # the injected answers never reached nginx


def test_proxy_error_always_and_clear(served, fault_proxy):
    proxy = fault_proxy(served.url)
    proxy.fault("error", count=None, status=500)
    assert [get(proxy.url, "/data.bin")[0] for _ in range(3)] == [500, 500, 500]
    proxy.clear()
    assert get(proxy.url, "/data.bin")[0] == 200


def test_proxy_fault_only_for_some_methods(served, fault_proxy):
    proxy = fault_proxy(served.url)
    proxy.fault("error", count=1, methods=("GET",))
    host, port = proxy.url.removeprefix("http://").split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=10)
    c.request("HEAD", "/data.bin")
    assert c.getresponse().status == 200
    c.close()
    assert get(proxy.url, "/data.bin")[0] == 503
    assert get(proxy.url, "/data.bin")[0] == 200


def test_proxy_truncate_breaks_the_body(served, fault_proxy):
    proxy = fault_proxy(served.url)
    proxy.fault("truncate", keep=10)
    with pytest.raises(http.client.IncompleteRead) as e:
        get(proxy.url, "/data.bin", {"Range": "bytes=0-999"})
    assert e.value.partial == DATA[:10]
    assert get(proxy.url, "/data.bin", {"Range": "bytes=0-999"})[2] == DATA[:1000]


def test_proxy_short_is_well_formed_but_short(served, fault_proxy):
    proxy = fault_proxy(served.url)
    proxy.fault("short", keep=100)
    status, headers, body = get(proxy.url, "/data.bin", {"Range": "bytes=1000-1999"})
    assert status == 206
    assert body == DATA[1000:1100]
    assert headers["Content-Length"] == "100"
    assert headers["Content-Range"] == f"bytes 1000-1099/{len(DATA)}"


def test_proxy_reset(served, fault_proxy):
    proxy = fault_proxy(served.url)
    proxy.fault("reset")
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        get(proxy.url, "/data.bin")
    assert get(proxy.url, "/data.bin")[2] == DATA
    assert served.requests()[-1].status == 200 and len(served.requests()) == 1


def test_proxy_stall_until_closed(served, fault_proxy):
    proxy = fault_proxy(served.url)
    proxy.fault("stall", count=None)
    with pytest.raises(TimeoutError):
        get(proxy.url, "/data.bin", timeout=0.3)
    with pytest.raises(TimeoutError):
        get(proxy.url, "/data.bin", timeout=0.3)
    assert proxy.count == 2
    assert served.requests() == []
    t0 = time.monotonic()
    proxy.stop()  # the stalled handlers end with the proxy
    assert time.monotonic() - t0 < 5
    assert not any(t.is_alive() for t in proxy._threads)


def test_proxy_stops_by_itself():
    with FaultProxy("http://127.0.0.1:9", max_lifetime=0.2) as proxy:
        deadline = time.monotonic() + 5
        while not proxy._stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy._stop.is_set()


def test_proxy_refuses_non_loopback_upstream():
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("http://example.com:80")


def test_proxy_in_front_of_s3(s3, s3_bucket, fault_proxy):
    url = s3.put(s3_bucket, "p.bin", DATA[:5000])
    s3.mark()
    proxy = fault_proxy(s3.url, delay_ms=5)
    fs = s3fs.S3FileSystem(**s3.storage_options(endpoint_url=proxy.url))
    assert fs.cat_file(url, start=10, end=4010) == DATA[10:4010]
    gets = [r for r in proxy.requests if r.method == "GET"]
    assert [r.range for r in gets] == ["bytes=10-4009"]
    assert [r.range for r in s3.requests() if r.method == "GET"] == ["bytes=10-4009"]


def test_proxy_passes_chunked_bodies_untouched(fault_proxy):
    """A chunked upstream answer is forwarded with its framing (stdlib upstream on 127.0.0.1)."""
    import http.server
    import threading

    class Chunked(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - the stdlib's spelling
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")

        def log_message(self, *args):
            pass

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Chunked)
    t = threading.Thread(target=upstream.serve_forever, daemon=True)
    t.start()
    try:
        proxy = fault_proxy(f"http://127.0.0.1:{upstream.server_address[1]}")
        host, port = proxy.url.removeprefix("http://").split(":")
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        for _ in range(2):  # twice on one keep-alive connection
            c.request("GET", "/x")
            r = c.getresponse()
            assert r.headers["Transfer-Encoding"] == "chunked"
            assert r.read() == b"hello chunked world"
        c.close()
        assert proxy.count == 2
    finally:
        upstream.shutdown()
        upstream.server_close()
        t.join(5)
