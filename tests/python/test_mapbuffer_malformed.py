"""Malformed MapBuffer input: one named test per bad-input class.

Every case must end in a specific segpack.errors exception (never a crash,
never a huge allocation, never a silently wrong value).
"""

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segpack
import segpack.errors as E
from conftest import (
    COMPRESSED_CODECS,
    eytz_items,
    eytzinger,
    raw_mapbuffer,
    read_index,
    ref_compress,
    run_isolated,
    set_index,
)

D = {k: bytes([k % 251]) * (k % 17 + 1) for k in (3, 8, 15, 21, 40, 41, 77, 100, 1000, 2**33)}
ORDER = eytzinger(sorted(D))


def valid(codec=None, crc=True, d=D):
    return bytes(segpack.MapBuffer(d, compress=codec, compute_crc=crc).tobytes())


def touch_all(mb):
    """Reads everything a user could read; returns normally only if all succeed."""
    mb.validate()
    for k in list(mb.keys()):
        mb[k]


class SlicedReader:
    def __init__(self, data, sized=True):
        self.data = bytes(data)
        self.sized = sized

    def __getitem__(self, sl):
        return self.data[sl]

    def __len__(self):
        if not self.sized:
            raise TypeError("no len")
        return len(self.data)


# ---------------------------------------------------------------- header


def test_bad_magic():
    raw = b"mapbufX" + valid()[7:]
    with pytest.raises(E.ValidationError):
        segpack.MapBuffer(raw)
    with pytest.raises(E.ValidationError):
        segpack.MapBuffer(b"\0" * 100)
    with pytest.raises(E.ValidationError):
        segpack.MapBuffer.validate_buffer(raw)


def test_bad_magic_is_not_confused_with_intmap():
    with pytest.raises(E.ValidationError):
        segpack.MapBuffer(bytes(segpack.IntMap({1: 2}).tobytes()) + b"\0" * 20)


@pytest.mark.parametrize("version", [2, 7, 255])
def test_unknown_version(version):
    raw = bytearray(valid())
    raw[7] = version
    with pytest.raises(E.UnsupportedFormatError):
        segpack.MapBuffer(bytes(raw))


@pytest.mark.parametrize("tag", [b"snap", b"GZIP", b"\0\0\0\0", b"00BR", b"br00"])
def test_unknown_codec_tag(tag):
    raw = bytearray(valid())
    raw[8:12] = tag
    with pytest.raises(E.UnsupportedCompressionType):
        segpack.MapBuffer(bytes(raw))


def test_unknown_codec_tag_is_valueerror():
    raw = bytearray(valid())
    raw[8:12] = b"snap"
    with pytest.raises(ValueError):
        segpack.MapBuffer(bytes(raw))


@pytest.mark.parametrize("length", range(0, 16))
def test_shorter_than_header(length):
    with pytest.raises(E.TruncatedError):
        segpack.MapBuffer(valid()[:length])


# ---------------------------------------------------------------- N / index


def test_count_larger_than_buffer():
    raw = bytearray(100)
    raw[:16] = b"mapbufr\x01none" + struct.pack("<I", 2**32 - 1)
    with pytest.raises(E.TruncatedError):
        segpack.MapBuffer(bytes(raw))


def test_count_larger_than_buffer_range_reader():
    raw = b"mapbufr\x01none" + struct.pack("<I", 2**32 - 1) + bytes(84)
    with pytest.raises(E.SegpackError):
        segpack.MapBuffer(SlicedReader(raw, sized=True))
    with pytest.raises(E.SegpackError):
        segpack.MapBuffer(SlicedReader(raw, sized=False))


def test_count_larger_than_buffer_does_not_allocate():
    # Under an address-space limit 512 MiB above the current size, any
    # allocation sized from N (64 GiB of index) would fail or crash.
    proc = run_isolated(
        """
        import struct, segpack
        raw = b"mapbufr\\x01none" + struct.pack("<I", 2**32 - 1) + bytes(84)
        class R:
            def __getitem__(self, sl): return raw[sl]
        for src in (raw, bytearray(raw), R()):
            try:
                segpack.MapBuffer(src)
            except segpack.SegpackError as e:
                print("ok", type(e).__name__)
            else:
                print("opened")
        """,
        address_space_mb=512,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ok") == 3, proc.stdout + proc.stderr
    assert "opened" not in proc.stdout


def test_count_smaller_than_index():
    # header says 2 items but the buffer holds 10: the first offset is not 16+16*2
    raw = bytearray(valid())
    raw[12:16] = struct.pack("<I", 2)
    with pytest.raises(E.ValidationError):
        mb = segpack.MapBuffer(bytes(raw))
        touch_all(mb)


def test_offset_past_end():
    raw = valid()
    i = 3
    bad = set_index(raw, i, offset=len(raw) + 10)
    key = ORDER[i]
    with pytest.raises(E.TruncatedError):
        mb = segpack.MapBuffer(bad)
        mb[key]
    with pytest.raises(E.TruncatedError):
        segpack.MapBuffer.validate_buffer(bad)


def test_last_offset_past_end():
    raw = valid()
    bad = set_index(raw, len(D) - 1, offset=len(raw) + 1)
    with pytest.raises(E.TruncatedError):
        mb = segpack.MapBuffer(bad)
        mb[ORDER[-1]]


def test_decreasing_offsets():
    raw = valid()
    idx = read_index(raw)
    i = 4
    # item i starts after item i+1 (but inside the buffer)
    bad = set_index(raw, i, offset=idx[i + 1][1] + 2)
    try:
        mb = segpack.MapBuffer(bad)
    except E.ValidationError:
        return  # rejected at open: fine
    with pytest.raises(E.ValidationError):
        mb.validate()
    with pytest.raises(E.ValidationError):
        mb[ORDER[i]]


def test_decreasing_offsets_v0_not_silently_wrong():
    raw = valid(crc=False)
    idx = read_index(raw)
    i = 4
    bad = set_index(raw, i, offset=idx[i + 1][1] + 2)
    try:
        mb = segpack.MapBuffer(bad)
    except E.ValidationError:
        return
    with pytest.raises(E.ValidationError):
        mb.validate()
    with pytest.raises(E.ValidationError):
        mb[ORDER[i]]


@pytest.mark.parametrize("delta", [-16, -1, 1, 16])
def test_first_offset_not_header_plus_index(delta):
    raw = valid()
    bad = set_index(raw, 0, offset=16 + 16 * len(D) + delta)
    with pytest.raises(E.ValidationError):
        mb = segpack.MapBuffer(bad)
        touch_all(mb)


def test_first_offset_wrong_v0():
    raw = valid(crc=False)
    bad = set_index(raw, 0, offset=16 + 16 * len(D) + 1)
    with pytest.raises(E.ValidationError):
        segpack.MapBuffer(bad)


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_offsets_overflowing(position):
    raw = valid()
    i = {"first": 0, "middle": 5, "last": len(D) - 1}[position]
    for off in (2**64 - 1, 2**64 - 4, 2**63):
        bad = set_index(raw, i, offset=off)
        with pytest.raises(E.ValidationError):
            mb = segpack.MapBuffer(bad)
            mb[ORDER[i]]
        with pytest.raises(E.ValidationError):
            mb = segpack.MapBuffer(bad)
            mb.validate()


def test_offsets_overflowing_range_reader():
    raw = valid()
    bad = set_index(raw, len(D) - 1, offset=2**64 - 1)
    with pytest.raises(E.ValidationError):
        mb = segpack.MapBuffer(SlicedReader(bad, sized=False))
        mb[ORDER[-1]]


def test_v1_item_shorter_than_crc():
    # item 2 is 2 bytes long: cannot hold its 4-byte crc
    raw = valid()
    idx = read_index(raw)
    bad = set_index(raw, 3, offset=idx[2][1] + 2)
    try:
        mb = segpack.MapBuffer(bad)
    except E.ValidationError:
        return
    with pytest.raises(E.ValidationError):
        mb[ORDER[2]]
    with pytest.raises(E.ValidationError):
        mb.validate()


# ---------------------------------------------------------------- crc


@pytest.mark.parametrize("codec", [None, *COMPRESSED_CODECS], ids=str)
@pytest.mark.parametrize("where", ["payload", "crc"])
def test_crc_mismatch(codec, where):
    raw = bytearray(valid(codec=codec))
    idx = read_index(raw)
    i = 2
    start, end = idx[i][1], idx[i + 1][1]
    raw[start if where == "payload" else end - 1] ^= 0x01
    raw = bytes(raw)
    mb = segpack.MapBuffer(raw)
    with pytest.raises(E.ChecksumError):
        mb[ORDER[i]]
    with pytest.raises(E.ChecksumError):
        mb.validate()
    # other items are still readable
    assert mb[ORDER[0]] == D[ORDER[0]]


def test_crc_mismatch_empty_value():
    raw = bytearray(segpack.MapBuffer({1: b"", 2: b"a"}).tobytes())
    # item of key 1 is exactly its 4 crc bytes (0); corrupt them
    pos = [o for k, o in read_index(raw) if k == 1][0]
    raw[pos] = 0xFF
    mb = segpack.MapBuffer(bytes(raw))
    with pytest.raises(E.ChecksumError):
        mb[1]


# ---------------------------------------------------------------- trailing garbage


@pytest.mark.parametrize("garbage", [b"\0", b"xyz", b"\0" * 4, b"garbage!" * 10])
def test_trailing_garbage_v1(garbage):
    raw = valid() + garbage
    mb = segpack.MapBuffer(raw)
    with pytest.raises(E.ChecksumError):
        mb[ORDER[-1]]
    with pytest.raises(E.ChecksumError):
        mb.validate()
    assert mb[ORDER[0]] == D[ORDER[0]]


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
@pytest.mark.parametrize("garbage", [b"\0", b"xyz", b"garbage!" * 10])
def test_trailing_garbage_compressed_v0(codec, garbage):
    raw = valid(codec=codec, crc=False) + garbage
    mb = segpack.MapBuffer(raw)
    with pytest.raises(E.DecompressionError):
        mb[ORDER[-1]]
    with pytest.raises(E.DecompressionError):
        mb.validate()


def test_empty_map_with_trailing_bytes():
    for crc in (True, False):
        raw = valid(crc=crc, d={}) + b"\0"
        with pytest.raises(E.ValidationError):
            segpack.MapBuffer(raw)
        with pytest.raises(E.ValidationError):
            segpack.MapBuffer.validate_buffer(raw)


# ---------------------------------------------------------------- truncation


@pytest.mark.parametrize(
    "codec,crc",
    [(None, True), (None, False), ("gzip", True), ("zstd", False), ("br", False), ("lzma", True)],
    ids=lambda x: str(x),
)
def test_truncated_every_prefix(codec, crc):
    d = {1: b"a" * 9, 5: b"", 9: b"hello world", 12: b"zz"}
    raw = valid(codec=codec, crc=crc, d=d)
    first = 16 + 16 * len(d)
    for n in range(len(raw)):
        prefix = raw[:n]
        if n < first:  # header or index cut short
            with pytest.raises(E.TruncatedError):
                segpack.MapBuffer(prefix)
            continue
        try:
            mb = segpack.MapBuffer(prefix)
        except E.ValidationError:
            continue  # an offset past the end, rejected at open
        # whatever opens must never return wrong data; v1 and compressed must detect it
        detected = False
        for k, v in d.items():
            try:
                got = mb[k]
            except E.ValidationError:
                detected = True
                continue
            if codec is not None or crc:
                assert got == v, (n, k)
            else:
                assert v.startswith(got), (n, k)
        if codec is not None or crc:
            with pytest.raises(E.ValidationError):
                mb.validate()
            assert detected, f"prefix of {n} bytes read without error"


@pytest.mark.parametrize("sized", [True, False], ids=["sized", "unsized"])
def test_truncated_every_prefix_range_reader(sized):
    d = {1: b"a" * 9, 5: b"", 9: b"hello world", 12: b"zz"}
    raw = valid(d=d)
    for n in range(len(raw)):
        try:
            mb = segpack.MapBuffer(SlicedReader(raw[:n], sized=sized))
        except E.ValidationError:
            continue
        with pytest.raises(E.ValidationError):
            mb.validate()
        for k, v in d.items():
            try:
                assert mb[k] == v
            except E.ValidationError:
                pass


@pytest.mark.parametrize("n", [16, 17, 31, 40])
def test_truncated_index(n):
    raw = valid()
    with pytest.raises(E.TruncatedError):
        segpack.MapBuffer(raw[:n])


def test_truncated_file(tmp_path):
    raw = valid()
    p = tmp_path / "t.mb"
    p.write_bytes(raw[: 16 + 8])
    with pytest.raises(E.TruncatedError):
        segpack.MapBuffer(p)
    p.write_bytes(raw[:-3])
    mb = segpack.MapBuffer(p)
    with pytest.raises(E.ChecksumError):
        mb.validate()


def test_empty_file(tmp_path):
    p = tmp_path / "e.mb"
    p.write_bytes(b"")
    with pytest.raises(E.TruncatedError):
        segpack.MapBuffer(p)
    with open(p, "rb") as f:
        with pytest.raises(E.TruncatedError):
            segpack.MapBuffer(f)


def test_missing_file(tmp_path):
    with pytest.raises(OSError):
        segpack.MapBuffer(tmp_path / "nope.mb")


# ---------------------------------------------------------------- order


def test_non_eytzinger_order_sorted_layout():
    d = {k: bytes([k]) for k in range(1, 11)}
    items = [(k, d[k]) for k in sorted(d)]  # sorted, not Eytzinger
    raw = raw_mapbuffer(items, version=1)
    try:
        mb = segpack.MapBuffer(raw)
    except E.ValidationError:
        return
    with pytest.raises(E.ValidationError):
        mb.validate()
    with pytest.raises(E.ValidationError):
        segpack.MapBuffer.validate_buffer(raw)


def test_non_eytzinger_order_swapped_keys():
    raw = valid()
    idx = read_index(raw)
    bad = set_index(set_index(raw, 1, key=idx[2][0]), 2, key=idx[1][0])
    mb = segpack.MapBuffer(bad)
    with pytest.raises(E.ValidationError):
        mb.validate()


def test_duplicate_keys_in_index():
    raw = valid()
    idx = read_index(raw)
    bad = set_index(raw, 1, key=idx[0][0])
    mb = segpack.MapBuffer(bad)
    with pytest.raises(E.ValidationError):
        mb.validate()


def test_hand_built_eytzinger_is_valid():
    # sanity check of the hand builder used above
    raw = raw_mapbuffer(eytz_items(D), version=1)
    assert raw == valid()
    assert segpack.MapBuffer(raw).validate() is True


# ---------------------------------------------------------------- compressed payloads


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
@pytest.mark.parametrize("crc", [True, False], ids=["v1", "v0"])
def test_corrupt_compressed_payload(codec, crc):
    d = {1: b"first value " * 10, 2: b"second value " * 20, 3: b"third"}
    items = eytz_items(d, codec)
    target = 2
    items = [(k, p[: len(p) // 2] if k == target else p) for k, p in items]
    tag = {"gzip": b"gzip", "br": b"00br", "zstd": b"zstd", "lzma": b"lzma"}[codec]
    raw = raw_mapbuffer(items, version=1 if crc else 0, tag=tag)  # crc matches the corrupt payload
    mb = segpack.MapBuffer(raw)
    with pytest.raises(E.DecompressionError):
        mb[target]
    with pytest.raises(E.DecompressionError):
        mb.validate()
    assert mb[1] == d[1]
    assert mb[3] == d[3]


@pytest.mark.parametrize("codec", COMPRESSED_CODECS)
def test_garbage_compressed_payload(codec):
    tag = {"gzip": b"gzip", "br": b"00br", "zstd": b"zstd", "lzma": b"lzma"}[codec]
    for payload in (b"", b"\xff" * 16, b"not compressed at all"):
        raw = raw_mapbuffer([(1, payload)], version=0, tag=tag)
        mb = segpack.MapBuffer(raw)
        with pytest.raises(E.DecompressionError):
            mb[1]
        with pytest.raises(E.DecompressionError):
            mb.validate()


def test_gzip_payload_without_gzip_magic():
    import zlib

    raw = raw_mapbuffer([(1, zlib.compress(b"hello"))], version=1, tag=b"gzip")
    with pytest.raises(E.DecompressionError):
        segpack.MapBuffer(raw)[1]


def _zstd_frame_claiming(size, content=b"abc", single_segment=True):
    """A zstd frame whose header declares `size` content bytes (8-byte field)
    but holds one raw block of `content`. Single-segment frames imply a window
    of `size`; otherwise the window is 1 MiB and only the content size lies."""
    block_header = (1 | (0 << 1) | (len(content) << 3)).to_bytes(3, "little")
    if single_segment:
        descriptor = bytes([0xE0])
    else:
        descriptor = bytes([0xC0, 10 << 3])  # window log 20
    return b"\x28\xb5\x2f\xfd" + descriptor + struct.pack("<Q", size) + block_header + content


@pytest.mark.parametrize("single_segment", [True, False], ids=["single_segment", "windowed"])
@pytest.mark.parametrize("claimed", [2**31, 2**40, 2**64 - 3])  # 2**64-1 means "unknown" to zstd
def test_zstd_frame_claiming_huge_content_size(claimed, single_segment):
    frame = _zstd_frame_claiming(claimed, single_segment=single_segment)
    raw = raw_mapbuffer([(2, ref_compress(b"ok", "zstd")), (1, frame)], version=1, tag=b"zstd")
    mb = segpack.MapBuffer(raw)
    with pytest.raises((E.DecompressionError, E.LimitExceededError)):
        mb[1]
    with pytest.raises((E.DecompressionError, E.LimitExceededError)):
        mb.validate()
    assert mb[2] == b"ok"


@pytest.mark.parametrize("single_segment", [True, False], ids=["single_segment", "windowed"])
def test_zstd_frame_claiming_huge_content_size_does_not_allocate(single_segment):
    code = f"""
        import struct, segpack
        frame = {_zstd_frame_claiming(2**31 + 7, single_segment=single_segment)!r}
        # build a one-item zstd map by hand holding the hostile frame
        raw = b"mapbufr\\x00zstd" + struct.pack("<I", 1) + struct.pack("<QQ", 1, 32) + frame
        m = segpack.MapBuffer(raw)
        ops = (lambda: m[1], m.validate, lambda: segpack.decompress(frame, "zstd"),
               lambda: segpack.decompress(frame, "zstd", max_output=2**40))
        for op in ops:
            try:
                op()
            except segpack.SegpackError as e:
                print("ok", type(e).__name__)
            else:
                print("no-error")
    """
    proc = run_isolated(code, address_space_mb=512)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ok") == 4, proc.stdout + proc.stderr
    assert "no-error" not in proc.stdout


def test_max_output_limits_item_size():
    d = {1: b"a" * 100_000, 2: b"small"}
    raw = valid(codec="zstd", d=d)
    mb = segpack.MapBuffer(raw, max_output=1000)
    assert mb[2] == b"small"
    with pytest.raises(E.LimitExceededError):
        mb[1]


# ---------------------------------------------------------------- fuzz-ish


ALLOWED = (E.SegpackError, KeyError, ValueError)


def _exercise(data):
    try:
        mb = segpack.MapBuffer(data)
    except ALLOWED:
        return
    try:
        mb.validate()
    except ALLOWED:
        pass
    try:
        keys = list(mb.keys())
    except ALLOWED:
        keys = []
    for k in keys[:50] + [0, 1, 2**64 - 1]:
        try:
            mb[k]
        except ALLOWED:
            pass
        try:
            mb.get(k)
            k in mb  # noqa: B015
        except ALLOWED:
            pass
    try:
        mb.todict()
    except ALLOWED:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data):
    _exercise(data)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [b"mapbufr\x01none", b"mapbufr\x00gzip", b"mapbufr\x0100br", b"mapbufr\x00zstd", b"mapbufr\x01lzma"]
    ),
    st.integers(0, 8),
    st.binary(max_size=300),
)
def test_fuzz_valid_header_random_body(head, n, body):
    _exercise(head + struct.pack("<I", n) + body)


_EDIT = st.tuples(st.integers(0, 10**6), st.integers(0, 255))  # (position, new byte)
_SEEDS = [valid(codec=c, crc=v) for c in (None, "gzip", "br", "zstd", "lzma") for v in (True, False)]


@settings(max_examples=400, deadline=None)
@given(st.integers(0, len(_SEEDS) - 1), st.lists(_EDIT, max_size=8))
def test_fuzz_mutated_valid_maps(which, edits):
    raw = bytearray(_SEEDS[which])
    for pos, val in edits:
        raw[pos % len(raw)] = val
    _exercise(bytes(raw))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(_SEEDS) - 1), st.lists(_EDIT, max_size=6))
def test_fuzz_mutated_range_reader(which, edits):
    raw = bytearray(_SEEDS[which])
    for pos, val in edits:
        raw[pos % len(raw)] = val
    _exercise(SlicedReader(raw, sized=bool(len(edits) % 2)))
