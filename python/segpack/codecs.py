"""Compressor / Decompressor objects, with python-zstandard's batch methods.

``ZstdCompressor``, ``ZstdDecompressor``, ``ZstdCompressionDict``,
``ZstdCompressionParameters`` and ``train_dictionary`` take the place of
python-zstandard's for code that compresses items one by one or in batches
(``multi_compress_to_buffer`` / ``multi_decompress_to_buffer``): same
constructor arguments and defaults, same frames for the same libzstd version.
``Compressor`` and ``Decompressor`` do the same for every codec. All work
happens in segpack's C++ core: one-shot calls reuse a codec context per thread
(no context is made per call), batches run on the persistent thread pool
without the GIL, and a dictionary is digested once and shared by every
context and worker that uses it.

zstd errors are instances of :class:`segpack.ZstdError` and of the segpack
class other codecs raise (see :mod:`segpack.errors`).

Not supported: streaming APIs (``stream_reader``, ``stream_writer``,
``compressobj``, ``copy_stream``, ``read_to_iter``, ``chunker``), magicless
frames (``format=FORMAT_ZSTD1_MAGICLESS``, a ``ZstdParameterError``).
"""

from __future__ import annotations

import atexit
import os
from typing import Protocol

from . import _core

#: What a codec argument may be: a name ('zstd', 'gzip', 'br', 'lzma'), None
#: (no compression), or mapbuffer's integer and 4-byte tag spellings.
_Codec = str | int | bytes | None


class _DictLike(Protocol):
    """A zstd dictionary: segpack's ZstdCompressionDict or python-zstandard's."""

    def as_bytes(self) -> bytes: ...


class _ParamsLike(Protocol):
    """Compression parameters: segpack's ZstdCompressionParameters or python-zstandard's."""

    @property
    def compression_level(self) -> int: ...


#: python-zstandard's dictionary types (``ZstdCompressionDict(dict_type=...)``).
DICT_TYPE_AUTO = 0
DICT_TYPE_RAWCONTENT = 1
DICT_TYPE_FULLDICT = 2
#: python-zstandard's frame formats; only FORMAT_ZSTD1 is supported.
FORMAT_ZSTD1 = 0
FORMAT_ZSTD1_MAGICLESS = 1
#: The libzstd version segpack runs with, as (major, minor, patch). Frames are
#: byte-identical to python-zstandard's when its ``ZSTD_VERSION`` is the same.
ZSTD_VERSION: tuple[int, int, int] = _core.zstd_version()
MAX_COMPRESSION_LEVEL: int = _core.codec_level_range("zstd")[1]

ZstdCompressionDict = _core.ZstdCompressionDict
train_dictionary = _core.train_dictionary


class Compressor(_core._CodecCompressor):
    """Compresses with one codec ("zstd", "gzip", "br", "lzma" or None) at one level
    (None: the codec's default). ``compress(data)`` returns one item as bytes;
    ``multi_compress_to_buffer(data, threads=0)`` compresses many at once.

    Raises ValueError for a level outside the codec's range and
    UnsupportedCompressionType for an unknown codec."""

    def __init__(self, codec: _Codec = "zstd", level: int | None = None) -> None:
        """Sets the codec and level; returns nothing. Raises ValueError for a level
        outside the codec's range (``codec_level_range``) and
        UnsupportedCompressionType for an unknown codec."""
        _check_level(codec, level)
        super().__init__(codec, level)


class Decompressor(_core._CodecDecompressor):
    """Decompresses one codec. ``max_output_size`` caps what one call may produce
    (one item for ``decompress``, the whole batch for ``multi_decompress_to_buffer``;
    None: 4 GiB per item, 1 GiB per batch)."""

    def __init__(self, codec: _Codec = "zstd", max_output_size: int | None = None) -> None:
        """Sets the codec and the output cap; returns nothing. Raises
        UnsupportedCompressionType for an unknown codec and TypeError for a
        ``max_output_size`` that is not a non-negative int or None."""
        super().__init__(codec, max_output_size)


class ZstdCompressionParameters:
    """Low-level zstd compression parameters, python-zstandard's
    ``ZstdCompressionParameters``: same arguments, defaults and attributes
    (0 leaves a parameter to libzstd; ``strategy``, ``overlap_log`` and
    ``ldm_hash_rate_log`` of -1 mean 0; ``threads`` < 0 means one per CPU).

    Pass it as ``ZstdCompressor(compression_params=...)``; python-zstandard's
    own objects are accepted there too. Raises ZstdParameterError (a
    ValueError) naming a parameter outside libzstd's bounds, and
    ZstdParameterError for ``format=FORMAT_ZSTD1_MAGICLESS`` (not supported)."""

    _NAMES: tuple[str, ...] = (
        "format",
        "compression_level",
        "window_log",
        "hash_log",
        "chain_log",
        "search_log",
        "min_match",
        "target_length",
        "strategy",
        "write_content_size",
        "write_checksum",
        "write_dict_id",
        "job_size",
        "overlap_log",
        "force_max_window",
        "enable_ldm",
        "ldm_hash_log",
        "ldm_min_match",
        "ldm_bucket_size_log",
        "ldm_hash_rate_log",
        "threads",
    )

    def __init__(
        self,
        format: int = 0,
        compression_level: int = 0,
        window_log: int = 0,
        hash_log: int = 0,
        chain_log: int = 0,
        search_log: int = 0,
        min_match: int = 0,
        target_length: int = 0,
        strategy: int = -1,
        write_content_size: int = 1,
        write_checksum: int = 0,
        write_dict_id: int = 0,
        job_size: int = 0,
        overlap_log: int = -1,
        force_max_window: int = 0,
        enable_ldm: int = 0,
        ldm_hash_log: int = 0,
        ldm_min_match: int = 0,
        ldm_bucket_size_log: int = 0,
        ldm_hash_rate_log: int = -1,
        threads: int = 0,
    ) -> None:
        """Stores the parameters as attributes of the same names (ints); returns
        nothing. Raises ValueError for a compression_level outside zstd's range,
        ZstdParameterError (a ValueError) naming a parameter outside libzstd's
        bounds or for ``format=FORMAT_ZSTD1_MAGICLESS``, and TypeError for a
        value that is not an integer."""
        self.format = int(format)
        self.compression_level = int(compression_level)
        self.window_log = int(window_log)
        self.hash_log = int(hash_log)
        self.chain_log = int(chain_log)
        self.search_log = int(search_log)
        self.min_match = int(min_match)
        self.target_length = int(target_length)
        self.strategy = 0 if strategy == -1 else int(strategy)
        self.write_content_size = int(write_content_size)
        self.write_checksum = int(write_checksum)
        self.write_dict_id = int(write_dict_id)
        self.job_size = int(job_size)
        self.overlap_log = 0 if overlap_log == -1 else int(overlap_log)
        self.force_max_window = int(force_max_window)
        self.enable_ldm = int(enable_ldm)
        self.ldm_hash_log = int(ldm_hash_log)
        self.ldm_min_match = int(ldm_min_match)
        self.ldm_bucket_size_log = int(ldm_bucket_size_log)
        self.ldm_hash_rate_log = 0 if ldm_hash_rate_log == -1 else int(ldm_hash_rate_log)
        self.threads = _cpu_count() if threads < 0 else int(threads)
        _check_level("zstd", self.compression_level)
        _core.zstd_check_params(_params_of(self))

    @staticmethod
    def from_level(
        level: int, source_size: int = 0, dict_size: int = 0, **kwargs: int
    ) -> ZstdCompressionParameters:
        """Returns the parameters libzstd derives from a compression level for an
        input of ``source_size`` bytes and a dictionary of ``dict_size`` bytes (0:
        unknown), as a new ZstdCompressionParameters; ``kwargs`` (any of the
        constructor's arguments) override any of them. Raises what the
        constructor raises."""
        derived = _core.zstd_level_params(level, source_size, dict_size)
        for name, value in derived.items():
            kwargs.setdefault(name, value)
        return ZstdCompressionParameters(**kwargs)

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)}" for n in self._NAMES if getattr(self, n))
        return f"ZstdCompressionParameters({fields})"


class ZstdCompressor(Compressor):
    """zstd compression, python-zstandard's ``ZstdCompressor``: same arguments and
    defaults, and for the same libzstd version the same frames.

    :param level: compression level (default 3; negative levels are zstd's fast
       levels). Ignored when ``compression_params`` is given.
    :param dict_data: a ``ZstdCompressionDict`` (segpack's, or python-zstandard's,
       read through ``as_bytes()``), digested once and shared.
    :param compression_params: a ``ZstdCompressionParameters`` (segpack's or
       python-zstandard's); exclusive with the four arguments below.
    :param write_checksum: add a 4-byte checksum of the content (default False).
    :param write_content_size: store the decompressed size in the header (default True).
    :param write_dict_id: store the dictionary id in the header (default True).
    :param threads: libzstd's own threads within one large frame (< 0: one per
       CPU; 0: none). ``multi_compress_to_buffer``'s ``threads`` is separate.

    Raises ValueError for a level above the maximum or conflicting arguments,
    ZstdParameterError (a ValueError) for parameters libzstd refuses."""

    def __init__(
        self,
        level: int = 3,
        dict_data: _DictLike | None = None,
        compression_params: _ParamsLike | None = None,
        write_checksum: bool | None = None,
        write_content_size: bool | None = None,
        write_dict_id: bool | None = None,
        threads: int = 0,
    ) -> None:
        """Sets the level, dictionary and frame parameters (see the class); returns
        nothing. Raises ValueError for a level above the maximum or for
        ``compression_params`` with any of the four frame arguments,
        ZstdParameterError (a ValueError) for parameters libzstd refuses, and
        TypeError for ``dict_data`` that is not a dictionary."""
        params: dict[str, int]
        if threads < 0:
            threads = _cpu_count()
        if compression_params is not None:
            for name, value in (
                ("write_checksum", write_checksum),
                ("write_content_size", write_content_size),
                ("write_dict_id", write_dict_id),
            ):
                if value is not None:
                    raise ValueError(f"cannot define compression_params and {name}")
            if threads:
                raise ValueError("cannot define compression_params and threads")
            params = _params_of(compression_params)
            level = int(compression_params.compression_level)
        else:
            params = {
                "write_checksum": bool(write_checksum),
                "write_content_size": True if write_content_size is None else bool(write_content_size),
                "write_dict_id": True if write_dict_id is None else bool(write_dict_id),
                "threads": threads,
            }
        _check_level("zstd", level)
        _core._CodecCompressor.__init__(self, "zstd", level, params, _as_dict(dict_data))


class ZstdDecompressor(Decompressor):
    """zstd decompression, python-zstandard's ``ZstdDecompressor``.

    :param dict_data: a ``ZstdCompressionDict`` (segpack's or python-zstandard's);
       frames that name another dictionary raise ZstdDecompressionError.
    :param max_window_size: largest window a frame may need, in bytes (0: libzstd's
       default, 128 MiB, for frames decoded in a stream); a frame over it raises
       ZstdLimitExceededError.
    :param format: FORMAT_ZSTD1 only.
    :param max_output_size: segpack's cap on one ``decompress`` result and on a
       whole ``multi_decompress_to_buffer`` output (None: 4 GiB per item, 1 GiB
       per batch).

    Unlike python-zstandard, ``decompress`` decodes every frame of its input
    (trailing bytes that are not a frame raise) and frames without a content
    size; see ``Decompressor.decompress``."""

    def __init__(
        self,
        dict_data: _DictLike | None = None,
        max_window_size: int = 0,
        format: int = FORMAT_ZSTD1,
        max_output_size: int | None = None,
    ) -> None:
        """Sets the dictionary, window and output caps (see the class); returns
        nothing. Raises ZstdParameterError (a ValueError) for
        ``format=FORMAT_ZSTD1_MAGICLESS`` or a ``max_window_size`` outside libzstd's
        bounds, and TypeError for ``dict_data`` that is not a dictionary or a
        negative cap."""
        _core._CodecDecompressor.__init__(
            self, "zstd", max_output_size, _as_dict(dict_data), max_window_size, format
        )


# ---------------------------------------------------------------- helpers

_PARAM_KEYS = {
    # ZstdCompressionParameters attribute -> segpack's parameter name
    "format": "format",
    "window_log": "window_log",
    "hash_log": "hash_log",
    "chain_log": "chain_log",
    "search_log": "search_log",
    "min_match": "min_match",
    "target_length": "target_length",
    "strategy": "strategy",
    "write_content_size": "write_content_size",
    "write_checksum": "write_checksum",
    "write_dict_id": "write_dict_id",
    "job_size": "job_size",
    "overlap_log": "overlap_log",
    "force_max_window": "force_max_window",
    "enable_ldm": "enable_ldm",
    "ldm_hash_log": "ldm_hash_log",
    "ldm_min_match": "ldm_min_match",
    "ldm_bucket_size_log": "ldm_bucket_size_log",
    "ldm_hash_rate_log": "ldm_hash_rate_log",
    "threads": "threads",
}


def _params_of(p: object) -> dict[str, int]:
    """The parameters of a ZstdCompressionParameters (ours or python-zstandard's)."""
    out: dict[str, int] = {}
    for attr, key in _PARAM_KEYS.items():
        value = int(getattr(p, attr))
        if value == -1 and attr in ("strategy", "overlap_log", "ldm_hash_rate_log"):
            value = 0
        out[key] = value
    return out


def _check_level(codec: _Codec, level: int | None) -> None:
    if level is None:
        return
    lo, hi = _core.codec_level_range(codec)
    if not lo <= level <= hi:
        raise ValueError(f"level {level} is outside {lo}..{hi} for codec {codec!r}")


def _cpu_count() -> int:
    return os.cpu_count() or 1


# python-zstandard dictionaries, converted once each (a new ZstdCompressionDict
# would be digested again): the last few, held so their ids stay theirs.
_FOREIGN_DICTS: dict[int, tuple[_DictLike, ZstdCompressionDict]] = {}
_FOREIGN_DICTS_MAX = 16
# Emptied at exit, before the extension is torn down (nanobind reports objects
# still alive then as leaks).
atexit.register(_FOREIGN_DICTS.clear)


def _as_dict(d: _DictLike | None) -> ZstdCompressionDict | None:
    if d is None or isinstance(d, ZstdCompressionDict):
        return d
    as_bytes = getattr(d, "as_bytes", None)
    if as_bytes is None:
        raise TypeError(f"dict_data must be a ZstdCompressionDict, not {type(d).__name__}")
    hit = _FOREIGN_DICTS.get(id(d))
    if hit is not None and hit[0] is d:
        return hit[1]
    ours = ZstdCompressionDict(
        as_bytes(),
        dict_type=getattr(d, "_dict_type", DICT_TYPE_AUTO),
        k=getattr(d, "k", 0) or 0,
        d=getattr(d, "d", 0) or 0,
    )
    if len(_FOREIGN_DICTS) >= _FOREIGN_DICTS_MAX:
        _FOREIGN_DICTS.pop(next(iter(_FOREIGN_DICTS)))
    _FOREIGN_DICTS[id(d)] = (d, ours)
    return ours


__all__ = [
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
]
