"""The README's Python tour as a typed program, for the stubs' tests.

tests/python/test_typing.py runs `mypy --strict` on this file (0 errors
required) and then runs it, in a temporary folder, so that every line here is
both well-typed and true. `assert_type` pins what the stubs say each call
returns: a stub that loosens a type (to `object`, `Any`, ...) fails here.
Every API the README shows is used at least once, plus the members its
"Compared with the mapbuffer package" section lists.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any, assert_type

import numpy as np
import numpy.typing as npt
from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12 on

import segpack

# ---- build from a dict, reopen from bytes, read
mb = segpack.MapBuffer({2848: b"abc", 12939: b"123"}, compress="zstd", level=3)
data = mb.tobytes()
assert_type(data, Buffer)  # bytes-like: the object the map was built as or opened on
mb = segpack.MapBuffer(data)
first = mb[2848]
assert first == b"abc"
assert mb.get(7, b"default") == b"default"
assert_type(2848 in mb, bool)
assert_type(len(mb), int)
keys: list[int] = list(mb.keys())
assert sorted(keys) == [2848, 12939]
assert_type(mb.todict(), dict[int, Any])
index = mb.index()
assert_type(index, npt.NDArray[np.uint64])
assert index.shape == (2, 2)
assert_type(mb.validate(), bool)


def first_key(m: segpack.MapBuffer) -> int:
    """A typed function over a map: iteration yields ints."""
    for key in m:
        return key
    raise LookupError("empty map")


assert first_key(mb) in (2848, 12939)

# ---- files: memory-mapped, views outlive close()
path = segpack.write_mapbuffer("fragments.mb", {2848: b"abc", 12939: b"123"})
assert_type(path, str)
with segpack.MapBuffer("fragments.mb") as fmb:
    assert_type(fmb, segpack.MapBuffer)
    v = fmb.view(2848)
    assert_type(v, memoryview)
assert bytes(v) == b"abc"
assert fmb.closed
with open("fragments.mb", "rb") as f, segpack.MapBuffer(f) as from_file:
    assert from_file[12939] == b"123"


# ---- range readers: anything with slice __getitem__
class RangeReader:
    """Stands in for e.g. an HTTP range-request client."""

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def __getitem__(self, byte_range: slice) -> bytes:
        return self.blob[byte_range]


rmb = segpack.MapBuffer(RangeReader(bytes(memoryview(data))))
assert rmb[12939] == b"123"


# ---- streaming, atomic writes
def fragments() -> Iterator[tuple[int, bytes]]:
    for segid in range(1, 1001):
        yield segid, b"fragment %d" % segid


with segpack.MapBufferWriter("out.mb", compress="br") as w:
    assert_type(w, segpack.MapBufferWriter)
    for segid, fragment in fragments():
        w.add(segid, fragment)
    assert_type(len(w), int)
segpack.write_mapbuffer("out2.mb", {1: b"x"}, compress="gzip")
segpack.write_mapbuffer("out3.mb", fragments(), compress=None, level=None, compute_crc=False)
writer = segpack.MapBufferWriter("out4.mb", tobytesfn=lambda s: str(s).encode())
writer.add(1, "one")
writer.commit()
aborted = segpack.MapBufferWriter("out5.mb")
aborted.abort()

# ---- u64 -> u64
im = segpack.IntMap({1: 2, 3: 4})
np_keys = np.array([10, 20, 30], dtype=np.uint64)
np_values = np.array([100, 200, 300], dtype=np.uint64)
assert_type(im[3], int)
from_arrays = segpack.IntMap.from_arrays(np_keys, np_values)
assert_type(from_arrays, segpack.IntMap)
assert_type(im.get(1), int | None)
assert_type(im.get(5, 0), int)
assert_type(im.get(5, "none"), int | str)
segpack.write_intmap("counts.im", {1: 10})
assert segpack.IntMap("counts.im")[1] == 10
assert_type(im.todict(), dict[int, int])
assert_type(list(im.items()), list[tuple[int, int]])

# ---- codecs and checksums
assert_type(segpack.crc32c(b"123456789"), int)
assert segpack.crc32c(b"123456789") == 0xE3069283
roundtrip = segpack.decompress(segpack.compress(b"x" * 100, "lzma"), "lzma")
assert_type(roundtrip, bytes)
lo, hi = segpack.codec_level_range("zstd")
assert lo <= segpack.codec_default_level("zstd") <= hi

# ---- many items at once
vals = mb.get_many(np.array([2848, 12939], dtype=np.uint64))
assert_type(vals, segpack.BufferWithSegments)
assert_type(vals[0], segpack.BufferSegment)
assert_type(vals[0].tobytes(), bytes)
assert_type(vals[1:], segpack.BufferWithSegments)
assert_type(vals.tolist(), list[bytes])
assert_type(vals.memoryviews(), list[memoryview])
assert_type(vals.offsets(), npt.NDArray[np.uint64])
assert_type(vals.lengths(), npt.NDArray[np.uint64])
assert len(vals) == 2 and vals[0] == b"abc"
assert mb.get_many([1, 2, 3], default=b"").tolist() == [b"", b"", b""]
found = im.get_many(np.array([1, 3]))
assert_type(found, npt.NDArray[np.uint64])
assert found.tolist() == [2, 4]
assert im.get_many(np.arange(5), default=0).tolist() == [0, 2, 0, 4, 0]
segment_bytes: list[bytes] = [bytes(segment) for segment in vals]

items = [b"abc" * 300, b"xyz" * 200, b"segpack " * 100]
sizes = np.array([len(x) for x in items], dtype=np.uint64)
frames = segpack.multi_compress_to_buffer(items, codec="zstd", level=1)
assert_type(frames, segpack.BufferWithSegmentsCollection)
out = segpack.multi_decompress_to_buffer(frames, codec="zstd", threads=2)
assert_type(out, segpack.BufferWithSegmentsCollection)
assert_type(out[0], segpack.BufferSegment)
assert_type(out[0:2], list[segpack.BufferSegment])
assert out.tolist() == items
out = segpack.ZstdDecompressor().multi_decompress_to_buffer(frames, decompressed_sizes=sizes)
assert_type(out, segpack.BufferWithSegmentsCollection)
assert out.tolist() == items

# ---- python-zstandard's objects: compressors, dictionaries, parameters
samples = [b"segment %d: " % i + b"vertex data " * (i % 7 + 1) for i in range(400)]
zdict = segpack.train_dictionary(dict_size=2048, samples=samples, threads=1)
assert_type(zdict, segpack.ZstdCompressionDict)
assert_type(zdict.dict_id(), int)
assert_type(zdict.as_bytes(), bytes)
assert_type(len(zdict), int)
assert_type(zdict.dict_type, int)
assert_type((zdict.k, zdict.d), tuple[int, int])
zdict.precompute_compress(level=3)
raw_dict = segpack.ZstdCompressionDict(zdict.as_bytes(), dict_type=segpack.DICT_TYPE_FULLDICT)
assert raw_dict.dict_id() == zdict.dict_id()
zc = segpack.ZstdCompressor(level=3, dict_data=zdict, write_checksum=True)
assert_type(zc, segpack.ZstdCompressor)
frame = zc.compress(samples[0])
assert_type(frame, bytes)
assert_type(zc.multi_compress_to_buffer(samples, threads=1), segpack.BufferWithSegmentsCollection)
assert_type(zc.level, int | None)
zd = segpack.ZstdDecompressor(dict_data=zdict, max_window_size=0, max_output_size=1 << 20)
assert_type(zd.decompress(frame), bytes)
assert zd.decompress(frame) == samples[0]
params = segpack.ZstdCompressionParameters.from_level(5, source_size=len(samples[0]), write_checksum=1)
assert_type(params, segpack.ZstdCompressionParameters)
assert_type(params.window_log, int)
zp = segpack.ZstdCompressor(compression_params=params)
assert segpack.ZstdDecompressor().decompress(zp.compress(b"abc")) == b"abc"
gz = segpack.Compressor("gzip", level=6)
assert_type(gz.compress(b"abc"), bytes)
assert_type(gz.codec, str | None)
gunzip = segpack.Decompressor(codec="gzip", max_output_size=100)
assert_type(gunzip.decompress(gz.compress(b"abc")), bytes)
assert_type(gunzip.max_output_size, int | None)
assert_type(segpack.ZSTD_VERSION, tuple[int, int, int])
assert_type(segpack.MAX_COMPRESSION_LEVEL, int)
try:
    segpack.ZstdDecompressor().decompress(b"not a frame")
except segpack.ZstdDecompressionError as zstd_error:
    assert isinstance(zstd_error, segpack.ZstdError) and isinstance(zstd_error, segpack.DecompressionError)
segpack.set_num_threads(4)
assert_type(segpack.get_num_threads(), int)

b = segpack.BufferWithSegments(data, np.array([[0, 3], [3, 3]], dtype=np.uint64))
assert_type(b[-1], segpack.BufferSegment)
assert_type(b[1:], segpack.BufferWithSegments)
pickled = pickle.dumps(b, protocol=5)
assert pickle.loads(pickled).tolist() == b.tolist()
collection = segpack.BufferWithSegmentsCollection(b, vals)
assert_type(collection.buffers(), list[segpack.BufferWithSegments])
assert_type(collection.size(), int)
records = b.segments()
assert_type(records, segpack.BufferSegments)
assert memoryview(records).nbytes == 32

# ---- the rest of mapbuffer's members
assert_type(mb.find_index_position(2848), int | None)
position = mb.find_index_position(2848)
assert position is not None
assert mb.getindex(position) == b"abc"
assert_type(mb.size(2848), int)
assert_type(mb.datasize(), int | None)
assert_type(mb.header, bytes)
assert_type(mb.compress, str | None)
assert_type(mb.format_version, int)
assert_type(segpack.MapBuffer.validate_buffer(data), bool)
assert_type(mb.dict2buf({5: b"five"}), bytes)
assert_type(mb.buffer, Buffer)
values: list[Any] = list(mb.values())
pairs: list[tuple[int, Any]] = list(mb.items())
writable = segpack.MapBuffer(bytearray(segpack.MapBuffer({1: b"abc"}).dict2buf({1: b"abc"})))
writable[1] = b"xyz"
writable.setindex(0, b"uvw")
assert writable[1] == b"uvw"
zero_copy = segpack.MapBuffer({1: b"abc"}, zero_copy=True, max_output=1 << 20)
assert zero_copy.zero_copy
zero_copy.check_crc = False
as_text = segpack.MapBuffer({1: "one"}, tobytesfn=str.encode, frombytesfn=bytes.decode)
assert as_text[1] == "one"
assert as_text.compute_crc and as_text.tobytesfn is not None and as_text.frombytesfn is not None
as_text.frombytesfn = None
mb.close()

# ---- every argument by name: the stubs' names are the ones the bindings accept
from segpack import _core  # noqa: E402  (crc32c_with is not re-exported)

kw = segpack.MapBuffer(
    data={1: b"a", 2: b"b"},
    compress="gzip",
    tobytesfn=None,
    frombytesfn=None,
    check_crc=True,
    compute_crc=True,
    level=1,
    zero_copy=False,
    max_output=1 << 20,
)
assert kw.get(label=1, default=None) == b"a"
assert bytes(kw.view(label=2)) == b"b" and kw.size(label=2) > 0
assert segpack.MapBuffer.validate_buffer(buf=kw.tobytes())
assert kw.get_many(
    keys=[1, 9], default=b"", threads=1, zero_copy=False, max_output_size=1 << 20
).tolist() == [b"a", b""]
assert segpack.MapBuffer(kw.dict2buf(data={3: b"c"}, compress=None, tobytesfn=None))[3] == b"c"
with segpack.MapBufferWriter(
    path="kw.mb", compress=None, level=None, compute_crc=True, tobytesfn=None
) as kw_writer:
    kw_writer.add(key=1, value=b"a")
assert (
    segpack.write_mapbuffer(
        path="kw2.mb", data={1: b"a"}, compress="zstd", level=1, compute_crc=False, tobytesfn=None
    )
    == "kw2.mb"
)
kw_im = segpack.IntMap(data={1: 2})
assert kw_im.get(label=1, default=None) == 2
assert segpack.IntMap.from_arrays(keys=[1], values=[2])[1] == 2
assert kw_im.get_many(keys=[1], default=0, threads=1).tolist() == [2]
segpack.write_intmap(path="kw.im", data={1: 2})
assert segpack.BufferSegment(data=b"ab", offset=3).offset == 3
assert len(segpack.BufferSegments(data=bytes(16))) == 1
kw_b = segpack.BufferWithSegments(data=b"abcd", segments=np.array([[0, 2]], dtype=np.uint64))
kw_frames = segpack.multi_compress_to_buffer(data=[b"x" * 10], codec="zstd", level=1, threads=1)
kw_out = segpack.multi_decompress_to_buffer(
    frames=kw_frames, decompressed_sizes=[10], codec="zstd", threads=1, max_output_size=100
)
assert kw_out.tolist() == [b"x" * 10]
segpack.set_num_threads(n=2)
assert segpack.crc32c(data=b"a", value=0) == _core.crc32c_with(
    backend=segpack.crc32c_backend(), data=b"a", value=0
)
assert (
    segpack.decompress(data=segpack.compress(data=b"a", codec="br", level=1), codec="br", max_output=1)
    == b"a"
)
assert segpack.codec_level_range(codec=None) == (0, 0) and segpack.codec_default_level(codec="gzip") > 0

# ---- object files (segpack.dump / load / ObjectFile) and the container bindings under them
segpack.dump(
    {"w": np.arange(10.0)}, "obj.spk", codec=None, level=None, align=4096, durable=False, threads=None
)
obj_back = segpack.load("obj.spk", mmap=True, writable="copy-on-write", verify=None, trusted=False, allow=())
assert obj_back["w"].flags.writeable
with segpack.ObjectFile("obj.spk", mmap=False, writable=False, verify=True, threads=1) as objf:
    infos = objf.info()
    assert_type(infos, list[segpack.BufferInfo])
    assert infos[0].dtype == np.dtype("<f8") and infos[0].shape == (10,) and infos[0].codec is None
    objf.verify()
    assert objf.load(trusted=False, allow=(), max_depth=None, max_size=None)["w"][3] == 3.0
cw = _core.ContainerWriter(alignment=64, threads=-1, durable=False)
assert cw.add_buffer(data=b"abc", codec="zstd", level=1, alignment=0, metadata=b"m") == 0
cw.set_payload(data=b"payload")
cw.write_file(path="raw.spk")
cr = _core.ContainerReader.open_file(path="raw.spk", mmap=True, copy_on_write=False, verify=True, threads=-1)
assert_type(cr.buffers(writable=False), list[memoryview])
assert cr.info(index=0)[3] == "zstd" and bytes(cr.payload()) == b"payload" and cr.file_size > 0
cr.verify()
assert (
    len(
        _core.ContainerReader.open(data=open("raw.spk", "rb").read(), writable=False, verify=False, threads=1)
    )
    == 1
)
_core.check_pickle_lengths(data=pickle.dumps(1))

# ---- errors
try:
    segpack.MapBuffer(b"not a map")
except segpack.ValidationError as e:
    assert isinstance(e, segpack.SegpackError) and isinstance(e, ValueError)
try:
    im[99]
except KeyError:
    pass
errors: tuple[type[segpack.SegpackError], ...] = (
    segpack.TruncatedError,
    segpack.ChecksumError,
    segpack.UnsupportedFormatError,
    segpack.UnsupportedCompressionType,
    segpack.DecompressionError,
    segpack.CompressionError,
    segpack.LimitExceededError,
)
assert segpack.MAGIC_NUMBERS == b"mapbufr" and segpack.HEADER_LENGTH == 16 and segpack.FORMAT_VERSION == 1
