"""segpack.MapBuffer in-place overwrite (__setitem__, setindex) and what it refuses."""

import pytest

import segpack
from mapbuffer_api_helpers import D, build

# ---------------------------------------------------------------- in-place overwrite


@pytest.mark.parametrize("crc", [True, False])
def test_setitem_same_length_on_bytearray(crc):
    ba = bytearray(build(crc=crc))
    mb = segpack.MapBuffer(ba)
    mb[1] = b"HELLO"
    assert mb[1] == b"HELLO"
    assert mb[2] == b"world!"
    assert mb.validate() is True
    # the underlying buffer changed, and its crc was rewritten
    fresh = segpack.MapBuffer(bytes(ba))
    assert fresh[1] == b"HELLO"
    assert fresh.validate() is True
    assert bytes(ba) == build({**D, 1: b"HELLO"}, crc=crc)


def test_setitem_empty_value():
    ba = bytearray(build())
    mb = segpack.MapBuffer(ba)
    mb[3] = b""
    assert mb[3] == b""
    assert mb.validate() is True


def test_setindex_same_length():
    ba = bytearray(build())
    mb = segpack.MapBuffer(ba)
    i = mb.find_index_position(2)
    mb.setindex(i, b"WORLD?")
    assert mb[2] == b"WORLD?"
    assert mb.getindex(i) == b"WORLD?"
    assert segpack.MapBuffer(bytes(ba)).validate() is True
    mb.setindex(-1, mb.getindex(-1))
    assert mb.validate() is True


def test_setitem_different_length_raises_valueerror():
    raw = build()
    ba = bytearray(raw)
    mb = segpack.MapBuffer(ba)
    with pytest.raises(ValueError):
        mb[1] = b"hello!"
    with pytest.raises(ValueError):
        mb[1] = b"hell"
    assert bytes(ba) == raw
    assert mb[1] == b"hello"


def test_setitem_missing_key_raises_keyerror():
    mb = segpack.MapBuffer(bytearray(build()))
    with pytest.raises(KeyError):
        mb[4] = b"x"


def test_setitem_on_readonly_raises():
    raw = build()
    mb = segpack.MapBuffer(raw)
    with pytest.raises((ValueError, TypeError, BufferError)):
        mb[1] = b"HELLO"
    assert mb[1] == b"hello"
    assert raw == build()


def test_setitem_on_readonly_file_map_raises(tmp_path):
    p = tmp_path / "m.mb"
    p.write_bytes(build())
    mb = segpack.MapBuffer(p)
    with pytest.raises((ValueError, TypeError, BufferError)):
        mb[1] = b"HELLO"
    mb.close()
    assert p.read_bytes() == build()


def test_delitem_not_supported():
    mb = segpack.MapBuffer(bytearray(build()))
    with pytest.raises(TypeError):
        del mb[1]
