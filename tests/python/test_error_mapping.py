"""The exception type of each (code, category) the core reports, exactly.

The core's Status carries a code and a category (general, format, codec,
decode, encode); the binding maps that pair, and nothing else, to one Python
type. Other tests check the hierarchy (``except ValidationError``); these pin
the exact class, so a change to the table shows here.
"""

import lzma
import struct
import zlib

import pytest

import segpack
import segpack.errors as E
from conftest import COMPRESSED_CODECS, read_index, set_index

D = {k: bytes([k % 251]) * (k % 17 + 5) for k in (3, 8, 15, 21, 40, 41, 77, 100, 1000)}


def raises_exactly(exc_type, fn):
    with pytest.raises(BaseException) as ei:
        fn()
    assert type(ei.value) is exc_type, f"{type(ei.value).__name__}: {ei.value}"
    return ei.value


def raw_map(codec=None, crc=True, d=D):
    return bytes(segpack.MapBuffer(d, compress=codec, compute_crc=crc).tobytes())


# ---------------------------------------------------------------- codec: unknown names and tags


def test_unknown_codec_name_is_unsupported_compression_type():
    raises_exactly(E.UnsupportedCompressionType, lambda: segpack.compress(b"x", "snappy"))
    raises_exactly(E.UnsupportedCompressionType, lambda: segpack.codec_level_range("nope"))
    raises_exactly(E.UnsupportedCompressionType, lambda: segpack.MapBuffer(D, compress=b"snap"))


def test_unknown_codec_tag_in_a_file_is_unsupported_compression_type():
    raw = raw_map()
    raises_exactly(E.UnsupportedCompressionType, lambda: segpack.MapBuffer(raw[:8] + b"snap" + raw[12:]))


# ---------------------------------------------------------------- format: the bytes of a file


def test_format_errors():
    raw = raw_map()
    raises_exactly(E.ValidationError, lambda: segpack.MapBuffer(b"mapbufX" + raw[7:]))
    raises_exactly(E.TruncatedError, lambda: segpack.MapBuffer(raw[:10]))
    raises_exactly(E.TruncatedError, lambda: segpack.MapBuffer(raw[:40]))
    raises_exactly(E.UnsupportedFormatError, lambda: segpack.MapBuffer(raw[:7] + b"\x09" + raw[8:]))
    flipped = bytearray(raw)
    flipped[-1] ^= 1
    last = read_index(raw)[-1][0]
    raises_exactly(E.ChecksumError, lambda: segpack.MapBuffer(bytes(flipped))[last])


def test_intmap_format_errors():
    raw = bytes(segpack.IntMap({1: 2, 3: 4, 5: 6}).tobytes())
    raises_exactly(E.TruncatedError, lambda: segpack.IntMap(raw[:5]))
    raises_exactly(E.ValidationError, lambda: segpack.IntMap(b"xntm" + raw[4:]))
    raises_exactly(E.UnsupportedFormatError, lambda: segpack.IntMap(raw[:4] + b"\x01" + raw[5:]))
    raises_exactly(E.ValidationError, lambda: segpack.IntMap(raw + b"\0"))
    swapped = bytearray(raw)
    swapped[10:18], swapped[26:34] = swapped[26:34], swapped[10:18]
    raises_exactly(E.ValidationError, lambda: segpack.IntMap(bytes(swapped)).validate())


@pytest.mark.parametrize("codec", [None, "zstd"], ids=str)
@pytest.mark.parametrize("crc", [True, False], ids=["v1", "v0"])
def test_bad_offsets_are_format_errors_whatever_the_operation(codec, crc):
    # The same defect raises the same type from a lookup, validate() and
    # get_many(), for compressed and uncompressed maps alike.
    raw = raw_map(codec, crc)
    idx = read_index(raw)
    key = idx[4][0]
    bad = set_index(raw, 4, offset=idx[5][1] + 2)  # item 4 starts after item 5
    raises_exactly(E.ValidationError, lambda: segpack.MapBuffer(bad)[key])
    raises_exactly(E.ValidationError, lambda: segpack.MapBuffer(bad).view(key))
    raises_exactly(E.ValidationError, lambda: segpack.MapBuffer(bad).validate())
    raises_exactly(E.ValidationError, lambda: segpack.MapBuffer(bad).get_many([key]))
    raises_exactly(E.ValidationError, lambda: segpack.MapBuffer(bytearray(bad)).__setitem__(key, b"zz"))
    key3 = idx[3][0]
    past = set_index(raw, 3, offset=len(raw) + 10)
    raises_exactly(E.TruncatedError, lambda: segpack.MapBuffer(past)[key3])
    raises_exactly(E.TruncatedError, lambda: segpack.MapBuffer(past).validate())
    raises_exactly(E.TruncatedError, lambda: segpack.MapBuffer(past).get_many([key3]))


# ---------------------------------------------------------------- decode: compressed streams


def for_codec(exc_type, codec):
    """The type raised for `exc_type` by a codec call: for zstd, its ZstdError twin (a subclass of both)."""
    if codec != "zstd":
        return exc_type
    twin = E._ZSTD_TWINS[exc_type]
    assert issubclass(twin, exc_type) and issubclass(twin, E.ZstdError)
    return twin


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
def test_decode_errors(codec):
    good = segpack.compress(b"some data to compress " * 50, codec)
    dec, limit = for_codec(E.DecompressionError, codec), for_codec(E.LimitExceededError, codec)
    for bad in (b"", b"\xff" * 20, good[: len(good) // 2], good + b"xx"):
        raises_exactly(dec, lambda bad=bad: segpack.decompress(bad, codec))
    raises_exactly(limit, lambda: segpack.decompress(good, codec, max_output=10))
    raises_exactly(dec, lambda: segpack.multi_decompress_to_buffer([good, b"garbage!"], codec=codec))
    raises_exactly(dec, lambda: segpack.multi_decompress_to_buffer([good], [5], codec=codec))
    raises_exactly(limit, lambda: segpack.multi_decompress_to_buffer([good], codec=codec, max_output_size=10))


def test_unsupported_stream_options_are_unsupported_format():
    # An xz stream header with reserved flag bits set (and a matching crc).
    x = bytearray(lzma.compress(b"hello"))
    x[6] = 0x01
    struct.pack_into("<I", x, 8, zlib.crc32(bytes(x[6:8])))
    raises_exactly(E.UnsupportedFormatError, lambda: segpack.decompress(bytes(x), "lzma"))
    raises_exactly(
        E.UnsupportedFormatError, lambda: segpack.multi_decompress_to_buffer([bytes(x)], codec="lzma")
    )


def test_decode_errors_in_a_map():
    raw = raw_map("zstd", crc=False)
    idx = read_index(raw)
    key, off = idx[2]
    b = bytearray(raw)
    b[off] ^= 0xFF  # the zstd magic of one item
    mb = segpack.MapBuffer(bytes(b))
    raises_exactly(E.DecompressionError, lambda: mb[key])
    raises_exactly(E.DecompressionError, lambda: mb.validate())
    raises_exactly(E.DecompressionError, lambda: mb.get_many([key]))
    raises_exactly(E.LimitExceededError, lambda: segpack.MapBuffer(raw, max_output=2)[1000])


# ---------------------------------------------------------------- encode and arguments


def test_bad_level_is_value_error_not_compression_error():
    raises_exactly(ValueError, lambda: segpack.compress(b"x", "gzip", 99))
    raises_exactly(ValueError, lambda: segpack.MapBuffer(D, compress="gzip", level=99))
    raises_exactly(ValueError, lambda: segpack.multi_compress_to_buffer([b"x"], codec="gzip", level=99))


def test_argument_errors_are_value_error(tmp_path):
    raises_exactly(ValueError, lambda: segpack.set_num_threads(5000))
    raises_exactly(ValueError, lambda: segpack.MapBuffer(bytearray(raw_map())).__setitem__(3, b"a" * 500))
    raises_exactly(ValueError, lambda: segpack.MapBuffer(raw_map()).__setitem__(3, b"a"))
    with segpack.MapBufferWriter(tmp_path / "dup.mb", "zstd") as w:
        w.add(1, b"x")
        w.add(1, b"y")
        raises_exactly(ValueError, w.commit)


def test_os_errors(tmp_path):
    raises_exactly(OSError, lambda: segpack.MapBuffer(tmp_path / "nope.mb"))
    raises_exactly(OSError, lambda: segpack.MapBufferWriter(tmp_path / "no" / "x.mb"))
    raises_exactly(OSError, lambda: segpack.write_intmap(tmp_path / "no" / "x.im", {1: 2}))


# ---------------------------------------------------------------- keys


def test_missing_keys_raise_key_error_with_the_key():
    mb = segpack.MapBuffer(D)
    for method in (mb.__getitem__, mb.view, mb.size):
        for key in (4, -1, 2**70):
            e = raises_exactly(KeyError, lambda method=method, key=key: method(key))
            assert e.args == (key,)
        raises_exactly(TypeError, lambda method=method: method("x"))
    e = raises_exactly(KeyError, lambda: mb.get_many([3, 4]))
    assert e.args == (4,)
