"""Remote MapBuffer / IntMap files: the transport under ``MapBuffer(url)`` and ``segpack.gather``.

The C++ core reads a remote map through a range reader (an object with slice
``__getitem__``) that also offers ``read_ranges``, a batch of many ranges: the
core coalesces the items ``get_many`` needs and asks for all of them in one
call. :class:`RemoteFile` is that reader, over fsspec:

- ``http(s)://``: its own aiohttp requests on fsspec's event loop. A batch is
  ONE request with a multi-range ``Range: bytes=a-b,c-d,...`` header (answered
  as multipart/byteranges, parsed by the core); a server that answers a single
  range or the whole file (200) gets single-range requests, concurrently.
- ``s3://``: concurrent ranged GETs (S3 has no multi-range).
- any other fsspec URL (``file://``, ``memory://``, ``gcs://``, ...): the
  filesystem's ``cat_file`` per range, concurrently for async filesystems.

Opening costs one request (``first_read`` bytes from offset 0; the size comes
from that response's Content-Range, never from a HEAD), two when the index
does not fit in it. Header and index (with the rest of that first read; for an
object file, ``segpack.load(url)``, its payload and the table at the end of the
file) are kept in a per-process LRU cache bounded in bytes, keyed by URL and options,
so reopening a file costs no request: files are taken as immutable, call
:func:`remote_cache_clear` after replacing one (a read that finds a different
size raises :class:`~segpack.RemoteError` and drops the entry).

Every request has a timeout and is retried with back-off on transient errors
(5xx, connection resets, short bodies, timeouts). What still fails, and any
answer that is not exactly the bytes asked for, raises
:class:`~segpack.RemoteError` naming the URL and the byte range.
"""

from __future__ import annotations

import asyncio
import atexit
import bisect
import collections
import concurrent.futures
import errno
import re
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from .errors import RemoteError

__all__ = [
    "RemoteFile",
    "gather",
    "is_url",
    "remote_cache_clear",
    "remote_cache_info",
    "set_remote_cache_size",
]

#: Bytes of the first read of a file (header + index when they fit).
DEFAULT_FIRST_READ = 1 << 16
#: Items closer than this are fetched as one range over HTTP (multi-range
#: requests make separate ranges cheap) and over other transports.
DEFAULT_HTTP_GAP = 4096
DEFAULT_OTHER_GAP = 1 << 18
#: Most ranges in one multi-range request (keeps the header under ~8 KiB,
#: nginx's default line limit).
MAX_RANGES_PER_REQUEST = 200
#: The bytes kept from offset 0 (first read + the index beyond it) never grow past this.
MAX_PREFIX = 64 << 20
#: Most requests in flight for one batch.
DEFAULT_CONCURRENCY = 16
_BACKOFF = 0.05
_BACKOFF_MAX = 2.0

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def is_url(obj: object) -> bool:
    """True for a str with a ``proto://`` scheme (opened through fsspec)."""
    return isinstance(obj, str) and _URL.match(obj) is not None


# ---------------------------------------------------------------- the cache


class _Cache:
    """LRU of (size, prefix bytes) per file, bounded by the bytes it holds."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.entries: collections.OrderedDict[Any, tuple[int, bytes]] = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any) -> tuple[int, bytes] | None:
        with self.lock:
            e = self.entries.get(key)
            if e is not None:
                self.entries.move_to_end(key)
            return e

    def put(self, key: Any, size: int, prefix: bytes) -> None:
        with self.lock:
            self._drop(key)
            if len(prefix) > self.limit:
                return
            self.entries[key] = (size, prefix)
            self.used += len(prefix)
            while self.used > self.limit:
                self._drop(next(iter(self.entries)))

    def drop(self, key: Any) -> None:
        with self.lock:
            self._drop(key)

    def _drop(self, key: Any) -> None:
        e = self.entries.pop(key, None)
        if e is not None:
            self.used -= len(e[1])

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.used = 0


_cache = _Cache(256 << 20)


def remote_cache_clear() -> None:
    """Empties the in-process cache of remote headers and indexes (after a file was replaced);
    returns None."""
    _cache.clear()


def set_remote_cache_size(nbytes: int) -> None:
    """Sets the most bytes the cache of remote headers and indexes may hold (default 256 MiB;
    0 disables it), evicting the least recently used entries beyond; returns None.

    Raises ValueError for a negative size."""
    if nbytes < 0:
        raise ValueError("cache size must be >= 0")
    with _cache.lock:
        _cache.limit = nbytes
        while _cache.used > nbytes and _cache.entries:
            _cache._drop(next(iter(_cache.entries)))


def remote_cache_info() -> dict[str, int]:
    """Returns ``{"entries": n, "bytes": used, "limit": limit}`` of the cache."""
    with _cache.lock:
        return {"entries": len(_cache.entries), "bytes": _cache.used, "limit": _cache.limit}


# ---------------------------------------------------------------- transports


class _Retryable(Exception):
    """A transient failure: retried, then reported as RemoteError."""


class _Permanent(Exception):
    """A failure not worth retrying (404, 403, 416, a changed size ...)."""

    def __init__(self, message: str, err: int | None = None) -> None:
        super().__init__(message)
        self.err = err


def _run(coro: Any) -> Any:
    """Runs `coro` on fsspec's event loop (a thread of its own) and returns its result."""
    import fsspec.asyn  # type: ignore[import-untyped]

    return fsspec.asyn.sync(fsspec.asyn.get_loop(), lambda: coro)


_T = TypeVar("_T")


def _native() -> Any:
    """segpack._core, for its private parsers (not in the stubs)."""
    from . import _core

    return _core


async def _retrying(
    fn: Callable[[], Awaitable[_T]], url: str, rng: tuple[int, int] | None, retries: int
) -> _T:
    last: BaseException | None = None
    for attempt in range(retries + 1):
        try:
            return await fn()
        except _Permanent as e:
            err = RemoteError(f"{url}: {e}", url, rng)
            if e.err is not None:
                err.errno = e.err
            raise err from None
        except (_Retryable, OSError, asyncio.TimeoutError) as e:
            last = e
        except Exception as e:  # aiohttp / botocore errors: transient unless known otherwise
            if type(e).__name__ in ("InvalidURL", "NoCredentialsError", "ParamValidationError"):
                raise RemoteError(f"{url}: {e}", url, rng) from e
            last = e
        if attempt < retries:
            await asyncio.sleep(min(_BACKOFF * 2**attempt, _BACKOFF_MAX))
    where = f" bytes [{rng[0]}, {rng[0] + rng[1]})" if rng else ""
    what = f"{type(last).__name__}: {last}" if last is not None else "failed"
    raise RemoteError(f"{url}{where}: {what} (after {retries + 1} attempts)", url, rng) from last


class _Http:
    """HTTP(S) through aiohttp on fsspec's loop: multi-range requests."""

    gap = DEFAULT_HTTP_GAP
    _sessions: dict[Any, Any] = {}
    _lock = threading.Lock()

    def __init__(self, url: str, options: dict[str, Any], timeout: float) -> None:
        self.url = url
        self.headers = dict(options.get("headers") or {})
        self.client_kwargs = dict(options.get("client_kwargs") or {})
        self.timeout = timeout
        self.multi_range = True  # until the server shows it does not do them

    async def _session(self) -> Any:
        import aiohttp

        key = repr(sorted(self.client_kwargs.items()))
        s = _Http._sessions.get(key)
        if s is None or s.closed:
            s = aiohttp.ClientSession(**self.client_kwargs)
            _Http._sessions[key] = s
        return s

    async def _get(self, spec: str) -> tuple[int, Any, bytes | None]:
        """GET with `Range: bytes=<spec>`: (status, headers, body); body None for a 200 to a
        multi-range request (not read)."""
        import aiohttp

        session = await self._session()
        headers = dict(self.headers)
        headers["Range"] = "bytes=" + spec
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with session.get(self.url, headers=headers, timeout=timeout) as r:
                status = r.status
                if status >= 500 or status == 429:
                    await r.release()
                    raise _Retryable(f"HTTP {status}")
                if status == 404:
                    raise _Permanent("HTTP 404 not found", errno.ENOENT)
                if status in (401, 403):
                    raise _Permanent(f"HTTP {status} access denied", errno.EACCES)
                if status == 200 and "," in spec:
                    return status, r.headers, None
                body = await r.read()
                return status, r.headers, body
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError, aiohttp.ServerTimeoutError) as e:
            raise _Retryable(f"{type(e).__name__}: {e}") from e

    async def first(self, n: int, retries: int) -> tuple[int, bytes]:
        """(size, the first min(n, size) bytes)."""

        async def once() -> tuple[int, bytes]:
            status, headers, body = await self._get(f"0-{n - 1}")
            assert body is not None
            if status == 200:
                return len(body), body[:n]
            if status == 416:
                cr = _content_range(headers.get("Content-Range", ""))
                if cr[2] == 0:
                    return 0, b""
                raise _Permanent(f"HTTP 416 for the first {n} bytes")
            if status != 206:
                raise _Permanent(f"HTTP {status}")
            first, length, total = _content_range(headers.get("Content-Range", ""))
            if first != 0 or length != len(body) or total is None:
                raise _Retryable(f"response {headers.get('Content-Range')!r} with {len(body)} bytes")
            if length != min(n, total):
                raise _Retryable(f"short response: {length} of {min(n, total)} bytes")
            return total, body

        return await _retrying(once, self.url, (0, n), retries)

    async def ranges(
        self, ranges: list[tuple[int, int]], size: int, retries: int, concurrency: int
    ) -> list[bytes]:
        out: list[bytes | None] = [None] * len(ranges)
        sem = asyncio.Semaphore(concurrency)
        order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
        groups = [order[i : i + MAX_RANGES_PER_REQUEST] for i in range(0, len(order), MAX_RANGES_PER_REQUEST)]

        async def single(i: int) -> None:
            a, n = ranges[i]

            async def once() -> bytes:
                status, headers, body = await self._get(f"{a}-{a + n - 1}")
                assert body is not None
                if status == 200:
                    if len(body) != size:
                        raise _Permanent(f"file is now {len(body)} bytes, was {size} (replaced?)")
                    return body[a : a + n]
                if status == 416:
                    raise _Permanent(f"HTTP 416: range not satisfiable (file shorter than {size} bytes?)")
                if status != 206:
                    raise _Permanent(f"HTTP {status}")
                first, length, total = _content_range(headers.get("Content-Range", ""))
                if total is not None and total != size:
                    raise _Permanent(f"file is now {total} bytes, was {size} (replaced?)")
                if first != a or length != n or len(body) != n:
                    raise _Retryable(
                        f"short response: {len(body)} bytes, Content-Range {headers.get('Content-Range')!r}"
                    )
                return body

            async with sem:
                out[i] = await _retrying(once, self.url, (a, n), retries)

        async def multi(idxs: list[int]) -> None:
            spec = ",".join(f"{ranges[i][0]}-{ranges[i][0] + ranges[i][1] - 1}" for i in idxs)
            lo = ranges[idxs[0]][0]
            span = (lo, max(ranges[i][0] + ranges[i][1] for i in idxs) - lo)

            async def once() -> list[int]:
                status, headers, body = await self._get(spec)
                if status == 200:
                    self.multi_range = False
                    return idxs  # the whole file was offered: ask range by range instead
                if status == 416:
                    raise _Permanent(f"HTTP 416: ranges not satisfiable (file shorter than {size} bytes?)")
                if status != 206:
                    raise _Permanent(f"HTTP {status}")
                assert body is not None
                ctype = headers.get("Content-Type", "")
                if ctype.lower().startswith("multipart/byteranges"):
                    try:
                        parts = _native()._parse_byteranges(body, ctype)
                    except Exception as e:  # a corrupt or truncated body: ask again
                        raise _Retryable(f"bad multipart/byteranges body: {e}") from e
                else:  # one range: the server answered only the first (or merged them)
                    self.multi_range = False
                    first, length, total = _content_range(headers.get("Content-Range", ""))
                    if first is None or length != len(body):
                        raise _Retryable(
                            f"short response: {len(body)} bytes, Content-Range {headers.get('Content-Range')!r}"
                        )
                    parts = [(first, length, total, memoryview(body))]
                for _, _, total, _ in parts:
                    if total is not None and total != size:
                        raise _Permanent(f"file is now {total} bytes, was {size} (replaced?)")
                by_start = sorted(range(len(parts)), key=lambda j: parts[j][0])
                sorted_starts = [parts[j][0] for j in by_start]
                left = []
                for i in idxs:
                    a, n = ranges[i]
                    k = bisect.bisect_right(sorted_starts, a) - 1
                    if k >= 0:
                        first, length, _, data = parts[by_start[k]]
                        if a + n <= first + length:
                            out[i] = bytes(data[a - first : a - first + n])
                            continue
                    left.append(i)
                return left

            async with sem:
                left = await _retrying(once, self.url, span, retries)
            await asyncio.gather(*(single(i) for i in left))

        if self.multi_range and len(ranges) > 1:
            await asyncio.gather(
                *(multi(g) for g in groups if len(g) > 1), *(single(g[0]) for g in groups if len(g) == 1)
            )
        else:
            await asyncio.gather(*(single(i) for i in range(len(ranges))))
        return out  # type: ignore[return-value]


def _content_range(value: str) -> tuple[int | None, int | None, int | None]:
    """(first, length, total) of a Content-Range value (None where absent); RemoteError-free."""
    try:
        first, length, total = _native()._parse_content_range(value)
        return first, length, total
    except Exception as e:
        raise _Retryable(f"bad Content-Range {value!r}: {e}") from e


class _Fs:
    """Any fsspec filesystem: concurrent ranged reads (S3: GETs whose Content-Range gives the size)."""

    gap = DEFAULT_OTHER_GAP

    def __init__(self, fs: Any, path: str, url: str) -> None:
        self.fs = fs
        self.path = path
        self.url = url
        self.is_async = bool(getattr(fs, "async_impl", False))
        self.is_s3 = type(fs).__name__ == "S3FileSystem"

    async def _s3_get(self, a: int, n: int) -> tuple[bytes, int | None]:
        bucket, key, version = self.fs.split_path(self.path)
        kw = {"VersionId": version} if version else {}
        resp = await self.fs._call_s3(
            "get_object", Bucket=bucket, Key=key, Range=f"bytes={a}-{a + n - 1}", **kw
        )
        try:
            body = await resp["Body"].read()
        finally:
            resp["Body"].close()
        cr = resp.get("ContentRange")
        total = _content_range(cr)[2] if cr else None
        return body, total

    async def _read(self, a: int, n: int) -> bytes:
        if self.is_s3:
            return (await self._s3_get(a, n))[0]
        if self.is_async:
            return bytes(await self.fs._cat_file(self.path, start=a, end=a + n))
        loop = asyncio.get_running_loop()
        return bytes(
            await loop.run_in_executor(None, lambda: self.fs.cat_file(self.path, start=a, end=a + n))
        )

    async def first(self, n: int, retries: int) -> tuple[int, bytes]:
        async def once() -> tuple[int, bytes]:
            try:
                if self.is_s3:
                    body, total = await self._s3_get(0, n)
                    if total is None:
                        raise _Retryable("no Content-Range in the answer")
                else:
                    if self.is_async:
                        total = int((await self.fs._info(self.path))["size"])
                    else:
                        total = int(self.fs.size(self.path))
                    body = await self._read(0, min(n, total)) if total else b""
            except FileNotFoundError as e:
                if self.is_s3 or self.is_async:
                    raise _Retryable(str(e)) from e  # fsspec reports some 5xx this way
                raise _Permanent(f"not found: {e}", errno.ENOENT) from e
            if len(body) != min(n, total):
                raise _Retryable(f"short response: {len(body)} of {min(n, total)} bytes")
            return total, bytes(body)

        return await _retrying(once, self.url, (0, n), retries)

    async def ranges(
        self, ranges: list[tuple[int, int]], size: int, retries: int, concurrency: int
    ) -> list[bytes]:
        sem = asyncio.Semaphore(concurrency)

        async def one(a: int, n: int) -> bytes:
            async def once() -> bytes:
                if self.is_s3:
                    try:
                        body, total = await self._s3_get(a, n)
                    except OSError as e:
                        if "InvalidRange" in str(e) or "416" in str(e):
                            raise _Permanent(
                                f"range not satisfiable (file shorter than {size} bytes?): {e}"
                            ) from e
                        raise
                    if total is not None and total != size:
                        raise _Permanent(f"file is now {total} bytes, was {size} (replaced?)")
                else:
                    body = await self._read(a, n)
                if len(body) != n:
                    if not (self.is_s3 or self.is_async):
                        raise _Permanent(
                            f"short read: {len(body)} of {n} bytes (file shorter than {size} bytes?)"
                        )
                    raise _Retryable(f"short response: {len(body)} of {n} bytes")
                return bytes(body)

            async with sem:
                return await _retrying(once, self.url, (a, n), retries)

        return list(await asyncio.gather(*(one(a, n) for a, n in ranges)))


def _close_sessions() -> None:
    sessions = list(_Http._sessions.values())
    _Http._sessions.clear()
    if not sessions:
        return
    try:
        _run(asyncio.gather(*(s.close() for s in sessions), return_exceptions=True))
    except Exception:
        pass


atexit.register(_close_sessions)


# ---------------------------------------------------------------- RemoteFile


class RemoteFile:
    """A byte-range reader over a URL or an fsspec file: what ``MapBuffer(url)`` reads through.

    ``rf[a:b]`` returns exactly those bytes (or raises :class:`~segpack.RemoteError`),
    ``len(rf)`` the file size (the first use makes the first read), ``rf.read_ranges(ranges)``
    many ranges at once. Pickles as its URL and options (never the file's bytes)."""

    def __init__(
        self,
        url: str | Any,
        *,
        storage_options: dict[str, Any] | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        first_read: int = DEFAULT_FIRST_READ,
        coalesce_gap: int | None = None,
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        """Reads nothing yet (the first len(), slice or read_ranges makes the first read).

        url: a ``proto://`` URL or an fsspec file object (its filesystem and path are used).
        storage_options: passed to fsspec (S3 credentials and endpoint, HTTP ``headers``, ...).
        timeout: seconds per request; retries: attempts after the first on transient errors.
        first_read: bytes of the first request; coalesce_gap: ranges closer than this are merged
        by get_many (default 4 KiB over HTTP, 256 KiB elsewhere); max_concurrency: requests in
        flight for one batch.

        Raises ValueError for a timeout <= 0, retries < 0 or first_read < 16."""
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be > 0")
        if retries < 0:
            raise ValueError("retries must be >= 0")
        if first_read < 16:
            raise ValueError("first_read must be >= 16 (a MapBuffer header)")
        self._file = None if isinstance(url, str) else url
        if self._file is not None:  # an fsspec file object
            self.url: str = str(self._file.fs.unstrip_protocol(self._file.path))
        else:
            self.url = str(url)
        self.storage_options = dict(storage_options or {})
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.first_read = int(first_read)
        self.max_concurrency = max(1, int(max_concurrency))
        self._transport: Any = None
        self._given_gap = coalesce_gap
        self._size: int | None = None
        self._prefix = b""
        self._tail = b""  # bytes at the end of the file (object files' tables), cached like the prefix
        # What reads are kept in the cache besides the first read: "prefix" (reads that start
        # inside it: a map's index), "metadata" (also reads that end at the end of the file: an
        # object file's table), "none" (an object file's buffers). Set by segpack.objfile.
        self._cache_reads = "prefix"
        self._lock = threading.Lock()
        self.requests = 0  # batches and first reads made (not counting retries)

    # what the C++ source asks
    @property
    def coalesce_gap(self) -> int:
        """Ranges closer than this many bytes are fetched as one (get_many)."""
        if self._given_gap is not None:
            return int(self._given_gap)
        return DEFAULT_HTTP_GAP if self.url.startswith(("http://", "https://")) else DEFAULT_OTHER_GAP

    def _key(self) -> Any:
        return (self.url, repr(sorted(self.storage_options.items())))

    def _tail_key(self) -> Any:
        return (*self._key(), "tail")

    def _make_transport(self) -> Any:
        if self._transport is None:
            if self.url.startswith(("http://", "https://")):
                options = self.storage_options
                if self._file is not None:  # an fsspec HTTP file: its filesystem's headers and client options
                    fs = self._file.fs
                    headers = (getattr(fs, "kwargs", None) or {}).get("headers")
                    options = {"headers": headers, "client_kwargs": getattr(fs, "client_kwargs", None)}
                self._transport = _Http(self.url, options, self.timeout)
            else:
                if self._file is not None:
                    fs, path = self._file.fs, self._file.path
                else:
                    import fsspec.core  # type: ignore[import-untyped]

                    fs, path = fsspec.core.url_to_fs(self.url, **self.storage_options)
                self._transport = _Fs(fs, path, self.url)
        return self._transport

    def _call(self, coro_fn: Any) -> Any:
        t = self._make_transport()

        async def bounded() -> Any:
            # The whole batch, retries included, is bounded: never a hang.
            limit = self.timeout * (self.retries + 1) + _BACKOFF_MAX * self.retries + 5
            return await asyncio.wait_for(coro_fn(t), limit)

        try:
            return _run(bounded())
        except RemoteError:
            raise
        except (asyncio.TimeoutError, TimeoutError) as e:
            raise RemoteError(f"{self.url}: timed out", self.url, None) from e

    def _open(self) -> int:
        with self._lock:
            if self._size is not None:
                return self._size
            cached = _cache.get(self._key())
            if cached is not None:
                self._size, self._prefix = cached
            else:
                size, prefix = self._call(lambda t: t.first(self.first_read, self.retries))
                self.requests += 1
                self._size, self._prefix = int(size), bytes(prefix)
                _cache.put(self._key(), self._size, self._prefix)
            tail = _cache.get(self._tail_key())
            if tail is not None and tail[0] == self._size:
                self._tail = tail[1]
            return self._size

    def _fail(self, e: RemoteError) -> None:
        if "replaced?" in str(e) or "shorter than" in str(e):
            _cache.drop(self._key())
            _cache.drop(self._tail_key())

    def __len__(self) -> int:
        """Returns the file size (the first use makes the first read)."""
        return self._open()

    @property
    def size(self) -> int:
        """The file size in bytes (the first use makes the first read)."""
        return self._open()

    def __getitem__(self, key: slice) -> bytes:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("RemoteFile takes slices rf[a:b]")
        size = self._open()
        a, b, _ = key.indices(size)
        b = max(a, b)
        return self.read_ranges([(a, b - a)])[0]

    def read_ranges(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """Returns the bytes of each (offset, length) range, exactly; many ranges in few requests.

        Raises RemoteError (naming the URL and range) when a range lies past the end of the
        file or the transport fails after the retries."""
        size = self._open()
        out: list[bytes | None] = [None] * len(ranges)
        todo: list[int] = []
        prefix = self._prefix
        tail = self._tail
        tail_at = size - len(tail)
        extend = 0
        for i, (a, n) in enumerate(ranges):
            if a < 0 or n < 0 or a + n > size:
                raise RemoteError(
                    f"{self.url}: bytes [{a}, {a + n}) lie past the end of the {size}-byte file",
                    self.url,
                    (a, n),
                )
            if n == 0:
                out[i] = b""
            elif a + n <= len(prefix):
                out[i] = prefix[a : a + n]
            elif tail and a >= tail_at:
                out[i] = tail[a - tail_at : a - tail_at + n]
            else:
                todo.append(i)
                if self._cache_reads != "none" and a < len(prefix) and a + n <= MAX_PREFIX:
                    extend = max(extend, a + n)  # the index beyond the first read: cached too
        # One batch: the prefix's extension (if any) and every range it does not cover.
        head = [(len(prefix), extend - len(prefix))] if extend else []
        rest = [i for i in todo if ranges[i][0] + ranges[i][1] > extend]
        got = self._fetch(head + [ranges[i] for i in rest], size) if head or rest else []
        if extend:
            grown = prefix + got[0]
            with self._lock:
                if len(self._prefix) == len(prefix):
                    self._prefix = grown
                    _cache.put(self._key(), size, grown)
            for i in todo:
                a, n = ranges[i]
                if a + n <= extend:
                    out[i] = grown[a : a + n]
        for i, b in zip(rest, got[len(head) :]):
            out[i] = b
            a, n = ranges[i]
            if self._cache_reads == "metadata" and a + n == size and len(tail) < n <= MAX_PREFIX:
                with self._lock:
                    self._tail = tail = b
                    _cache.put(self._tail_key(), size, b)
        return out  # type: ignore[return-value]

    def _fetch(self, ranges: list[tuple[int, int]], size: int) -> list[bytes]:
        try:
            got = self._call(lambda t: t.ranges(ranges, size, self.retries, self.max_concurrency))
        except RemoteError as e:
            self._fail(e)
            raise
        self.requests += 1
        return list(got)

    def __reduce__(self) -> Any:
        if self._file is not None:
            target: Any = _FileRef(self._file.fs, self._file.path)
        else:
            target = self.url
        return (
            _reopen,
            (
                target,
                {
                    "storage_options": self.storage_options,
                    "timeout": self.timeout,
                    "retries": self.retries,
                    "first_read": self.first_read,
                    "coalesce_gap": self._given_gap,
                    "max_concurrency": self.max_concurrency,
                },
            ),
        )

    def __repr__(self) -> str:
        return f"segpack.RemoteFile({self.url!r})"


class _FileRef:
    """An fsspec file named by its (picklable) filesystem and path."""

    def __init__(self, fs: Any, path: str) -> None:
        self.fs = fs
        self.path = path


def _reopen(target: Any, options: dict[str, Any]) -> RemoteFile:
    return RemoteFile(target, **options)


def is_fsspec_file(obj: object) -> bool:
    """True for an fsspec file object (it has .fs and .path)."""
    return hasattr(obj, "fs") and hasattr(obj, "path") and hasattr(obj.fs, "unstrip_protocol")


def _remote_data(data: Any, options: dict[str, Any]) -> Any:
    """What MapBuffer / IntMap open for `data`: a RemoteFile for a URL or an fsspec file, else
    `data` itself (called by the extension)."""
    if is_url(data) or is_fsspec_file(data):
        return RemoteFile(data, **options)
    return data


# ---------------------------------------------------------------- gather


def gather(
    sources: Iterable[Any],
    keys: Iterable[int],
    *,
    storage_options: dict[str, Any] | None = None,
    max_concurrency: int | None = None,
    timeout: float = 30.0,
    retries: int = 3,
) -> list[dict[int, bytes]]:
    """Fetches one list of keys out of many MapBuffer files at once; returns one dict per source.

    sources: URLs, local paths or open MapBuffers. Entry i of the result maps each key that
    source i holds to its value (keys it lacks are absent). Headers and indexes of all sources
    are fetched concurrently (reopening a file read before in this process costs nothing:
    see the cache), then each source's items in one batch (one multi-range request over HTTP,
    concurrent requests elsewhere), at most `max_concurrency` sources at a time (default 16).

    Raises RemoteError when a source cannot be read, what MapBuffer raises for invalid data."""
    from ._core import MapBuffer

    srcs = list(sources)
    wanted = list(dict.fromkeys(int(k) for k in keys))
    workers = max(1, min(max_concurrency or DEFAULT_CONCURRENCY, len(srcs) or 1))
    opts: dict[str, Any] = {"storage_options": storage_options, "timeout": timeout, "retries": retries}

    def open_one(s: Any) -> Any:
        if isinstance(s, MapBuffer):
            return s
        return MapBuffer(s, **opts) if is_url(s) or is_fsspec_file(s) else MapBuffer(s)

    def fetch(m: Any) -> dict[int, bytes]:
        # One get_many for all keys (absent ones read as b""): a map in partial-index mode
        # fetches the index blocks of every key in one batch; `in` then only tells an empty
        # value from an absent key, on blocks that batch already loaded.
        got = m.get_many(wanted, default=b"")
        out: dict[int, bytes] = {}
        for i, k in enumerate(wanted):
            v = bytes(got[i])
            if v or k in m:
                out[k] = v
        return out

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        maps = list(pool.map(open_one, srcs))
        return list(pool.map(fetch, maps))
