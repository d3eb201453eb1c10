"""Real servers on 127.0.0.1 for the remote-source tests, the demo and the benchmarks.

Three servers, each a context manager that starts on a free loopback port and
is stopped on exit (also when the body raises), plus pytest fixtures:

- NginxServer: the Debian nginx serving a folder with range support
  (multi-range requests are answered as multipart/byteranges, nginx's
  default). Its config, pid file, temp folders and logs live in a temporary
  folder; it runs as root too (the worker runs as the current user). The
  access log records method, URI, Range header, status and bytes sent;
  `requests()` parses it (only the entries after the last `mark()`).
- S3Server: moto's S3 server in a subprocess, behind a small WSGI wrapper that
  writes one log line per request (method, path, Range header, status, bytes);
  `create_bucket`, `put`, `storage_options` (for s3fs) and `requests()`.
- FaultProxy: an HTTP/1.1 proxy in front of either of them that counts
  requests and injects delays (`delay_ms`, e.g. 20 ms of S3-like time to first
  byte), 5xx answers, truncated or short bodies, connection resets and stalls.
  Response bodies (multipart/byteranges included) pass through untouched.

Nothing here listens on anything but 127.0.0.1. The demo and the benchmarks
import this module too (tests/python is put on sys.path), so there is one copy.

    with NginxServer(folder) as web, FaultProxy(web.url, delay_ms=20) as slow:
        web.mark()
        ...  # read slow.url + "/name.mb"
        print(len(web.requests()), slow.count)
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

__all__ = [
    "LogEntry",
    "NginxServer",
    "S3Server",
    "FaultProxy",
    "SliceReader",
    "free_port",
    "nginx_available",
    "moto_available",
]

LOOPBACK = "127.0.0.1"


# ---- common -----------------------------------------------------------------
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None, timeout: float, what: str) -> None:
    """Waits until 127.0.0.1:port accepts connections (or proc exited, or timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {LOOPBACK}:{port} within {timeout} s")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """preexec_fn: the child gets SIGTERM if the test process dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Stops a child we started: sig, then SIGKILL after timeout."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


@dataclass(frozen=True)
class LogEntry:
    """One request as a server's own log recorded it."""

    method: str
    uri: str  # path + query, as requested
    range: str | None  # the Range header, None when absent
    status: int
    bytes_sent: int  # response bytes (body only for S3Server, head + body for nginx)

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.uri).path

    @property
    def ranges(self) -> int:
        """Number of ranges asked for in this request (0 without a Range header)."""
        if not self.range:
            return 0
        return len(self.range.split("=", 1)[-1].split(","))


def _parse_log(lines, fields: int) -> list[LogEntry]:
    out = []
    for line in lines:
        parts = line.rstrip("\n").split("\t")
        if len(parts) != fields:
            continue
        method, uri, rng, status, nbytes = parts[:5]
        out.append(
            LogEntry(
                method=method,
                uri=uri,
                range=None if rng in ("", "-") else rng,
                status=int(status),
                bytes_sent=int(nbytes) if nbytes.isdigit() else 0,
            )
        )
    return out


class _LogFile:
    """A log file read from a remembered byte offset (mark())."""

    def __init__(self, path: str):
        self.path = path
        self.offset = 0

    def size(self) -> int:
        try:
            return os.path.getsize(self.path)
        except FileNotFoundError:
            return 0

    def mark(self) -> None:
        self.offset = self.size()

    def lines(self) -> list[str]:
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                f.seek(self.offset)
                text = f.read()
        except FileNotFoundError:
            return []
        # A line being written has no newline yet: leave it for the next read.
        return text.splitlines(keepends=True) if text.endswith("\n") else text.splitlines(True)[:-1]


class _ProcessServer:
    """A server in a child process on 127.0.0.1:<free port>, with its files in a
    temporary folder (removed at stop) and a request log read from a mark."""

    what = "server"

    def __init__(self, port: int | None, start_timeout: float):
        self.port = port
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.tmp: str | None = None
        self._log: _LogFile | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _command(self, port: int) -> tuple[list[str], dict | None]:
        """(argv, env) of the child listening on `port`; may write its config into self.tmp."""
        raise NotImplementedError

    def _log_name(self) -> str:
        raise NotImplementedError

    def _errors(self) -> str:
        text = ""
        for name in ("stderr.log", "error.log"):
            with contextlib.suppress(OSError, TypeError), open(os.path.join(self.tmp, name)) as f:
                text += f.read()
        return text.strip()[-2000:]

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix=f"segpack-{self.what.split()[0]}-")
        self._log = _LogFile(os.path.join(self.tmp, self._log_name()))
        last_err: Exception | None = None
        for _ in range(5):  # a free port can be taken before the child binds it
            port = self.port or free_port()
            argv, env = self._command(port)
            with open(os.path.join(self.tmp, "stderr.log"), "wb") as err:
                self.proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    env=env,
                    preexec_fn=_die_with_parent,
                )
            try:
                wait_for_port(port, self.proc, self.start_timeout, self.what)
                self.port = port
                return self
            except RuntimeError as e:
                last_err = e
                stop_process(self.proc)
                if self.port is not None:
                    break
        errors = self._errors()
        self.stop()
        raise RuntimeError(f"{last_err}; {errors}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, signal.SIGTERM)
            self.proc = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---- nginx ------------------------------------------------------------------
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)

_MARK_PREFIX = "/__segpack_log_mark__/"

_NGINX_CONF = """\
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    log_format segpack '$request_method\\t$request_uri\\t$http_range\\t$status\\t$bytes_sent\\t$msec';
    access_log {tmp}/access.log segpack;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 60s;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen {host}:{port};
        server_name localhost;
        root {root};
        location {mark} {{ return 204; }}
        location / {{ }}
    }}
}}
"""


def nginx_available() -> bool:
    return NGINX is not None


class NginxServer(_ProcessServer):
    """nginx on 127.0.0.1:<free port> serving `root` (files at url + "/" + name).

    One worker process, so the access log is in request order and `requests()`
    can flush it deterministically: it sends a marker request and waits until
    the marker is logged (every request answered before it is then logged
    too). Marker entries are never returned."""

    what = "nginx"

    def __init__(self, root: str, port: int | None = None, start_timeout: float = 20.0):
        if NGINX is None:
            raise RuntimeError("nginx is not installed (make deps installs the Debian package)")
        super().__init__(port, start_timeout)
        self.root = os.path.abspath(root)

    def file_url(self, name: str) -> str:
        return f"{self.url}/{urllib.parse.quote(name)}"

    def _log_name(self) -> str:
        return "access.log"

    def _command(self, port: int) -> tuple[list[str], dict | None]:
        user = ""
        if os.geteuid() == 0:
            # As root the master would switch its worker to `nobody`, which may not
            # read the served folder: keep the worker on the current user.
            user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
        conf = os.path.join(self.tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(
                _NGINX_CONF.format(
                    user=user, tmp=self.tmp, host=LOOPBACK, port=port, root=self.root, mark=_MARK_PREFIX
                )
            )
        error_log = os.path.join(self.tmp, "error.log")
        return [NGINX, "-p", self.tmp, "-c", conf, "-e", error_log, "-g", "daemon off;"], None

    # -- the access log --
    def mark(self) -> None:
        """Forget the requests logged so far: requests() returns only later ones."""
        self._flush()
        self._log.mark()

    reset = mark

    def _flush(self, timeout: float = 5.0) -> None:
        token = uuid.uuid4().hex
        with socket.create_connection((LOOPBACK, self.port), timeout=timeout) as s:
            s.sendall(
                f"GET {_MARK_PREFIX}{token} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
            )
            while s.recv(4096):
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(token in line for line in self._log.lines()):
                return
            time.sleep(0.002)
        raise RuntimeError("nginx did not log the marker request")

    def requests(self) -> list[LogEntry]:
        """The requests nginx logged since the last mark() (markers excluded), in order."""
        self._flush()
        return [e for e in _parse_log(self._log.lines(), 6) if not e.uri.startswith(_MARK_PREFIX)]


# ---- moto's S3 server -----------------------------------------------------------
def moto_available() -> bool:
    try:
        import moto.server  # noqa: F401
        import werkzeug  # noqa: F401
    except ImportError:
        return False
    return True


S3_KEY = "segpack-test-key"
S3_SECRET = "segpack-test-secret"
S3_REGION = "us-east-1"


def _serve_moto(port: int, log_path: str) -> None:  # pragma: no cover - runs in the child
    """The child process of S3Server: moto's app wrapped to log each request."""
    os.environ.setdefault("MOTO_PORT", str(port))
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()
    log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115

    def logged(environ, start_response):
        uri = environ.get("RAW_URI") or (
            environ.get("PATH_INFO", "")
            + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
        )

        def start(status, headers, exc_info=None):
            length = next((v for k, v in headers if k.lower() == "content-length"), "-")
            line = "\t".join(
                [environ["REQUEST_METHOD"], uri, environ.get("HTTP_RANGE", "-"), status.split()[0], length]
            )
            # Written before the body is sent: once a client has a response, its line is in the log.
            with lock:
                log.write(line + "\n")
                log.flush()
            return start_response(status, headers, exc_info)

        return app(environ, start)

    server = make_server(LOOPBACK, port, logged, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    server.serve_forever()


class S3Server(_ProcessServer):
    """moto's S3 server on 127.0.0.1:<free port>, in a subprocess.

    Any credentials are accepted; `storage_options` gives s3fs what it needs.
    `requests()` returns the requests logged since the last `mark()`."""

    what = "moto S3 server"

    def __init__(self, port: int | None = None, start_timeout: float = 60.0):
        super().__init__(port, start_timeout)
        self._client = None

    def _log_name(self) -> str:
        return "requests.log"

    def _command(self, port: int) -> tuple[list[str], dict | None]:
        env = dict(os.environ, AWS_EC2_METADATA_DISABLED="true", PYTHONUNBUFFERED="1")
        return [sys.executable, os.path.abspath(__file__), "_moto", str(port), self._log.path], env

    def stop(self) -> None:
        self._client = None
        super().stop()

    # -- clients --
    def storage_options(self, endpoint_url: str | None = None) -> dict:
        """fsspec/s3fs options for this server (or for a proxy in front of it)."""
        return {
            "endpoint_url": endpoint_url or self.url,
            "key": S3_KEY,
            "secret": S3_SECRET,
            "anon": False,
            "client_kwargs": {"region_name": S3_REGION},
        }

    def client(self):
        """A boto3 S3 client for set-up (its requests are logged like any other)."""
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "s3",
                endpoint_url=self.url,
                aws_access_key_id=S3_KEY,
                aws_secret_access_key=S3_SECRET,
                region_name=S3_REGION,
            )
        return self._client

    def create_bucket(self, name: str | None = None) -> str:
        name = name or f"segpack-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def put(self, bucket: str, key: str, data: bytes) -> str:
        """Stores an object; returns its s3:// URL."""
        self.client().put_object(Bucket=bucket, Key=key, Body=bytes(data))
        return f"s3://{bucket}/{key}"

    def put_many(self, bucket: str, objects: dict[str, bytes], workers: int = 8) -> list[str]:
        from concurrent.futures import ThreadPoolExecutor

        self.client()  # created once, before the threads share it
        with ThreadPoolExecutor(workers) as ex:
            return list(ex.map(lambda kv: self.put(bucket, kv[0], kv[1]), objects.items()))

    # -- the request log --
    def mark(self) -> None:
        """Forget the requests logged so far: requests() returns only later ones."""
        self._log.mark()

    reset = mark

    def requests(self) -> list[LogEntry]:
        """The requests moto answered since the last mark(), in the order they were answered."""
        return _parse_log(self._log.lines(), 5)


# ---- the fault / delay proxy ----------------------------------------------------
FAULTS = ("error", "truncate", "short", "reset", "stall")


@dataclass
class _Fault:
    kind: str
    remaining: int | None  # None: every matching request
    status: int = 503
    keep: int | None = None  # truncate / short: body bytes kept (None: half)
    methods: tuple[str, ...] | None = None


@dataclass
class ProxiedRequest:
    method: str
    uri: str
    range: str | None
    fault: str | None
    status: int | None = None  # as answered to the client (None: reset / stalled)
    headers: dict = field(default_factory=dict, repr=False)


class _Closed(Exception):
    pass


def _read_until(
    sock: socket.socket, buf: bytearray, sep: bytes, stop: threading.Event, deadline: float
) -> bytes:
    """Reads until `sep`; returns everything up to and including it, leaves the rest in buf."""
    while True:
        i = buf.find(sep)
        if i >= 0:
            out = bytes(buf[: i + len(sep)])
            del buf[: i + len(sep)]
            return out
        if len(buf) > 1 << 20:
            raise _Closed("header too long")
        buf += _recv(sock, stop, deadline)


def _read_head(sock: socket.socket, buf: bytearray, stop: threading.Event, idle: float) -> bytes:
    return _read_until(sock, buf, b"\r\n\r\n", stop, time.monotonic() + idle)


def _recv(sock: socket.socket, stop: threading.Event, deadline: float) -> bytes:
    while True:
        if stop.is_set():
            raise _Closed("proxy stopped")
        if time.monotonic() > deadline:
            raise _Closed("timed out")
        r, _, _ = select.select([sock], [], [], 0.05)
        if r:
            data = sock.recv(1 << 16)
            if not data:
                raise _Closed("peer closed")
            return data


def _read_exact(sock, buf: bytearray, n: int, stop, deadline) -> bytes:
    while len(buf) < n:
        buf += _recv(sock, stop, deadline)
    out = bytes(buf[:n])
    del buf[:n]
    return out


def _parse_headers(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    hdrs = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            hdrs.append((k.strip(), v.strip()))
    return lines[0], hdrs


def _get(hdrs, name) -> str | None:
    name = name.lower()
    return next((v for k, v in hdrs if k.lower() == name), None)


def _read_body(
    sock, buf, hdrs, stop, deadline, *, no_body: bool, request: bool = False
) -> tuple[bytes, bool]:
    """The raw body (chunked bodies kept chunked) and whether it ran to EOF.

    A request without Content-Length or chunked encoding has no body; a
    response without either runs to the end of the connection."""
    if no_body:
        return b"", False
    te = (_get(hdrs, "transfer-encoding") or "").lower()
    if "chunked" in te:
        out = bytearray()
        while True:
            line = _read_line(sock, buf, stop, deadline)
            out += line
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, up to the empty line
                    t = _read_line(sock, buf, stop, deadline)
                    out += t
                    if t == b"\r\n":
                        return bytes(out), False
            out += _read_exact(sock, buf, size + 2, stop, deadline)
    length = _get(hdrs, "content-length")
    if length is not None:
        return _read_exact(sock, buf, int(length), stop, deadline), False
    if request:
        return b"", False
    out = bytearray(buf)
    buf.clear()
    with contextlib.suppress(_Closed):
        while True:
            out += _recv(sock, stop, deadline)
    return bytes(out), True


def _read_line(sock, buf, stop, deadline) -> bytes:
    return _read_until(sock, buf, b"\r\n", stop, deadline)


class FaultProxy:
    """An HTTP/1.1 proxy on 127.0.0.1:<free port> in front of `upstream` (a URL
    such as NginxServer.url or S3Server.url). Point clients at `url` instead.

    Every request is forwarded on a keep-alive upstream connection of its own
    client connection; the response is passed back byte for byte unless a fault
    applies. Faults (set with `fault()`, for the next `count` matching requests
    or for all when count is None):

      error     answer `status` (default 503) with a short body, without asking upstream
      truncate  forward the response head unchanged, then only `keep` body bytes
                (default half) and close: the body is shorter than its Content-Length
      short     a well-formed but short answer: `keep` body bytes, Content-Length
                (and a single Content-Range) rewritten to match
      reset     read the request, then reset the connection (RST) without answering
      stall     read the request and never answer, until the client or the proxy closes

    `delay_ms` delays every response (before it is forwarded upstream): 20 ms is a
    typical object-store time to first byte. `requests` lists what was proxied;
    `count` is its length. Threads are daemons, every wait is bounded
    (`idle_timeout`, `upstream_timeout`), and the proxy stops by itself after
    `max_lifetime` seconds if nobody stops it.
    """

    def __init__(
        self,
        upstream: str,
        *,
        delay_ms: float = 0.0,
        idle_timeout: float = 60.0,
        upstream_timeout: float = 60.0,
        max_lifetime: float = 1800.0,
    ):
        u = urllib.parse.urlsplit(upstream)
        if u.hostname not in (LOOPBACK, "localhost"):
            raise ValueError(f"the proxy only forwards to loopback, not {upstream!r}")
        self.upstream = (LOOPBACK, u.port or 80)
        self.delay_ms = delay_ms
        self.idle_timeout = idle_timeout
        self.upstream_timeout = upstream_timeout
        self.max_lifetime = max_lifetime
        self.requests: list[ProxiedRequest] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def count(self) -> int:
        return len(self.requests)

    # -- control --
    def fault(
        self,
        kind: str,
        count: int | None = 1,
        *,
        status: int = 503,
        keep: int | None = None,
        methods: tuple[str, ...] | None = None,
    ) -> None:
        """Applies `kind` to the next `count` requests (all of them if None),
        only to `methods` (e.g. ("GET",)) when given. Faults queue in order."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULTS}")
        with self._lock:
            self._faults.append(_Fault(kind, count, status, keep, methods))

    def clear(self) -> None:
        """No more faults (the delay stays)."""
        with self._lock:
            self._faults.clear()

    def reset_counts(self) -> None:
        with self._lock:
            self.requests = []

    mark = reset_counts

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for f in self._faults:
                if f.methods and method not in f.methods:
                    continue
                if f.remaining is not None:
                    f.remaining -= 1
                    if f.remaining <= 0:
                        self._faults.remove(f)
                return f
        return None

    # -- life cycle --
    def start(self) -> FaultProxy:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((LOOPBACK, 0))
        s.listen(128)
        self._listener = s
        self.port = s.getsockname()[1]
        self._started = time.monotonic()
        t = threading.Thread(target=self._accept_loop, name="FaultProxy-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        for t in self._threads:
            t.join(5.0)
        self._threads = [t for t in self._threads if t.is_alive()]

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            if time.monotonic() - self._started > self.max_lifetime:
                self._stop.set()
                break
            r, _, _ = select.select([self._listener], [], [], 0.05)
            if not r:
                continue
            try:
                conn, _ = self._listener.accept()
            except OSError:
                break
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t = threading.Thread(target=self._serve, args=(conn,), name="FaultProxy-conn", daemon=True)
            with self._lock:
                self._conns.add(conn)
                self._threads = [x for x in self._threads if x.is_alive()]
                self._threads.append(t)
            t.start()

    # -- one client connection --
    def _serve(self, conn: socket.socket) -> None:
        up: socket.socket | None = None
        cbuf, ubuf = bytearray(), bytearray()
        try:
            while not self._stop.is_set():
                head = _read_head(conn, cbuf, self._stop, self.idle_timeout)
                line, hdrs = _parse_headers(head)
                method, uri = (line.split(" ") + ["", ""])[:2]
                req_body, _ = _read_body(
                    conn,
                    cbuf,
                    hdrs,
                    self._stop,
                    time.monotonic() + self.idle_timeout,
                    no_body=False,
                    request=True,
                )
                rec = ProxiedRequest(method, uri, _get(hdrs, "range"), None, headers=dict(hdrs))
                with self._lock:
                    self.requests.append(rec)
                fault = self._take_fault(method)
                rec.fault = fault.kind if fault else None
                if self.delay_ms:
                    time.sleep(self.delay_ms / 1000.0)
                if fault and fault.kind == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return
                if fault and fault.kind == "stall":
                    with contextlib.suppress(_Closed):
                        while True:  # until the client closes or the proxy stops
                            _recv(conn, self._stop, time.monotonic() + self.max_lifetime)
                    return
                if fault and fault.kind == "error":
                    body = f"segpack test proxy: injected {fault.status}\n".encode()
                    conn.sendall(
                        f"HTTP/1.1 {fault.status} Injected\r\nContent-Type: text/plain\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + (b"" if method == "HEAD" else body)
                    )
                    rec.status = fault.status
                    continue
                if up is None:
                    up = socket.create_connection(self.upstream, timeout=self.upstream_timeout)
                    up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                up.sendall(head + req_body)
                deadline = time.monotonic() + self.upstream_timeout
                rhead = _read_head(up, ubuf, self._stop, self.upstream_timeout)
                status_line, rh = _parse_headers(rhead)
                status = int(status_line.split(" ")[1])
                rec.status = status
                no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
                body, to_eof = _read_body(up, ubuf, rh, self._stop, deadline, no_body=no_body)
                if fault and fault.kind in ("truncate", "short"):
                    keep = len(body) // 2 if fault.keep is None else min(fault.keep, len(body))
                    if fault.kind == "truncate":
                        conn.sendall(rhead + body[:keep])
                        return
                    conn.sendall(_rewrite_length(rhead, keep) + body[:keep])
                    continue
                conn.sendall(rhead + body)
                conn_hdr = (_get(rh, "connection") or "").lower()
                if to_eof or conn_hdr == "close" or status_line.startswith("HTTP/1.0"):
                    return
        except (_Closed, OSError, ValueError, IndexError):
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()
            if up is not None:
                with contextlib.suppress(OSError):
                    up.close()


def _rewrite_length(head: bytes, n: int) -> bytes:
    first, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    out = [first]
    for line in lines:
        k, _, v = line.partition(":")
        key = k.strip().lower()
        if key == "content-length":
            line = f"{k}: {n}"
        elif key == "content-range" and v.strip().startswith("bytes ") and n > 0:
            spec, _, total = v.strip()[6:].partition("/")
            start = int(spec.split("-")[0]) if "-" in spec else 0
            line = f"{k}: bytes {start}-{start + n - 1}/{total}"
        elif key == "transfer-encoding":
            continue
        out.append(line)
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")


# ---- the peer's way of reading remote files ---------------------------------------------
class SliceReader:
    """What cloud-volume hands the mapbuffer package for a remote file: an object
    whose slice __getitem__ reads that byte range from a file object (here an fsspec
    file opened with cache_type="none", so every slice is one range request)."""

    def __init__(self, f):
        self.f = f

    def __getitem__(self, sl: slice) -> bytes:
        start = sl.start or 0
        self.f.seek(start)
        if sl.stop is None:
            return self.f.read()
        return self.f.read(max(0, sl.stop - start))


# ---- pytest fixtures (registered in conftest.py) -----------------------------------
try:
    import pytest
except ImportError:  # pragma: no cover - the demo and the benchmarks run without pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def nginx_session(tmp_path_factory):
        """One nginx for the test session, serving a fresh folder (`.root`)."""
        with NginxServer(str(tmp_path_factory.mktemp("www"))) as server:
            yield server

    @pytest.fixture
    def nginx(nginx_session):
        """The session's nginx with its log marked: requests() lists this test's requests."""
        nginx_session.mark()
        return nginx_session

    @pytest.fixture(scope="session")
    def s3_session():
        """One moto S3 server for the test session."""
        with S3Server() as server:
            yield server

    @pytest.fixture
    def s3(s3_session):
        """The session's S3 server with its log marked."""
        s3_session.mark()
        return s3_session

    @pytest.fixture
    def s3_bucket(s3):
        """A new empty bucket on the session's S3 server (log marked after creating it)."""
        name = s3.create_bucket()
        s3.mark()
        return name

    @pytest.fixture
    def fault_proxy():
        """A factory: fault_proxy(upstream_url, delay_ms=0, ...) -> a started FaultProxy,
        stopped when the test ends."""
        proxies = []

        def make(upstream: str, **kwargs) -> FaultProxy:
            p = FaultProxy(upstream, **kwargs).start()
            proxies.append(p)
            return p

        yield make
        for p in proxies:
            p.stop()


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "_moto":
    _serve_moto(int(sys.argv[2]), sys.argv[3])
