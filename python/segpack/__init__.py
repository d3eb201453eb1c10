"""segpack: zero-copy serialized maps of integer keys to bytes, on a C++20 core.

    >>> import segpack
    >>> mb = segpack.MapBuffer({2848: b"abc", 12939: b"123"}, compress="zstd")
    >>> mb[2848]
    b'abc'

``MapBuffer`` and ``IntMap`` read and write the ``mapbuffer`` package's format
byte for byte. See README.md for the tour.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, SupportsIndex, TypeVar

from . import errors as errors
from .errors import *  # noqa: F401,F403
from ._core import (  # noqa: F401
    BufferSegment,
    BufferSegments,
    BufferWithSegments,
    BufferWithSegmentsCollection,
    IntMap,
    MapBuffer,
    MapBufferWriter,
    codec_default_level,
    codec_level_range,
    compress,
    crc32c,
    crc32c_backend,
    crc32c_backends,
    decompress,
    get_num_threads,
    multi_compress_to_buffer,
    multi_decompress_to_buffer,
    set_num_threads,
    write_intmap,
)
from .chunking import Chunks, chunk, frombytes, tobytes  # noqa: F401
from .codecs import (  # noqa: F401
    DICT_TYPE_AUTO,
    DICT_TYPE_FULLDICT,
    DICT_TYPE_RAWCONTENT,
    FORMAT_ZSTD1,
    FORMAT_ZSTD1_MAGICLESS,
    MAX_COMPRESSION_LEVEL,
    ZSTD_VERSION,
    Compressor,
    Decompressor,
    ZstdCompressionDict,
    ZstdCompressionParameters,
    ZstdCompressor,
    ZstdDecompressor,
    train_dictionary,
)
from .objects import BufferObject, Serializer, deserialize, serialize  # noqa: F401
from .remote import RemoteFile, gather, remote_cache_clear, remote_cache_info, set_remote_cache_size  # noqa: F401

__version__ = "0.1.0"

if TYPE_CHECKING:
    from _typeshed import SupportsItems
    from numpy.typing import NDArray
    from typing_extensions import Buffer

#: mapbuffer-compatible constants
MAGIC_NUMBERS = b"mapbufr"
HEADER_LENGTH = 16
FORMAT_VERSION = 1

_PathT = TypeVar("_PathT", bound="str | os.PathLike[str]")


def write_mapbuffer(
    path: _PathT,
    data: SupportsItems[SupportsIndex, Any] | Iterable[tuple[SupportsIndex, Any]],
    compress: str | int | bytes | None = None,
    *,
    level: int | None = None,
    compute_crc: bool = True,
    tobytesfn: Callable[[Any], Buffer | NDArray[Any]] | None = None,
) -> _PathT:
    """Writes ``data`` (a dict, or an iterable of ``(key, value)`` pairs) to a
    MapBuffer file at ``path``, streaming: values are compressed and spooled as
    they arrive, and the file appears atomically when complete. The arguments
    are MapBufferWriter's.

    Returns ``path``. Raises what ``MapBufferWriter`` and its ``add()`` and
    ``commit()`` raise (TypeError for a value that is not bytes-like, ValueError
    for a key outside [0, 2**64) or repeated, UnsupportedCompressionType,
    OSError, ...); the file at ``path`` is then left untouched."""
    items: Iterable[tuple[SupportsIndex, Any]] = data.items() if hasattr(data, "items") else data
    with MapBufferWriter(path, compress, level=level, compute_crc=compute_crc, tobytesfn=tobytesfn) as w:
        for key, value in items:
            w.add(key, value)
    return path


__all__ = [
    "MapBuffer",
    "IntMap",
    "MapBufferWriter",
    "BufferSegment",
    "BufferSegments",
    "BufferWithSegments",
    "BufferWithSegmentsCollection",
    "multi_compress_to_buffer",
    "multi_decompress_to_buffer",
    "Compressor",
    "Decompressor",
    "ZstdCompressor",
    "ZstdDecompressor",
    "ZstdCompressionDict",
    "ZstdCompressionParameters",
    "train_dictionary",
    "DICT_TYPE_AUTO",
    "DICT_TYPE_RAWCONTENT",
    "DICT_TYPE_FULLDICT",
    "FORMAT_ZSTD1",
    "FORMAT_ZSTD1_MAGICLESS",
    "ZSTD_VERSION",
    "MAX_COMPRESSION_LEVEL",
    "set_num_threads",
    "get_num_threads",
    "write_mapbuffer",
    "write_intmap",
    "crc32c",
    "crc32c_backend",
    "crc32c_backends",
    "compress",
    "decompress",
    "codec_level_range",
    "codec_default_level",
    "chunk",
    "tobytes",
    "frombytes",
    "Chunks",
    "MAGIC_NUMBERS",
    "HEADER_LENGTH",
    "FORMAT_VERSION",
    "serialize",
    "deserialize",
    "Serializer",
    "BufferObject",
    "gather",
    "RemoteFile",
    "remote_cache_clear",
    "remote_cache_info",
    "set_remote_cache_size",
    # segpack.errors.__all__, spelled out: type checkers read only a literal list
    # (tests/python/test_public_api.py checks that it has them all)
    "SegpackError",
    "ValidationError",
    "TruncatedError",
    "ChecksumError",
    "UnsupportedFormatError",
    "UnsupportedCompressionType",
    "DecompressionError",
    "CompressionError",
    "LimitExceededError",
    "BufferMismatchError",
    "UnsafeLoadError",
    "ZstdError",
    "ZstdCompressionError",
    "ZstdDecompressionError",
    "ZstdLimitExceededError",
    "ZstdParameterError",
    "ZstdInternalError",
    "RemoteError",
]
