"""Shim for running python-zstandard's own tests against segpack (peer stage only).

Re-exports only: the names below resolve to segpack's objects when segpack has
them; every other attribute is the installed python-zstandard's, unchanged.
No behaviour is patched.
"""

from _segpack_peers_real import load_real, reexport

import segpack

_real = load_real("zstandard")

#: python-zstandard names that segpack implements (or is to implement) itself.
SEGPACK_NAMES = (
    "BufferSegment",
    "BufferSegments",
    "BufferWithSegments",
    "BufferWithSegmentsCollection",
    "ZstdCompressor",
    "ZstdDecompressor",
    "ZstdError",
    "ZstdCompressionDict",
    "train_dictionary",
)
FROM_SEGPACK = reexport(globals(), segpack, SEGPACK_NAMES)


def __getattr__(name):
    return getattr(_real, name)


def __dir__():
    return sorted(set(dir(_real)) | set(FROM_SEGPACK))
