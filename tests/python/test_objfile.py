"""Object files (issue 10, item 2): segpack.dump / load / ObjectFile over the C++ container.

Round trips of every dtype and layout, memory (one read-only mapping, copy-on-write, ordinary
memory), compression, streams, info/verify, one regression test per bad-input class through the
Python API, and a dump killed halfway that leaves the previous file whole.
"""

import gc
import io
import os
import pickle
import signal
import struct
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

import segpack
from segpack import _core
from segpack.errors import (
    BufferMismatchError,
    ChecksumError,
    TruncatedError,
    UnsafeLoadError,
    UnsupportedFormatError,
    ValidationError,
)
from test_serialize import DTYPES, make, same

HEADER = struct.Struct("<8sHHIQQQQQII")  # magic .. payload crc, header crc (docs/format/container.md)
ENTRY = struct.Struct("<QQQIIBBHI")


def dumped(obj, tmp_path, name="obj.spk", **kwargs):
    path = tmp_path / name
    segpack.dump(obj, path, **kwargs)
    return path


def roundtrip(obj, tmp_path, **load_kwargs):
    return segpack.load(dumped(obj, tmp_path), **load_kwargs)


# ---- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).str + str(np.dtype(d).names or ""))
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 0, 3)])
def test_every_dtype_and_shape(dtype, shape, tmp_path):
    a = make(dtype, shape)
    for kwargs in ({}, {"mmap": False}, {"writable": "copy-on-write"}):
        same(a, roundtrip(a, tmp_path, **kwargs))
    same(a, segpack.load(dumped(a, tmp_path, codec="zstd")))
    with segpack.ObjectFile(dumped(a, tmp_path)) as f:
        (info,) = f.info()
    assert info.raw_size == a.nbytes and info.dtype == a.dtype and info.shape == a.shape


@pytest.mark.parametrize("layout", ["C", "F", "transpose-120", "swap-last-two-4d", "step"])
def test_layouts(layout, tmp_path):
    base = np.arange(2 * 3 * 4 * 5, dtype=np.float64)
    a = {
        "C": base.reshape(6, 20),
        "F": np.asfortranarray(base.reshape(6, 20)),
        "transpose-120": base.reshape(2, 3, 20).transpose(1, 2, 0),
        "swap-last-two-4d": base.reshape(2, 3, 4, 5).swapaxes(2, 3),
        "step": base[::3],
    }[layout]
    b = roundtrip(a, tmp_path)
    same(a, b)
    if layout != "step":
        assert b.strides == a.strides


def test_nested_objects_and_dataframe(tmp_path):
    df = pd.DataFrame(
        {
            "f": np.arange(1000, dtype=np.float64),
            "i": np.arange(1000, dtype=np.int64),
            "s": [f"row{i}" for i in range(1000)],
            "t": pd.date_range("2020-01-01", periods=1000, freq="min"),
        }
    )
    obj = {
        "df": df,
        "list": [np.ones(3), (np.zeros((2, 2), order="F"), b"raw bytes"), {"x": 1.5, "y": "text"}],
        "bytearray": bytearray(b"abc"),
        "pb": pickle.PickleBuffer(bytearray(b"out of band")),
        "empty": np.empty(0),
        "scalar": np.float32(3.5),
    }
    for kwargs in ({}, {"mmap": False}):
        back = roundtrip(obj, tmp_path, **kwargs)
        pd.testing.assert_frame_equal(back["df"], df)
        same(obj["list"][0], back["list"][0])
        same(obj["list"][1][0], back["list"][1][0])
        assert back["list"][1][1] == b"raw bytes" and back["list"][2] == {"x": 1.5, "y": "text"}
        assert back["bytearray"] == bytearray(b"abc") and bytes(back["pb"].raw()) == b"out of band"
        assert back["scalar"] == np.float32(3.5) and back["empty"].shape == (0,)


def test_an_object_without_buffers(tmp_path):
    assert roundtrip({"a": [1, 2, "x"]}, tmp_path) == {"a": [1, 2, "x"]}
    with segpack.ObjectFile(dumped(None, tmp_path)) as f:
        assert f.info() == [] and len(f) == 0 and f.load() is None


@pytest.mark.parametrize("codec", ["zstd", "gzip", "br", "lzma"])
def test_compressed_round_trip(codec, tmp_path):
    obj = {"a": np.arange(100_000) % 7, "b": np.zeros((300, 300)), "c": np.arange(5.0)}
    path = dumped(obj, tmp_path, codec=codec, level=1 if codec != "lzma" else 0)
    back = segpack.load(path)
    for k in obj:
        same(obj[k], back[k])
    with segpack.ObjectFile(path) as f:
        infos = f.info()
        f.verify()
    assert [i.codec for i in infos] == [codec] * 3
    assert infos[1].stored_size < infos[1].raw_size


def test_codec_callable_chooses_per_buffer(tmp_path):
    seen = []

    def choose(info):
        seen.append(info)
        return "zstd" if info.raw_size >= 4096 else None

    obj = [np.zeros(10_000), np.arange(3, dtype=np.int16), pickle.PickleBuffer(bytearray(b"x" * 5000))]
    path = dumped(obj, tmp_path, codec=choose)
    assert [(i.index, i.raw_size, i.dtype, i.shape) for i in seen] == [
        (0, 80_000, np.dtype("<f8"), (10_000,)),
        (1, 6, np.dtype("<i2"), (3,)),
        (2, 5000, None, None),
    ]
    assert all(i.offset is None and i.crc32c is None for i in seen)
    with segpack.ObjectFile(path) as f:
        assert [i.codec for i in f.info()] == ["zstd", None, "zstd"]
        back = f.load()
    same(obj[0], back[0])
    same(obj[1], back[1])
    assert bytes(back[2].raw()) == b"x" * 5000


def test_info_lists_each_buffer(tmp_path):
    a, b = np.arange(10_000.0), np.ones((3, 5), dtype=np.int32)
    path = dumped({"a": a, "b": b}, tmp_path)
    with segpack.ObjectFile(path) as f:
        ia, ib = f.info()
        assert f.file_size == os.path.getsize(path)
        assert repr(f).startswith("<segpack.ObjectFile") and "2 buffers" in repr(f)
    assert (ia.index, ia.raw_size, ia.stored_size, ia.codec, ia.dtype, ia.shape) == (
        0, a.nbytes, a.nbytes, None, np.dtype("<f8"), (10_000,),
    )  # fmt: skip
    assert ia.offset % 4096 == 0 and ia.alignment == 4096  # a page: mapped views are page-aligned
    assert ib.alignment == 64 and ib.offset % 64 == 0  # smaller than a page: no page of its own
    assert ia.crc32c == segpack.crc32c(a.tobytes()) and ib.crc32c == segpack.crc32c(b.tobytes())
    assert ib.dtype == np.dtype("<i4") and ib.shape == (3, 5)
    segpack.dump({"a": a}, path, align=64)
    with segpack.ObjectFile(path) as f:
        assert f.info()[0].alignment == 64


# ---- memory: one mapping, read-only, copy-on-write, ordinary memory ------------------------


def mappings_of(path):
    """Start addresses and ranges of the mappings of `path` in this process."""
    out = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            if line.rstrip().endswith(str(path)):
                lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
                out.append((lo, hi))
    return out


def test_mmap_arrays_are_read_only_views_of_one_mapping(tmp_path):
    obj = {f"a{i}": np.full(5000 + i, float(i)) for i in range(8)}
    path = dumped(obj, tmp_path)
    back = segpack.load(path)
    maps = mappings_of(path)
    assert len(maps) == 1, maps  # one mapping for all the arrays
    lo, hi = maps[0]
    for k, arr in back.items():
        same(obj[k], arr)
        assert not arr.flags.writeable
        assert lo <= arr.ctypes.data and arr.ctypes.data + arr.nbytes <= hi
        with pytest.raises(ValueError):
            arr[0] = 1.0
    del back, arr
    gc.collect()
    assert mappings_of(path) == []  # the mapping goes with the last view


def test_copy_on_write_changes_never_reach_the_file(tmp_path):
    path = dumped({"a": np.zeros(10_000)}, tmp_path)
    before = path.read_bytes()
    back = segpack.load(path, writable="copy-on-write")
    assert back["a"].flags.writeable and len(mappings_of(path)) == 1
    back["a"][:] = 7.0
    assert (back["a"] == 7.0).all()
    assert path.read_bytes() == before
    assert (segpack.load(path)["a"] == 0).all()


def test_writable_true_gives_ordinary_memory(tmp_path):
    path = dumped(
        {"a": np.zeros(10_000), "z": np.ones(5000)}, tmp_path, codec=lambda i: "zstd" if i.index else None
    )
    for kwargs in ({"writable": True}, {"writable": True, "mmap": False}):
        back = segpack.load(path, **kwargs)
        assert mappings_of(path) == []
        assert back["a"].flags.writeable and back["z"].flags.writeable
        back["a"][0] = 1.0
    back = segpack.load(path, mmap=False)
    assert not back["a"].flags.writeable and not back["z"].flags.writeable  # writable=False: read-only


def test_writable_must_be_one_of_three_values(tmp_path):
    path = dumped([1], tmp_path)
    with pytest.raises(ValueError, match="copy-on-write"):
        segpack.load(path, writable="yes")


def test_close_with_live_arrays_keeps_them_valid(tmp_path):
    path = dumped({"a": np.arange(50_000.0)}, tmp_path)
    with segpack.ObjectFile(path) as f:
        a = f.load()["a"]
        b = f.load()["a"]  # load may be called again
    assert f.closed and "closed" in repr(f)
    f.close()  # twice: never raises
    os.unlink(path)
    assert a.sum() == np.arange(50_000.0).sum() and (a == b).all()
    for method in (f.load, f.info, f.verify):
        with pytest.raises(ValueError, match="closed"):
            method()


def test_close_does_not_raise_over_an_earlier_error(tmp_path):
    path = dumped({"a": np.arange(50_000.0)}, tmp_path)
    flip(path, buffer_start(path, 0) + 10)
    with pytest.raises(ChecksumError, match="buffer 0"):
        with segpack.ObjectFile(path, verify=True) as f:
            f.load()
    assert f.closed


# ---- streams and bytes ----------------------------------------------------------------------


class RecordingStream(io.RawIOBase):
    """A write-only stream that records what write() is handed."""

    def __init__(self):
        self.views = []
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.views.append((type(b), b.readonly, np.frombuffer(b, np.uint8).ctypes.data if len(b) else 0))
        self.data += b
        return len(b)


def test_dump_to_a_stream_hands_it_the_memory_itself(tmp_path):
    a = np.arange(1 << 20, dtype=np.float64)  # 8 MiB: written in pieces of the array itself
    stream = RecordingStream()
    segpack.dump({"a": a}, stream)
    assert all(t is memoryview and ro for t, ro, _ in stream.views)
    assert a.ctypes.data in [addr for _, _, addr in stream.views]
    path = dumped({"a": a}, tmp_path)
    assert bytes(stream.data) == path.read_bytes()
    same(a, segpack.load(bytes(stream.data))["a"])


def test_dump_to_an_open_file_and_a_short_writing_stream(tmp_path):
    obj = {"a": np.arange(100_000.0)}
    with open(tmp_path / "f.spk", "wb") as fh:
        segpack.dump(obj, fh)
    same(obj["a"], segpack.load(tmp_path / "f.spk")["a"])

    class Short(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, b):
            n = min(len(b), 1000)
            self.data += bytes(b[:n])
            return n

    s = Short()
    segpack.dump(obj, s)
    assert bytes(s.data) == (tmp_path / "f.spk").read_bytes()


def test_a_stream_that_raises_stops_the_dump():
    class Broken(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        segpack.dump({"a": np.ones(10)}, Broken())


def test_load_from_bytes_bytearray_memoryview_and_streams(tmp_path):
    obj = {"a": np.arange(1000.0), "b": np.ones((4, 4), dtype=np.int8)}
    path = dumped(obj, tmp_path)
    data = path.read_bytes()
    for src in (data, bytearray(data), memoryview(data), io.BytesIO(data), open(path, "rb")):
        back = segpack.load(src)
        same(obj["a"], back["a"])
        same(obj["b"], back["b"])
        if hasattr(src, "close"):
            src.close()
    arr = np.frombuffer(data, np.uint8)
    if arr.ctypes.data % 16 == 0:  # aligned bytes: the arrays are views of them, not copies
        back = segpack.load(arr)
        assert arr.ctypes.data <= back["a"].ctypes.data < arr.ctypes.data + len(arr)
    back = segpack.load(io.BytesIO(data), writable=True)
    assert back["a"].flags.writeable
    with pytest.raises(TypeError, match="path, bytes-like or a binary stream"):
        segpack.load(12)
    with pytest.raises(TypeError, match="path or a binary stream"):
        segpack.dump([1], 12)


# ---- atomic writes ----------------------------------------------------------------------


def test_a_failing_dump_leaves_the_old_file_and_no_temporary(tmp_path):
    path = dumped({"a": np.arange(10.0)}, tmp_path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        segpack.dump({"a": np.ones(10), "f": lambda: 1}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obj.spk"]


@pytest.mark.parametrize("durable", [False, True])
def test_durable_or_not_the_file_is_complete(durable, tmp_path):
    obj = {"a": np.arange(10_000.0)}
    path = dumped(obj, tmp_path, durable=durable)
    same(obj["a"], segpack.load(path)["a"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obj.spk"]


def test_sigkill_in_the_middle_of_dump_leaves_the_previous_file(tmp_path):
    path = tmp_path / "model.spk"
    good = {"w": np.arange(1000.0), "name": "previous"}
    segpack.dump(good, path)
    child = textwrap.dedent(
        f"""
        import numpy as np, segpack, sys
        big = {{"w": np.ones(32 << 20), "name": "next"}}  # 256 MiB
        print("ready", flush=True)
        while True:
            segpack.dump(big, {str(path)!r})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 60
        caught = False
        while time.monotonic() < deadline and not caught:
            temps = [p for p in tmp_path.iterdir() if p.name.startswith(".model.spk.tmp.")]
            caught = any(p.stat().st_size > 0 for p in temps if p.exists())
        assert caught, "the child never started writing"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    # Either the previous file or (had a dump already completed) a whole new one: never a part.
    with segpack.ObjectFile(path, verify=True) as f:
        f.verify()
        back = f.load()
    if back["name"] == "previous":
        same(good["w"], back["w"])
    else:
        assert back["name"] == "next" and back["w"].shape == (32 << 20,)


# ---- bad input: one regression test per class -------------------------------------------


def sample(tmp_path):
    return dumped({"a": np.arange(2000.0), "b": np.arange(3000, dtype=np.int32)}, tmp_path)


def fields(data):
    return list(HEADER.unpack_from(data))


def with_header(data, **changes):
    """`data` with header fields changed and the header crc recomputed."""
    names = "magic version flags count file_length payload_offset payload_length table_offset table_length payload_crc".split()
    f = fields(data)
    for k, v in changes.items():
        f[names.index(k)] = v
    head = HEADER.pack(*f[:10], 0)[:60]
    return head + struct.pack("<I", segpack.crc32c(head)) + data[64:]


def with_entry(data, i, **changes):
    """`data` with fields of table entry i changed and the table crc recomputed."""
    f = fields(data)
    table_offset, table_length = f[7], f[8]
    table = bytearray(data[table_offset : table_offset + table_length])
    names = "offset stored raw crc meta_length codec align_log2 flags reserved".split()
    e = list(ENTRY.unpack_from(table, 40 * i))
    for k, v in changes.items():
        e[names.index(k)] = v
    ENTRY.pack_into(table, 40 * i, *e)
    struct.pack_into("<I", table, len(table) - 4, segpack.crc32c(bytes(table[:-4])))
    return data[:table_offset] + bytes(table)


def entry(data, i):
    f = fields(data)
    return ENTRY.unpack_from(data, f[7] + 40 * i)


def buffer_start(path, i):
    return entry(path.read_bytes(), i)[0]


def flip(path, at):
    data = bytearray(path.read_bytes())
    data[at] ^= 0x40
    path.write_bytes(bytes(data))


def load_bytes_and_file(data, tmp_path, **kwargs):
    """The error of loading `data` from bytes, and from a file (mapped and read)."""
    errors = []
    p = tmp_path / "bad.spk"
    p.write_bytes(data)
    for src, kw in ((data, {}), (p, {}), (p, {"mmap": False})):
        with pytest.raises(segpack.SegpackError) as info:
            segpack.load(src, **kw, **kwargs)
        errors.append(info.value)
    return errors


def test_regression_truncated_file(tmp_path):
    data = sample(tmp_path).read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 63, 10, 0):
        for e in load_bytes_and_file(data[:cut], tmp_path):
            assert isinstance(e, (TruncatedError, ValidationError)), e
            if cut >= 64:
                assert isinstance(e, TruncatedError) and "truncated" in str(e).lower(), e


def test_regression_corrupt_buffer_table(tmp_path):
    data = sample(tmp_path).read_bytes()
    table_offset = fields(data)[7]
    bad = bytearray(data)
    bad[table_offset + 3] ^= 1
    for e in load_bytes_and_file(bytes(bad), tmp_path):
        assert isinstance(e, ChecksumError) and "table" in str(e), e
    for e in load_bytes_and_file(with_entry(data, 1, codec=77), tmp_path):  # crc recomputed
        assert isinstance(e, UnsupportedFormatError) and "buffer 1" in str(e), e
    for e in load_bytes_and_file(with_entry(data, 0, reserved=5), tmp_path):
        assert isinstance(e, ValidationError) and "buffer 0" in str(e), e


def test_regression_crc_mismatch_names_the_buffer(tmp_path):
    path = sample(tmp_path)
    flip(path, buffer_start(path, 1) + 5)
    assert segpack.load(path)["a"][0] == 0.0  # mapped and not asked to verify: not read
    for kwargs in ({"verify": True}, {"mmap": False}, {"writable": True}):
        with pytest.raises(ChecksumError, match="buffer 1"):
            segpack.load(path, **kwargs)
    with pytest.raises(ChecksumError, match="buffer 1"):
        segpack.load(path.read_bytes(), verify=True)  # bytes: views of them, checked when asked
    with segpack.ObjectFile(path) as f:
        with pytest.raises(ChecksumError, match="buffer 1"):
            f.verify()
        assert len(f.info()) == 2  # info reads no buffer
    path = dumped({"a": np.zeros(100_000)}, tmp_path, codec="zstd")
    data = bytearray(path.read_bytes())
    start, stored = entry(bytes(data), 0)[:2]
    data = with_entry(bytes(data), 0, crc=entry(bytes(data), 0)[3] ^ 1)
    path.write_bytes(data)
    with pytest.raises(ChecksumError, match="buffer 0"):
        segpack.load(path)  # decoded buffers are always checked


def test_regression_payload_crc_mismatch(tmp_path):
    path = sample(tmp_path)
    flip(path, 64 + 20)
    with pytest.raises(ChecksumError, match="payload"):
        segpack.load(path)


def test_regression_wrong_version(tmp_path):
    data = sample(tmp_path).read_bytes()
    for e in load_bytes_and_file(with_header(data, version=2), tmp_path):
        assert isinstance(e, UnsupportedFormatError) and "version" in str(e), e
    for e in load_bytes_and_file(with_header(data, flags=1), tmp_path):  # a required flag
        assert isinstance(e, UnsupportedFormatError), e
    for e in load_bytes_and_file(b"PK\x03\x04" + data[4:], tmp_path):
        assert isinstance(e, ValidationError) and "magic" in str(e), e


def test_regression_buffers_out_of_bounds_or_overlapping(tmp_path):
    data = sample(tmp_path).read_bytes()
    f = fields(data)
    for e in load_bytes_and_file(with_entry(data, 1, offset=f[7]), tmp_path):  # runs into the table
        assert isinstance(e, TruncatedError) and "buffer 1" in str(e), e
    a_offset = entry(data, 0)[0]
    for e in load_bytes_and_file(with_entry(data, 1, offset=a_offset), tmp_path):  # on top of buffer 0
        assert isinstance(e, ValidationError) and "buffer 1" in str(e), e
    for e in load_bytes_and_file(with_entry(data, 0, offset=0), tmp_path):  # inside the header
        assert isinstance(e, ValidationError) and "buffer 0" in str(e), e


def test_regression_sizes_that_overflow(tmp_path):
    data = sample(tmp_path).read_bytes()
    huge = (1 << 64) - 1
    for changes in ({"stored": huge, "raw": huge}, {"offset": huge - 4095}, {"raw": 1 << 62}):
        for e in load_bytes_and_file(with_entry(data, 1, **changes), tmp_path):
            assert isinstance(e, ValidationError), (changes, e)
    for changes in (
        {"payload_length": huge},
        {"table_length": huge},
        {"count": 0xFFFFFFFF},
        {"file_length": huge},
    ):
        for e in load_bytes_and_file(with_header(data, **changes), tmp_path):
            assert isinstance(e, ValidationError), (changes, e)


def container(payload, buffers):
    """Container bytes around a hand-made payload (the writer does not look inside it)."""
    w = _core.ContainerWriter()
    w.set_payload(payload)
    for b in buffers:
        w.add_buffer(b)
    out = io.BytesIO()
    w.write_to(out)
    return out.getvalue()


def test_regression_forbidden_global_imports_nothing(tmp_path):
    assert "antigravity" not in sys.modules
    stream = b"\x80\x05cantigravity\nfly\n)R."
    payload = b"SPKO\x01\0\0\0" + struct.pack("<Q", 0) + stream
    for e in load_bytes_and_file(container(payload, []), tmp_path):
        assert isinstance(e, UnsafeLoadError) and "antigravity.fly" in str(e), e
    assert "antigravity" not in sys.modules
    path = dumped({"f": os.getcwd}, tmp_path)  # a real object naming a forbidden function
    with pytest.raises(UnsafeLoadError, match="posix.getcwd"):
        segpack.load(path)
    assert segpack.load(path, allow=["posix.getcwd"])["f"] is os.getcwd
    assert segpack.load(path, trusted=True)["f"] is os.getcwd


def test_regression_wrong_out_of_band_buffers(tmp_path):
    buffers = []
    payload = segpack.serialize([np.arange(10.0), np.arange(5.0)], buffer_callback=buffers.append)
    raw = [b.getbuffer() for b in buffers]
    for given, match in (
        (raw[:1], "expects 2 out-of-band buffers, 1 were given"),
        (raw + [b"x"], "expects 2 out-of-band buffers, 3 were given"),
        ([raw[0], b"12345678"], "buffer 1 has 8 bytes, the payload expects 40"),
    ):
        for e in load_bytes_and_file(container(payload, given), tmp_path):
            assert isinstance(e, BufferMismatchError) and match in str(e), e
    no_buffers = segpack.serialize([1, 2])
    for e in load_bytes_and_file(container(no_buffers, [b"x"]), tmp_path):
        assert isinstance(e, BufferMismatchError) and "no out-of-band buffers" in str(e), e


def test_regression_not_a_segpack_payload(tmp_path):
    for e in load_bytes_and_file(container(b"not a segpack payload", []), tmp_path):
        assert isinstance(e, ValidationError) and "magic" in str(e), e


def test_garbage_never_crashes(tmp_path):
    data = sample(tmp_path).read_bytes()
    rng = np.random.default_rng(1)
    for _ in range(200):
        bad = bytearray(data)
        for at in rng.integers(0, len(bad), 3):
            bad[at] = int(rng.integers(0, 256))
        try:
            segpack.load(bytes(bad), verify=True)
        except segpack.SegpackError:
            pass


def test_a_buffer_over_4_gib_loads_by_mmap_from_a_sparse_file(tmp_path):
    """Sizes are u64 end to end: a hand-built sparse file with one 4 GiB + 8 byte buffer (no
    data written: the mapping's pages are never read) loads as a view of that size."""
    n = (1 << 29) + 1  # float64: 4 GiB + 8 bytes
    buffers = []
    payload = segpack.serialize(np.zeros(n), buffer_callback=buffers.append)  # calloc'ed, untouched
    size = buffers[0].total_bytes()
    assert size > 1 << 32
    offset = -(-(64 + len(payload)) // 4096) * 4096
    table_offset = offset + size
    table = ENTRY.pack(offset, size, size, 0, 0, 0, 12, 0, 0)
    table += struct.pack("<I", segpack.crc32c(table))
    head = HEADER.pack(
        b"\x89SPKOBJ\n", 1, 0, 1, table_offset + len(table), 64, len(payload), table_offset, len(table),
        segpack.crc32c(payload), 0,
    )[:60]  # fmt: skip
    path = tmp_path / "big.spk"
    with open(path, "wb") as f:
        f.write(head + struct.pack("<I", segpack.crc32c(head)) + payload)
        f.seek(table_offset)
        f.write(table)
    with segpack.ObjectFile(path) as f:
        (info,) = f.info()
        a = f.load()
    assert info.raw_size == size and info.offset == offset
    assert a.shape == (n,) and a.nbytes == size and a[-1] == 0.0 and a[0] == 0.0
