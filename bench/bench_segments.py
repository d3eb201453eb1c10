#!/usr/bin/env python3
"""Side-by-side benchmarks: segpack's batch codecs and get_many vs python-zstandard
and the mapbuffer package.

Everything runs in ONE process on the same data, so the ratios are comparable
even on a noisy machine. This is a script, not a test: nothing is asserted.

    .venv/bin/python bench/bench_segments.py            # full run (~2 minutes)
    .venv/bin/python bench/bench_segments.py --quick    # 4 MiB instead of 16 MiB
    .venv/bin/python bench/bench_segments.py --out /tmp/segments.md

Sections:
  (a) multi_decompress_to_buffer of zstd level-1 frames, 16 MiB of mixed data cut
      into 1, 4 and 64 KiB items: zstandard's decompress() loop and its
      multi_decompress_to_buffer with threads=1 and 2, against segpack's with 1 and 2.
  (b) multi_compress_to_buffer, same items and level.
  (c) fixed cost of a batch call: two 10-byte frames; segpack with the inline
      rule and with the pool forced (inline_below_bytes=0 is the C++ option; from
      Python a batch of 2 tiny items runs inline, so the pool figure comes from
      the C++ benchmark batch_bench).
  (d) MapBuffer.get_many of 10k random keys from a zstd MapBuffer of 100k items of
      1-4 KiB, against a Python loop of mapbuffer's mb[key] (and segpack's), for two
      kinds of values: slices of the mixed data of (a), and skeleton fragments
      (float32 random-walk vertices + u32 edges, as in make demo).

Figures are MB/s of uncompressed data (higher is better) or times per call /
per key (lower is better); each is the best of several runs with gc disabled.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
from importlib.metadata import version

import numpy as np

import segpack
from bench_mapbuffer import best_of  # same timing rule (best of n, gc off)

try:
    import zstandard
except ImportError:
    sys.exit("bench_segments.py needs the zstandard package")
try:
    import mapbuffer
except ImportError:
    sys.exit("bench_segments.py needs the mapbuffer package")

ROWS: list[tuple[str, ...]] = []


def mixed_data(n: int, seed: int = 1) -> bytes:
    """Mixed, moderately compressible bytes (zstd-1 ratio about 2.5): text-like
    tokens, small integers, and random runs."""
    rng = np.random.default_rng(seed)
    words = [b"label", b"mesh", b"vertex", b"skeleton", b"fragment", b"0.125", b"segment", b"id"]
    parts, size = [], 0
    while size < n:
        r = rng.random()
        if r < 0.5:
            p = b" ".join(words[i] for i in rng.integers(0, len(words), 16))
        elif r < 0.8:
            p = rng.integers(0, 50, 64, dtype=np.uint8).tobytes()
        else:
            p = rng.bytes(32)
        parts.append(p)
        size += len(p)
    return b"".join(parts)[:n]


def mbps(nbytes: int, seconds: float) -> str:
    return f"{nbytes / seconds / 1e6:,.0f} MB/s"


def bench_batch(total: int, runs: int) -> None:
    data = mixed_data(total)
    zc = zstandard.ZstdCompressor(level=1)
    zd = zstandard.ZstdDecompressor()
    sd = segpack.ZstdDecompressor()
    sc = segpack.ZstdCompressor(level=1)
    for isz in (1024, 4096, 65536):
        items = [data[i : i + isz] for i in range(0, total, isz)]
        frames = [zc.compress(x) for x in items]
        ratio = total / sum(map(len, frames))
        # Same results first (a benchmark of wrong answers is worthless).
        assert sd.multi_decompress_to_buffer(frames, threads=2).tolist() == items
        t = {
            "zs loop": best_of(lambda: [zd.decompress(f) for f in frames], runs),
            "zs 1": best_of(lambda: zd.multi_decompress_to_buffer(frames, threads=1), runs),
            "zs 2": best_of(lambda: zd.multi_decompress_to_buffer(frames, threads=2), runs),
            "sp 1": best_of(lambda: sd.multi_decompress_to_buffer(frames, threads=1), runs),
            "sp 2": best_of(lambda: sd.multi_decompress_to_buffer(frames, threads=2), runs),
        }
        zs_best = min(t["zs 1"], t["zs 2"])
        ROWS.append(
            (
                f"(a) multi_decompress, {isz // 1024} KiB items, zstd-1 (ratio {ratio:.1f})",
                f"{mbps(total, t['sp 1'])} / {mbps(total, t['sp 2'])}",
                f"{mbps(total, t['zs 1'])} / {mbps(total, t['zs 2'])} (loop {mbps(total, t['zs loop'])})",
                f"{t['zs 1'] / t['sp 1']:.2f}× (1 thread); {zs_best / t['sp 2']:.2f}× (2 threads vs zstandard's best)",
            )
        )
        c = {
            "zs 1": best_of(lambda: zc.multi_compress_to_buffer(items, threads=1), max(2, runs // 2)),
            "zs 2": best_of(lambda: zc.multi_compress_to_buffer(items, threads=2), max(2, runs // 2)),
            "sp 1": best_of(lambda: sc.multi_compress_to_buffer(items, threads=1), max(2, runs // 2)),
            "sp 2": best_of(lambda: sc.multi_compress_to_buffer(items, threads=2), max(2, runs // 2)),
        }
        ROWS.append(
            (
                f"(b) multi_compress, {isz // 1024} KiB items, zstd-1",
                f"{mbps(total, c['sp 1'])} / {mbps(total, c['sp 2'])}",
                f"{mbps(total, c['zs 1'])} / {mbps(total, c['zs 2'])}",
                f"{c['zs 1'] / c['sp 1']:.2f}× / {c['zs 2'] / c['sp 2']:.2f}×",
            )
        )
        print(*ROWS[-2], sep=" | ")
        print(*ROWS[-1], sep=" | ")


def bench_fixed(runs: int) -> None:
    zc = zstandard.ZstdCompressor(level=1)
    zd = zstandard.ZstdDecompressor()
    sd = segpack.ZstdDecompressor()
    two = [zc.compress(b"x" * 10)] * 2
    for th in (1, 2):
        zs = best_of(lambda: zd.multi_decompress_to_buffer(two, threads=th), runs)
        sp = best_of(lambda: sd.multi_decompress_to_buffer(two, threads=th), runs)
        ROWS.append(
            (
                f"(c) batch call, 2 frames of 10 B, threads={th}",
                f"{sp * 1e6:.1f} µs",
                f"{zs * 1e6:.1f} µs",
                f"{zs / sp:.1f}×",
            )
        )
        print(*ROWS[-1], sep=" | ")


def mixed_values(n_items: int) -> dict[int, bytes]:
    """Slices of mixed_data of 1-4 KiB (zstd ratio about 2)."""
    rng = random.Random(7)
    data = mixed_data(4096 * 64, seed=3)
    vals = {}
    for k in range(n_items):
        size = rng.randint(1024, 4096)
        off = rng.randrange(0, len(data) - size)
        vals[k * 7 + 1] = data[off : off + size]
    return vals


def skeleton_values(n_items: int) -> dict[int, bytes]:
    """Skeleton fragments like make demo's: a u32 vertex count, float32 xyz of a
    random walk rounded to 0.1 nm, u32 edges (i, i+1); 1-4 KiB each."""
    rng = np.random.default_rng(11)
    vals = {}
    for k in range(n_items):
        nv = int(rng.integers(52, 205))  # 20 bytes per vertex -> 1-4 KiB
        walk = np.cumsum(rng.normal(0.0, 8.0, size=(nv, 3)), axis=0) + rng.uniform(0, 1e5, 3)
        verts = walk.round(1).astype(np.float32)
        idx = np.arange(nv - 1, dtype=np.uint32)
        edges = np.stack([idx, idx + 1], axis=1)
        vals[k * 7 + 1] = np.uint32(nv).tobytes() + verts.tobytes() + edges.tobytes()
    return vals


def bench_get_many(n_items: int, n_keys: int, runs: int) -> None:
    for name, make in (("mixed data", mixed_values), ("skeleton fragments", skeleton_values)):
        get_many_one(name, make(n_items), n_items, n_keys, runs)


def get_many_one(name: str, vals: dict[int, bytes], n_items: int, n_keys: int, runs: int) -> None:
    rng = random.Random(7)
    keys_list = rng.sample(sorted(vals), n_keys)
    keys = np.array(keys_list, dtype=np.uint64)
    buf = segpack.MapBuffer(vals, compress="zstd").tobytes()
    peer = mapbuffer.MapBuffer(buf)
    ours = segpack.MapBuffer(buf)
    assert peer[keys_list[0]] == ours[keys_list[0]]
    assert ours.get_many(keys, threads=2).tolist() == [vals[k] for k in keys_list]
    t_peer = best_of(lambda: [peer[k] for k in keys_list], runs)
    t_loop = best_of(lambda: [ours[k] for k in keys_list], runs)
    t1 = best_of(lambda: ours.get_many(keys, threads=1), runs)
    t2 = best_of(lambda: ours.get_many(keys, threads=2), runs)
    per = lambda t: f"{t / n_keys * 1e6:.2f} µs/key"  # noqa: E731
    ROWS.append(
        (
            f"(d) get_many, {n_keys // 1000}k of {n_items // 1000}k zstd items of 1–4 KiB, {name}, "
            "threads=1 / 2",
            f"{per(t1)} / {per(t2)}",
            f"{per(t_peer)} (mapbuffer loop)",
            f"{t_peer / t1:.1f}× / {t_peer / t2:.1f}× (2 threads {t1 / t2:.2f}× over 1)",
        )
    )
    print(*ROWS[-1], sep=" | ")
    ROWS.append(
        (
            f"(d) same ({name}), segpack `mb[k]` Python loop",
            per(t_loop),
            per(t_peer),
            f"{t_peer / t_loop:.1f}×",
        )
    )
    print(*ROWS[-1], sep=" | ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="abcd", help="sections to run, e.g. 'ad' ('a' also runs 'b')")
    ap.add_argument("--out", help="also write the markdown table to this file")
    a = ap.parse_args()
    total = (4 if a.quick else 16) << 20
    runs = 3 if a.quick else 7
    if "a" in a.only or "b" in a.only:
        bench_batch(total, runs)
    if "c" in a.only:
        bench_fixed(200)
    if "d" in a.only:
        bench_get_many(20_000 if a.quick else 100_000, 10_000, runs)
    load = os.getloadavg()
    head = (
        f"segpack {segpack.__version__}, zstandard {version('zstandard')}, mapbuffer {version('mapbuffer')}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, pool {segpack.get_num_threads()} workers, "
        f"load {load[0]:.2f}"
    )
    lines = [head, "", "| benchmark | segpack | peer | ratio |", "|---|---:|---:|---:|"]
    lines += ["| " + " | ".join(r) + " |" for r in ROWS]
    text = "\n".join(lines)
    print()
    print(text)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
