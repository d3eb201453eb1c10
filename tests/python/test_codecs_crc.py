"""segpack.crc32c and segpack.compress / decompress."""

import gzip
import lzma
import os
import random
import zlib

import pytest

import segpack
import segpack.errors as E
from conftest import CODECS, COMPRESSED_CODECS, ref_compress

try:
    import crc32c as crc32c_pkg
except ImportError:  # pragma: no cover
    crc32c_pkg = None

VECTORS = [
    (b"", 0x00000000),
    (b"123456789", 0xE3069283),
    (b"\x00" * 32, 0x8A9136AA),
    (b"\xff" * 32, 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
    (bytes(range(31, -1, -1)), 0x113FDB5C),
    (b"a", 0xC1D04330),
]

rng = random.Random(42)
SIZES = (1, 3, 7, 8, 15, 16, 17, 63, 64, 65, 255, 1000, 4096, 65535, 65536, 100_003, 1 << 20)
SAMPLES = [b"", b"a", b"123456789"] + [rng.randbytes(n) for n in SIZES]


@pytest.mark.parametrize("data,crc", VECTORS, ids=[f"v{i}" for i in range(len(VECTORS))])
def test_crc32c_published_vectors(data, crc):
    assert segpack.crc32c(data) == crc


@pytest.mark.skipif(crc32c_pkg is None, reason="crc32c package not installed")
@pytest.mark.parametrize("i", range(len(SAMPLES)))
def test_crc32c_matches_crc32c_package(i):
    data = SAMPLES[i]
    assert segpack.crc32c(data) == crc32c_pkg.crc32c(data)


def test_crc32c_continuation():
    data = SAMPLES[-1]
    whole = segpack.crc32c(data)
    for cut in (0, 1, 7, 1000, len(data) // 2, len(data)):
        assert segpack.crc32c(data[cut:], segpack.crc32c(data[:cut])) == whole


def test_crc32c_accepts_buffers():
    data = b"123456789"
    for obj in (bytearray(data), memoryview(data)):
        assert segpack.crc32c(obj) == 0xE3069283
    import numpy as np

    assert segpack.crc32c(np.frombuffer(data, dtype=np.uint8)) == 0xE3069283
    with pytest.raises(TypeError):
        segpack.crc32c("123456789")


def test_crc32c_unaligned_views():
    data = SAMPLES[-2]
    for start in range(8):
        mv = memoryview(data)[start:]
        expected = crc32c_pkg.crc32c(bytes(mv)) if crc32c_pkg else segpack.crc32c(bytes(mv))
        assert segpack.crc32c(mv) == expected


def test_crc32c_backends_listed():
    backends = segpack.crc32c_backends()
    assert "portable" in backends
    assert segpack.crc32c_backend() in backends


@pytest.mark.parametrize("backend", segpack.crc32c_backends())
def test_every_backend_agrees(backend):
    for data, crc in VECTORS:
        assert segpack._core.crc32c_with(backend, data) == crc
    for data in SAMPLES:
        expected = segpack._core.crc32c_with("portable", data)
        assert segpack._core.crc32c_with(backend, data) == expected
        for start in (1, 3):  # unaligned
            mv = memoryview(data)[start:]
            assert segpack._core.crc32c_with(backend, mv) == segpack._core.crc32c_with("portable", mv)
    # continuation
    d = SAMPLES[-1]
    head = segpack._core.crc32c_with(backend, d[:500])
    assert segpack._core.crc32c_with(backend, d[500:], head) == segpack.crc32c(d)


def test_unknown_backend_raises():
    with pytest.raises(ValueError):
        segpack._core.crc32c_with("no-such-backend", b"x")


# ---------------------------------------------------------------- codecs


PAYLOADS = [b"", b"a", b"hello world " * 100, os.urandom(5000), bytes(100_000)]


@pytest.mark.parametrize("codec", CODECS, ids=str)
@pytest.mark.parametrize("i", range(len(PAYLOADS)))
def test_compress_roundtrip(codec, i):
    data = PAYLOADS[i]
    c = segpack.compress(data, codec)
    assert isinstance(c, bytes)
    assert segpack.decompress(c, codec) == data
    if codec is None:
        assert c == data


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
@pytest.mark.parametrize("i", range(len(PAYLOADS)))
def test_decompress_reference_output(codec, i):
    data = PAYLOADS[i]
    assert segpack.decompress(ref_compress(data, codec), codec) == data


@pytest.mark.parametrize("i", range(len(PAYLOADS)))
def test_decompress_stdlib_gzip_and_lzma(i):
    data = PAYLOADS[i]
    assert segpack.decompress(gzip.compress(data), "gzip") == data
    assert segpack.decompress(lzma.compress(data), "lzma") == data


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
def test_reference_libraries_read_segpack_output(codec):
    data = b"hello world " * 100
    c = segpack.compress(data, codec)
    if codec == "gzip":
        assert gzip.decompress(c) == data
        assert c[:2] == b"\x1f\x8b"
    elif codec == "br":
        import brotli

        assert brotli.decompress(c) == data
    elif codec == "zstd":
        import zstandard

        assert zstandard.ZstdDecompressor().decompress(c) == data
    else:
        assert lzma.decompress(c) == data


def test_compress_levels():
    data = b"abcdefgh" * 10000 + os.urandom(1000)
    assert segpack.compress(data, "zstd", 1) != segpack.compress(data, "zstd", 19)
    assert segpack.decompress(segpack.compress(data, "zstd", 19), "zstd") == data
    assert segpack.compress(data, "gzip") == segpack.compress(data, "gzip", 9)


def test_codec_levels_metadata():
    assert segpack.codec_default_level("zstd") == 3
    assert segpack.codec_default_level("gzip") == 9
    assert segpack.codec_default_level("br") == 5
    lo, hi = segpack.codec_level_range("zstd")
    assert lo <= 1 and hi >= 19


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
def test_decompress_corrupt_raises(codec):
    good = segpack.compress(b"some data to compress " * 50, codec)
    for bad in (b"", good[: len(good) // 2], b"\xff" * 20, good + b"trailing"):
        with pytest.raises(E.DecompressionError):
            segpack.decompress(bad, codec)


def test_gzip_requires_magic():
    with pytest.raises(E.DecompressionError):
        segpack.decompress(zlib.compress(b"abc"), "gzip")


def test_decompress_max_output():
    c = segpack.compress(bytes(1_000_000), "zstd")
    with pytest.raises(E.LimitExceededError):
        segpack.decompress(c, "zstd", max_output=1000)
    assert len(segpack.decompress(c, "zstd", max_output=1_000_000)) == 1_000_000
    for codec in ("gzip", "br", "lzma"):
        c = segpack.compress(bytes(100_000), codec)
        with pytest.raises(E.LimitExceededError):
            segpack.decompress(c, codec, max_output=100)


def test_unknown_codec():
    with pytest.raises(segpack.UnsupportedCompressionType):
        segpack.compress(b"x", "snappy")
    with pytest.raises(segpack.UnsupportedCompressionType):
        segpack.decompress(b"x", "snappy")


def test_codec_tags_accepted():
    data = b"tagged"
    for tag, name in ((b"gzip", "gzip"), (b"00br", "br"), (b"zstd", "zstd"), (b"lzma", "lzma")):
        assert segpack.decompress(segpack.compress(data, tag), name) == data
