"""Safe by default (issue 10, item 3): deserialize and Serializer(strict=True) reconstruct only
allow-listed globals; anything else raises UnsafeLoadError naming the global, and nothing is
imported or called. One test per forbidden class of global; allow= forms; limits; trusted=True.
"""

import collections
import io
import os
import pickle
import struct
import sys

import numpy as np
import pytest

import segpack
from segpack.errors import LimitExceededError, SegpackError, UnsafeLoadError
from segpack.objects import SAFE_GLOBALS

CALLS = []


def record(*args):
    """A harmless stand-in for code a payload would run."""
    CALLS.append(args)
    return args


class Reduces:
    """Pickles as a call of ``func(*args)``."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


Pair = collections.namedtuple("Pair", "a b")


def raw_payload(stream: bytes, sizes=()) -> bytes:
    """A segpack payload around a hand-written pickle stream."""
    return b"SPKO\x01\0\0\0" + struct.pack(f"<Q{len(sizes)}Q", len(sizes), *sizes) + stream


def refused(payload, name, **kwargs):
    with pytest.raises(UnsafeLoadError, match=name.replace(".", r"\.")) as info:
        segpack.deserialize(payload, **kwargs)
    return info.value


def test_unsafe_load_error_is_an_unpickling_error_and_a_segpack_error():
    assert issubclass(UnsafeLoadError, pickle.UnpicklingError)
    assert issubclass(UnsafeLoadError, SegpackError)
    assert "UnsafeLoadError" in segpack.errors.__all__ and segpack.UnsafeLoadError is UnsafeLoadError


def test_process_execution_is_refused(tmp_path):
    marker = tmp_path / "ran"
    payload = segpack.serialize([1, Reduces(os.system, f"touch {marker}")])
    refused(payload, f"{os.system.__module__}.system")
    import subprocess

    refused(segpack.serialize(Reduces(subprocess.Popen, ["touch", str(marker)])), "subprocess.Popen")
    assert not marker.exists()


@pytest.mark.parametrize("func", [eval, exec, compile, getattr, __import__, open, setattr, vars, globals])
def test_builtins_that_reach_code_are_refused(func):
    refused(segpack.serialize(Reduces(func, "x")), f"{func.__module__}.{func.__name__}")


def test_a_custom_class_reduce_does_not_run():
    CALLS.clear()
    refused(segpack.serialize(Reduces(record, "called")), f"{__name__}.record")
    refused(segpack.serialize(Point(1, 2)), f"{__name__}.Point")
    assert CALLS == []


def test_a_module_not_yet_imported_is_not_imported():
    for module, name in [
        ("smtplib", "SMTP"),
        ("segpack_no_such_module", "anything"),
        ("antigravity", "geohash"),
    ]:
        if module in sys.modules:
            continue
        payload = raw_payload(b"\x80\x05c" + module.encode() + b"\n" + name.encode() + b"\n.")
        refused(payload, f"{module}.{name}")
        assert module not in sys.modules


@pytest.mark.parametrize(
    "func",
    ["numpy.load", "numpy.fromfile", "numpy.f2py.diagnose.run_command", "numpy.ctypeslib.load_library"],
)
def test_numpy_beyond_arrays_dtypes_and_scalars_is_refused(func):
    module, name = func.rsplit(".", 1)
    refused(raw_payload(b"\x80\x05c" + module.encode() + b"\n" + name.encode() + b"\n."), func)


@pytest.mark.parametrize(
    "func", ["pandas.read_pickle", "pandas.eval", "pandas.io.pickle.read_pickle", "pandas.read_csv"]
)
def test_pandas_beyond_frames_series_and_indexes_is_refused(func):
    module, name = func.rsplit(".", 1)
    refused(raw_payload(b"\x80\x05c" + module.encode() + b"\n" + name.encode() + b"\n."), func)


@pytest.mark.parametrize(
    "func", ["copyreg._reconstructor", "functools.partial", "operator.attrgetter", "operator.methodcaller"]
)
def test_indirection_gadgets_are_refused(func):
    module, name = func.rsplit(".", 1)
    refused(raw_payload(b"\x80\x05c" + module.encode() + b"\n" + name.encode() + b"\n."), func)


def test_allocations_sized_by_an_integer_in_the_stream_are_refused():
    refused(segpack.serialize(Reduces(bytearray, 10**12)), "builtins.bytearray")
    refused(segpack.serialize(Reduces(bytes, 10**12)), "builtins.bytes")
    refused(segpack.serialize(Reduces(range, 10**12)), "builtins.range")
    # numpy.ndarray (the class: a call allocates its shape) and numpy's _reconstruct are refused
    refused(segpack.serialize(Reduces(np.ndarray, (10**6, 10**6))), "numpy.ndarray")
    from numpy._core.multiarray import _reconstruct

    refused(
        segpack.serialize(Reduces(_reconstruct, np.ndarray, (0,), b"b")),
        "numpy._core.multiarray._reconstruct",
    )


def test_numpy_setstate_is_never_reached():
    """numpy's ndarray.__setstate__ trusts its state: an object array whose list is shorter than
    its shape reads past the list (a crash). segpack writes object arrays through its own
    reconstructor, and a restricted load refuses numpy's _reconstruct, so such a stream is
    refused instead of crashing the process."""
    state = (1, (30,), np.dtype("O"), False, ["a"])
    from numpy._core.multiarray import _reconstruct

    class Evil:
        def __reduce__(self):
            return (_reconstruct, (np.ndarray, (0,), b"b"), state)

    refused(segpack.serialize(Evil()), "numpy._core.multiarray._reconstruct")
    back = segpack.deserialize(segpack.serialize(np.array([1, "a", (2, 3), [4]], dtype=object)))
    assert back.tolist() == [1, "a", (2, 3), [4]]


def test_names_are_exact_not_modules():
    # datetime.datetime is allowed; another name of the datetime module is not
    refused(raw_payload(b"\x80\x05cdatetime\nsys\n."), "datetime.sys")
    refused(raw_payload(b"\x80\x05\x8c\x08builtins\x8c\x0ddict.fromkeys\x93."), "builtins.dict.fromkeys")


def test_the_allow_list_holds_no_dangerous_name_and_every_name_resolves():
    dangerous = {
        "builtins.getattr",
        "builtins.eval",
        "builtins.exec",
        "builtins.compile",
        "builtins.__import__",
        "builtins.open",
        "builtins.bytearray",
        "builtins.range",
        "numpy.load",
        "numpy.fromfile",
        "pandas.read_pickle",
        "copyreg._reconstructor",
    }
    names = {f"{m}.{n}" for m, n in SAFE_GLOBALS}
    assert not names & dangerous
    resolver = pickle.Unpickler(io.BytesIO(b""))
    for module, name in SAFE_GLOBALS:
        if module.startswith("numpy.core."):
            continue  # numpy 1.x names, deprecated aliases in numpy 2
        assert resolver.find_class(module, name) is not None


# ---- what the caller adds ----------------------------------------------------------------------


def test_allow_a_class_or_function_object():
    CALLS.clear()
    payload = segpack.serialize([Point(1, 2), Reduces(record, "ok"), Pair(1, 2)])
    back = segpack.deserialize(payload, allow=[Point, record, Pair])
    assert back == [Point(1, 2), ("ok",), Pair(1, 2)] and CALLS == [("ok",)]


def test_allow_a_qualified_name_string():
    payload = segpack.serialize(Point(3, 4))
    assert segpack.deserialize(payload, allow=[f"{__name__}.Point"]) == Point(3, 4)
    refused(payload, f"{__name__}.Point", allow=[f"{__name__}.Pair"])
    with pytest.raises(ValueError, match="module.qualname"):
        segpack.deserialize(payload, allow=["Point"])
    with pytest.raises(TypeError):
        segpack.deserialize(payload, allow=[5])


def test_serializer_allow_and_register():
    payload = segpack.serialize([Point(1, 2), Pair(1, 2)])
    with pytest.raises(UnsafeLoadError):
        segpack.Serializer().deserialize(payload)
    assert segpack.Serializer(allow=[Point, f"{__name__}.Pair"]).deserialize(payload)[0] == Point(1, 2)
    s = segpack.Serializer()
    s.register(Point)
    with pytest.raises(UnsafeLoadError, match="Pair"):
        s.deserialize(payload)
    s.register(Pair)
    assert s.deserialize(payload)[1] == Pair(1, 2)


def test_trusted_or_not_strict_is_plain_pickle(tmp_path):
    payload = segpack.serialize([Point(1, 2), np.arange(3)])
    back = segpack.deserialize(payload, trusted=True)
    assert back[0] == Point(1, 2)
    assert segpack.Serializer(strict=False).deserialize(payload)[0] == Point(1, 2)
    CALLS.clear()
    segpack.deserialize(segpack.serialize(Reduces(record, 1)), trusted=True)
    assert CALLS == [(1,)]


# ---- limits --------------------------------------------------------------------------------------


def nested(depth):
    obj = []
    for _ in range(depth):
        obj = [obj]
    return obj


def test_max_depth():
    payload = segpack.serialize(nested(100))
    with pytest.raises(LimitExceededError, match="max_depth=50"):
        segpack.deserialize(payload, max_depth=50)
    assert segpack.deserialize(payload, max_depth=200) == nested(100)
    wide = segpack.serialize({"k": list(range(5000)), "d": {i: (i, [i]) for i in range(100)}})
    assert segpack.deserialize(wide, max_depth=5)["k"][-1] == 4999
    with pytest.raises(LimitExceededError):
        segpack.Serializer(max_depth=10).deserialize(segpack.serialize({"a": {"b": nested(20)}}))


def test_max_size_counts_the_payload_and_its_buffers():
    objects = []
    payload = segpack.serialize(np.zeros(1000), buffer_callback=objects.append)
    buffers = [o.getbuffer() for o in objects]
    total = len(payload) + 8000
    assert segpack.deserialize(payload, buffers=buffers, max_size=total).shape == (1000,)
    with pytest.raises(LimitExceededError, match="over max_size"):
        segpack.deserialize(payload, buffers=buffers, max_size=total - 1)
    with pytest.raises(LimitExceededError):
        segpack.Serializer(max_size=100).deserialize(segpack.serialize(b"x" * 200))


def test_a_malformed_stream_is_a_validation_error():
    with pytest.raises(segpack.ValidationError):
        segpack.deserialize(raw_payload(b"\x80\x05t."), max_depth=10)  # TUPLE without a MARK
    with pytest.raises(segpack.ValidationError, match="corrupt pickle stream .EOFError"):
        segpack.deserialize(raw_payload(b"\x80\x05"))
    with pytest.raises(EOFError):  # trusted: plain pickle, its own errors
        segpack.deserialize(raw_payload(b"\x80\x05"), trusted=True)


def test_the_ndarray_class_as_a_value_needs_allow():
    payload = segpack.serialize({"type": np.ndarray, "objects": np.array([1, "a"], dtype=object)})
    refused(payload, "numpy.ndarray")
    back = segpack.deserialize(payload, allow=[np.ndarray])
    assert back["type"] is np.ndarray and back["objects"].tolist() == [1, "a"]


def test_dtype_setstate_is_never_reached():
    """numpy's dtype.__setstate__ trusts its state (a malformed one crashes the process):
    segpack writes dtypes as their .npy-header description, and refuses numpy.dtype."""

    class Evil:
        def __reduce__(self):
            return (np.dtype, ("f8", False, True), (3, "<", (None, None), -1, -1, 0))

    refused(segpack.serialize(Evil()), "numpy.dtype")
    dtypes = [np.dtype("<M8[ns]"), np.dtype([("a", "<u1"), ("b", ">f8", (2,))]), np.dtype(("f8", (2,)))]
    back = segpack.deserialize(segpack.serialize(dtypes[:2]))
    assert back == dtypes[:2] and back[1].names == ("a", "b")
    refused(segpack.serialize(dtypes[2]), "numpy.dtype")  # a subarray dtype: numpy's reducer
    assert segpack.deserialize(segpack.serialize(dtypes[2]), allow=[np.dtype]) == dtypes[2]


def test_a_malformed_dtype_description_is_a_validation_error():
    from segpack.objects import _rebuild_dtype

    for descr in ["<f9", [("a",)], 5, [("a", "<f8", "x")], "|V-1"]:
        with pytest.raises(segpack.ValidationError):
            _rebuild_dtype(descr)


def test_the_opcode_walk_checks_lengths_before_anything_is_allocated():
    """A BYTEARRAY8 that claims 2**60 bytes: with max_depth the walk over the stream rejects it
    before loading (without it, CPython's unpickler tries the allocation: MemoryError)."""
    stream = b"\x80\x05\x96" + struct.pack("<Q", 1 << 60) + b"abc."
    with pytest.raises(segpack.ValidationError, match="malformed pickle stream"):
        segpack.deserialize(raw_payload(stream), max_depth=100)


@pytest.mark.parametrize(
    "opcode,width",
    [
        (b"\x8e", "<Q"),
        (b"\x96", "<Q"),
        (b"\x8d", "<Q"),
        (b"B", "<I"),
        (b"X", "<I"),
        (b"\x8b", "<i"),
        (b"\x95", "<Q"),
    ],
    ids=["BINBYTES8", "BYTEARRAY8", "BINUNICODE8", "BINBYTES", "BINUNICODE", "LONG4", "FRAME"],
)
@pytest.mark.parametrize("trusted", [False, True])
def test_regression_a_forged_length_is_rejected_without_max_depth(opcode, width, trusted):
    """Every load walks the stream's declared lengths first (not only with max_depth): a length
    beyond the bytes left is a ValidationError, never an allocation of that size."""
    claim = 2**31 - 1 if width == "<i" else (2**60 if width == "<Q" else 2**32 - 1)
    stream = b"\x80\x05" + opcode + struct.pack(width, claim) + b"abc."
    with pytest.raises(segpack.ValidationError, match=f"declares {claim} bytes, 4 are left"):
        segpack.deserialize(raw_payload(stream), trusted=trusted)
    # after a STOP nothing is read: what follows may be anything
    assert (
        segpack.deserialize(raw_payload(b"\x80\x05N." + opcode + struct.pack(width, claim)), trusted=trusted)
        is None
    )
    # a length that fits is loaded as usual
    fits = b"\x80\x05\x8e" + struct.pack("<Q", 3) + b"abc."
    assert segpack.deserialize(raw_payload(fits), trusted=trusted) == b"abc"
