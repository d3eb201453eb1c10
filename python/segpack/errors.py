"""Exception types raised by segpack.

Every error derives from :class:`SegpackError` (an ``Exception``), except
missing keys, which raise ``KeyError`` as a dict does. Names shared with the
``mapbuffer`` package (``ValidationError``, ``DecompressionError``,
``CompressionError``, ``UnsupportedCompressionType``) keep their meaning, but
here they derive from ``Exception`` so ``except Exception`` catches them.
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


class BufferMismatchError(SegpackError, ValueError):
    """The out-of-band buffers passed to ``deserialize`` do not match what the payload's header
    lists: none given, too few, too many, a wrong size, or buffers for a payload without any."""


class UnsafeLoadError(pickle.UnpicklingError, SegpackError):
    """A payload asks for a global (class or function) that a restricted load does not allow;
    nothing was imported or called."""


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
    "BufferMismatchError",
    "UnsafeLoadError",
]
