"""segpack.serialize / deserialize / Serializer: out-of-band serialization on pickle 5 with
Apache Fory's API (issue 10, item 1).

Round trips for every dtype and memory layout, pandas, nested containers; the examples of
Fory's out-of-band documentation (seed 002) run with segpack.Serializer in place of
pyfory.Fory; one test per buffer-mismatch case; zero-copy checks.
"""

import io
import mmap
import pickle
import struct

import numpy as np
import pytest

import segpack
from segpack.errors import BufferMismatchError, UnsupportedFormatError, ValidationError

pd = pytest.importorskip("pandas")


def roundtrip(obj, keep=None, as_buffer=lambda b: b.getbuffer()):
    """serialize with a collecting callback, deserialize; returns (result, buffer objects)."""
    objects = []

    def callback(b):
        objects.append(b)
        return keep(b) if keep else None

    payload = segpack.serialize(obj, buffer_callback=callback)
    oob = [b for b in objects if not (keep and keep(b))]
    return segpack.deserialize(payload, buffers=[as_buffer(b) for b in oob]), oob


DTYPES = [
    np.bool_,
    np.int8,
    np.uint16,
    np.int32,
    np.int64,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
    np.complex64,
    np.complex128,
    np.dtype("M8[ns]"),
    np.dtype("m8[s]"),
    np.dtype("S5"),
    np.dtype("U3"),
    np.dtype(">i4"),
    np.dtype([("x", "<f4"), ("y", "<i8"), ("name", "S4")]),
    np.dtype({"names": ["a", "b"], "formats": ["u1", "<f8"], "offsets": [0, 8], "itemsize": 16}),
]


def make(dtype, shape):
    dtype = np.dtype(dtype)
    raw = np.arange(int(np.prod(shape)) * dtype.itemsize, dtype=np.uint8) % 251
    return raw.view(dtype).reshape(shape)


def same(a, b):
    assert type(b) is np.ndarray
    assert b.dtype == a.dtype and b.dtype.names == a.dtype.names
    assert b.shape == a.shape
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).str + str(np.dtype(d).names or ""))
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 4), (0,), (2, 0, 3)])
def test_every_dtype_and_shape_goes_out_of_band(dtype, shape):
    a = make(dtype, shape)
    b, oob = roundtrip(a)
    same(a, b)
    assert len(oob) == 1  # 0-d and 1-D included
    assert oob[0].total_bytes() == a.nbytes


@pytest.mark.parametrize(
    "layout",
    ["C", "F", "transpose-120", "transpose-021", "swap-last-two-4d"],
)
def test_contiguous_layouts_are_kept(layout):
    base = np.arange(2 * 3 * 4 * 5, dtype=np.float64)
    a = {
        "C": base.reshape(6, 20),
        "F": np.asfortranarray(base.reshape(6, 20)),
        "transpose-120": base.reshape(2, 3, 20).transpose(1, 2, 0),
        "transpose-021": base.reshape(6, 4, 5).transpose(0, 2, 1),
        "swap-last-two-4d": base.reshape(2, 3, 4, 5).swapaxes(2, 3),
    }[layout]
    b, oob = roundtrip(a)
    same(a, b)
    assert b.strides == a.strides
    assert b.flags.c_contiguous == a.flags.c_contiguous and b.flags.f_contiguous == a.flags.f_contiguous
    assert len(oob) == 1


@pytest.mark.parametrize("view", ["step", "column", "reversed", "broadcast"])
def test_non_contiguous_arrays_are_sent_contiguous(view):
    base = np.arange(60, dtype=np.int32).reshape(6, 10)
    a = {
        "step": base[:, ::3],
        "column": base[:, 2],
        "reversed": base[::-1, ::-1],
        "broadcast": np.broadcast_to(np.arange(3.0), (4, 3)),
    }[view]
    b, oob = roundtrip(a)
    np.testing.assert_array_equal(a, b)
    assert b.dtype == a.dtype and len(oob) == 1 and oob[0].total_bytes() == a.nbytes


def test_in_band_without_callback_and_with_a_true_callback():
    data = {"a": np.arange(10.0), "f": np.asfortranarray(np.ones((3, 2))), "s": make(DTYPES[-2], (4,))}
    for payload in (
        segpack.serialize(data),
        segpack.serialize(data, buffer_callback=lambda b: True),
    ):
        back = segpack.deserialize(payload)
        for k in data:
            same(data[k], back[k])
        assert back["f"].flags.f_contiguous


def test_selective_callback_mixes_in_band_and_out_of_band():
    arrays = [np.full(5, i, dtype=np.int16) for i in range(6)]
    kept, sent = [], []

    def callback(b):
        if len(kept) + len(sent) < 3:
            kept.append(b)
            return True
        sent.append(b)
        return False

    payload = segpack.serialize(arrays, buffer_callback=callback)
    back = segpack.deserialize(payload, buffers=[b.raw() for b in sent])
    assert len(sent) == 3
    for a, b in zip(arrays, back):
        same(a, b)


def test_scalars_bytes_and_nested_containers():
    import collections
    import datetime
    import decimal

    obj = {
        "ints": [1, 2**70, -3],
        "nested": {"t": (1, (2, [3, {4: np.arange(3)}])), "set": {1, 2}, "fs": frozenset("ab")},
        "bytes": b"\x00" * 10,
        "bytearray": bytearray(b"xyz"),
        "scalars": [np.float64(1.5), np.int8(-2), np.bool_(True), np.datetime64("2020-01-01"), np.float16(2)],
        "misc": [1 + 2j, slice(1, 5, 2), decimal.Decimal("1.10"), datetime.datetime(2020, 1, 2, 3, 4, 5)],
        "tz": datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        "coll": [collections.OrderedDict(a=1), collections.deque([1, 2]), collections.Counter("aab")],
        "dd": collections.defaultdict(list, {"k": [1]}),
        "objarr": np.array([1, "a", None], dtype=object),
        "shared": None,
    }
    shared = np.arange(4.0)
    obj["shared"] = [shared, shared]
    back, oob = roundtrip(obj)
    assert back["ints"] == obj["ints"] and back["nested"]["t"][1][1][:1] == [3]
    np.testing.assert_array_equal(back["nested"]["t"][1][1][1][4], np.arange(3))
    assert back["bytes"] == obj["bytes"] and back["bytearray"] == obj["bytearray"]
    assert type(back["bytearray"]) is bytearray
    assert back["scalars"] == obj["scalars"] and back["misc"] == obj["misc"] and back["tz"] == obj["tz"]
    assert back["coll"] == obj["coll"] and back["dd"] == obj["dd"] and back["dd"].default_factory is list
    assert list(back["objarr"]) == [1, "a", None]
    assert back["shared"][0] is back["shared"][1]  # shared references are kept
    assert len(oob) == 2  # arange(3) and the shared array, once


def test_picklebuffer_out_of_band_comes_back_as_a_picklebuffer():
    for source in (b"Large binary data", bytearray(b"writable data")):
        back, oob = roundtrip(pickle.PickleBuffer(source))
        assert isinstance(back, pickle.PickleBuffer)
        assert bytes(back.raw()) == bytes(source)
        assert len(oob) == 1


def test_pandas_objects():
    df = pd.DataFrame(
        {
            "f": np.arange(6, dtype=np.float64),
            "i": np.arange(6, dtype=np.int64),
            "f32": np.arange(6, dtype=np.float32),
            "s": ["x", "yy", None, "z", "w", "v"],
            "t": pd.date_range("2020-01-01", periods=6, freq="D"),
            "tz": pd.date_range("2020-01-01", periods=6, tz="UTC"),
            "cat": pd.Categorical(list("aabbcc")),
            "Int": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
            "b": [True, False] * 3,
        },
        index=pd.Index(list("abcdef"), name="key"),
    )
    back, oob = roundtrip(df)
    pd.testing.assert_frame_equal(back, df)
    assert len(oob) >= 3
    for obj in (
        df["f"],
        pd.Series([1.0, 2.0], index=pd.MultiIndex.from_tuples([(1, "a"), (2, "b")]), name="s"),
        pd.RangeIndex(5),
        pd.Index([1.5, 2.5]),
        pd.DatetimeIndex(["2020-01-01", "2021-01-01"]),
        pd.CategoricalIndex(["a", "b"]),
        pd.period_range("2020-01", periods=3, freq="M"),
        pd.timedelta_range("1D", periods=3),
        pd.interval_range(0, 3),
    ):
        back, _ = roundtrip(obj)
        if isinstance(obj, pd.Series):
            pd.testing.assert_series_equal(back, obj)
        else:
            pd.testing.assert_index_equal(back, obj)
    scalars = [
        pd.Timestamp("2020-01-01", tz="UTC"),
        pd.Timedelta("1D"),
        pd.Period("2020", "D"),
        pd.NaT,
        pd.NA,
    ]
    back, _ = roundtrip(scalars)
    assert back[:3] == scalars[:3] and back[3] is pd.NaT and back[4] is pd.NA


# ---- zero copy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form", ["memoryview", "bytes", "bytearray", "ndarray", "picklebuffer", "bufferobject", "raw"]
)
def test_deserialized_arrays_are_views_of_the_buffers_given(form):
    a = np.arange(1000, dtype=np.float64).reshape(10, 100)
    objects = []
    payload = segpack.serialize({"a": a, "f": np.asfortranarray(a)}, buffer_callback=objects.append)
    storage = [bytearray(o.getbuffer()) for o in objects]  # the "received" memory
    if form == "bytes":
        storage = [bytes(s) for s in storage]
    convert = {
        "memoryview": memoryview,
        "bytes": lambda s: s,
        "bytearray": lambda s: s,
        "ndarray": lambda s: np.frombuffer(s, dtype=np.uint8),
        "picklebuffer": pickle.PickleBuffer,
        "bufferobject": lambda s: segpack.BufferObject(pickle.PickleBuffer(s)),
        "raw": lambda s: pickle.PickleBuffer(s).raw(),
    }[form]
    back = segpack.deserialize(payload, buffers=[convert(s) for s in storage])
    for key, s in zip(["a", "f"], storage):
        np.testing.assert_array_equal(back[key], a)
        assert np.shares_memory(back[key], np.frombuffer(s, dtype=np.uint8))
    assert back["f"].flags.f_contiguous
    assert back["a"].flags.writeable == (form != "bytes")


def test_callback_buffers_are_the_arrays_memory():
    a = np.arange(1 << 16, dtype=np.float64)
    f = np.asfortranarray(np.ones((30, 40)))
    objects = []
    segpack.serialize([a, f], buffer_callback=objects.append)
    for obj, arr in zip(objects, [a, f]):
        for view in (obj.getbuffer(), obj.raw()):
            assert isinstance(view, memoryview) and view.nbytes == arr.nbytes
            assert np.shares_memory(np.frombuffer(view, dtype=np.uint8), arr)


def test_payload_size_does_not_grow_with_the_array():
    sizes = []
    for n in (1 << 17, 1 << 24):  # same opcode for both shapes
        sizes.append(len(segpack.serialize(np.zeros(n), buffer_callback=lambda b: False)))
    assert sizes[0] == sizes[1]


def test_write_to_hands_the_stream_the_memory_itself():
    a = np.arange(1000, dtype=np.int64)
    (obj,) = collect(a)

    class Recorder:
        def __init__(self):
            self.got = []

        def write(self, data):
            self.got.append(data)
            return len(data)

    rec = Recorder()
    obj.write_to(rec)
    assert len(rec.got) == 1 and isinstance(rec.got[0], memoryview)
    assert np.shares_memory(np.frombuffer(rec.got[0], dtype=np.uint8), a)
    stream = io.BytesIO()
    obj.write_to(stream)
    assert stream.getvalue() == a.tobytes()


def collect(obj):
    objects = []
    segpack.serialize(obj, buffer_callback=objects.append)
    return objects


def test_buffer_object_api():
    (obj,) = collect(np.arange(10, dtype=np.int32))
    assert obj.total_bytes() == 40
    assert bytes(obj.raw()) == bytes(obj.getbuffer()) == np.arange(10, dtype=np.int32).tobytes()
    assert "40 bytes" in repr(obj)
    strided = segpack.BufferObject(pickle.PickleBuffer(np.arange(10)[::2]))
    assert strided.total_bytes() == 40
    assert bytes(strided.getbuffer()) == np.arange(10)[::2].tobytes()  # a contiguous copy
    with pytest.raises(BufferError):
        strided.raw()


def test_buffers_over_4_gib():
    """Sizes are u64 throughout: a 5 GiB array (an untouched anonymous mapping) goes out of
    band and comes back as a view of the buffer given."""
    size = (5 << 30) + 3
    try:
        mem = mmap.mmap(-1, size)
    except (OSError, ValueError, OverflowError) as e:
        pytest.skip(f"cannot map 5 GiB here: {e}")
    try:
        a = np.frombuffer(mem, dtype=np.uint8)
        objects = []
        payload = segpack.serialize(a, buffer_callback=objects.append)
        assert objects[0].total_bytes() == size
        assert struct.unpack_from("<Q", payload, 16)[0] == size
        back = segpack.deserialize(payload, buffers=[objects[0].getbuffer()])
        assert back.shape == (size,) and np.shares_memory(back, a)
        del a, back, objects
    finally:
        try:
            mem.close()
        except BufferError:
            pass


# ---- the payload header and buffer mismatches -------------------------------------------------


def two_buffer_payload():
    objects = []
    payload = segpack.serialize([np.arange(3.0), np.arange(5, dtype=np.int8)], buffer_callback=objects.append)
    return payload, [o.getbuffer() for o in objects]


def test_header_bytes():
    payload, bufs = two_buffer_payload()
    assert payload[:4] == b"SPKO" and payload[4] == 1 and payload[5:8] == b"\0\0\0"
    assert struct.unpack_from("<3Q", payload, 8) == (2, 24, 5)
    assert payload[32:34] == b"\x80\x05"  # then the pickle protocol 5 stream
    assert segpack.serialize(1)[:16] == b"SPKO\x01\0\0\0" + bytes(8)


def test_missing_buffers():
    payload, _ = two_buffer_payload()
    with pytest.raises(BufferMismatchError, match="expects 2 out-of-band buffers, but no buffers"):
        segpack.deserialize(payload)


def test_too_few_buffers():
    payload, bufs = two_buffer_payload()
    with pytest.raises(BufferMismatchError, match="expects 2 out-of-band buffers, 1 were given"):
        segpack.deserialize(payload, buffers=bufs[:1])


def test_too_many_buffers():
    payload, bufs = two_buffer_payload()
    with pytest.raises(BufferMismatchError, match="expects 2 out-of-band buffers, 3 were given"):
        segpack.deserialize(payload, buffers=bufs + [b"x"])


def test_wrong_size_buffer():
    payload, bufs = two_buffer_payload()
    with pytest.raises(BufferMismatchError, match="buffer 1 has 4 bytes, the payload expects 5"):
        segpack.deserialize(payload, buffers=[bufs[0], b"abcd"])


def test_buffers_for_a_payload_without_any():
    payload = segpack.serialize(np.arange(3.0))
    with pytest.raises(BufferMismatchError, match="no out-of-band buffers, but 1 were given"):
        segpack.deserialize(payload, buffers=[b"x" * 24])
    assert segpack.deserialize(payload, buffers=[]).tolist() == [0.0, 1.0, 2.0]


def test_a_buffer_that_is_not_memory():
    payload, bufs = two_buffer_payload()
    with pytest.raises(BufferMismatchError, match="buffer protocol"):
        segpack.deserialize(payload, buffers=[bufs[0], 5])
    with pytest.raises(BufferMismatchError, match="non-contiguous"):
        segpack.deserialize(payload, buffers=[np.zeros(6)[::2], bufs[1]])
    assert BufferMismatchError.__mro__[1:3] == (segpack.SegpackError, ValueError)


CALLS = []


def recording_reconstructor(*args):
    CALLS.append(args)
    return args


class Recorded:
    def __reduce__(self):
        return (recording_reconstructor, ("built",))


def test_mismatches_are_reported_before_anything_is_built():
    objects = []
    payload = segpack.serialize([Recorded(), np.arange(3.0)], buffer_callback=objects.append)
    CALLS.clear()
    for bufs in (None, [], [b"x" * 23], [b"x" * 24, b""]):
        with pytest.raises(BufferMismatchError):
            segpack.deserialize(payload, buffers=bufs, allow=[recording_reconstructor])
    assert CALLS == []
    back = segpack.deserialize(payload, buffers=[objects[0].getbuffer()], allow=[recording_reconstructor])
    assert CALLS == [("built",)] and back[0] == ("built",)


@pytest.mark.parametrize(
    "payload,error,match",
    [
        (b"", ValidationError, "shorter than its 16-byte header"),
        (b"SPKO\x01\0\0", ValidationError, "shorter"),
        (b"PKL5\x01\0\0\0" + bytes(8) + b"\x80\x05N.", ValidationError, "bad magic"),
        (b"SPKO\x02\0\0\0" + bytes(8) + b"\x80\x05N.", UnsupportedFormatError, "version 2"),
        (b"SPKO\x01\0\1\0" + bytes(8) + b"\x80\x05N.", ValidationError, "reserved"),
        (b"SPKO\x01\0\0\0" + struct.pack("<Q", 2**63) + b"\x80\x05N.", ValidationError, "more than its"),
        (b"SPKO\x01\0\0\0" + struct.pack("<Q", 1) + b"\x80\x05N.", ValidationError, "more than its"),
    ],
    ids=["empty", "truncated-header", "magic", "version", "reserved", "huge-count", "count-past-end"],
)
def test_malformed_headers(payload, error, match):
    with pytest.raises(error, match=match):
        segpack.deserialize(payload, buffers=[b"x"])


def test_data_may_be_any_bytes_like_object():
    payload = segpack.serialize({"k": [1, 2]})
    for form in (bytearray(payload), memoryview(payload), np.frombuffer(payload, dtype=np.uint8)):
        assert segpack.deserialize(form) == {"k": [1, 2]}
    with pytest.raises(TypeError):
        segpack.deserialize("not bytes")


# ---- Serializer: Fory's object ------------------------------------------------------------------


def test_serializer_arguments():
    with pytest.raises(ValueError, match="xlang=True"):
        segpack.Serializer(xlang=True)
    s = segpack.Serializer(xlang=False, ref=True, strict=True)
    objects = []
    payload = s.serialize(np.arange(4), buffer_callback=objects.append)
    assert s.deserialize(payload, buffers=[o.getbuffer() for o in objects]).tolist() == [0, 1, 2, 3]
    assert s.deserialize(buffer=s.serialize(obj=[1]), buffers=None) == [1]  # Fory's names
    assert s.loads(s.dumps({"k": 1})) == {"k": 1}  # and its aliases
    with pytest.raises(TypeError, match="buffer="):
        s.serialize([1], bytearray(10))


# ---- seed 002: Fory's out-of-band examples, verbatim, with segpack.Serializer in place of pyfory.Fory


SEED_EXAMPLES = {
    "numpy": """
import pyfory
import numpy as np
fory = pyfory.Fory(xlang=False, ref=False, strict=False)
# Large numpy array
array = np.arange(10000, dtype=np.float64)
# Serialize with out-of-band buffers
buffer_objects = []
serialized_data = fory.serialize(array, buffer_callback=buffer_objects.append)
# Convert buffer objects to memoryview for zero-copy transmission
# For contiguous buffers (bytes, numpy arrays), this is zero-copy
# For non-contiguous data, a copy may be created to ensure contiguity
buffers = [obj.getbuffer() for obj in buffer_objects]
# Deserialize with out-of-band buffers (accepts memoryview, bytes, or Buffer)
deserialized_array = fory.deserialize(serialized_data, buffers=buffers)
assert np.array_equal(array, deserialized_array)
""",
    "pandas": """
import pyfory
import pandas as pd
import numpy as np
fory = pyfory.Fory(xlang=False, ref=False, strict=False)
# Create a DataFrame with numeric columns
df = pd.DataFrame({
'a': np.arange(1000, dtype=np.float64),
'b': np.arange(1000, dtype=np.int64),
'c': ['text'] * 1000
})
# Serialize with out-of-band buffers
buffer_objects = []
serialized_data = fory.serialize(df, buffer_callback=buffer_objects.append)
buffers = [obj.getbuffer() for obj in buffer_objects]
# Deserialize
deserialized_df = fory.deserialize(serialized_data, buffers=buffers)
assert df.equals(deserialized_df)
""",
    "selective": """
import pyfory
import numpy as np
fory = pyfory.Fory(xlang=False, ref=True, strict=False)
arr1 = np.arange(1000, dtype=np.float64)
arr2 = np.arange(2000, dtype=np.float64)
data = [arr1, arr2]
buffer_objects = []
counter = 0
def selective_callback(buffer_object):
    global counter
    counter += 1
    # Only send even-numbered buffers out-of-band
    if counter % 2 == 0:
        buffer_objects.append(buffer_object)
        return False # Out-of-band
    return True # In-band
serialized = fory.serialize(data, buffer_callback=selective_callback)
buffers = [obj.getbuffer() for obj in buffer_objects]
deserialized = fory.deserialize(serialized, buffers=buffers)
""",
    "picklebuffer": """
import pyfory
import pickle
fory = pyfory.Fory(xlang=False, ref=False, strict=False)
# PickleBuffer objects are automatically supported
data = b"Large binary data"
pickle_buffer = pickle.PickleBuffer(data)
# Serialize with buffer callback for out-of-band handling
buffer_objects = []
serialized = fory.serialize(pickle_buffer, buffer_callback=buffer_objects.append)
buffers = [obj.getbuffer() for obj in buffer_objects]
# Deserialize with buffers
deserialized = fory.deserialize(serialized, buffers=buffers)
assert bytes(deserialized.raw()) == data
""",
    "write_to": """
import pyfory
import numpy as np
import io
fory = pyfory.Fory(xlang=False, ref=False, strict=False)
array = np.arange(1000, dtype=np.float64)
# Collect out-of-band buffers
buffer_objects = []
serialized = fory.serialize(array, buffer_callback=buffer_objects.append)
# Write to different stream types
for buffer_obj in buffer_objects:
    # Write to BytesIO (in-memory stream)
    bytes_stream = io.BytesIO()
    buffer_obj.write_to(bytes_stream)
    # Write to file
    with open('/tmp/buffer_data.bin', 'wb') as f:
        buffer_obj.write_to(f)
    # Get zero-copy memoryview (for contiguous buffers)
    mv = buffer_obj.getbuffer()
    assert isinstance(mv, memoryview)
""",
}


@pytest.mark.parametrize("strict", ["strict=False", "strict=True"])
@pytest.mark.parametrize("name", list(SEED_EXAMPLES))
def test_seed_002_examples_run_with_segpack_serializer(name, strict, tmp_path):
    source = (
        SEED_EXAMPLES[name]
        .replace("import pyfory", "import segpack")
        .replace("pyfory.Fory", "segpack.Serializer")
    )
    # the same example, our own file instead of /tmp/buffer_data.bin; strict as parametrized
    source = source.replace("/tmp/buffer_data.bin", str(tmp_path / "buffer_data.bin"))
    source = source.replace("strict=False", strict)
    namespace = {}
    exec(compile(source, f"<seed 002: {name}>", "exec"), namespace)
    # unlike pyfory, segpack sends the 1-D arrays out of band: the examples do move buffers
    sent = namespace["buffer_objects"]
    assert len(sent) == {"numpy": 1, "pandas": 2, "selective": 1, "picklebuffer": 1, "write_to": 1}[name]
    if name == "selective":
        back = namespace["deserialized"]
        np.testing.assert_array_equal(back[0], namespace["arr1"])
        np.testing.assert_array_equal(back[1], namespace["arr2"])
    if name == "write_to":
        assert (tmp_path / "buffer_data.bin").read_bytes() == namespace["array"].tobytes()


# ---- object arrays of str: one blob instead of one pickled object per element ---------------


@pytest.mark.parametrize(
    "items",
    [
        ["a", "", "é", "\ud800 lone surrogate", "日本", "x" * 100] * 5,  # the blob path
        ["a\0b", "c"] * 10,  # a NUL: numpy's own reducer
        ["a", None, 1.5, b"x"] * 5,  # mostly not str: numpy's own reducer
        ["a", "bb", "", "ccc", "d", "e", "f", "g", "h", None, float("nan"), ("t", 1)] * 3,  # a few others
        ["x"] * 20 + [pd.NA, pd.NaT],
        ["short", "list"],  # under the threshold
    ],
    ids=["str", "nul", "mixed", "some-others", "pandas-missing", "small"],
)
def test_object_arrays_of_str(items):
    a = np.array(items, dtype=object)
    for shape in [(len(items),), (2, len(items) // 2)]:
        x = a.reshape(shape)
        back, oob = roundtrip(x)
        assert back.dtype == object and back.shape == shape
        assert [repr(v) for v in back.ravel()] == [repr(v) for v in x.ravel()]
        assert back.flags.writeable and oob == []


def test_a_str_array_reconstructor_that_does_not_describe_its_data():
    from segpack.objects import _rebuild_str_array

    assert _rebuild_str_array(b"a\0b\0", 2, (2,)).tolist() == ["a", "b"]
    for args in [
        (b"a\0b\0", 3, (3,)),
        (b"a\0b", 2, (2,)),
        ("a\0", 1, (1,)),
        (b"\xff\0", 1, (1,)),
        (b"a\0", 1, (2,)),
    ]:
        with pytest.raises(ValidationError):
            _rebuild_str_array(*args)


def test_regression_forged_array_reconstructor_arguments():
    """The array reconstructor (C++) checks every argument a stream can forge: typed errors,
    never a crash or a read past the buffer."""
    from segpack.objects import _rebuild_array

    f8 = np.dtype("<f8")
    buf = np.arange(6.0).tobytes()
    assert _rebuild_array(buf, f8, (2, 3)).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert _rebuild_array(buf, f8, (2, 3), (1, 0)).tolist() == [[0, 2, 4], [1, 3, 5]]
    assert _rebuild_array(b"", np.dtype("V0"), (5,)).shape == (5,)
    huge = 2**62
    for args in [
        (buf, "float64", (6,)),  # not a dtype object
        (buf, float, (6,)),
        (buf, np.dtype(object), (6,)),  # objects: pointers read from the data
        (buf, np.dtype([("a", "<f8"), ("b", "O")]), (3,)),
        (buf, f8, (7,)),  # too big for the buffer
        (buf, f8, (5,)),  # smaller than the buffer
        (buf, f8, (-1,)),
        (buf, f8, (-2, -3)),
        (buf, f8, (huge, huge, 4)),  # product overflows
        (buf, f8, (2**64,)),
        (buf, f8, [6]),  # not a tuple
        (buf, f8, (6.0,)),
        (buf, f8, ("6",)),
        (12345, f8, (6,)),  # not a buffer
        ("abcdefgh" * 6, f8, (6,)),
        (buf, f8, (2, 3), (0, 0)),  # not a permutation
        (buf, f8, (2, 3), (0, 2)),
        (buf, f8, (2, 3), (0,)),
        (buf, f8, (2, 3), [1, 0]),
        (buf, f8, (2, 3), (-1, 0)),
        (buf, f8, (2, 3), (1.0, 0)),
    ]:
        with pytest.raises(ValidationError, match="does not describe its buffer"):
            _rebuild_array(*args)


@pytest.mark.parametrize("trusted", [False, True])
def test_regression_a_forged_array_in_a_payload_is_a_validation_error(trusted):
    """A stream that calls segpack.objects._rebuild_array with a shape larger than its buffer
    is refused by the reconstructor itself, restricted or trusted."""
    bufs = []
    payload = bytearray(segpack.serialize(np.arange(4.0), buffer_callback=bufs.append))
    assert len(bufs) == 1
    # shape (4,) is pickled as BININT1 4 followed by TUPLE1 (0x85): make it 5
    at = payload.index(b"K\x04\x85")
    payload[at + 1] = 5
    with pytest.raises(ValidationError, match="does not describe its buffer"):
        segpack.deserialize(bytes(payload), buffers=[bufs[0].getbuffer()], trusted=trusted)


# ---- property: any array, any axis order ------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


@st.composite
def arrays_in_any_layout(draw):
    dtype = draw(hnp.scalar_dtypes() | hnp.array_dtypes(hnp.scalar_dtypes(), min_size=1, max_size=3))
    a = draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)))
    a = a.transpose(draw(st.permutations(range(a.ndim))))
    if a.ndim and draw(st.booleans()):
        a = a[..., ::2]  # not contiguous in any order
    return a


@settings(max_examples=150, deadline=None)
@given(arrays_in_any_layout(), st.booleans())
def test_property_any_array_round_trips(a, out_of_band):
    objects = []
    payload = segpack.serialize(a, buffer_callback=lambda b: objects.append(b) or not out_of_band)
    back = segpack.deserialize(payload, buffers=[o.getbuffer() for o in objects] if out_of_band else None)
    assert back.dtype == a.dtype and back.shape == a.shape
    assert back.tobytes() == a.tobytes()
    if a.size and _contiguous_in_some_order(a):  # the layout is kept (strides of length-1 axes are free)
        assert [s for s, n in zip(back.strides, a.shape) if n > 1] == [
            s for s, n in zip(a.strides, a.shape) if n > 1
        ]


def _contiguous_in_some_order(a):
    order = sorted(range(a.ndim), key=lambda i: (-abs(a.strides[i]), -a.shape[i]))
    return a.transpose(order).flags.c_contiguous
