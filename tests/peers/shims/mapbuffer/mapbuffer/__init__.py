"""Shim for running mapbuffer's own tests against segpack (peer stage only).

Re-exports only: the names below resolve to segpack's objects when segpack has
them; every other attribute is the installed mapbuffer package's, unchanged.
No behaviour is patched.
"""

from _segpack_peers_real import load_real, reexport

import segpack

_real = load_real("mapbuffer")

#: mapbuffer names that segpack implements itself.
SEGPACK_NAMES = (
    "MapBuffer",
    "IntMap",
    "HEADER_LENGTH",
    "MAGIC_NUMBERS",
    "FORMAT_VERSION",
    "ValidationError",
    "DecompressionError",
    "CompressionError",
    "UnsupportedCompressionType",
)
FROM_SEGPACK = reexport(globals(), segpack, SEGPACK_NAMES)


def __getattr__(name):
    return getattr(_real, name)


def __dir__():
    return sorted(set(dir(_real)) | set(FROM_SEGPACK))
