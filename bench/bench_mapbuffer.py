#!/usr/bin/env python3
"""Side-by-side benchmarks: segpack vs the mapbuffer package (and dict / pickle).

Everything runs in ONE process on the same data, so the ratios are
comparable even on a noisy machine. This is a script, not a test: nothing is
asserted about speed.

    .venv/bin/python bench/bench_mapbuffer.py            # full run (~1 GB temp file, several minutes)
    .venv/bin/python bench/bench_mapbuffer.py --quick    # scaled down
    .venv/bin/python bench/bench_mapbuffer.py --out docs/benchmarks.md

Per-lookup times are the best of several runs of a loop over a pre-shuffled
list of keys, timed with time.perf_counter (gc disabled); the cost of an empty
loop over the same keys is measured too and subtracted ("net"). Open times are
medians. ratio = peer time / segpack time, so > 1 means segpack is faster.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import platform
import random
import statistics
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version

import segpack

try:
    import mapbuffer
except ImportError:
    sys.exit("bench_mapbuffer.py needs the mapbuffer package (pip install mapbuffer)")

CODECS = [None, "gzip", "br", "zstd", "lzma"]
ROWS: list[tuple[str, str, str, str]] = []


# ---- timing helpers ---------------------------------------------------------
def best_of(fn, runs: int) -> float:
    """Best wall time of fn() over `runs` runs, gc disabled (as timeit does)."""
    best = float("inf")
    was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
    finally:
        if was:
            gc.enable()
    return best


def median_of(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# The loops are plain functions so the timed code is exactly what a user writes.
def loop_empty(keys):
    for _ in keys:
        pass


def loop_getitem(m, keys):
    for k in keys:
        m[k]


def loop_get(m, keys):
    for k in keys:
        m.get(k)


def loop_contains(m, keys):
    for k in keys:
        k in m  # noqa: B015


LOOPS = {"getitem": loop_getitem, "get": loop_get, "contains": loop_contains}


def per_lookup(m, keys, op: str, runs: int, empty: float) -> tuple[float, float]:
    """(net, gross) seconds per lookup."""
    loop = LOOPS[op]
    gross = best_of(lambda: loop(m, keys), runs) / len(keys)
    return max(gross - empty, 0.0), gross


def us(s: float) -> str:
    return f"{s * 1e6:.3f} µs" if s < 1e-5 else f"{s * 1e6:.1f} µs"


def ms(s: float) -> str:
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def row(name: str, seg: float | None, peer: float | None, fmt=us, peer_name: str = "") -> None:
    ratio = f"{peer / seg:.2f}" if seg and peer else "—"
    seg_s = fmt(seg) if seg is not None else "—"
    peer_s = (fmt(peer) + (f" ({peer_name})" if peer_name else "")) if peer is not None else "—"
    ROWS.append((name, seg_s, peer_s, ratio))
    print(f"  {name:<58} segpack {seg_s:>12}   peer {peer_s:>22}   ratio {ratio}", flush=True)


def lookup_row(name, sp, peer, keys, op, runs, empty, peer_name=""):
    s_net, s_gross = per_lookup(sp, keys, op, runs, empty)
    p_net, p_gross = per_lookup(peer, keys, op, runs, empty)
    row(f"{name} (net; gross {us(s_gross)} vs {us(p_gross)})", s_net, p_net, peer_name=peer_name)


# ---- data -------------------------------------------------------------------
def random_keys(n: int, rng: random.Random) -> list[int]:
    """n distinct keys below 2**63 (the mapbuffer package cannot look up larger ones)."""
    keys: set[int] = set()
    while len(keys) < n:
        keys.add(rng.getrandbits(63))
    return list(keys)


def small_values(n: int, rng: random.Random, maxlen: int = 64, compressible: bool = False) -> list[bytes]:
    if compressible:
        words = [b"soma", b"axon", b"dendrite", b"spine", b"bouton", b"  ", b"\x00\x00\x00\x00"]
        out = []
        for _ in range(n):
            target = rng.randint(0, maxlen)
            v = b""
            while len(v) < target:
                v += rng.choice(words)
            out.append(v[:target])
        return out
    blob = rng.randbytes(1 << 20)
    out = []
    for _ in range(n):
        ln = rng.randint(0, maxlen)
        i = rng.randrange(0, len(blob) - ln)
        out.append(blob[i : i + ln])
    return out


# ---- (a) lookups over 100k items --------------------------------------------
def bench_lookups(n: int, runs: int, rng: random.Random) -> None:
    print(f"\n(a) random lookups, {n} items, values 0-64 B, v1, no compression")
    keys = random_keys(n, rng)
    d = dict(zip(keys, small_values(n, rng)))
    buf = segpack.MapBuffer(d).tobytes()
    assert bytes(buf) == bytes(mapbuffer.MapBuffer(d).tobytes()), "builders disagree"
    sp = segpack.MapBuffer(buf)
    mb = mapbuffer.MapBuffer(bytes(buf))
    shuffled = keys[:]
    rng.shuffle(shuffled)
    missing = random_keys(n, rng)
    missing = [k for k in missing if k not in d]
    empty = best_of(lambda: loop_empty(shuffled), runs) / len(shuffled)
    row(f"empty loop over the keys (harness, {n})", empty, empty, peer_name="same")
    lookup_row(f"mb[k], {n}, v1 none", sp, mb, shuffled, "getitem", runs, empty, "mapbuffer")
    lookup_row(f"k in mb, {n}", sp, mb, shuffled, "contains", runs, empty, "mapbuffer")
    lookup_row(f"mb.get(k), {n}", sp, mb, shuffled, "get", runs, empty, "mapbuffer")
    lookup_row(f"k in mb, missing keys, {n}", sp, mb, missing, "contains", runs, empty, "mapbuffer")
    lookup_row(f"mb[k] vs dict[k], {n}", sp, d, shuffled, "getitem", runs, empty, "dict")

    ivals = [rng.getrandbits(64) for _ in range(n)]
    di = dict(zip(keys, ivals))
    ibuf = bytes(segpack.IntMap(di).tobytes())
    assert ibuf == bytes(mapbuffer.IntMap(di).tobytes()), "IntMap builders disagree"
    lookup_row(
        f"IntMap[k], {n}",
        segpack.IntMap(ibuf),
        mapbuffer.IntMap(ibuf),
        shuffled,
        "getitem",
        runs,
        empty,
        "mapbuffer",
    )
    lookup_row(
        f"IntMap[k] vs dict[k], {n}", segpack.IntMap(ibuf), di, shuffled, "getitem", runs, empty, "dict"
    )


# ---- (b) build ---------------------------------------------------------------
def bench_build(n: int, rng: random.Random, tmp: str) -> None:
    print(f"\n(b) build from a {n}-item dict, values 0-64 B, v1, no compression")
    d = dict(zip(random_keys(n, rng), small_values(n, rng)))
    t_sp = best_of(lambda: segpack.MapBuffer(d), 3)
    t0 = time.perf_counter()
    peer = mapbuffer.MapBuffer(d)
    t_mb = time.perf_counter() - t0  # one run: it takes seconds
    assert bytes(segpack.MapBuffer(d).tobytes()) == bytes(peer.tobytes()), "builders disagree"
    row(f"MapBuffer(dict) build, {n} items (mapbuffer: 1 run)", t_sp, t_mb, fmt=ms, peer_name="mapbuffer")
    path = os.path.join(tmp, "build.mb")

    def stream():
        w = segpack.MapBufferWriter(path)
        for k, v in d.items():
            w.add(k, v)
        w.commit()

    t_w = best_of(stream, 3)
    row(f"MapBufferWriter to a file, {n} items (segpack only)", t_w, None, fmt=ms)
    os.remove(path)


# ---- (c) open + first lookup --------------------------------------------------
def write_big(path: str, n: int, item: int, rng: random.Random) -> list[int]:
    keys = random_keys(n, rng)
    blob = rng.randbytes(1 << 22)
    w = segpack.MapBufferWriter(path)
    try:
        for i, k in enumerate(keys):
            off = (i * 7919) % (len(blob) - item)
            w.add(k, blob[off : off + item])
        w.commit()
    except BaseException:
        w.abort()
        raise
    return keys


def bench_open(n_big: int, runs: int, rng: random.Random, tmp: str) -> None:
    for n, item in ((1000, 1000), (n_big, 1000)):
        path = os.path.join(tmp, f"open_{n}.mb")
        t0 = time.perf_counter()
        keys = write_big(path, n, item, rng)
        size = os.path.getsize(path)
        print(
            f"\n(c) open + first lookup, {n} items of {item} B ({size / 1e6:.0f} MB file, "
            f"written in {time.perf_counter() - t0:.1f} s); median of {runs}"
        )
        probe = iter(rng.choices(keys, k=4 * runs + 8))

        def sp_path():
            m = segpack.MapBuffer(path)
            m[next(probe)]
            return m

        def sp_file():
            with open(path, "rb") as f:
                m = segpack.MapBuffer(f)
                m[next(probe)]
            return m

        def mb_file():
            with open(path, "rb") as f:
                m = mapbuffer.MapBuffer(f)
                m[next(probe)]
            return m

        # Keep the maps alive until after the clock stops, so unmapping is not timed.
        held = []
        t_sp = median_of(lambda: held.append(sp_path()), runs)
        t_spf = median_of(lambda: held.append(sp_file()), runs)
        t_mb = median_of(lambda: held.append(mb_file()), runs)
        for m in held:
            if hasattr(m, "close"):
                m.close()
        held.clear()
        gc.collect()
        label = f"{size / 1e9:.2f} GB" if size > 1e8 else f"{size / 1e3:.0f} KB"
        row(f"open + 1st lookup, {label}: MapBuffer(path) vs MapBuffer(f)", t_sp, t_mb, peer_name="mapbuffer")
        row(f"open + 1st lookup, {label}: MapBuffer(f) both", t_spf, t_mb, peer_name="mapbuffer")
        os.remove(path)


# ---- (d) versions and codecs ----------------------------------------------------
def bench_codecs(n: int, runs: int, rng: random.Random) -> None:
    print(f"\n(d) mb[k] per codec and format version, {n} items, values 0-64 B (compressible)")
    keys = random_keys(n, rng)
    d = dict(zip(keys, small_values(n, rng, compressible=True)))
    shuffled = keys[:]
    rng.shuffle(shuffled)
    empty = best_of(lambda: loop_empty(shuffled), runs) / len(shuffled)
    for codec in CODECS:
        for crc in (False, True):
            buf = bytes(segpack.MapBuffer(d, compress=codec, compute_crc=crc).tobytes())
            sp = segpack.MapBuffer(buf)
            mb = mapbuffer.MapBuffer(buf)
            assert all(bytes(mb[k]) == d[k] for k in keys[:50]), "mapbuffer cannot read segpack's output"
            v = "v1" if crc else "v0"
            lookup_row(
                f"mb[k], {n}, {v} {codec or 'none'}", sp, mb, shuffled, "getitem", runs, empty, "mapbuffer"
            )


# ---- (e) a few keys out of a big map vs pickle ------------------------------------
def bench_select(n: int, runs: int, rng: random.Random) -> None:
    keys = random_keys(n, rng)
    blob = rng.randbytes(1 << 24)
    values = []
    for _ in range(n):
        ln = rng.randint(0, 100_000)
        off = rng.randrange(0, len(blob) - ln)
        values.append(blob[off : off + ln])
    d = dict(zip(keys, values))
    total = sum(map(len, values))
    print(
        f"\n(e) read 10% of keys, {n} items of 0-100 KB ({total / 1e6:.0f} MB), from bytes in memory; "
        f"best of {runs}"
    )
    pk = pickle.dumps(d, protocol=pickle.HIGHEST_PROTOCOL)
    sel = rng.sample(keys, n // 10)
    t_pk = best_of(lambda: pickle.loads(pk), runs)
    for crc in (True, False):
        buf = bytes(segpack.MapBuffer(d, compute_crc=crc).tobytes())
        v = "v1" if crc else "v0"

        def sp_sel():
            m = segpack.MapBuffer(buf)
            return [m[k] for k in sel]

        def mb_sel():
            m = mapbuffer.MapBuffer(buf)
            return [m[k] for k in sel]

        assert sp_sel() == mb_sel() == [d[k] for k in sel]
        t_sp = best_of(sp_sel, runs)
        t_mb = best_of(mb_sel, runs)
        row(f"open + read 10% of {n} ({total / 1e6:.0f} MB), {v}", t_sp, t_mb, fmt=ms, peer_name="mapbuffer")
        row(f"open + read 10% {v} vs pickle.loads(whole dict)", t_sp, t_pk, fmt=ms, peer_name="pickle")
        buf = None  # drop this map before the next one is built


# ---- main ---------------------------------------------------------------------------
def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def ver(p):
        try:
            return version(p)
        except PackageNotFoundError:
            return "not installed"

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return [
        f"CPU: {cpu}, {os.cpu_count()} logical cores; load average at start: {load}",
        f"Python {platform.python_version()} ({platform.system()} {platform.release()})",
        f"segpack {segpack.__version__} (crc32c backend: {segpack.crc32c_backend()}), mapbuffer {ver('mapbuffer')}, "
        f"numpy {ver('numpy')}, zstandard {ver('zstandard')}, brotli {ver('brotli')}, crc32c {ver('crc32c')}",
    ]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller data and fewer runs")
    p.add_argument("--out", help="also write the markdown table to this file")
    p.add_argument("--tmp", help="folder for the temporary files (default: system temp)")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--only", default="abcde", help="subset of sections to run, e.g. 'ad'")
    a = p.parse_args(argv)

    rng = random.Random(a.seed)
    runs = 5 if a.quick else 7
    info = machine()
    for line in info:
        print(line)
    cmd = "bench/bench_mapbuffer.py" + (" --quick" if a.quick else "")
    with tempfile.TemporaryDirectory(prefix="segpack-bench-", dir=a.tmp) as tmp:
        if "a" in a.only:
            bench_lookups(100_000, runs, rng)
        if "b" in a.only:
            bench_build(200_000 if a.quick else 1_000_000, rng, tmp)
        if "c" in a.only:
            bench_open(200_000 if a.quick else 1_000_000, 21 if a.quick else 51, rng, tmp)
        if "d" in a.only:
            bench_codecs(10_000, 3 if a.quick else 5, rng)
        if "e" in a.only:
            bench_select(2_000 if a.quick else 10_000, 3, rng)

    lines = [
        f"Command: `.venv/bin/python {cmd}`",
        "",
        *(f"- {x}" for x in info),
        "",
        "ratio = peer time / segpack time (> 1: segpack is faster). Lookup times are per lookup, net of the",
        "empty loop (best of several runs); open times are medians.",
        "",
        "| benchmark | segpack | peer | ratio |",
        "|---|---:|---:|---:|",
        *(f"| {n} | {s} | {pv} | {r} |" for n, s, pv, r in ROWS),
    ]
    table = "\n".join(lines)
    print("\n" + table)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(table + "\n")
        print(f"\nwritten to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
