"""Object files: an object's numpy arrays and other buffers stored page-aligned beside its pickle
payload, so that a load is one memory map (BinPickle's and joblib's job, safe by default).

    >>> import numpy as np, segpack
    >>> segpack.dump({"w": np.ones((1000, 100))}, "model.spk")
    >>> obj = segpack.load("model.spk")  # arrays: read-only views of one mapping

The file is a segpack object container (docs/format/container.md): the payload is what
:func:`segpack.serialize` writes (docs/format/serialize.md) with every buffer out-of-band, and
each out-of-band buffer is one container buffer, raw or compressed, whose metadata blob records
the array's dtype and shape as JSON (``{"dtype": <.npy descr>, "shape": [...]}``; empty for
buffers that are not arrays). This module is the pickle glue; the container (layout, crcs,
compression and decompression on the pool) is C++.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any, Literal, Union

import numpy as np
import numpy.lib.format as _format

from . import _core
from .objects import BufferObject, deserialize, serialize
from .remote import DEFAULT_FIRST_READ, RemoteFile, is_fsspec_file, is_url

__all__ = ["BufferInfo", "ObjectFile", "dump", "load"]

#: alignment of uncompressed buffers smaller than ``align`` (enough for any numpy dtype)
_SMALL_ALIGN = 64

_Writable = Union[bool, Literal["copy-on-write"]]


@dataclass(frozen=True)
class BufferInfo:
    """One buffer of an object file, as :meth:`ObjectFile.info` lists it, and as a ``codec=``
    callable of :func:`dump` sees it (then ``offset``, ``stored_size``, ``codec``, ``crc32c`` and
    ``alignment`` are None: the buffer is not written yet)."""

    #: position of the buffer in the file's table (and in the object's out-of-band buffers)
    index: int
    #: bytes of the buffer once decoded
    raw_size: int
    #: the array's dtype, or None when the buffer is not an array's (bytes, PickleBuffer)
    dtype: np.dtype[Any] | None
    #: the array's shape, or None
    shape: tuple[int, ...] | None
    #: file offset of the stored bytes
    offset: int | None
    #: bytes stored in the file
    stored_size: int | None
    #: codec of the stored bytes (None: uncompressed)
    codec: str | None
    #: crc32c of the raw bytes
    crc32c: int | None
    #: alignment of the offset
    alignment: int | None


BufferInfo.__init__.__doc__ = "Takes the fields in their order (keywords also). Returns None."


# ---------------------------------------------------------------------------------------------
# dump


def _describe(buf: BufferObject, cache: dict[Any, bytes]) -> tuple[bytes, Any, Any]:
    """(metadata blob, dtype, shape) of one out-of-band buffer: the array's dtype and (logical)
    shape as serialize saw them, or an empty blob for buffers that are not an array's."""
    if buf._array is None:
        return b"", None, None
    dtype, shape = buf._array
    key = (dtype, shape)
    meta = cache.get(key)
    if meta is None:
        try:
            descr = _format.dtype_to_descr(dtype)
        except (ValueError, TypeError):
            return b"", None, None
        meta = json.dumps({"dtype": descr, "shape": list(shape)}, separators=(",", ":")).encode()
        cache[key] = meta
    return meta, dtype, shape


def dump(
    obj: Any,
    file: str | os.PathLike[str] | IO[bytes],
    codec: str | Callable[[BufferInfo], str | None] | None = None,
    level: int | None = None,
    align: int = 4096,
    *,
    durable: bool = False,
    threads: int | None = None,
) -> None:
    """Writes ``obj`` to an object file: its pickle payload, and each of its buffers (every
    non-object numpy array, any layout, 0-d to N-d; PickleBuffer objects) stored apart.

    ``file`` is a path (written atomically: a temporary file beside it, renamed over it when
    complete, so a crash or error leaves the previous file whole) or an open binary stream
    (written in order, handed memoryviews of the data itself).

    ``codec``: None (uncompressed), a codec name ('zstd', 'gzip', 'br', 'lzma') for every buffer,
    or a callable taking a :class:`BufferInfo` (index, raw_size, dtype, shape) and returning a
    codec name or None for that buffer. ``level``: the level of compressed buffers (None: the
    codec's default). Buffers are compressed in parallel on segpack's pool, without the GIL.
    ``align``: alignment of uncompressed buffers (a power of two; those smaller than ``align``
    are aligned to 64 bytes at most, so small arrays do not take a page each).

    ``durable``: fsync the file before the rename, so that the new file also survives a power
    loss or an OS crash right after ``dump`` returns (about twice as slow, docs/benchmarks.md).
    Off by default, as in pickle.dump, numpy.save, joblib and binpickle; the replacement is
    atomic either way. ``threads``: at most this many workers (None: the whole pool).

    Returns None. Raises what :func:`segpack.serialize` raises for an object it cannot pickle,
    UnsupportedCompressionType, ValueError (level, align), OSError, CompressionError, and what
    the stream raises."""
    is_path = isinstance(file, (str, os.PathLike))
    if not is_path and not hasattr(file, "write"):
        raise TypeError(f"dump: file must be a path or a binary stream, not {type(file).__name__}")
    buffers: list[BufferObject] = []
    payload = serialize(obj, buffer_callback=buffers.append)  # None: every buffer out-of-band
    writer = _core.ContainerWriter(align, -1 if threads is None else threads, durable)
    writer.set_payload(payload)
    choose = codec if callable(codec) else None
    small = min(align, _SMALL_ALIGN)
    cache: dict[Any, bytes] = {}
    for i, buf in enumerate(buffers):
        data = buf.getbuffer()
        meta, dtype, shape = _describe(buf, cache)
        c: Any = (
            choose(BufferInfo(i, data.nbytes, dtype, shape, None, None, None, None, None))
            if choose is not None
            else codec
        )
        if c is None:
            writer.add_buffer(data, None, None, 0 if data.nbytes >= align else small, meta)
        else:
            writer.add_buffer(data, c, level, 0, meta)
    target: Any = file
    if is_path:
        writer.write_file(target)
    else:
        writer.write_to(target)


# ---------------------------------------------------------------------------------------------
# load


def _aligned_empty(n: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """n writable bytes at a page-aligned address (a view of a larger numpy array)."""
    raw = np.empty(n + 4096, np.uint8)
    start = -raw.ctypes.data % 4096
    return raw[start : start + n]


def _read_stream(stream: Any) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The rest of a binary stream in page-aligned writable memory."""
    readinto: Any = getattr(stream, "readinto", None)
    try:
        seekable = readinto is not None and stream.seekable()
    except (AttributeError, OSError, ValueError):
        seekable = False
    if seekable:
        pos = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(pos)
        out = _aligned_empty(end - pos)
        got = 0
        while got < len(out):
            n = readinto(out.data[got:])
            if not n:
                break
            got += n
        return out[:got]
    data = stream.read()
    out = _aligned_empty(len(data))
    out[:] = np.frombuffer(data, np.uint8)
    return out


class ObjectFile:
    """An object file opened for reading: ``ObjectFile(file, mmap=True, writable=False,
    verify=None)``, with :meth:`load`, :meth:`info`, :meth:`verify`, :meth:`close` and use as a
    context manager.

    ``file``: a path; a URL (``http(s)://``, ``s3://``, ``file://``, ``memory://``, any fsspec
    URL) or an fsspec file object; bytes-like data (not copied: arrays are views of it when its
    address suits them, otherwise it is copied to aligned memory); or an open binary stream (read
    into memory). The header and buffer table are always checked when the file is opened.

    For a path, ``mmap=True`` maps the file once: uncompressed arrays are views of that one
    mapping (shared by every process that maps the file, loaded in time independent of the
    data size), read-only unless ``writable="copy-on-write"`` (a private mapping: writable
    arrays whose changes never reach the file). ``writable=True`` (or ``mmap=False``) reads the
    file into ordinary memory instead (writable arrays when ``writable=True``); each buffer's
    crc32c is checked in the same pass as the read. Compressed buffers are decoded in parallel
    into new memory, their crc32c checked as they are.

    For a URL (read through :class:`segpack.RemoteFile`: ``storage_options`` go to fsspec,
    ``timeout`` is per request, ``retries`` on transient errors, ``first_read`` the bytes of the
    first request), opening reads the header, payload and buffer table in at most 2 requests (1
    when the first read holds them; 0 when the file was opened before in this process: they are
    kept in the remote cache), and each :meth:`load` fetches every buffer in one batch (one
    multi-range HTTP request, concurrent S3 GETs) and checks the crc32c of each: bytes from the
    network are never used unchecked. ``mmap`` does not apply. By default the arrays are
    read-only views of the bytes received (checked in place, in parallel: no copy);
    ``writable`` (True or "copy-on-write", the same here) copies each buffer into new
    page-aligned memory, its crc32c computed in the copy pass, for writable arrays. Compressed
    buffers are decoded into new memory and checked either way.

    ``verify``: None (default) checks every crc that costs nothing extra (buffers that are read,
    copied or decoded) and leaves mapped buffers unread; True also checks the crc32c of mapped
    buffers at load, in parallel; False is the same as None (nothing is skipped that is free).

    Pickling: an ObjectFile opened from a URL pickles as the URL and its options, one opened from
    a path as the (absolute) path and options, never the file's bytes; the copy opens the file on
    its first use (a Dask task can take one). One opened from bytes or a stream cannot be pickled.

    Views keep their memory alive: ``close()`` (or leaving the ``with`` block) with live arrays
    is safe, and they stay valid; ``close()`` never raises."""

    def __init__(
        self,
        file: str | os.PathLike[str] | bytes | IO[bytes] | Any,
        mmap: bool = True,
        writable: _Writable = False,
        verify: bool | None = None,
        *,
        threads: int | None = None,
        storage_options: dict[str, Any] | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        first_read: int | None = None,
    ) -> None:
        """Opens ``file``. Raises OSError, TypeError (not a path, URL, bytes-like or stream;
        remote options with a local file), ValueError (``writable``, remote options), RemoteError
        (a URL that cannot be read, naming it and the byte range), and for a bad file:
        TruncatedError, ChecksumError (header, table, payload, or a buffer read into memory),
        ValidationError (corrupt table: out of bounds or overlapping buffers, sizes that
        overflow), UnsupportedFormatError (version)."""
        if writable not in (False, True, "copy-on-write"):
            raise ValueError(f"writable must be False, True or 'copy-on-write', not {writable!r}")
        self._writable = bool(writable)
        self._options: dict[str, Any] = {
            "mmap": mmap,
            "writable": writable,
            "verify": verify,
            "threads": threads,
        }
        self._reader: Any = None
        self._closed = False
        self._remote: RemoteFile | None = None  # a URL's or fsspec file's reader
        self._path: str | None = None  # the absolute path of a file opened by path
        self.name: str | None = None
        if is_url(file) or is_fsspec_file(file):
            self._remote = RemoteFile(
                file,
                storage_options=storage_options,
                timeout=timeout,
                retries=retries,
                first_read=DEFAULT_FIRST_READ if first_read is None else first_read,
            )
            self.name = self._remote.url
            self._open_remote()
            return
        if storage_options is not None or first_read is not None:
            raise TypeError("storage_options and first_read apply to URLs and fsspec files only")
        t = self._threads()
        check = bool(verify)
        if isinstance(file, (str, os.PathLike)):
            self.name = os.fsdecode(file)
            self._path = os.path.abspath(self.name)
            self._open_path()
            return
        if hasattr(file, "read") and not _is_buffer(file):
            self._reader = _core.ContainerReader.open(_read_stream(file), True, True, t)
            return
        if not _is_buffer(file):
            raise TypeError(
                f"ObjectFile: file must be a path, bytes-like or a binary stream (or a URL), not {type(file).__name__}"
            )
        src: Any = file
        view = (
            np.frombuffer(src, np.uint8)
            if not isinstance(src, np.ndarray)
            else src.reshape(-1).view(np.uint8)
        )
        if self._writable or (len(view) and view.ctypes.data % 16):
            copy = _aligned_empty(len(view))
            copy[:] = view
            self._reader = _core.ContainerReader.open(copy, True, True, t)
        else:
            self._reader = _core.ContainerReader.open(src, False, check, t)

    def _threads(self) -> int:
        threads = self._options["threads"]
        return -1 if threads is None else int(threads)

    def _open_path(self) -> None:
        o = self._options
        assert self._path is not None
        mapped = o["mmap"] and o["writable"] is not True
        self._reader = _core.ContainerReader.open_file(
            self._path,
            mapped,
            mapped and o["writable"] == "copy-on-write",
            bool(o["verify"]),
            self._threads(),
        )

    def _open_remote(self) -> None:
        rf = self._remote
        assert rf is not None
        rf._cache_reads = "metadata"  # the header, payload and table are kept in the remote cache
        try:
            len(rf)  # the first read: its RemoteError is raised here, once
            # writable: the buffers are copied into new memory (crc computed in that pass);
            # read-only: views of the bytes received, their crc checked in place (no copy).
            self._reader = _core.ContainerReader.open_source(
                rf, rf.first_read, self._writable, self._threads()
            )
        finally:
            rf._cache_reads = "none"  # the buffers are not

    @classmethod
    def _lazy(cls, target: Any, options: dict[str, Any]) -> ObjectFile:
        """An ObjectFile over a path (str) or a RemoteFile that opens it on its first use
        (what unpickling makes)."""
        self = cls.__new__(cls)
        self._writable = bool(options["writable"])
        self._options = dict(options)
        self._reader = None
        self._closed = False
        if isinstance(target, str):
            self._remote, self._path, self.name = None, target, target
        else:
            self._remote, self._path, self.name = target, None, target.url
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        if self._closed:
            raise ValueError("cannot pickle a closed ObjectFile")
        target: Any = self._remote if self._remote is not None else self._path
        if target is None:
            raise TypeError(
                "cannot pickle an ObjectFile opened from bytes or a stream (it would carry the file's "
                "bytes): open it by path or URL, or pickle what load() returns"
            )
        return (_reopen, (target, self._options))

    def _open_reader(self) -> Any:
        if self._closed:
            raise ValueError("I/O operation on a closed ObjectFile")
        if self._reader is None:  # unpickled: opened on first use
            if self._remote is not None:
                self._open_remote()
            else:
                self._open_path()
        return self._reader

    def load(
        self,
        *,
        trusted: bool = False,
        allow: Iterable[Any] = (),
        max_depth: int | None = None,
        max_size: int | None = None,
    ) -> Any:
        """Rebuilds the object. Unless ``trusted``, only allow-listed globals may be
        reconstructed (see :func:`segpack.deserialize`; ``allow`` adds classes, functions or
        "module.qualname" strings). Can be called more than once (each call builds new objects
        over the same memory; from a URL, each call fetches the buffers again, in one batch).

        Returns the object. Raises UnsafeLoadError for a global that is not allowed (nothing
        is imported or called), ChecksumError naming a bad buffer, DecompressionError,
        BufferMismatchError / ValidationError for a payload that does not match its buffers,
        LimitExceededError, ValueError when closed."""
        reader = self._open_reader()
        buffers = reader.buffers(self._writable)
        return deserialize(
            reader.payload(), buffers, trusted=trusted, allow=allow, max_depth=max_depth, max_size=max_size
        )

    def info(self) -> list[BufferInfo]:
        """Returns one :class:`BufferInfo` per buffer (offset, stored and raw size, codec,
        crc32c, alignment, and the dtype and shape recorded at dump; None where unknown), without
        reading any buffer. Raises ValueError when closed."""
        out = []
        for i, (offset, stored, raw, codec, crc, alignment, meta) in enumerate(self._open_reader().infos()):
            dtype, shape = _parse_metadata(meta)
            out.append(BufferInfo(i, raw, dtype, shape, offset, stored, codec, crc, alignment))
        return out

    def verify(self) -> None:
        """Checks the crc32c of the payload and of every buffer (decoding compressed ones), in
        parallel. Returns None. Raises ChecksumError naming the first bad buffer ("buffer 3:
        crc32c mismatch ..."), DecompressionError, ValueError when closed."""
        self._open_reader().verify()

    @property
    def file_size(self) -> int:
        """Bytes of the whole file."""
        return int(self._open_reader().file_size)

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._closed

    def close(self) -> None:
        """Lets go of the file. Arrays already loaded stay valid (they keep the mapping or
        memory alive); further calls of load/info/verify raise ValueError. Returns None; never
        raises."""
        self._reader = None
        self._closed = True

    def __enter__(self) -> ObjectFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._open_reader())

    def __repr__(self) -> str:
        if self._closed:
            return "<segpack.ObjectFile closed>"
        where = f" {self.name!r}" if self.name else ""
        if self._reader is None:
            return f"<segpack.ObjectFile{where} (opens on first use)>"
        return f"<segpack.ObjectFile{where} {len(self._reader)} buffers, {self._reader.file_size} bytes>"


def _reopen(target: Any, options: dict[str, Any]) -> ObjectFile:
    """Unpickles an ObjectFile: opened on its first use (see ObjectFile._lazy)."""
    return ObjectFile._lazy(target, options)


def _is_buffer(obj: Any) -> bool:
    try:
        memoryview(obj).release()
    except TypeError:
        return False
    return True


def _parse_metadata(meta: bytes) -> tuple[Any, Any]:
    """(dtype, shape) recorded by dump, or (None, None) for anything else (never raises)."""
    if not meta:
        return None, None
    try:
        d = json.loads(meta)
        dtype = _format.descr_to_dtype(d["dtype"])
        shape = tuple(int(n) for n in d["shape"])
        return dtype, shape
    except Exception:  # metadata written by another tool: not ours to interpret
        return None, None


def load(
    file: str | os.PathLike[str] | bytes | IO[bytes] | Any,
    mmap: bool = True,
    writable: _Writable = False,
    verify: bool | None = None,
    trusted: bool = False,
    allow: Iterable[Any] = (),
    *,
    threads: int | None = None,
    max_depth: int | None = None,
    max_size: int | None = None,
    storage_options: dict[str, Any] | None = None,
    timeout: float = 30.0,
    retries: int = 3,
    first_read: int | None = None,
) -> Any:
    """Loads the object of an object file written by :func:`dump`: ``ObjectFile(file, mmap,
    writable, verify).load(trusted=trusted, allow=allow)`` (see :class:`ObjectFile` for the
    arguments, URLs included, the memory the arrays live in and the checks made). The file is
    closed; the arrays keep what they need alive. From a URL: the header, payload and table in
    at most 2 requests (0 when cached), then every buffer in one batch.

    Returns the object. Raises what ObjectFile() and ObjectFile.load raise."""
    f = ObjectFile(
        file,
        mmap,
        writable,
        verify,
        threads=threads,
        storage_options=storage_options,
        timeout=timeout,
        retries=retries,
        first_read=first_read,
    )
    try:
        return f.load(trusted=trusted, allow=allow, max_depth=max_depth, max_size=max_size)
    finally:
        f.close()
