"""zstd frame parameters, dictionaries and ZstdError, against python-zstandard.

Frames: segpack links the system libzstd, python-zstandard 0.25 bundles its
own (1.5.7 here). With the same libzstd the frames are byte-identical for every
level, parameter and dictionary: checked against python-zstandard when the
versions match, and always against python-zstandard's call sequence replayed
through ctypes on the libzstd segpack uses. Across versions they are checked
where the two libzstd versions agree (the fast strategy: levels 1 and below),
and otherwise for what python-zstandard reads back from them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import pickle
import random
import threading

import numpy as np
import pytest
import zstandard

import segpack
import segpack.errors as E

SAME_LIBZSTD = tuple(segpack.ZSTD_VERSION) == tuple(zstandard.ZSTD_VERSION)


def records(n, seed, size=1024):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        while sum(map(len, parts)) < size:
            parts.append(
                json.dumps(
                    {
                        "id": rng.randrange(10**9),
                        "type": rng.choice(["mesh", "skeleton", "annotation", "segment"]),
                        "position": [round(rng.uniform(0, 1e5), 1) for _ in range(3)],
                        "tags": rng.sample(["proofread", "auto", "merged", "split", "soma"], 2),
                    }
                )
            )
        out.append("\n".join(parts).encode()[:size])
    return out


SAMPLES = records(600, seed=1)
ITEMS = records(60, seed=2)
BIG = b"".join(records(300, seed=3))  # ~300 KiB: over the 128 KiB shared-digest cutoff


@pytest.fixture(scope="module")
def d():
    return segpack.train_dictionary(8192, SAMPLES)


# ------------------------------------------------------------ the reference: python-zstandard's
# call sequence for ZstdCompressor(...).compress, through ctypes on segpack's libzstd.


class _Ref:
    C_LEVEL, C_WINDOW_LOG, C_STRATEGY = 100, 101, 107
    C_CONTENT_SIZE, C_CHECKSUM, C_DICT_ID = 200, 201, 202

    def __init__(self):
        lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
        lib.ZSTD_versionNumber.restype = ctypes.c_uint
        lib.ZSTD_createCCtx.restype = ctypes.c_void_p
        lib.ZSTD_freeCCtx.argtypes = [ctypes.c_void_p]
        lib.ZSTD_CCtx_setParameter.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        lib.ZSTD_CCtx_setParameter.restype = ctypes.c_size_t
        lib.ZSTD_CCtx_loadDictionary_byReference.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_size_t,
        ]
        lib.ZSTD_CCtx_loadDictionary_byReference.restype = ctypes.c_size_t
        lib.ZSTD_compressBound.restype = ctypes.c_size_t
        lib.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
        lib.ZSTD_compress2.restype = ctypes.c_size_t
        lib.ZSTD_compress2.argtypes = [
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_char_p,
            ctypes.c_size_t,
        ]
        lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
        self.lib = lib
        v = lib.ZSTD_versionNumber()
        self.version = (v // 10000, v // 100 % 100, v % 100)

    def compress(self, data, level=3, dict_bytes=None, checksum=0, content_size=1, dict_id=1, params=()):
        lib = self.lib
        c = lib.ZSTD_createCCtx()
        try:
            for p, v in (
                (self.C_LEVEL, level),
                (self.C_CONTENT_SIZE, content_size),
                (self.C_CHECKSUM, checksum),
                (self.C_DICT_ID, dict_id),
                *params,
            ):
                assert not lib.ZSTD_isError(lib.ZSTD_CCtx_setParameter(c, p, v))
            if dict_bytes:
                assert not lib.ZSTD_isError(
                    lib.ZSTD_CCtx_loadDictionary_byReference(c, dict_bytes, len(dict_bytes))
                )
            bound = lib.ZSTD_compressBound(len(data))
            out = ctypes.create_string_buffer(bound)
            n = lib.ZSTD_compress2(c, out, bound, data, len(data))
            assert not lib.ZSTD_isError(n)
            return out.raw[:n]
        finally:
            lib.ZSTD_freeCCtx(c)


@pytest.fixture(scope="module")
def ref():
    r = _Ref()
    if r.version != tuple(segpack.ZSTD_VERSION):
        pytest.skip(f"ctypes found libzstd {r.version}, segpack uses {segpack.ZSTD_VERSION}")
    return r


# ------------------------------------------------------------ frames, byte for byte


@pytest.mark.parametrize("level", [-5, 1, 3, 9, 19])
def test_frames_equal_reference_sequence(ref, d, level):
    for data in (b"", b"x", ITEMS[0], ITEMS[1] * 3, BIG):
        assert segpack.ZstdCompressor(level=level).compress(data) == ref.compress(data, level)
        ours = segpack.ZstdCompressor(level=level, dict_data=d).compress(data)
        assert ours == ref.compress(data, level, d.as_bytes()), (level, len(data))


@pytest.mark.parametrize(
    "kw,ref_kw",
    [
        (dict(write_checksum=True), dict(checksum=1)),
        (dict(write_content_size=False), dict(content_size=0)),
        (dict(write_dict_id=False), dict(dict_id=0)),
    ],
)
def test_frame_flags_equal_reference_sequence(ref, d, kw, ref_kw):
    for data in (ITEMS[3], BIG):
        assert segpack.ZstdCompressor(dict_data=d, **kw).compress(data) == ref.compress(
            data, 3, d.as_bytes(), **ref_kw
        )


def test_low_level_params_equal_reference_sequence(ref, d):
    p = segpack.ZstdCompressionParameters(
        compression_level=3, window_log=15, strategy=2, write_content_size=1
    )
    ours = segpack.ZstdCompressor(compression_params=p, dict_data=d)
    want = ref.compress(BIG, 3, d.as_bytes(), dict_id=0, params=((ref.C_WINDOW_LOG, 15), (ref.C_STRATEGY, 2)))
    assert ours.compress(BIG) == want
    zp = zstandard.ZstdCompressionParameters(compression_level=3, window_log=15, strategy=2)
    assert segpack.ZstdCompressor(compression_params=zp, dict_data=d).compress(BIG) == want


@pytest.mark.parametrize("level", [-5, 1])
@pytest.mark.parametrize(
    "kw", [{}, dict(write_checksum=True), dict(write_content_size=False), dict(write_dict_id=False)]
)
def test_frames_identical_to_zstandard_fast_levels(level, kw):
    """Levels 1 and below (zstd's fast strategy) write the same frames in the
    libzstd segpack links and in the one python-zstandard bundles."""
    zc = zstandard.ZstdCompressor(level=level, **kw)
    sc = segpack.ZstdCompressor(level=level, **kw)
    for data in (b"", b"abc", *ITEMS[:10], BIG):
        assert sc.compress(data) == zc.compress(data)
    assert [bytes(s) for s in sc.multi_compress_to_buffer(ITEMS, threads=2)] == [
        bytes(s) for s in zc.multi_compress_to_buffer(ITEMS, threads=2)
    ]


def test_frames_identical_to_zstandard_with_dictionary_fast_level():
    zd = zstandard.train_dictionary(8192, SAMPLES)
    zc = zstandard.ZstdCompressor(level=1, dict_data=zd)
    sc = segpack.ZstdCompressor(level=1, dict_data=zd)  # python-zstandard's dictionary object
    assert [sc.compress(x) for x in ITEMS] == [zc.compress(x) for x in ITEMS]


@pytest.mark.skipif(not SAME_LIBZSTD, reason="python-zstandard bundles another libzstd version")
@pytest.mark.parametrize("level", [3, 9, 19])
def test_frames_identical_to_zstandard_same_libzstd(d, level):
    zdict = zstandard.ZstdCompressionDict(d.as_bytes())
    for kw in ({}, dict(write_checksum=True)):
        assert segpack.ZstdCompressor(level=level, **kw).compress(BIG) == zstandard.ZstdCompressor(
            level=level, **kw
        ).compress(BIG)
        assert segpack.ZstdCompressor(level=level, dict_data=d, **kw).compress(
            BIG
        ) == zstandard.ZstdCompressor(level=level, dict_data=zdict, **kw).compress(BIG)


# ------------------------------------------------------------ frame parameters as python-zstandard reads them


@pytest.mark.parametrize("level", [1, 3, 19])
def test_frame_parameters_read_by_zstandard(d, level):
    for kw, want in (
        ({}, dict(has_checksum=False, content_size=len(ITEMS[0]), dict_id=d.dict_id())),
        (dict(write_checksum=True), dict(has_checksum=True)),
        (dict(write_content_size=False), dict(content_size=zstandard.CONTENTSIZE_UNKNOWN)),
        (dict(write_dict_id=False), dict(dict_id=0)),
    ):
        f = segpack.ZstdCompressor(level=level, dict_data=d, **kw).compress(ITEMS[0])
        p = zstandard.get_frame_parameters(f)
        for k, v in want.items():
            assert getattr(p, k) == v, (kw, k)
        assert (
            zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(d.as_bytes())).decompress(
                f, max_output_size=1 << 20
            )
            == ITEMS[0]
        )


def test_defaults_match_zstandard():
    f = segpack.ZstdCompressor().compress(ITEMS[0])
    z = zstandard.ZstdCompressor().compress(ITEMS[0])
    fp, zp = zstandard.get_frame_parameters(f), zstandard.get_frame_parameters(z)
    assert (fp.content_size, fp.has_checksum, fp.dict_id) == (zp.content_size, zp.has_checksum, zp.dict_id)
    assert segpack.ZstdCompressor().level == 3


def test_argument_conflicts_match_zstandard():
    p = segpack.ZstdCompressionParameters(compression_level=3)
    for name in ("write_checksum", "write_content_size", "write_dict_id"):
        with pytest.raises(ValueError, match=f"cannot define compression_params and {name}"):
            segpack.ZstdCompressor(compression_params=p, **{name: True})
    with pytest.raises(ValueError, match="cannot define compression_params and threads"):
        segpack.ZstdCompressor(compression_params=p, threads=2)
    with pytest.raises(ValueError, match="level 23 is outside"):
        segpack.ZstdCompressor(level=23)
    with pytest.raises(TypeError):
        segpack.ZstdCompressor(nonsense=1)


def test_compression_params_level_wins():
    p = segpack.ZstdCompressionParameters.from_level(1)
    assert p.compression_level == 0 and p.strategy == 1  # from_level fills the low-level parameters
    a = segpack.ZstdCompressor(
        level=19, compression_params=segpack.ZstdCompressionParameters(compression_level=1)
    )
    assert a.level == 1
    assert a.compress(BIG) == segpack.ZstdCompressor(level=1, write_dict_id=False).compress(BIG)


def test_from_level_matches_zstandard():
    for level, size in ((1, 0), (3, 1000), (19, 1 << 20)):
        ours = segpack.ZstdCompressionParameters.from_level(level, source_size=size)
        theirs = zstandard.ZstdCompressionParameters.from_level(level, source_size=size)
        for name in (
            "window_log",
            "chain_log",
            "hash_log",
            "search_log",
            "min_match",
            "target_length",
            "strategy",
        ):
            assert getattr(ours, name) == getattr(theirs, name), (level, name)


@pytest.mark.parametrize(
    "kw,name",
    [
        (dict(window_log=99), "window_log"),
        (dict(hash_log=1), "hash_log"),
        (dict(strategy=12), "strategy"),
        (dict(format=segpack.FORMAT_ZSTD1_MAGICLESS), "format"),
        (dict(threads=100000), "threads"),
    ],
)
def test_parameter_out_of_bounds_is_named(kw, name):
    with pytest.raises(E.ZstdParameterError, match=name) as e:
        segpack.ZstdCompressionParameters(**kw)
    assert isinstance(e.value, ValueError) and isinstance(e.value, segpack.ZstdError)


def test_threads_within_a_frame():
    big = BIG * 8  # > 512 KiB: libzstd's own workers kick in
    f = segpack.ZstdCompressor(threads=2).compress(big)
    assert zstandard.ZstdDecompressor().decompress(f) == big
    assert segpack.ZstdCompressor(threads=-1).compress(b"abc")


def test_decompressor_arguments():
    with pytest.raises(E.ZstdParameterError, match="max_window_size"):
        segpack.ZstdDecompressor(max_window_size=100)
    with pytest.raises(E.ZstdParameterError, match="format"):
        segpack.ZstdDecompressor(format=segpack.FORMAT_ZSTD1_MAGICLESS)
    with pytest.raises(TypeError):
        segpack.ZstdDecompressor(dict_data=b"not a dictionary object")
    dd = segpack.ZstdDecompressor(max_output_size=10)
    assert dd.max_output_size == 10 and dd.codec == "zstd"


def test_max_window_size():
    data = BIG * 4
    f = segpack.ZstdCompressor(
        compression_params=segpack.ZstdCompressionParameters(window_log=20, write_content_size=0)
    ).compress(data)
    assert zstandard.get_frame_parameters(f).window_size == 1 << 20
    small = segpack.ZstdDecompressor(max_window_size=1 << 16)
    with pytest.raises(E.ZstdLimitExceededError, match="max_window_size") as e:
        small.decompress(f)
    assert isinstance(e.value, E.LimitExceededError) and isinstance(e.value, segpack.ZstdError)
    with pytest.raises(E.ZstdLimitExceededError, match="error decompressing item 1"):
        small.multi_decompress_to_buffer([segpack.compress(b"x"), f], threads=2)
    with pytest.raises(zstandard.ZstdError):  # python-zstandard refuses it too
        zstandard.ZstdDecompressor(max_window_size=1 << 16).decompress(f, max_output_size=len(data))
    assert segpack.ZstdDecompressor(max_window_size=1 << 20).decompress(f) == data


# ------------------------------------------------------------ dictionaries


def test_dictionary_object(d):
    assert isinstance(d, segpack.ZstdCompressionDict)
    assert 0 < len(d) <= 8192 and len(d.as_bytes()) == len(d)
    assert d.dict_id() != 0 and d.dict_type == segpack.DICT_TYPE_FULLDICT
    assert d.k > 0 and d.d > 0
    assert zstandard.ZstdCompressionDict(d.as_bytes()).dict_id() == d.dict_id()
    again = pickle.loads(pickle.dumps(d))
    assert (
        again.as_bytes() == d.as_bytes()
        and again.dict_id() == d.dict_id()
        and (again.k, again.d) == (d.k, d.d)
    )
    assert "ZstdCompressionDict" in repr(d)
    raw = segpack.ZstdCompressionDict(b"some raw content", dict_type=segpack.DICT_TYPE_RAWCONTENT)
    assert raw.dict_id() == 0 and len(raw) == 16
    with pytest.raises(ValueError, match="invalid dictionary load mode: 7; must use DICT_TYPE_\\* constants"):
        segpack.ZstdCompressionDict(b"x", dict_type=7)


def test_train_dictionary_like_zstandard():
    ours = segpack.train_dictionary(8192, SAMPLES)
    theirs = zstandard.train_dictionary(8192, SAMPLES)
    assert (ours.k, ours.d) == (theirs.k, theirs.d)
    assert len(ours) == len(theirs)
    with pytest.raises(TypeError, match="samples must be a list"):
        segpack.train_dictionary(8192, tuple(SAMPLES))
    with pytest.raises(E.ZstdParameterError, match="cannot train"):
        segpack.train_dictionary(8192, [b"a", b"b"])
    chosen = segpack.train_dictionary(4096, SAMPLES, dict_id=1234, threads=-1, steps=2)
    assert chosen.dict_id() == 1234


def test_precompute_compress(d):
    d.precompute_compress(level=3)
    d.precompute_compress(compression_params=segpack.ZstdCompressionParameters(compression_level=5))
    with pytest.raises(ValueError, match="must only specify one of level or compression_params"):
        d.precompute_compress(level=3, compression_params=segpack.ZstdCompressionParameters())
    with pytest.raises(ValueError, match="must specify one of level or compression_params"):
        d.precompute_compress()


@pytest.mark.parametrize("threads", [0, 1, 2, -1])
def test_dictionary_round_trips(d, threads):
    c = segpack.ZstdCompressor(dict_data=d)
    dc = segpack.ZstdDecompressor(dict_data=d)
    frames = c.multi_compress_to_buffer(ITEMS, threads=threads)
    assert [bytes(f) for f in frames] == [c.compress(x) for x in ITEMS]
    assert dc.multi_decompress_to_buffer(frames, threads=threads).tolist() == ITEMS
    assert [dc.decompress(f) for f in frames] == ITEMS
    assert sum(map(len, frames)) * 3 < sum(len(segpack.compress(x)) for x in ITEMS) * 2  # it helps
    # python-zstandard reads ours and we read its frames, with the same dictionary
    zdict = zstandard.ZstdCompressionDict(d.as_bytes())
    zd = zstandard.ZstdDecompressor(dict_data=zdict)
    assert [zd.decompress(bytes(f)) for f in frames] == ITEMS
    zframes = zstandard.ZstdCompressor(dict_data=zdict).multi_compress_to_buffer(ITEMS)
    assert dc.multi_decompress_to_buffer(zframes, threads=threads).tolist() == ITEMS
    # and python-zstandard's dictionary object is accepted as it is
    assert segpack.ZstdDecompressor(dict_data=zdict).multi_decompress_to_buffer(frames).tolist() == ITEMS


def test_large_items_with_dictionary(d):
    c = segpack.ZstdCompressor(dict_data=d)
    for data in (BIG, BIG[:131071], BIG[:131072]):
        assert segpack.ZstdDecompressor(dict_data=d).decompress(c.compress(data)) == data


def test_missing_and_wrong_dictionary(d):
    f = segpack.ZstdCompressor(dict_data=d).compress(ITEMS[0])
    with pytest.raises(
        E.ZstdDecompressionError, match=f"needs dictionary {d.dict_id()}, the decoder has no dict"
    ) as e:
        segpack.ZstdDecompressor().decompress(f)
    assert isinstance(e.value, E.DecompressionError) and isinstance(e.value, segpack.ZstdError)
    other = segpack.train_dictionary(8192, records(600, seed=9), dict_id=77)
    with pytest.raises(segpack.ZstdError, match="the decoder has dictionary 77"):
        segpack.ZstdDecompressor(dict_data=other).decompress(f)
    with pytest.raises(
        E.DecompressionError, match="error decompressing item 0: zstd: the frame needs dictionary"
    ):
        segpack.ZstdDecompressor().multi_decompress_to_buffer([f, f], threads=2)
    with pytest.raises(segpack.ZstdError):
        segpack.multi_decompress_to_buffer([f], codec="zstd")


def test_corrupt_dictionary():
    good = segpack.train_dictionary(4096, SAMPLES).as_bytes()
    bad = good[:8] + b"\xff" * 32 + good[40:]
    bd = segpack.ZstdCompressionDict(bad)
    with pytest.raises(E.ZstdCompressionError, match="dictionary") as e:
        segpack.ZstdCompressor(dict_data=bd).compress(ITEMS[0])
    assert isinstance(e.value, E.CompressionError)
    with pytest.raises(E.ZstdCompressionError):
        segpack.ZstdCompressor(dict_data=bd).multi_compress_to_buffer(ITEMS, threads=2)
    with pytest.raises(E.ZstdDecompressionError, match="dictionary"):
        segpack.ZstdDecompressor(dict_data=bd).decompress(segpack.compress(b"abc"))
    with pytest.raises(E.ZstdCompressionError):
        bd.precompute_compress(level=3)


def test_empty_dictionary_is_no_dictionary():
    e = segpack.ZstdCompressionDict(b"")
    assert segpack.ZstdCompressor(dict_data=e).compress(ITEMS[0]) == segpack.ZstdCompressor().compress(
        ITEMS[0]
    )


# ------------------------------------------------------------ ZstdError


def test_zstd_errors_are_zstd_error_and_the_old_class():
    frame = segpack.compress(b"hello world" * 100)
    corrupt = frame[:-6] + b"\x00" * 6
    cases = [
        (lambda: segpack.ZstdDecompressor().decompress(corrupt), E.DecompressionError),
        (lambda: segpack.decompress(corrupt, "zstd"), E.DecompressionError),
        (
            lambda: segpack.ZstdDecompressor().multi_decompress_to_buffer([frame, corrupt]),
            E.DecompressionError,
        ),
        (lambda: segpack.multi_decompress_to_buffer([corrupt], codec="zstd"), E.DecompressionError),
        (lambda: segpack.Decompressor("zstd").decompress(b"\x00" * 10), E.DecompressionError),
        (lambda: segpack.ZstdDecompressor(max_output_size=10).decompress(frame), E.LimitExceededError),
        (
            lambda: segpack.ZstdDecompressor(max_output_size=10).multi_decompress_to_buffer([frame]),
            E.LimitExceededError,
        ),
        (lambda: segpack.decompress(frame, "zstd", max_output=5), E.LimitExceededError),
        (lambda: segpack.compress(b"x", "zstd", 99), ValueError),
    ]
    for fn, old in cases:
        with pytest.raises(old) as e:
            fn()
        assert isinstance(e.value, segpack.ZstdError), (e.value, type(e.value))
        assert isinstance(e.value, E.SegpackError)
    # the messages are the core's, as before
    with pytest.raises(segpack.ZstdError, match=r"^zstd: truncated frame \(input ends inside a frame\)$"):
        segpack.decompress(frame[:-3], "zstd")
    with pytest.raises(segpack.ZstdError, match=r"^error decompressing item 1: zstd: "):
        segpack.ZstdDecompressor().multi_decompress_to_buffer([frame, frame[:-3]])


def test_other_codecs_are_not_zstd_errors():
    bad = segpack.compress(b"some data " * 50, "gzip")[:-10]
    with pytest.raises(E.DecompressionError) as e:
        segpack.decompress(bad, "gzip")
    assert not isinstance(e.value, segpack.ZstdError)
    with pytest.raises(E.DecompressionError) as e:
        segpack.Decompressor("gzip").multi_decompress_to_buffer([bad])
    assert not isinstance(e.value, segpack.ZstdError)


def test_argument_errors_stay_plain():
    with pytest.raises(ValueError, match="no source elements found") as e:
        segpack.ZstdDecompressor().multi_decompress_to_buffer([])
    assert not isinstance(e.value, segpack.ZstdError)
    with pytest.raises(TypeError):
        segpack.ZstdCompressor().compress("text")


def test_zstd_errors_pickle():
    e = E.ZstdDecompressionError("zstd: frame is corrupt")
    again = pickle.loads(pickle.dumps(e))
    assert type(again) is E.ZstdDecompressionError and str(again) == str(e)


# ------------------------------------------------------------ the one-shot call path


def test_one_shot_inputs():
    data = ITEMS[5]
    f = segpack.compress(data)
    for obj in (f, bytearray(f), memoryview(f), np.frombuffer(f, dtype=np.uint8)):
        assert segpack.ZstdDecompressor().decompress(obj) == data
        assert segpack.decompress(obj, "zstd") == data
    for obj in (bytearray(data), memoryview(data), np.frombuffer(data, dtype=np.uint8)):
        assert segpack.ZstdCompressor().compress(obj) == f
    with pytest.raises(TypeError, match="bytes-like"):
        segpack.ZstdDecompressor().decompress("str")
    with pytest.raises((BufferError, ValueError, TypeError)):
        segpack.ZstdCompressor().compress(np.zeros((4, 4), dtype=np.uint8)[:, 1])


def test_one_shot_frames():
    a, b = ITEMS[0], ITEMS[1]
    fa, fb = segpack.compress(a), segpack.compress(b)
    nosize = segpack.ZstdCompressor(write_content_size=False).compress(b)
    skippable = b"\x50\x2a\x4d\x18" + (3).to_bytes(4, "little") + b"abc"
    dc = segpack.ZstdDecompressor()
    assert dc.decompress(fa + fb) == a + b
    assert dc.decompress(fa + nosize) == a + b
    assert dc.decompress(skippable + fa + skippable) == a
    assert dc.decompress(segpack.compress(b"")) == b""
    with pytest.raises(E.ZstdDecompressionError):
        dc.decompress(b"")
    with pytest.raises(E.ZstdDecompressionError, match="trailing"):
        dc.decompress(fa + b"junk")
    with pytest.raises(E.ZstdDecompressionError):
        dc.decompress(fa[:-3])
    assert dc.decompress(fa, max_output_size=len(a)) == a
    with pytest.raises(E.ZstdLimitExceededError):
        dc.decompress(fa, max_output_size=len(a) - 1)
    with pytest.raises(E.ZstdLimitExceededError):
        dc.decompress(nosize, max_output_size=len(b) - 1)
    # python-zstandard's keyword arguments are accepted
    assert dc.decompress(fa, read_across_frames=False, allow_extra_data=True) == a


def test_one_shot_every_codec_and_level():
    for codec in (None, "gzip", "br", "zstd", "lzma"):
        for level in (None, segpack.codec_level_range(codec)[0]):
            c = segpack.Compressor(codec, level)
            f = c.compress(BIG[:5000])
            assert segpack.Decompressor(codec).decompress(f) == BIG[:5000]
            assert segpack.decompress(f, codec) == BIG[:5000]
            assert segpack.compress(BIG[:5000], codec, level) == f


def test_lzma_small_inputs_are_standard_xz():
    import lzma

    for n in (0, 1, 100, 5000, 100000):
        data = BIG[:n]
        f = segpack.compress(data, "lzma")
        assert lzma.decompress(f) == data


def test_one_shot_concurrent_threads(d):
    """Each thread has its own cached contexts; the GIL is released for large items."""
    c = segpack.ZstdCompressor(dict_data=d)
    dc = segpack.ZstdDecompressor(dict_data=d)
    inputs = [BIG[i * 1000 : i * 1000 + 40000 + i] for i in range(40)] + ITEMS[:40]
    want = [c.compress(x) for x in inputs]
    errors = []

    def work():
        try:
            for _ in range(3):
                assert [c.compress(x) for x in inputs] == want
                assert [dc.decompress(f) for f in want] == inputs
                assert [
                    segpack.decompress(segpack.compress(x, "gzip"), "gzip") for x in inputs[:10]
                ] == inputs[:10]
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors


def test_codec_objects():
    c = segpack.Compressor("gzip", 6)
    assert (c.codec, c.level) == ("gzip", 6)
    assert isinstance(segpack.ZstdCompressor(), segpack.Compressor)
    assert isinstance(segpack.ZstdDecompressor(), segpack.Decompressor)
    assert "ZstdCompressor" in repr(segpack.ZstdCompressor(write_checksum=True))
    with pytest.raises(ValueError, match="outside"):
        segpack.Compressor("gzip", 13)
    with pytest.raises(segpack.UnsupportedCompressionType):
        segpack.Decompressor("snappy")
