"""Building MapBuffer and IntMap from (key, value) pairs, and the data types they refuse.

The rule (resolve_data): a list or tuple is pairs; an object with __getitem__
other than a list or tuple is a range reader; a bytes-like object is a map's
bytes; any other iterable (iterator, generator, dict.items(), ...) is pairs.
"""

import pytest

import segpack
from mapbuffer_api_helpers import D, RangeReader, build, check_contents

PAIRS = sorted(D.items())


def gen():
    yield from PAIRS


@pytest.mark.parametrize(
    "make",
    [
        list,
        tuple,
        iter,
        lambda p: gen(),
        lambda p: dict(p).items(),
        lambda p: (x for x in p),
        lambda p: [list(x) for x in p],
    ],
    ids=["list", "tuple", "iterator", "generator", "dict_items", "genexpr", "lists"],
)
@pytest.mark.parametrize("codec", [None, "zstd"], ids=str)
def test_mapbuffer_from_pairs(make, codec):
    mb = segpack.MapBuffer(make(PAIRS), compress=codec)
    check_contents(mb)
    assert bytes(mb.tobytes()) == build(D, codec)  # the same bytes as from the dict


def test_issue_example_and_options():
    assert segpack.MapBuffer([(1, b"a")])[1] == b"a"
    assert segpack.MapBuffer([]).todict() == {}
    assert segpack.MapBuffer(()).todict() == {}
    mb = segpack.MapBuffer([(1, "é")], tobytesfn=str.encode, frombytesfn=bytes.decode)
    assert mb[1] == "é"


@pytest.mark.parametrize(
    "make", [list, iter, lambda p: dict(p).items()], ids=["list", "iterator", "dict_items"]
)
def test_intmap_from_pairs(make):
    d = {1: 2, 3: 4, 2**64 - 1: 0}
    im = segpack.IntMap(make(sorted(d.items())))
    assert im.todict() == d
    assert bytes(im.tobytes()) == bytes(segpack.IntMap(d).tobytes())


def test_write_intmap_from_pairs(tmp_path):
    segpack.write_intmap(tmp_path / "a.im", iter([(1, 2), (3, 4)]))
    assert segpack.IntMap(tmp_path / "a.im").todict() == {1: 2, 3: 4}
    with pytest.raises(TypeError, match="write_intmap data given as pairs: item 0"):
        segpack.write_intmap(tmp_path / "b.im", [1])


def test_bytes_like_and_range_readers_are_not_pairs():
    raw = build(D)
    check_contents(segpack.MapBuffer(raw))
    check_contents(segpack.MapBuffer(bytearray(raw)))
    check_contents(segpack.MapBuffer(RangeReader(raw)))  # __getitem__ with slices


def test_duplicate_keys_raise():
    with pytest.raises(ValueError, match="duplicate key 1"):
        segpack.MapBuffer([(1, b"a"), (1, b"b")])
    with pytest.raises(ValueError, match="duplicate key 1"):
        segpack.IntMap([(1, 2), (1, 3)])


@pytest.mark.parametrize("cls", [segpack.MapBuffer, segpack.IntMap])
@pytest.mark.parametrize("bad", [[1, 2], [(1,)], [(1, 2, 3)], "iterator", [b"xy"]], ids=repr)
def test_items_that_are_not_pairs(cls, bad):
    if bad == "iterator":
        bad = iter([b"ab"])
    with pytest.raises(
        TypeError, match=rf"^{cls.__name__} data given as pairs: item 0 is not a \(key, value\) pair"
    ):
        cls(bad)


def test_values_of_the_wrong_type():
    with pytest.raises(
        TypeError, match=r"^value for key 1 must be bytes-like \(or pass tobytesfn=\), got int$"
    ):
        segpack.MapBuffer([(1, 2)])
    with pytest.raises(TypeError):
        segpack.IntMap([(1, b"a")])
    with pytest.raises(TypeError):
        segpack.MapBuffer([("a", b"a")])  # keys are integers


@pytest.mark.parametrize("cls", [segpack.MapBuffer, segpack.IntMap])
@pytest.mark.parametrize("bad", [3.5, 7, object()], ids=repr)
def test_unusable_data_says_what_is_accepted(cls, bad):
    with pytest.raises(TypeError) as e:
        cls(bad)
    msg = str(e.value)
    assert msg.startswith(f"{cls.__name__} data must be a dict")
    for accepted in ["(key, value) pairs", "bytes-like", "file", "path", "__getitem__"]:
        assert accepted in msg
