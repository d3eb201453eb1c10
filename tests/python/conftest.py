"""Shared helpers for segpack's Python tests.

The helpers here build MapBuffer / IntMap bytes by hand (independently of
segpack) so malformed-input tests can corrupt exactly one field.
"""

import os
import random
import struct
import subprocess
import sys
import textwrap

import pytest

try:
    import crc32c as _crc32c_pkg
except ImportError:  # pragma: no cover - mapbuffer depends on it
    _crc32c_pkg = None

CODECS = [None, "gzip", "br", "zstd", "lzma"]
COMPRESSED_CODECS = ["gzip", "br", "zstd", "lzma"]
TAGS = {None: b"none", "gzip": b"gzip", "br": b"00br", "zstd": b"zstd", "lzma": b"lzma"}

HEADER = 16
INTMAP_HEADER = 10


def ref_crc32c(data: bytes) -> int:
    """crc32c computed without segpack (the crc32c package)."""
    if _crc32c_pkg is None:
        pytest.skip("crc32c package not installed")
    return _crc32c_pkg.crc32c(bytes(data))


def eytzinger(sorted_keys):
    """Sorted keys permuted into Eytzinger (breadth-first) order."""
    n = len(sorted_keys)
    out = [None] * n
    it = iter(sorted_keys)

    def rec(k):
        if k <= n:
            rec(2 * k)
            out[k - 1] = next(it)
            rec(2 * k + 1)

    rec(1)
    return out


def ref_compress(data: bytes, codec):
    """Compresses with the reference Python libraries (as mapbuffer does)."""
    data = bytes(data)
    if codec is None:
        return data
    if codec == "gzip":
        import deflate

        return deflate.gzip_compress(data, 9)
    if codec == "br":
        import brotli

        return brotli.compress(data, quality=5)
    if codec == "zstd":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    if codec == "lzma":
        import lzma

        return lzma.compress(data)
    raise ValueError(codec)


def raw_mapbuffer(stored_items, version=1, tag=b"none", n=None, magic=b"mapbufr", add_crc=True):
    """Builds MapBuffer bytes by hand.

    stored_items: list of (key, stored_payload) in INDEX order (the caller
    chooses the order, so non-Eytzinger layouts can be built). For version 1
    the crc32c of the payload is appended when add_crc.
    """
    if n is None:
        n = len(stored_items)
    head = magic + bytes([version]) + tag + struct.pack("<I", n)
    data = []
    for _, payload in stored_items:
        payload = bytes(payload)
        if version == 1 and add_crc:
            payload += struct.pack("<I", ref_crc32c(payload))
        data.append(payload)
    index = []
    off = HEADER + 16 * len(stored_items)
    for (key, _), d in zip(stored_items, data):
        index.append(struct.pack("<QQ", key, off))
        off += len(d)
    return head + b"".join(index) + b"".join(data)


def eytz_items(d, codec=None):
    """dict -> list of (key, stored payload) in Eytzinger order."""
    return [(k, ref_compress(d[k], codec)) for k in eytzinger(sorted(d))]


def read_index(buf, n=None, header=HEADER):
    buf = bytes(buf)
    if n is None:
        n = struct.unpack_from("<I", buf, header - 4)[0]
    return [struct.unpack_from("<QQ", buf, header + 16 * i) for i in range(n)]


def set_index(buf, i, key=None, offset=None, header=HEADER):
    """Returns a copy of buf with index entry i's key and/or offset replaced."""
    b = bytearray(buf)
    k, o = struct.unpack_from("<QQ", b, header + 16 * i)
    struct.pack_into("<QQ", b, header + 16 * i, k if key is None else key, o if offset is None else offset)
    return bytes(b)


def raw_intmap(pairs_in_index_order, version=0, width=3, n=None, magic=b"intm"):
    if n is None:
        n = len(pairs_in_index_order)
    head = magic + bytes([version, width]) + struct.pack("<I", n)
    return head + b"".join(struct.pack("<QQ", k, v) for k, v in pairs_in_index_order)


def random_dict(n, seed=0, max_len=64, key_max=2**63 - 1, min_len=0):
    rng = random.Random(seed)
    keys = set()
    while len(keys) < n:
        keys.add(rng.randint(0, key_max))
    return {k: rng.randbytes(rng.randint(min_len, max_len)) for k in keys}


def compressible_dict(n=50, seed=1, size=4000):
    rng = random.Random(seed)
    words = [b"alpha", b"beta", b"gamma", b"delta", b"epsilon", b"zeta", b"eta", b"theta"]
    return {i * 7 + 1: b" ".join(rng.choice(words) for _ in range(size // 6)) for i in range(n)}


def run_isolated(code: str, address_space_mb: int = 0, timeout: float = 120):
    """Runs `code` in a fresh interpreter (so a crash cannot take pytest down).

    With address_space_mb, RLIMIT_AS is set to the interpreter's current
    virtual size plus that many MiB before `code` runs: any attempt to
    allocate a size read from a file fails instead of silently overcommitting.
    Returns the CompletedProcess.
    """
    prelude = ""
    if address_space_mb:
        prelude = textwrap.dedent(
            f"""
            import resource, numpy, segpack, segpack._core
            with open("/proc/self/status") as _f:
                _vm = [l for l in _f if l.startswith("VmSize:")][0]
            _cur = int(_vm.split()[1]) * 1024
            _lim = _cur + {address_space_mb} * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (_lim, _lim))
            """
        )
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture(params=CODECS, ids=lambda c: str(c))
def codec(request):
    return request.param


@pytest.fixture(params=COMPRESSED_CODECS)
def compressed_codec(request):
    return request.param


@pytest.fixture
def small_dict():
    return {1: b"hello", 2: b"world!", 3: b"", 10: b"x" * 100, 2**40: b"big key", 0: b"zero"}


# Real servers on 127.0.0.1 (nginx, moto's S3, a fault proxy): tests/python/servers.py.
from servers import fault_proxy, nginx, nginx_session, s3, s3_bucket, s3_session  # noqa: E402, F401
