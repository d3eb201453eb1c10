"""segpack.MapBuffer format options: header fields, codecs and levels, crc checking, validation."""

import pytest

import segpack
import segpack.errors as E
from conftest import CODECS, compressible_dict, read_index
from mapbuffer_api_helpers import D, build, check_contents

# ---------------------------------------------------------------- header, codecs, validation


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_datasize(codec):
    raw = build(codec=codec)
    mb = segpack.MapBuffer(raw)
    assert mb.datasize() == len(raw) - 16 - 16 * len(D)
    assert segpack.MapBuffer({}).datasize() == 0


@pytest.mark.parametrize("crc", [True, False])
@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_header_compress_format_version(codec, crc):
    raw = build(codec=codec, crc=crc)
    mb = segpack.MapBuffer(raw)
    assert bytes(mb.header) == raw[:16]
    assert mb.compress == codec
    assert mb.format_version == (1 if crc else 0)
    assert mb.validate() is True


def test_compress_aliases():
    base = build(codec="gzip")
    assert build(codec=True) == base
    assert bytes(segpack.MapBuffer(D, compress="GZIP").tobytes()) == base
    assert build(codec=False) == build(codec=None)
    assert build(codec="") == build(codec=None)


def test_unknown_codec_name_raises():
    with pytest.raises(segpack.UnsupportedCompressionType):
        segpack.MapBuffer(D, compress="snappy")
    with pytest.raises(ValueError):  # it is also a ValueError, as in mapbuffer
        segpack.MapBuffer(D, compress="snappy")


def test_validate_buffer_static(codec):
    assert segpack.MapBuffer.validate_buffer(build(codec=codec)) is True
    bad = bytearray(build(codec=codec))
    bad[-1] ^= 1
    with pytest.raises(E.ValidationError):
        segpack.MapBuffer.validate_buffer(bytes(bad))


def test_tobytes_of_built_and_read():
    raw = build()
    assert isinstance(segpack.MapBuffer(D).tobytes(), (bytes, bytearray, memoryview))
    mb = segpack.MapBuffer(raw)
    assert bytes(mb.tobytes()) == raw


# ---------------------------------------------------------------- crc checking


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_check_crc_false_strips_crc(codec):
    raw = bytearray(build(codec=codec))
    idx = read_index(raw)
    # corrupt the crc (last 4 bytes) of every item
    ends = [o for _, o in idx[1:]] + [len(raw)]
    for end in ends:
        raw[end - 1] ^= 0x5A
    raw = bytes(raw)
    lax = segpack.MapBuffer(raw, check_crc=False)
    check_contents(lax)
    strict = segpack.MapBuffer(raw)
    with pytest.raises(E.ChecksumError):
        strict[1]
    strict.check_crc = False
    assert strict[1] == D[1]


def test_check_crc_false_on_v0_is_fine():
    raw = build(crc=False)
    check_contents(segpack.MapBuffer(raw, check_crc=False))


# ---------------------------------------------------------------- levels


def test_level_changes_output_and_reads_back():
    d = compressible_dict()
    lo = bytes(segpack.MapBuffer(d, compress="zstd", level=1).tobytes())
    hi = bytes(segpack.MapBuffer(d, compress="zstd", level=19).tobytes())
    assert lo != hi
    assert len(hi) < len(lo)
    for raw in (lo, hi):
        mb = segpack.MapBuffer(raw)
        assert mb.todict() == d
        assert mb.validate() is True


@pytest.mark.parametrize("codec,lo,hi", [("gzip", 1, 12), ("br", 0, 11), ("lzma", 0, 9)])
def test_level_other_codecs(codec, lo, hi):
    d = compressible_dict(n=10)
    a = bytes(segpack.MapBuffer(d, compress=codec, level=lo).tobytes())
    b = bytes(segpack.MapBuffer(d, compress=codec, level=hi).tobytes())
    assert a != b
    assert segpack.MapBuffer(a).todict() == d
    assert segpack.MapBuffer(b).todict() == d


def test_default_level_matches_mapbuffer_defaults():
    d = compressible_dict(n=5)
    assert bytes(segpack.MapBuffer(d, compress="zstd").tobytes()) == bytes(
        segpack.MapBuffer(d, compress="zstd", level=3).tobytes()
    )
    assert bytes(segpack.MapBuffer(d, compress="gzip").tobytes()) == bytes(
        segpack.MapBuffer(d, compress="gzip", level=9).tobytes()
    )


def test_invalid_level_raises():
    with pytest.raises((ValueError, segpack.CompressionError)):
        segpack.MapBuffer(D, compress="gzip", level=99)
