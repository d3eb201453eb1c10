"""segpack.MapBuffer built from a dict: keys, value types, tobytesfn, the fast path and mutation."""

import gc

import numpy as np
import pytest

import segpack
from mapbuffer_api_helpers import D, build

# ---------------------------------------------------------------- keys and values


def test_tobytesfn_frombytesfn():
    d = {1: "één", 2: "two", 3: ""}
    mb = segpack.MapBuffer(
        d, tobytesfn=lambda s: s.encode("utf8"), frombytesfn=lambda b: bytes(b).decode("utf8")
    )
    for k, v in d.items():
        assert mb[k] == v
        assert mb.get(k) == v
    assert mb.todict() == d
    assert sorted(mb.values()) == sorted(d.values())
    raw = bytes(mb.tobytes())
    assert raw == build({k: v.encode("utf8") for k, v in d.items()})
    mb2 = segpack.MapBuffer(raw, frombytesfn=lambda b: bytes(b).decode("utf8"))
    assert mb2[1] == "één"
    # the raw view is not passed through frombytesfn
    assert bytes(mb2.view(1)) == "één".encode()


def test_values_not_bytes_without_tobytesfn_raise_typeerror():
    with pytest.raises(TypeError):
        segpack.MapBuffer({1: "str"})
    with pytest.raises(TypeError):
        segpack.MapBuffer({1: 5})


def test_bad_keys_when_writing():
    with pytest.raises(ValueError):
        segpack.MapBuffer({-1: b"x"})
    with pytest.raises(ValueError):
        segpack.MapBuffer({2**64: b"x"})
    with pytest.raises(TypeError):
        segpack.MapBuffer({"a": b"x"})


def test_bytearray_value_not_mutated():
    v = bytearray(b"abc")
    mb = segpack.MapBuffer({1: v})
    assert v == bytearray(b"abc")
    assert mb[1] == b"abc"


def test_value_types_memoryview_numpy():
    mb = segpack.MapBuffer({1: memoryview(b"abc"), 2: np.arange(4, dtype=np.uint8), 3: bytearray(b"z")})
    assert mb[1] == b"abc"
    assert mb[2] == bytes([0, 1, 2, 3])
    assert mb[3] == b"z"


def test_dict2buf_matches_constructor():
    mb = segpack.MapBuffer({})
    assert bytes(mb.dict2buf(D)) == build()
    assert bytes(mb.dict2buf(D, compress="zstd")) == build(codec="zstd")


def test_mapping_protocol_via_items_object():
    class Mapping:
        def __init__(self, d):
            self.d = d

        def items(self):
            return self.d.items()

        def keys(self):
            return self.d.keys()

    assert bytes(segpack.MapBuffer(Mapping(D)).tobytes()) == build()


# ---------------------------------------------------------------- building from a dict: the fast path, its fallback, and mutation


def test_build_fast_path_falls_back_for_late_non_exact_entries():
    base = {i * 7919: bytes([i % 251]) * (i % 50) for i in range(3000)}
    want = build(base)
    late_key = dict(base)
    del late_key[2999 * 7919]
    late_key[np.uint64(2999 * 7919)] = base[2999 * 7919]  # not an exact int: __index__
    assert build(late_key) == want
    late_value = dict(base)
    late_value[2998 * 7919] = bytearray(base[2998 * 7919])  # not an exact bytes
    assert build(late_value) == want
    with_bool = {True: b"one", 0: b"zero"}  # bool is an int subclass
    assert build(with_bool) == build({1: b"one", 0: b"zero"})


def test_build_failure_and_success_leave_refcounts_unchanged():
    import sys

    values = [bytes([i % 256]) * 10 + b"unique%d" % i for i in range(2000)]
    before = [sys.getrefcount(v) for v in values]
    d = {i: v for i, v in enumerate(values)}
    segpack.MapBuffer(d)
    d[-5] = b"bad key, late in the dict"
    with pytest.raises(ValueError):
        segpack.MapBuffer(d)
    del d
    assert [sys.getrefcount(v) for v in values] == before


def test_build_survives_key_index_that_mutates_the_dict():
    d = {i: b"v%d" % i for i in range(100)}
    original = dict(d)

    class Evil:
        def __index__(self):
            d.clear()  # frees every value the dict held
            gc.collect()
            return 1000

    d[Evil()] = b"evil"
    mb = segpack.MapBuffer(d)
    # Built from the pairs as they were when the build started.
    assert len(mb) == 101
    assert mb[1000] == b"evil"
    for k, v in original.items():
        assert mb[k] == v


def test_build_survives_tobytesfn_that_mutates_the_dict():
    d = {i: f"v{i}" for i in range(100)}
    original = dict(d)

    def tobytes(s):
        d.clear()
        return s.encode()

    mb = segpack.MapBuffer(d, tobytesfn=tobytes)
    assert {k: bytes(v) for k, v in mb.todict().items()} == {k: v.encode() for k, v in original.items()}


def test_build_while_another_thread_replaces_the_values():
    # The GIL is released while the map is written: the values must stay alive
    # even when the dict drops them meanwhile. Each value is a function of its
    # key, so every map built must hold exactly those values.
    import threading
    import time

    def value(k):
        return (b"%d:" % k) * (1 + k % 7)

    d = {k: value(k) for k in range(20000)}
    stop = time.monotonic() + 1.0
    errors = []

    def churn():
        while time.monotonic() < stop:
            for k in range(0, 20000, 3):
                d[k] = value(k)  # a new object: the old one is freed
            time.sleep(0)

    t = threading.Thread(target=churn)
    t.start()
    try:
        while time.monotonic() < stop:
            mb = segpack.MapBuffer(d)
            assert mb.validate()
            for k in range(0, 20000, 997):
                if mb[k] != value(k):
                    errors.append(k)
    finally:
        t.join()
    assert not errors
