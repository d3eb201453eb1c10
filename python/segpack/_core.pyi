"""segpack's C++ core (private: import segpack instead)."""

from collections.abc import Callable, Iterable, Iterator, Sequence
import os
import pickle
import types
from typing import (
    Any,
    BinaryIO,
    Literal,
    SupportsIndex,
    TypeVar,
    overload
)

import _typeshed
import numpy
import numpy.typing
from typing_extensions import Buffer, Self


_T = TypeVar("_T")

class MapBuffer:
    """
    A serialized map of u64 keys to bytes, read without parsing (the mapbuffer package's format).

    MapBuffer(data) opens serialized data (bytes-like, a file, a path or a range reader) or
    builds a map from a dict. It reads as a mapping: m[key], key in m, len(m), iteration, get,
    keys, values, items; m[key] = value overwrites a value in place when it has the same stored
    size. Keys are ints in [0, 2**64), values bytes (see zero_copy, frombytesfn and tobytesfn).
    A missing key raises KeyError, a key that is not an integer TypeError, any use of a closed
    map ValueError, corrupt data a segpack.ValidationError subclass (TruncatedError,
    ChecksumError, DecompressionError, ...).
    """

    def __init__(self, data: _typeshed.SupportsItems[SupportsIndex, Any] | Iterable[tuple[SupportsIndex, Any]] | Buffer | numpy.typing.NDArray[Any] | str | os.PathLike[str] | BinaryIO | _typeshed.SupportsGetItem[slice, Buffer | numpy.typing.NDArray[Any]] | None = None, compress: str | int | bytes | None = None, tobytesfn: Callable[[Any], Buffer | numpy.typing.NDArray[Any]] | None = None, frombytesfn: Callable[[Any], Any] | None = None, check_crc: bool = True, compute_crc: bool = True, index_cache: str | os.PathLike[str] | None = None, *, level: int | None = None, zero_copy: bool = False, max_output: int | None = None, storage_options: dict[str, Any] | None = None, timeout: float = 30.0, retries: int = 3, first_read: int | None = None, coalesce_gap: int | None = None, partial_index: bool | None = None) -> None:
        """
        Opens serialized data, or builds a new map from a dict.

        data: a dict (or any object with items() and keys()) of int keys to bytes-like values, built
          into a new map (compress, level, compute_crc and tobytesfn apply); serialized data, bytes-like
          (bytes, bytearray, memoryview, numpy uint8 array, mmap; used without a copy); a path or an
          open binary file (memory-mapped); an object whose __getitem__ takes a slice and returns
          bytes (a range reader: header and index are read once, then one read per item); a URL
          'proto://...' (http(s), s3, file, memory, any fsspec protocol) or an fsspec file object,
          read through segpack.remote.RemoteFile (few requests: see README, Remote files); None: empty.
        compress: the codec of a built map: None, 'gzip', 'br', 'zstd' or 'lzma'.
        tobytesfn: applied to each value written (built maps, m[key] = value); must return bytes-like.
        frombytesfn: applied to each value read by m[key], get(), values(), items() and todict().
        check_crc: check each item's crc32c as it is read (format version 1 maps).
        compute_crc: write crc32c checksums (format version 1); False writes format version 0.
        level: the codec's compression level (None: mapbuffer's default for the codec).
        zero_copy: m[key] and get() return read-only memoryviews over the data (uncompressed maps).
        max_output: the most bytes one item may decompress to (LimitExceededError beyond).
        index_cache: path of a local file caching the header and index (mapbuffer's format: 16 + 16N
          bytes). A map over a range reader reads its index from there instead of fetching it when the
          file holds the data's own header (one 16-byte read checks it), and fetches it and rewrites the
          file otherwise; other maps only write it, when it is absent or differs. Replaced atomically.
        storage_options: passed to fsspec for a URL (e.g. S3 credentials and endpoint, HTTP headers).
        timeout: seconds per request of a URL; retries: attempts after the first on transient errors.
        first_read: bytes of the first request of a URL (header + index in one request when they fit;
          default 64 KiB). coalesce_gap: get_many fetches items closer than this many bytes as one range.
        partial_index: range readers and URLs: read only the top of the index when opening (64 KiB with
          the header: 12 levels of the Eytzinger tree) and the rest in 4 KiB blocks as lookups reach them
          (cached, at most 16 MiB; get_many advances all its keys together, a few batched reads). None:
          when the index is larger than 1 MiB (65,536 keys); True: always; False: never. keys(),
          items(), todict(), index() and validate() read the whole index first. Ignored with index_cache.

        data may also be (key, value) pairs to build from: a list or tuple of 2-tuples, or an iterator,
        generator or other iterable of them (an object with __getitem__ other than a list or tuple is a
        range reader, and a bytes-like object is a map's bytes). Duplicate keys raise ValueError.

        Raises TypeError for data of another type or a value that is not bytes-like, ValueError for a
        key outside [0, 2**64), UnsupportedCompressionType for an unknown codec, OSError when a file
        cannot be opened or mapped, segpack.RemoteError when a URL cannot be read, and a ValidationError
        subclass when the header or index is invalid.
        """

    def __len__(self, /) -> int:
        """Return len(self)."""

    def __getitem__(self, key: SupportsIndex, /) -> Any:
        """Return self[key]."""

    def __setitem__(self, key: SupportsIndex, value: Any, /) -> None:
        """Set self[key] to value."""

    def __contains__(self, key: object, /) -> bool:
        """Return key in self."""

    def get(self, label: SupportsIndex, default: Any = None) -> Any:
        """
        Returns the value stored under `label`, or `default` when no such key is stored (as
        dict.get does).
        The value is bytes (a memoryview when zero_copy is set), or frombytesfn's result when one is set.

        Raises TypeError when `label` is not an integer, ValueError when the MapBuffer is closed.
        A corrupt item raises a ValidationError subclass (ChecksumError, DecompressionError, ...).
        """

    def find_index_position(self, label: SupportsIndex, /) -> int | None:
        """
        Returns the position of `label` in the index (the order of keys(), index() and
        getindex()), or None when it is not stored.

        Raises TypeError when `label` is not an integer, ValueError when the MapBuffer is closed.
        """

    def keys(self) -> Iterator[int]:
        """
        Returns an iterator over the keys (ints), in index order.

        Raises ValueError when the MapBuffer is closed (also from next() once it is closed).
        """

    def values(self) -> Iterator[Any]:
        """
        Returns an iterator over the values, in index order: bytes, or frombytesfn's result when one is set.

        Raises ValueError when the MapBuffer is closed (also from next() once it is closed).
        A corrupt item raises a ValidationError subclass (ChecksumError, DecompressionError, ...).
        """

    def items(self) -> Iterator[tuple[int, Any]]:
        """
        Returns an iterator over the (key, value) pairs, in index order.
        Values are bytes, or frombytesfn's result when one is set.

        Raises ValueError when the MapBuffer is closed (also from next() once it is closed).
        A corrupt item raises a ValidationError subclass (ChecksumError, DecompressionError, ...).
        """

    def __iter__(self) -> Iterator[int]:
        """
        iter(m): an iterator over the keys, as keys() returns.

        Raises ValueError when the MapBuffer is closed (also from next() once it is closed).
        """

    def todict(self) -> dict[int, Any]:
        """
        Returns every item as a new dict {key: value}.
        Values are bytes, or frombytesfn's result when one is set.

        Raises ValueError when the MapBuffer is closed.
        A corrupt item raises a ValidationError subclass (ChecksumError, DecompressionError, ...).
        """

    @property
    def header(self) -> bytes:
        """
        The header bytes at the start of the data (magic, format version, ...).

        Raises ValueError when the MapBuffer is closed.
        """

    @property
    def closed(self) -> bool:
        """True once close() has run (or a with block has ended), False before."""

    def validate(self) -> bool:
        """
        Checks everything: header, offsets, Eytzinger order, every crc, that every item decodes.
        Returns True or raises a ValidationError subclass naming the item.

        Raises ValueError when the MapBuffer is closed.
        """

    @staticmethod
    def validate_buffer(buf: Buffer | numpy.typing.NDArray[Any] | str | os.PathLike[str] | BinaryIO | _typeshed.SupportsGetItem[slice, Buffer | numpy.typing.NDArray[Any]]) -> bool:
        """
        Opens `buf` as a MapBuffer and runs validate() on it.

        Returns True, or raises what the constructor and validate() raise.
        """

    def close(self) -> None:
        """
        Releases the buffer, mapping or range reader and returns None; closing twice does
        nothing. Using the MapBuffer afterwards raises ValueError; views handed out
        earlier (index(), memoryviews, zero-copy segments) keep what they need alive.
        """

    def __enter__(self) -> Self:
        """
        Returns the MapBuffer itself: `with MapBuffer(...) as m:` closes it on exit.
        """

    def __exit__(self, *args: object) -> Literal[False]:
        """
        Closes the MapBuffer (see close()); returns False, so exceptions propagate.
        """

    @property
    def buffer(self) -> Buffer:
        """
        The serialized bytes, as tobytes() returns them. Assigning reopens the map over the new data (any data the constructor takes) with the same options, validated as by the constructor; on error the map is left as it was (TypeError / ValidationError as the constructor raises them).
        """

    @buffer.setter
    def buffer(self, data: Buffer | numpy.typing.NDArray[Any] | str | os.PathLike[str] | BinaryIO | _typeshed.SupportsGetItem[slice, Buffer | numpy.typing.NDArray[Any]], /) -> None: ...

    def __reduce_ex__(self, protocol: SupportsIndex, /) -> tuple[Any, ...]:
        """
        Returns the pickle reduction; unpickling reopens the map through the constructor (validated), with the same options. In-memory maps pickle as their bytes (protocol 5: one pickle.PickleBuffer, out of band with a buffer_callback, no copy), maps opened from a path or an open file as the file's absolute path (reopened on load, so the file must still be there), maps over a range reader as the reader object. copy.deepcopy goes through here too: it shares bytes objects and files, and copies writable memory.
        """

    def __copy__(self) -> Self:
        """
        Returns a new map over the same memory, file or range reader, with the same options.
        """

    def __repr__(self) -> str:
        """
        repr(m): the map's source (path, size or reader type), item count, codec and state.
        """

    def view(self, label: SupportsIndex) -> memoryview:
        """
        Returns the value stored under `label` as a read-only memoryview: zero-copy over the buffer or
        mapping for uncompressed maps (it keeps the mapping alive, even after close()); a view of the
        decompressed bytes otherwise. frombytesfn is not applied.

        Raises KeyError when the key is not stored, TypeError when it is not an integer, ValueError
        when the MapBuffer is closed, a ValidationError subclass when the item is corrupt.
        """

    def getindex(self, index: int, /) -> Any:
        """
        Returns the value at position `index` of the index (negative: from the end), as m[key] does.

        Raises IndexError when out of range, ValueError when the MapBuffer is closed, a ValidationError
        subclass when the item is corrupt.
        """

    def setindex(self, index: int, value: Any, /) -> None:
        """
        Overwrites the value at position `index` of the index, as m[key] = value does (same stored
        size), and returns None.

        Raises IndexError when out of range, TypeError when the value is not bytes-like (after tobytesfn),
        ValueError when the MapBuffer is closed, its data is read-only (bytes, a mapped file) or the new
        value's stored size differs.
        """

    def size(self, label: SupportsIndex) -> int:
        """
        Returns the stored (possibly compressed) size in bytes of the value under `label`, without its crc.

        Raises KeyError when the key is not stored, TypeError when it is not an integer, ValueError
        when the MapBuffer is closed.
        """

    def index(self) -> numpy.typing.NDArray[numpy.uint64]:
        """
        Returns the index as a read-only N x 2 numpy uint64 view (key, offset of the item), in index
        order; it keeps the data alive.

        Raises ValueError when the MapBuffer is closed.
        """

    def datasize(self) -> int | None:
        """
        Returns the size in bytes of the data section (every stored item), or None when it is not known
        (an empty map).

        Raises ValueError when the MapBuffer is closed.
        """

    @property
    def compress(self) -> str | None:
        """
        The codec of the stored values: None, 'gzip', 'br', 'zstd' or 'lzma'.

        Raises ValueError when the MapBuffer is closed.
        """

    @property
    def format_version(self) -> int:
        """
        The format version: 1 (values carry a crc32c) or 0 (no checksums).

        Raises ValueError when the MapBuffer is closed.
        """

    @property
    def partial_index(self) -> bool:
        """
        True while only part of the index is in memory (a range reader or URL opened in partial-index
        mode, before something read the whole index); False otherwise.

        Raises ValueError when the MapBuffer is closed.
        """

    @property
    def check_crc(self) -> bool:
        """Whether reads check each item's crc32c (format version 1); settable."""

    @check_crc.setter
    def check_crc(self, arg: bool, /) -> None: ...

    @property
    def zero_copy(self) -> bool:
        """
        Whether m[key] and get() return read-only memoryviews (zero-copy for uncompressed maps) instead
        of bytes; settable.
        """

    @zero_copy.setter
    def zero_copy(self, arg: bool, /) -> None: ...

    @property
    def compute_crc(self) -> bool:
        """
        Whether maps built by this object (dict2buf()) carry crc32c checksums (format version 1).
        """

    @property
    def tobytesfn(self) -> Callable[[Any], Buffer | numpy.typing.NDArray[Any]] | None:
        """
        The function applied to each value written (m[key] = value, dict2buf()), or None; settable.
        """

    @tobytesfn.setter
    def tobytesfn(self, fn: Callable[[Any], Buffer | numpy.typing.NDArray[Any]] | None, /) -> None: ...

    @property
    def frombytesfn(self) -> Callable[[Any], Any] | None:
        """
        The function applied to each value read (m[key], get(), values(), items(), todict()), or None;
        settable.
        """

    @frombytesfn.setter
    def frombytesfn(self, fn: Callable[[Any], Any] | None, /) -> None: ...

    def get_many(self, keys: Iterable[SupportsIndex], default: Buffer | numpy.typing.NDArray[Any] | None = None, threads: int = -1, zero_copy: bool = False, max_output_size: int | None = None) -> BufferWithSegments:
        """
        Returns the values of many keys as ONE BufferWithSegments, segment i = the value of keys[i].

        keys: a numpy integer array (read without per-key Python work) or any iterable of ints.
        Lookups, crc checks and decompression run on the library's thread pool without the GIL.
        default: bytes-like value for missing keys (None: a missing key raises KeyError).
        zero_copy: segments point into the map's own memory (uncompressed in-memory maps).
        threads: < 0 every pool worker, 0 or 1 the calling thread, n at most n.
        max_output_size: the most bytes the whole result may hold (LimitExceededError beyond).
        frombytesfn is not applied.

        Raises KeyError naming the first missing key, TypeError for a key that is not an integer,
        ValueError when the MapBuffer is closed, a ValidationError subclass naming a corrupt item.
        """

    def tobytes(self) -> Buffer:
        """
        Returns the serialized map: the object it was built as or opened on (bytes for a built map), the
        whole content of a range reader as bytes, or a read-only memoryview over a memory-mapped file.

        Raises ValueError when the MapBuffer is closed; a range reader's own error when reading fails.
        """

    def dict2buf(self, data: _typeshed.SupportsItems[SupportsIndex, Any], compress: str | int | bytes | None = None, tobytesfn: Callable[[Any], Buffer | numpy.typing.NDArray[Any]] | None = None) -> bytes:
        """
        Returns a new serialized map built from the dict `data`, as MapBuffer(data) would build it,
        with this map's codec, level, compute_crc and tobytesfn unless `compress` or `tobytesfn` is given.
        Works on a closed map too.

        Raises TypeError for a value that is not bytes-like, ValueError for a key outside [0, 2**64),
        UnsupportedCompressionType for an unknown codec, CompressionError when compression fails.
        """

class MapBufferWriter:
    """
    Writes a MapBuffer file item by item without holding the values in memory; the file appears
    atomically at commit() (a temporary file renamed over the path), never half-written.
    As a context manager it commits when the with block ends normally and aborts on an exception.
    """

    def __init__(self, path: str | os.PathLike[str], compress: str | int | bytes | None = None, *, level: int | None = None, compute_crc: bool = True, tobytesfn: Callable[[Any], Buffer | numpy.typing.NDArray[Any]] | None = None) -> None:
        """
        Starts a MapBuffer file at `path` (created at commit()).

        compress: the codec: None, 'gzip', 'br', 'zstd' or 'lzma'; level: its level (None: default).
        compute_crc: write crc32c checksums (format version 1); False writes format version 0.
        tobytesfn: applied to each value added; must return bytes-like.

        Raises UnsupportedCompressionType for an unknown codec, ValueError for a level out of range,
        OSError when the temporary file beside `path` cannot be created.
        """

    def add(self, key: SupportsIndex, value: Any) -> None:
        """
        Adds one item (compressed and spooled to the temporary file at once) and returns None.

        Raises ValueError when the writer is closed (committed or aborted) or the key is outside
        [0, 2**64); TypeError when the key is not an integer or the value not bytes-like (after
        tobytesfn); CompressionError or OSError when compressing or writing fails. A key added twice
        is reported by commit().
        """

    def __len__(self) -> int:
        """
        len(w): the number of items added so far (0 once committed or aborted).
        """

    def commit(self) -> None:
        """
        Writes the index, makes the file appear at the path (atomically replacing any file there) and
        closes the writer; returns None.

        Raises ValueError when the writer is already closed or a key was added twice (the path is
        then left untouched), OSError when writing or renaming fails.
        """

    def abort(self) -> None:
        """
        Discards everything written and closes the writer; the path is left untouched. Returns None;
        aborting a closed writer does nothing.
        """

    def __enter__(self) -> Self:
        """Returns the writer itself."""

    def __exit__(self, *args: object) -> Literal[False]:
        """
        Commits when the with block ended normally, aborts when it raised; returns False, so
        exceptions propagate. Raises what commit() raises.
        """

    def __repr__(self) -> str:
        """repr(w): the target path, codec, state and number of items."""

class IntMap:
    """
    A serialized map of u64 keys to u64 values, read without parsing (the mapbuffer package's format).

    IntMap(data) opens serialized data (bytes-like, a file, a path or a range reader) or builds a map
    from a dict. It reads as a mapping: m[key], key in m, len(m), iteration, get, keys, values, items;
    m[key] = value overwrites a value in place (writable data only). A missing key raises KeyError, a
    key that is not an integer TypeError, any use of a closed map ValueError, corrupt data a
    segpack.ValidationError subclass.
    """

    def __init__(self, data: _typeshed.SupportsItems[SupportsIndex, SupportsIndex] | Iterable[tuple[SupportsIndex, SupportsIndex]] | Buffer | numpy.typing.NDArray[Any] | str | os.PathLike[str] | BinaryIO | _typeshed.SupportsGetItem[slice, Buffer | numpy.typing.NDArray[Any]] | None = None, *, storage_options: dict[str, Any] | None = None, timeout: float = 30.0, retries: int = 3, first_read: int | None = None, partial_index: bool | None = None) -> None:
        """
        Opens serialized data, or builds a new map from a dict.

        data: a dict (or any object with items() and keys()) of int keys to int values, built into a
          new map; serialized data, bytes-like (bytes, bytearray, memoryview, numpy uint8 array, mmap;
          used without a copy); a path or an open binary file (memory-mapped); an object whose
          __getitem__ takes a slice and returns bytes (a range reader); a URL 'proto://...' or an fsspec
          file object (read through segpack.remote.RemoteFile: the header and the pairs in one or two
          requests, or only their top levels: see partial_index); None: an empty map.
        storage_options, timeout, retries, first_read: as MapBuffer's, for a URL.
        partial_index: range readers and URLs: read only the header and the top of the pairs when opening
          (64 KiB: 12 levels of the Eytzinger tree) and the rest in 4 KiB blocks as lookups reach them
          (cached, at most 16 MiB; get_many advances all its keys together, a few batched reads). None:
          when the pairs are larger than 1 MiB (65,536 pairs); True: always; False: never. keys(), items(),
          todict(), index(), tobytes() and validate() read all the pairs first.

        data may also be (key, value) pairs to build from: a list or tuple of 2-tuples, or an iterator,
        generator or other iterable of them (an object with __getitem__ other than a list or tuple is a
        range reader, and a bytes-like object is a map's bytes). Duplicate keys raise ValueError.

        Raises TypeError for data of another type or a key or value that is not an integer, ValueError
        for a key or value outside [0, 2**64), OSError when a file cannot be opened or mapped, and a
        ValidationError subclass when the header or size is invalid.
        """

    def __len__(self, /) -> int:
        """Return len(self)."""

    def __getitem__(self, key: SupportsIndex, /) -> int:
        """Return self[key]."""

    def __setitem__(self, key: SupportsIndex, value: SupportsIndex, /) -> None:
        """Set self[key] to value."""

    def __contains__(self, key: object, /) -> bool:
        """Return key in self."""

    @overload
    def get(self, label: SupportsIndex, default: None = None) -> int | None: ...
    @overload
    def get(self, label: SupportsIndex, default: _T) -> int | _T:
        """
        Returns the value stored under `label`, or `default` when no such key is stored (as
        dict.get does).
        The value is an int.

        Raises TypeError when `label` is not an integer, ValueError when the IntMap is closed.
        """

    def find_index_position(self, label: SupportsIndex, /) -> int | None:
        """
        Returns the position of `label` in the index (the order of keys(), index() and
        getindex()), or None when it is not stored.

        Raises TypeError when `label` is not an integer, ValueError when the IntMap is closed.
        """

    def keys(self) -> Iterator[int]:
        """
        Returns an iterator over the keys (ints), in index order.

        Raises ValueError when the IntMap is closed (also from next() once it is closed).
        """

    def values(self) -> Iterator[int]:
        """
        Returns an iterator over the values, in index order: ints.

        Raises ValueError when the IntMap is closed (also from next() once it is closed).
        """

    def items(self) -> Iterator[tuple[int, int]]:
        """
        Returns an iterator over the (key, value) pairs, in index order.
        Values are ints.

        Raises ValueError when the IntMap is closed (also from next() once it is closed).
        """

    def __iter__(self) -> Iterator[int]:
        """
        iter(m): an iterator over the keys, as keys() returns.

        Raises ValueError when the IntMap is closed (also from next() once it is closed).
        """

    def todict(self) -> dict[int, int]:
        """
        Returns every item as a new dict {key: value}.
        Values are ints.

        Raises ValueError when the IntMap is closed.
        """

    @property
    def header(self) -> bytes:
        """
        The header bytes at the start of the data (magic, format version, ...).

        Raises ValueError when the IntMap is closed.
        """

    @property
    def closed(self) -> bool:
        """True once close() has run (or a with block has ended), False before."""

    def validate(self) -> bool:
        """
        Checks the key order (the header and size were checked when it opened).
        Returns True or raises a ValidationError subclass.

        Raises ValueError when the IntMap is closed.
        """

    @staticmethod
    def validate_buffer(buf: Buffer | numpy.typing.NDArray[Any] | str | os.PathLike[str] | BinaryIO | _typeshed.SupportsGetItem[slice, Buffer | numpy.typing.NDArray[Any]]) -> bool:
        """
        Opens `buf` as a IntMap and runs validate() on it.

        Returns True, or raises what the constructor and validate() raise.
        """

    def close(self) -> None:
        """
        Releases the buffer, mapping or range reader and returns None; closing twice does
        nothing. Using the IntMap afterwards raises ValueError; views handed out
        earlier (index(), memoryviews, zero-copy segments) keep what they need alive.
        """

    def __enter__(self) -> Self:
        """Returns the IntMap itself: `with IntMap(...) as m:` closes it on exit."""

    def __exit__(self, *args: object) -> Literal[False]:
        """
        Closes the IntMap (see close()); returns False, so exceptions propagate.
        """

    @property
    def buffer(self) -> Buffer:
        """
        The serialized bytes, as tobytes() returns them. Assigning reopens the map over the new data (any data the constructor takes) with the same options, validated as by the constructor; on error the map is left as it was (TypeError / ValidationError as the constructor raises them).
        """

    @buffer.setter
    def buffer(self, data: Buffer | numpy.typing.NDArray[Any] | str | os.PathLike[str] | BinaryIO | _typeshed.SupportsGetItem[slice, Buffer | numpy.typing.NDArray[Any]], /) -> None: ...

    def __reduce_ex__(self, protocol: SupportsIndex, /) -> tuple[Any, ...]:
        """
        Returns the pickle reduction; unpickling reopens the map through the constructor (validated), with the same options. In-memory maps pickle as their bytes (protocol 5: one pickle.PickleBuffer, out of band with a buffer_callback, no copy), maps opened from a path or an open file as the file's absolute path (reopened on load, so the file must still be there), maps over a range reader as the reader object. copy.deepcopy goes through here too: it shares bytes objects and files, and copies writable memory.
        """

    def __copy__(self) -> Self:
        """
        Returns a new map over the same memory, file or range reader, with the same options.
        """

    def __repr__(self) -> str:
        """
        repr(m): the map's source (path, size or reader type), item count, codec and state.
        """

    @staticmethod
    def from_arrays(keys: numpy.typing.ArrayLike, values: numpy.typing.ArrayLike) -> IntMap:
        """
        Returns a new in-memory IntMap of keys[i] -> values[i], from two equal-length integer arrays
        (anything numpy.ascontiguousarray turns into uint64).

        Raises ValueError when the lengths differ or a key repeats, and what numpy raises for input it
        cannot convert.
        """

    def getindex(self, index: int, /) -> int:
        """
        Returns the value at position `index` of the index (negative: from the end).

        Raises IndexError when out of range and ValueError when the IntMap is closed.
        """

    def setindex(self, index: int, value: int, /) -> None:
        """
        Overwrites the value at position `index` of the index, in place, and returns None.

        Raises IndexError when out of range, ValueError when the IntMap is closed or its data is
        read-only (bytes, a mapped file), TypeError when the value is not an int in [0, 2**64).
        """

    def index(self) -> numpy.typing.NDArray[numpy.uint64]:
        """
        Returns the (key, value) pairs as a read-only N x 2 numpy uint64 view, in index order; it keeps
        the data alive.

        Raises ValueError when the IntMap is closed.
        """

    @property
    def partial_index(self) -> bool:
        """
        True while only part of the pairs is in memory (a range reader or URL opened in partial-index
        mode, before something read them all); False otherwise.

        Raises ValueError when the IntMap is closed.
        """

    @property
    def format_version(self) -> int:
        """
        The format version read from the header.

        Raises ValueError when the IntMap is closed.
        """

    def get_many(self, keys: Iterable[SupportsIndex], default: int | None = None, threads: int = -1) -> numpy.typing.NDArray[numpy.uint64]:
        """
        Returns the values of many keys as a new numpy uint64 array, value i = the value of keys[i].

        keys: a numpy integer array (read without per-key Python work) or any iterable of ints.
        The lookups run on the library's thread pool without the GIL.
        default: the value for missing keys (None: a missing key raises KeyError).
        threads: < 0 every pool worker, 0 or 1 the calling thread, n at most n.

        Raises KeyError naming the first missing key, TypeError for a key that is not an integer,
        ValueError when the IntMap is closed.
        """

    def tobytes(self) -> Buffer:
        """
        Returns the serialized map: the bytes-like object it was built as or opened on (bytes for a
        built map), or a read-only memoryview over a memory-mapped file or a range reader's data.

        Raises ValueError when the IntMap is closed.
        """

def write_intmap(path: str | os.PathLike[str], data: _typeshed.SupportsItems[SupportsIndex, SupportsIndex] | Iterable[tuple[SupportsIndex, SupportsIndex]]) -> None:
    """
    Writes the dict (or any object with items()) `data` of int keys to int values, or (key, value)
    pairs, as an IntMap file
    at `path`, atomically (a temporary file renamed over it); returns None.

    Raises TypeError for a key or value that is not an integer, ValueError for one outside [0, 2**64)
    or a repeated key, OSError when the file cannot be written.
    """

class BufferSegment:
    """
    A zero-copy view of one segment of a BufferWithSegments (python-zstandard's type).

    It exports the read-only buffer protocol (memoryview(s), bytes(s), numpy.frombuffer(s))
    and keeps the backing memory alive; it compares equal to bytes of the same content.
    """

    def __init__(self, data: Buffer | numpy.typing.NDArray[Any], offset: int = 0) -> None:
        """
        A segment over all of `data` (no copy; kept alive), reporting `offset` (used by pickle;
        segments normally come from a BufferWithSegments).

        Raises TypeError when `data` is not bytes-like (C-contiguous).
        """

    @property
    def offset(self) -> int:
        """Byte offset of this segment within its parent buffer."""

    def __len__(self) -> int:
        """len(s): the segment's size in bytes."""

    def tobytes(self) -> bytes:
        """Returns a bytes copy of the segment."""

    def __bytes__(self) -> bytes:
        """bytes(s): a bytes copy of the segment."""

    def __eq__(self, other: object) -> bool:
        """
        s == other: True when `other` is bytes-like with the same content; NotImplemented for other types.
        """

    def __hash__(self) -> int:
        """
        hash(s): the hash of the segment's content, as bytes of the same content hash.
        """

    def __repr__(self) -> str: ...

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support: the segment's bytes (a copy) and offset."""

    def __buffer__(self, flags: int, /) -> memoryview:
        """The buffer protocol: a read-only view of the bytes (memoryview(x), bytes(x))."""

class BufferSegments:
    """
    The (offset, length) records of a BufferWithSegments (python-zstandard's type):
    16 bytes each, two native u64s, exported as a read-only buffer.
    """

    def __init__(self, data: Buffer | numpy.typing.NDArray[Any]) -> None:
        """
        Records from bytes-like data, kept without a copy (used by pickle; normally from
        BufferWithSegments.segments()).

        Raises TypeError when `data` is not bytes-like, ValueError when its size is not a multiple of 16.
        """

    def __len__(self) -> int:
        """len(s): the number of segments."""

    def __repr__(self) -> str:
        """repr(s): the number of segments."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support: the records' bytes (a copy)."""

    def __buffer__(self, flags: int, /) -> memoryview:
        """The buffer protocol: a read-only view of the bytes (memoryview(x), bytes(x))."""

class BufferWithSegments:
    """
    A buffer holding many items (python-zstandard's type): `data` (any bytes-like object, not
    copied; kept alive) cut by `segments` (16-byte native (offset, length) u64 records, copied
    and bounds-checked). Overlapping, unsorted and gapped segments are allowed.

    It is a sequence of BufferSegment (b[i], slices, iteration) and exports the whole backing
    buffer through the read-only buffer protocol.
    """

    def __init__(self, data: Buffer | numpy.typing.NDArray[Any], segments: Buffer | numpy.typing.NDArray[Any]) -> None:
        """
        Cuts `data` (kept alive, not copied) by `segments`: 16-byte records of two native u64s
        (offset, length), e.g. a numpy uint64 array of shape (N, 2) (copied).

        Raises TypeError when either is not bytes-like, ValueError when the records' size is not a
        multiple of 16 or a segment reaches past the end of `data`.
        """

    @property
    def size(self) -> int:
        """Total size in bytes of the backing buffer."""

    def __len__(self) -> int:
        """len(b): the number of segments."""

    @overload
    def __getitem__(self, index: SupportsIndex, /) -> BufferSegment: ...
    @overload
    def __getitem__(self, index: slice, /) -> BufferWithSegments:
        """
        b[i]: segment i as a BufferSegment (zero-copy; negative i counts from the end);
        b[start:stop:step]: a new BufferWithSegments of those segments over the same data.

        Raises IndexError when i is out of range, TypeError when it is not an integer or slice.
        """

    def __iter__(self) -> Iterator[BufferSegment]:
        """iter(b): every segment, in order, as a BufferSegment."""

    def segments(self) -> BufferSegments:
        """
        Returns the segment records as a BufferSegments object (buffer protocol, no copy).
        """

    def tobytes(self) -> bytes:
        """
        Returns a bytes copy of the whole backing buffer (gaps between segments included).
        """

    def offsets(self) -> numpy.typing.NDArray[numpy.uint64]:
        """
        Returns every segment's offset as a read-only numpy uint64 array (a view: no copy).
        """

    def lengths(self) -> numpy.typing.NDArray[numpy.uint64]:
        """
        Returns every segment's length as a read-only numpy uint64 array (a view: no copy).
        """

    def memoryviews(self) -> list[memoryview]:
        """
        Returns every segment as a read-only memoryview, in one call (no copies).
        """

    def tolist(self) -> list[bytes]:
        """Returns every segment as bytes (copies), in a list."""

    def concat(self) -> bytes:
        """Returns the segments joined in order, as bytes."""

    def __reduce_ex__(self, protocol: SupportsIndex, /) -> tuple[Any, ...]:
        """
        Pickle support: the backing data (out of band with protocol 5; compacted when the segments
        cover less than half of it) and the segment records.
        """

    def __repr__(self) -> str: ...

    def __buffer__(self, flags: int, /) -> memoryview:
        """The buffer protocol: a read-only view of the bytes (memoryview(x), bytes(x))."""

class BufferWithSegmentsCollection:
    """
    Several BufferWithSegments seen as one sequence of segments (python-zstandard's type;
    what multi_compress_to_buffer and multi_decompress_to_buffer return).
    """

    def __init__(self, *args: BufferWithSegments) -> None:
        """
        The segments of every argument, in order (the buffers are shared, not copied).

        Raises ValueError when there is no argument or one is empty, TypeError when one is not a
        BufferWithSegments.
        """

    def __len__(self) -> int:
        """len(c): the number of segments."""

    def size(self) -> int:
        """
        Returns the total bytes of all segments (a method, as in python-zstandard).
        """

    @overload
    def __getitem__(self, index: SupportsIndex, /) -> BufferSegment: ...
    @overload
    def __getitem__(self, index: slice, /) -> list[BufferSegment]:
        """
        c[i]: segment i as a BufferSegment (zero-copy; negative i counts from the end);
        c[start:stop:step]: a list of those segments.

        Raises IndexError when i is out of range, TypeError when it is not an integer or slice.
        """

    def __iter__(self) -> Iterator[BufferSegment]:
        """iter(c): every segment, in order, as a BufferSegment."""

    def buffers(self) -> list[BufferWithSegments]:
        """Returns the member BufferWithSegments objects, in order."""

    def memoryviews(self) -> list[memoryview]:
        """
        Returns every segment as a read-only memoryview, in one call (no copies).
        """

    def tolist(self) -> list[bytes]:
        """Returns every segment as bytes (copies), in a list."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support: the member buffers."""

    def __repr__(self) -> str: ...

def multi_compress_to_buffer(data: Sequence[Buffer | numpy.typing.NDArray[Any]] | BufferWithSegments | BufferWithSegmentsCollection, codec: str | int | bytes | None = 'zstd', level: int | None = None, threads: int = -1) -> BufferWithSegmentsCollection:
    """
    Compresses every item of `data` (a list or tuple of bytes-like objects, a BufferWithSegments or a
    BufferWithSegmentsCollection) on the library's thread pool, without the GIL.

    Returns a BufferWithSegmentsCollection holding one buffer: segment i = item i compressed (one
    whole stream or frame per item). level: the codec's level (None: its default). threads: < 0
    every pool worker, 0 or 1 the calling thread, n at most n.

    Raises TypeError for input of another type or an item that is not bytes-like, ValueError when
    there is no item or the level is out of range, UnsupportedCompressionType for an unknown codec,
    CompressionError naming the item that failed.
    """

def multi_decompress_to_buffer(frames: Sequence[Buffer | numpy.typing.NDArray[Any]] | BufferWithSegments | BufferWithSegmentsCollection, decompressed_sizes: Buffer | numpy.typing.NDArray[Any] | Iterable[int] | None = None, codec: str | int | bytes | None = 'zstd', threads: int = -1, max_output_size: int | None = None) -> BufferWithSegmentsCollection:
    """
    Decompresses every frame (whole streams of `codec`) on the library's thread pool, without the
    GIL, into ONE buffer.

    Returns a BufferWithSegmentsCollection holding that buffer: segment i = frame i decompressed.
    decompressed_sizes: each item's size, as native u64s (bytes-like, e.g. a numpy uint64 array) or
    a list of ints; 0 = read it from the frame. max_output_size caps the whole output (None: 1 GiB).
    threads: < 0 every pool worker, 0 or 1 the calling thread, n at most n.

    Raises TypeError for input of another type or an item that is not bytes-like, ValueError when
    there is no frame or decompressed_sizes does not have one entry per frame,
    UnsupportedCompressionType for an unknown codec, DecompressionError naming the first item that
    is corrupt, truncated or not of its stated size, LimitExceededError beyond max_output_size.
    """

def set_num_threads(n: int) -> None:
    """
    Sets the number of workers of the library's thread pool (0: automatic, the number of cores or
    SEGPACK_NUM_THREADS) and returns None; the pool is remade at its next use.

    Raises TypeError when n is not an int (bool included), ValueError for a negative n or one above 1024.
    """

def get_num_threads() -> int:
    """
    Returns the number of workers of the library's thread pool, the calling thread included.
    """

def crc32c(data: Buffer | numpy.typing.NDArray[Any], value: int = 0) -> int:
    """
    Returns the CRC-32C (Castagnoli) of `data` as an int; `value` continues an earlier checksum,
    so crc32c(b, crc32c(a)) == crc32c(a + b).

    Raises TypeError when `data` is not bytes-like or `value` not an int in [0, 2**32).
    """

def crc32c_backend() -> str:
    """
    Returns the name of the crc32c implementation in use (e.g. 'isal', 'sse42', 'portable').
    """

def crc32c_backends() -> list[str]:
    """
    Returns the names of the crc32c implementations this machine can run (for tests and benchmarks).
    """

def crc32c_with(backend: str, data: Buffer | numpy.typing.NDArray[Any], value: int = 0) -> int:
    """
    Returns crc32c(data, value) computed by the named implementation (for tests and benchmarks).

    Raises ValueError when that implementation is not available here, TypeError as crc32c() does.
    """

def compress(data: Buffer | numpy.typing.NDArray[Any], codec: str | int | bytes | None = 'zstd', level: int | None = None) -> bytes:
    """
    Returns `data` compressed as one whole stream of `codec`: None (a copy), 'gzip', 'br', 'zstd' or
    'lzma', at `level` (None: mapbuffer's default for the codec).

    Raises TypeError when `data` is not bytes-like, UnsupportedCompressionType for an unknown codec,
    ValueError for a level out of the codec's range, CompressionError when compression fails.
    Reuses this thread's codec context: no context is made per call. zstd errors are also ZstdError.
    """

def decompress(data: Buffer | numpy.typing.NDArray[Any], codec: str | int | bytes | None = 'zstd', max_output: int | None = None) -> bytes:
    """
    Returns the content of one whole stream of `codec` (None, 'gzip', 'br', 'zstd' or 'lzma').
    max_output: the most bytes it may decompress to (None: 4 GiB).

    Raises TypeError when `data` is not bytes-like, UnsupportedCompressionType for an unknown codec,
    DecompressionError on corrupt, truncated or trailing data, LimitExceededError beyond max_output.
    Reuses this thread's codec context: no context is made per call. zstd errors are also ZstdError.
    """

def codec_level_range(codec: str | int | bytes | None) -> tuple[int, int]:
    """
    Returns the (lowest, highest) compression level `codec` accepts ((0, 0) for None).

    Raises UnsupportedCompressionType for an unknown codec.
    """

def codec_default_level(codec: str | int | bytes | None) -> int:
    """
    Returns the level `codec` uses when none is given (mapbuffer's default for it).

    Raises UnsupportedCompressionType for an unknown codec.
    """

class ZstdCompressionDict:
    """
    A zstd dictionary (python-zstandard's ZstdCompressionDict). `data` is copied; nothing is parsed until the dictionary is first used, which digests it once (per compression level, and once for decompression) for every compressor, decompressor and batch worker that uses it. dict_type: DICT_TYPE_AUTO (a full dictionary when `data` starts with the dictionary magic, raw content otherwise), DICT_TYPE_RAWCONTENT or DICT_TYPE_FULLDICT. k and d: the cover parameters train_dictionary chose (0 otherwise).
    """

    def __init__(self, data: Buffer | numpy.typing.NDArray[Any], dict_type: int = 0, k: int = 0, d: int = 0) -> None:
        """
        Makes a dictionary from a copy of `data` (any bytes-like object); returns nothing. Raises TypeError when `data` is not bytes-like and ValueError for a dict_type other than the DICT_TYPE_* constants. The data is parsed on first use: DICT_TYPE_FULLDICT data that is not a dictionary raises a ZstdError then.
        """

    def __len__(self) -> int:
        """Returns the size of the dictionary in bytes."""

    def as_bytes(self) -> bytes:
        """
        Returns the dictionary bytes (to store it, or to rebuild it with ZstdCompressionDict(data)). Raises nothing.
        """

    def dict_id(self) -> int:
        """
        Returns the dictionary id in its header (what frames compressed with it record); 0 for raw content. Raises nothing.
        """

    @property
    def dict_type(self) -> int:
        """
        DICT_TYPE_AUTO (0), DICT_TYPE_RAWCONTENT (1) or DICT_TYPE_FULLDICT (2).
        """

    @property
    def k(self) -> int:
        """Cover segment size chosen by training (or 0)."""

    @property
    def d(self) -> int:
        """Cover dmer size chosen by training (or 0)."""

    def precompute_compress(self, level: int = 0, compression_params: Any | None = None) -> None:
        """
        Digests the dictionary for compression at `level` now instead of on first use (or for compression_params.compression_level: a ZstdCompressionParameters, segpack's or python-zstandard's); returns nothing. Unlike python-zstandard's, this does not change the frames later compressors write: segpack always shares one digest per level. Raises ValueError unless exactly one of level and compression_params is given, ZstdCompressionError when the dictionary is corrupt.
        """

    def __reduce__(self) -> tuple[type[ZstdCompressionDict], tuple[bytes, int, int, int]]:
        """
        Returns what pickle needs to rebuild the dictionary: (class, (bytes, dict_type, k, d)).
        """

    def __repr__(self) -> str: ...

def train_dictionary(dict_size: int, samples: list[bytes] | list[Buffer | numpy.typing.NDArray[Any]], k: int = 0, d: int = 0, f: int = 0, split_point: float = 0.0, accel: int = 0, notifications: int = 0, dict_id: int = 0, level: int = 0, steps: int = 0, threads: int = 0) -> ZstdCompressionDict:
    """
    Trains a zstd dictionary of at most `dict_size` bytes from `samples` (a list of bytes-like objects) with libzstd's fastCover trainer, as python-zstandard's train_dictionary (same arguments and defaults: with steps and threads 0 it tries 4 values of k with d = 8, as ZDICT_trainFromBuffer does). Returns a ZstdCompressionDict (DICT_TYPE_FULLDICT) with the chosen k and d. Raises ZstdParameterError (a ValueError) when libzstd cannot train one, e.g. from too few or too small samples, and TypeError when `samples` is not a list of bytes-like objects.
    """

class _CodecCompressor:
    def __init__(self, codec: str | int | bytes | None = 'zstd', level: int | None = None, params: dict[str, int] | None = None, dict_data: ZstdCompressionDict | None = None) -> None: ...
    @property
    def codec(self) -> str | None: ...
    @property
    def level(self) -> int | None: ...
    def compress(self, data: Buffer | numpy.typing.NDArray[Any]) -> bytes: ...
    def multi_compress_to_buffer(self, data: Sequence[Buffer | numpy.typing.NDArray[Any]] | BufferWithSegments | BufferWithSegmentsCollection, threads: int = 0) -> BufferWithSegmentsCollection: ...
    def __repr__(self) -> str: ...

class _CodecDecompressor:
    def __init__(self, codec: str | int | bytes | None = 'zstd', max_output_size: int | None = None, dict_data: ZstdCompressionDict | None = None, max_window_size: int = 0, format: int = 0) -> None: ...
    @property
    def codec(self) -> str | None: ...
    @property
    def max_output_size(self) -> int | None: ...
    def decompress(self, data: Buffer | numpy.typing.NDArray[Any], max_output_size: int = 0, read_across_frames: bool = False, allow_extra_data: bool = True) -> bytes: ...
    def multi_decompress_to_buffer(self, frames: Sequence[Buffer | numpy.typing.NDArray[Any]] | BufferWithSegments | BufferWithSegmentsCollection, decompressed_sizes: Buffer | numpy.typing.NDArray[Any] | Iterable[int] | None = None, threads: int = 0) -> BufferWithSegmentsCollection: ...
    def __repr__(self) -> str: ...

def zstd_check_params(params: dict[str, int]) -> None:
    """
    Returns nothing; raises ZstdParameterError naming the first zstd compression parameter out of bounds.
    """

def zstd_level_params(level: int, source_size: int = 0, dict_size: int = 0) -> dict[str, int]:
    """
    Returns the low-level parameters libzstd derives from a level for an input and dictionary size (ZSTD_getCParams), as {name: int}. Raises nothing.
    """

def zstd_version() -> tuple[int, int, int]:
    """
    Returns the version of the libzstd segpack runs with, as (major, minor, patch).
    """

def chunk_strided(address: int, shape: Sequence[int], strides: Sequence[int], itemsize: int, chunk_size: Sequence[int], order: str, grid: str, edges: str, fill: bytes, threads: int) -> tuple[BufferWithSegments, bytes, bytes, tuple[int, ...]]:
    """
    Internal: use segpack.chunk. Cuts the strided array at `address` (kept alive by the caller)
    into chunks in one new buffer, without the GIL.

    Returns (chunks, grid coordinates as int64 bytes, bounding boxes as int64 bytes, grid shape).
    Raises ValueError for bad chunk sizes, order, grid, edges or fill.
    """

def tobytes_strided(address: int, shape: Sequence[int], strides: Sequence[int], itemsize: int, chunk_size: Sequence[int], order: str, threads: int) -> list[bytes]:
    """
    Internal: use segpack.tobytes. Every chunk (grid in Fortran order, edges='error') as its own
    bytes object, written in place without the GIL.

    Returns the list of bytes. Raises ValueError for bad chunk sizes or order.
    """

def assemble_strided(address: int, dst_shape: Sequence[int], dst_strides: Sequence[int], itemsize: int, shape: Sequence[int], chunk_size: Sequence[int], order: str, grid: str, edges: str, region_start: Sequence[int], chunks: Sequence[Buffer | numpy.typing.NDArray[Any]] | BufferWithSegments, threads: int) -> None:
    """
    Internal: use segpack.frombytes. Writes the chunks of an array of `shape` into the writable
    strided destination at `address` (the whole array, or the box at region_start), without the GIL.

    Returns None. Raises ValueError for a layout, chunk count or chunk size that does not match,
    TypeError for a chunk that is not bytes-like.
    """

class ContainerWriter:
    """
    Collects buffers and a payload, then writes an object container (include/segpack/container.h). Private: use segpack.dump.
    """

    def __init__(self, alignment: int = 4096, threads: int = -1, durable: bool = True) -> None:
        """
        A writer whose uncompressed buffers are aligned to `alignment` by default; `threads` bounds the
        workers (-1: the pool); `durable`: write_file fsyncs before the rename.

        Raises ValueError for an alignment that is not a power of two up to 2**30.
        """

    def add_buffer(self, data: Buffer | numpy.typing.NDArray[Any], codec: str | int | bytes | None = None, level: int | None = None, alignment: int = 0, metadata: bytes = b'') -> int:
        """
        Adds a buffer (kept alive, not copied: keep it unchanged until written) stored with `codec` at
        `level`, aligned to `alignment` (0: the writer's default when uncompressed, 1 when compressed),
        with an opaque `metadata` blob. Returns its index.

        Raises UnsupportedCompressionType for an unknown codec, ValueError for a bad level or alignment.
        """

    def set_payload(self, data: Buffer | numpy.typing.NDArray[Any]) -> None:
        """Sets the payload (kept alive, not copied). Returns None."""

    def __len__(self) -> int: ...

    def write_file(self, path: str | os.PathLike[str]) -> None:
        """
        Writes the container to `path` atomically (a temporary file renamed over it; fsynced first when
        durable), compressing on the pool without the GIL. Returns None.

        Raises OSError (the old file is left as it was), CompressionError.
        """

    def write_to(self, stream: _typeshed.SupportsWrite[memoryview]) -> int:
        """
        Writes the container to `stream` (anything with write()) in order, handing it read-only
        memoryviews of the memory itself (no intermediate copy; released after each call). Compresses
        without the GIL. Returns the bytes written.

        Raises what the stream raises, CompressionError.
        """

class ContainerReader:
    """
    A validated object container (include/segpack/container.h). Private: use segpack.load.
    """

    @staticmethod
    def open_file(path: str | os.PathLike[str], mmap: bool = True, copy_on_write: bool = False, verify: bool = False, threads: int = -1) -> ContainerReader:
        """
        Opens the file: mapped read-only (default), mapped copy-on-write, or read into memory (mmap=False;
        each uncompressed buffer's crc checked in the read pass). Checks the header and table. `verify`:
        buffers() checks the crcs of mapped buffers too (in parallel).

        Raises OSError, TruncatedError, ChecksumError, ValidationError, UnsupportedFormatError.
        """

    @staticmethod
    def open(data: Buffer | numpy.typing.NDArray[Any], writable: bool = False, verify: bool = False, threads: int = -1) -> ContainerReader:
        """
        Opens a container held in memory (not copied: buffers are views of `data`, writable ones when
        `writable` and `data` is). Checks the header and table; `verify` as for open_file.

        Raises TypeError for an object without the buffer protocol, then as open_file.
        """

    @staticmethod
    def open_source(reader: Any, first_read: int = 65536, copy: bool = True, threads: int = -1) -> ContainerReader:
        """
        Opens a container behind a range reader (segpack.remote.RemoteFile, or any object with slice
        __getitem__, and read_ranges for batches): the first `first_read` bytes in one read, then what
        they lack of the payload and table in one batch. Checks the header and table. buffers() then
        reads the buffers in one batch and checks every crc: `copy` copies uncompressed ones into new
        writable memory (crc computed in the copy pass), otherwise they are views of the bytes read
        (read-only bytes objects), checked in place.

        Raises what the reader raises (RemoteError), then as open_file.
        """

    def __len__(self) -> int: ...

    @property
    def file_size(self) -> int:
        """Bytes of the whole container."""

    def payload(self) -> memoryview:
        """Returns a read-only memoryview of the payload (zero-copy)."""

    def info(self, index: int) -> tuple[int, int, int, str | None, int, int, bytes]:
        """
        Returns (offset, stored length, raw length, codec, crc32c, alignment, metadata) of buffer
        `index`. Raises IndexError for a bad index.
        """

    def infos(self) -> list[tuple[int, int, int, str | None, int, int, bytes]]:
        """Returns info(i) of every buffer, in order."""

    def buffers(self, writable: bool = False) -> list[memoryview]:
        """
        Returns a memoryview of every buffer, in order: views of the file for uncompressed buffers
        (crcs checked in parallel when opened with verify), compressed ones decoded in parallel and
        checked, all without the GIL. Writable views when `writable` and the memory is. Opened by
        open_source: all buffers read in one batch, then copied (crc checked in the same pass) or
        checked in place, compressed ones decoded and checked.

        Raises ChecksumError naming the buffer, DecompressionError, ValidationError, and what the range
        reader raises (RemoteError).
        """

    def verify(self) -> None:
        """
        Checks the payload's and every buffer's crc32c (decoding compressed ones) in parallel, without
        the GIL. Returns None. Raises ChecksumError naming the lowest bad buffer, DecompressionError.
        """

def check_pickle_lengths(data: Buffer | numpy.typing.NDArray[Any]) -> None:
    """
    Checks that every length a pickle stream declares (counted bytes, strings, longs, frames) fits
    in the bytes left after it, up to its STOP (or to the first malformed opcode, where the
    unpickler stops with its own error), without building anything.

    Returns None. Raises ValidationError for a length past the end.
    """

class ArrayReducer:
    """
    The reducer_override and buffer callback of one segpack.objects pickler (private).
    """

    def __init__(self, ndarray: type, fallback: Callable[[Any], Any], rebuild: Callable[..., Any], buffer_object: type, user_callback: Callable[[Any], Any] | None) -> None:
        """
        A reducer for one dump: exact C-contiguous ndarrays of `ndarray` become (rebuild, (PickleBuffer,
        dtype, shape)); everything else is `fallback(obj)`. `user_callback` is the caller's buffer
        callback, called by `callback` with a `buffer_object` instance.
        """

    def __call__(self, obj: Any, /) -> Any:
        """
        The pickler's reducer_override: returns a reduce tuple, or what `fallback` returns.
        """

    def callback(self, pb: pickle.PickleBuffer, /) -> Any:
        """
        The pickler's buffer_callback: wraps `pb` in a buffer object for the user's callback and
        records the size of each buffer it sends out-of-band. Returns the user's answer.
        """

    def sizes(self) -> list[int]:
        """
        Returns the sizes in bytes of the buffers sent out-of-band so far, in order.
        """

def make_rebuild_array(scope: types.ModuleType, ndarray: type, dtype_type: type, empty: Callable[..., Any]) -> Callable[..., Any]:
    """
    Returns segpack.objects' array reconstructor, named `_rebuild_array` in the module `scope` (so that
    pickle names it there), built on numpy's `ndarray`, `dtype` and `empty`.
    """
