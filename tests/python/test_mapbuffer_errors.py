"""segpack.MapBuffer errors: the exception classes and their bases."""

import pytest

import segpack
import segpack.errors as E
from conftest import read_index
from mapbuffer_api_helpers import build

# ---------------------------------------------------------------- exceptions


def test_exception_hierarchy():
    for name in (
        "ValidationError",
        "DecompressionError",
        "CompressionError",
        "UnsupportedCompressionType",
        "ChecksumError",
        "TruncatedError",
    ):
        cls = getattr(segpack, name)
        assert cls is getattr(E, name)
        assert issubclass(cls, Exception)
        assert issubclass(cls, E.SegpackError)
    assert issubclass(segpack.UnsupportedCompressionType, ValueError)
    assert issubclass(segpack.ChecksumError, segpack.ValidationError)
    assert issubclass(segpack.TruncatedError, segpack.ValidationError)
    assert issubclass(segpack.DecompressionError, segpack.ValidationError)


def test_errors_caught_by_except_exception():
    bad = bytearray(build())
    bad[-1] ^= 1
    mb = segpack.MapBuffer(bytes(bad))
    last = read_index(bad)[-1][0]
    try:
        mb[last]
    except Exception as e:  # noqa: BLE001 - the point of the test
        assert isinstance(e, segpack.ChecksumError)
    else:
        pytest.fail("no error raised")
