"""Exception types raised by segpack.

Every error derives from :class:`SegpackError` (an ``Exception``), except
missing keys, which raise ``KeyError`` as a dict does. Names shared with the
``mapbuffer`` package (``ValidationError``, ``DecompressionError``,
``CompressionError``, ``UnsupportedCompressionType``) keep their meaning, but
here they derive from ``Exception`` so ``except Exception`` catches them.

zstd errors are also :class:`ZstdError` (python-zstandard's
``zstandard.ZstdError``): every error the zstd codec raises through
``ZstdCompressor``, ``ZstdDecompressor``, ``ZstdCompressionDict``,
``train_dictionary``, ``compress`` / ``decompress`` and the
``multi_*_to_buffer`` functions with ``codec="zstd"`` is an instance of a class
that derives from both the segpack class raised for other codecs and
``ZstdError``, with the same message::

    ZstdCompressionError(CompressionError, ZstdError)      compression failed
    ZstdDecompressionError(DecompressionError, ZstdError)  corrupt, truncated or trailing data,
                                                           wrong or missing dictionary
    ZstdLimitExceededError(LimitExceededError, ZstdError)  over max_output_size / max_window_size
    ZstdParameterError(ValueError, ZstdError)              a zstd parameter libzstd refuses
    ZstdInternalError(RuntimeError, ZstdError)             libzstd failed unexpectedly

so both ``except segpack.DecompressionError`` and ``except zstandard.ZstdError``
style code keep working. Argument errors found before any zstd work (wrong
types, an empty batch, a level outside the codec's range) stay plain
``TypeError`` / ``ValueError``, as in python-zstandard.
"""

import pickle


class SegpackError(Exception):
    """Base class of segpack's errors."""


class ValidationError(SegpackError, ValueError):
    """The data is not a valid segpack / mapbuffer structure (corrupt input)."""


class TruncatedError(ValidationError):
    """An offset or length points past the end of the data (truncated input)."""


class ChecksumError(ValidationError):
    """A stored crc32c does not match the data."""


class UnsupportedFormatError(ValidationError):
    """A format version or feature this segpack does not read."""


class UnsupportedCompressionType(ValidationError):
    """An unknown codec name or tag."""


class DecompressionError(ValidationError):
    """A compressed item could not be decoded."""


class CompressionError(SegpackError):
    """Compression failed."""


class LimitExceededError(SegpackError):
    """A size limit was exceeded (e.g. an item decompresses beyond max_output)."""


class ZstdError(SegpackError):
    """Base of the zstd codec's errors, like python-zstandard's ``ZstdError``.

    Never raised itself: the error raised is one of the ``Zstd*Error`` classes
    below, each also an instance of the segpack class other codecs raise."""


class ZstdCompressionError(CompressionError, ZstdError):
    """zstd compression failed (e.g. a dictionary libzstd cannot use)."""


class ZstdDecompressionError(DecompressionError, ZstdError):
    """A zstd frame could not be decoded: corrupt, truncated, trailing bytes, or
    a frame that needs another dictionary than the decompressor's."""


class ZstdLimitExceededError(LimitExceededError, ZstdError):
    """A zstd output or window limit was exceeded (max_output_size, max_window_size)."""


class ZstdParameterError(ValueError, ZstdError):
    """A zstd parameter out of libzstd's bounds or unsupported (the message names it)."""


class ZstdInternalError(RuntimeError, ZstdError):
    """libzstd failed in a way segpack did not expect."""


#: segpack class -> its zstd twin; the extension re-types zstd errors with it.
_ZSTD_TWINS = {
    CompressionError: ZstdCompressionError,
    DecompressionError: ZstdDecompressionError,
    LimitExceededError: ZstdLimitExceededError,
    ValueError: ZstdParameterError,
    RuntimeError: ZstdInternalError,
}


class BufferMismatchError(SegpackError, ValueError):
    """The out-of-band buffers passed to ``deserialize`` do not match what the payload's header
    lists: none given, too few, too many, a wrong size, or buffers for a payload without any."""


class UnsafeLoadError(pickle.UnpicklingError, SegpackError):
    """A payload asks for a global (class or function) that a restricted load does not allow;
    nothing was imported or called."""


class RemoteError(SegpackError, OSError):
    """Reading a remote file (HTTP, S3, any fsspec URL) failed for good: a transport error still
    there after the retries (5xx, reset, timeout), a response shorter or other than the range
    asked for, or a file that changed size (replaced by a shorter one). ``url`` names the file and
    ``range`` the byte range as (offset, length), or None when the request was not for a range.
    Never raised with wrong bytes returned instead."""

    def __init__(self, message: str, url: str = "", range: tuple[int, int] | None = None) -> None:
        """message: what failed; url: the file; range: (offset, length) asked for, or None."""
        super().__init__(message)
        self.url = url
        self.range = range

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.args[0] if self.args else "", self.url, self.range))


__all__ = [
    "SegpackError",
    "ValidationError",
    "TruncatedError",
    "ChecksumError",
    "UnsupportedFormatError",
    "UnsupportedCompressionType",
    "DecompressionError",
    "CompressionError",
    "LimitExceededError",
    "ZstdError",
    "ZstdCompressionError",
    "ZstdDecompressionError",
    "ZstdLimitExceededError",
    "ZstdParameterError",
    "ZstdInternalError",
    "BufferMismatchError",
    "UnsafeLoadError",
    "RemoteError",
]
