#!/usr/bin/env python3
"""Side-by-side benchmarks: segpack's one-shot codec calls and zstd dictionaries
vs python-zstandard and the standard library.

Everything runs in ONE process on the same data, so the ratios are comparable
even on a noisy machine. This is a script, not a test: nothing is asserted
except that both sides produce the same results.

    .venv/bin/python bench/bench_codecs.py            # full run (~1 minute)
    .venv/bin/python bench/bench_codecs.py --quick
    .venv/bin/python bench/bench_codecs.py --only ab --out /tmp/codecs.md
    .venv/bin/python bench/bench_codecs.py --only a --dump /tmp/items
    SEGPACK_BENCH_DUMP=/tmp/items build/cpp/bench/oneshot_bench --benchmark_filter=Dump

--dump DIR writes the items and python-zstandard's frames of (a) and (c) to DIR,
for the plain C++ loops of libzstd in bench/oneshot_bench.cc (same data: the
floor the Python figures stand on).

Sections:
  (a) one-shot zstd loops, 1 KiB and 64 KiB items of mixed data, level 3:
      zstandard.ZstdCompressor().compress / ZstdDecompressor().decompress (the
      objects made once, outside the loop) against segpack.ZstdCompressor /
      ZstdDecompressor and the module functions segpack.compress /
      segpack.decompress; zlib.compress / zlib.decompress (level 6) for scale.
  (b) one-shot loops of the other codecs through segpack.compress /
      segpack.decompress at 1 KiB (each call used to make a fresh context),
      with the standard library's zlib / lzma beside them.
  (c) multi_decompress_to_buffer of 1 KiB JSON-like records, zstd level 3,
      without and with a dictionary trained on other records of the same
      kind (segpack.train_dictionary, 16 KiB), threads=1 and 2, against
      python-zstandard with the same dictionary and threads.

Figures are µs per item or MB/s of uncompressed data; each is the best of
several runs with gc disabled, the runs of the loops compared in one row
interleaved (a, b, a, b, ...) so that a change of load on a shared machine
hits both sides alike. ratio = zstandard (or stdlib) time / segpack time:
above 1 means segpack is faster.
"""

from __future__ import annotations

import argparse
import gc
import json
import lzma
import os
import platform
import random
import sys
import time
import zlib
from importlib.metadata import version

import segpack
from bench_segments import mixed_data

try:
    import zstandard
except ImportError:
    sys.exit("bench_codecs.py needs the zstandard package")

ROWS: list[tuple[str, ...]] = []
DUMP: str | None = None


def dump(name: str, blobs: list[bytes]) -> None:
    """u32 little-endian length + bytes, for bench/oneshot_bench.cc."""
    if DUMP is None:
        return
    os.makedirs(DUMP, exist_ok=True)
    with open(os.path.join(DUMP, name), "wb") as f:
        for b in blobs:
            f.write(len(b).to_bytes(4, "little"))
            f.write(b)


def best_of_each(fns: list, runs: int) -> list[float]:
    """Best wall time of each function over `runs` interleaved rounds, gc off."""
    best = [float("inf")] * len(fns)
    was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            for i, fn in enumerate(fns):
                t0 = time.perf_counter()
                fn()
                best[i] = min(best[i], time.perf_counter() - t0)
    finally:
        if was:
            gc.enable()
    return best


def per_item(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:.2f} µs"


def mbps(nbytes: int, seconds: float) -> str:
    return f"{nbytes / seconds / 1e6:,.0f} MB/s"


def row(*cells: str) -> None:
    ROWS.append(cells)
    print(*cells, sep=" | ", flush=True)


def bench_one_shot(runs: int, quick: bool) -> None:
    zc, zd = zstandard.ZstdCompressor(), zstandard.ZstdDecompressor()
    sc, sd = segpack.ZstdCompressor(), segpack.ZstdDecompressor()
    for isz, count in ((1024, 2000 if quick else 5000), (65536, 100 if quick else 300)):
        data = mixed_data(isz * count, seed=5)
        items = [data[i : i + isz] for i in range(0, len(data), isz)]
        frames = [zc.compress(x) for x in items]
        zframes = [zlib.compress(x, 6) for x in items]
        # Same results first (a benchmark of wrong answers is worthless).
        assert [sd.decompress(f) for f in frames] == items
        assert [segpack.decompress(f, "zstd") for f in frames] == items
        assert [zd.decompress(sc.compress(x)) for x in items] == items
        n, label = len(items), f"{isz // 1024} KiB"
        dump(f"mixed_{isz // 1024}k.items", items)
        dump(f"mixed_{isz // 1024}k.frames", frames)

        t_zs, t_sp, t_mod, t_zl = best_of_each(
            [
                lambda: [zc.compress(x) for x in items],
                lambda: [sc.compress(x) for x in items],
                lambda: [segpack.compress(x, "zstd") for x in items],
                lambda: [zlib.compress(x, 6) for x in items],
            ],
            runs,
        )
        row(
            f"(a) compress, {label} items, zstd-3: `ZstdCompressor().compress` / `segpack.compress`",
            f"{per_item(t_sp, n)} / {per_item(t_mod, n)}",
            f"{per_item(t_zs, n)}",
            f"**{t_zs / t_sp:.2f}×** / {t_zs / t_mod:.2f}×",
        )
        row(
            f"(a) compress, {label} items: zlib.compress(level 6), for scale",
            "—",
            per_item(t_zl, n),
            f"({t_zl / t_sp:.2f}× segpack zstd)",
        )

        t_zs, t_sp, t_mod, t_zl = best_of_each(
            [
                lambda: [zd.decompress(f) for f in frames],
                lambda: [sd.decompress(f) for f in frames],
                lambda: [segpack.decompress(f, "zstd") for f in frames],
                lambda: [zlib.decompress(f) for f in zframes],
            ],
            runs,
        )
        row(
            f"(a) decompress, {label} items, zstd-3: `ZstdDecompressor().decompress` / `segpack.decompress`",
            f"{per_item(t_sp, n)} / {per_item(t_mod, n)}",
            f"{per_item(t_zs, n)}",
            f"**{t_zs / t_sp:.2f}×** / {t_zs / t_mod:.2f}×",
        )
        row(
            f"(a) decompress, {label} items: zlib.decompress, for scale",
            "—",
            per_item(t_zl, n),
            f"({t_zl / t_sp:.2f}× segpack zstd)",
        )


def bench_other_codecs(runs: int) -> None:
    data = mixed_data(1024 * 500, seed=9)
    items = [data[i : i + 1024] for i in range(0, len(data), 1024)]
    n = len(items)
    peers = {
        "gzip": (lambda x: zlib.compress(x, 9), zlib.decompress, "zlib level 9"),
        "lzma": (lambda x: lzma.compress(x, preset=6), lzma.decompress, "lzma preset 6"),
        "br": (None, None, ""),
    }
    for codec in ("gzip", "br", "lzma"):
        frames = [segpack.compress(x, codec) for x in items]
        assert [segpack.decompress(f, codec) for f in frames] == items
        r = max(2, runs // 2) if codec == "lzma" else runs
        comp, decomp, what = peers[codec]
        if comp is None:
            t_c, t_d = best_of_each(
                [
                    lambda: [segpack.compress(x, codec) for x in items],
                    lambda: [segpack.decompress(f, codec) for f in frames],
                ],
                r,
            )
            row(
                f"(b) {codec}, 1 KiB items, default level: compress / decompress",
                f"{per_item(t_c, n)} / {per_item(t_d, n)}",
                "—",
                "—",
            )
            continue
        pframes = [comp(x) for x in items]
        t_c, t_pc, t_d, t_pd = best_of_each(
            [
                lambda: [segpack.compress(x, codec) for x in items],
                lambda: [comp(x) for x in items],
                lambda: [segpack.decompress(f, codec) for f in frames],
                lambda: [decomp(f) for f in pframes],
            ],
            r,
        )
        row(
            f"(b) {codec}, 1 KiB items, default level: compress / decompress (peer: {what})",
            f"{per_item(t_c, n)} / {per_item(t_d, n)}",
            f"{per_item(t_pc, n)} / {per_item(t_pd, n)}",
            f"{t_pc / t_c:.2f}× / {t_pd / t_d:.2f}×",
        )


def records(n: int, seed: int) -> list[bytes]:
    """JSON lines of the kind dictionaries are for: shared keys and vocabulary,
    varying values; about 1 KiB each."""
    rng = random.Random(seed)
    kinds = ["mesh", "skeleton", "annotation", "segment", "synapse"]
    out = []
    for _ in range(n):
        objs, size = [], 0
        while size < 1024:
            o = {
                "id": rng.randrange(10**9),
                "type": rng.choice(kinds),
                "position": [round(rng.uniform(0, 1e5), 1) for _ in range(3)],
                "parent": rng.randrange(10**6),
                "confidence": round(rng.random(), 3),
                "tags": rng.sample(["proofread", "auto", "merged", "split", "soma", "axon"], 2),
            }
            s = json.dumps(o)
            objs.append(s)
            size += len(s) + 1
        out.append(("\n".join(objs)).encode()[:1024])
    return out


def bench_dictionary(runs: int, quick: bool) -> None:
    n = 5000 if quick else 20000
    items = records(n, seed=1)
    train = records(2000, seed=2)
    d = segpack.train_dictionary(16384, train)
    zdict = zstandard.ZstdCompressionDict(d.as_bytes())  # the same dictionary for both
    total = sum(map(len, items))
    for name, sdict, zsd in (("no dictionary", None, None), (f"dictionary ({len(d) // 1024} KiB)", d, zdict)):
        zc = zstandard.ZstdCompressor(dict_data=zsd) if zsd else zstandard.ZstdCompressor()
        zd = zstandard.ZstdDecompressor(dict_data=zsd) if zsd else zstandard.ZstdDecompressor()
        sd = segpack.ZstdDecompressor(dict_data=sdict)
        frames = [zc.compress(x) for x in items]
        ratio = total / sum(map(len, frames))
        if sdict is None:
            dump("json_1k.items", items)
            dump("json_1k.frames", frames)
        assert sd.multi_decompress_to_buffer(frames, threads=2).tolist() == items
        t = {}
        for th in (1, 2):
            t[("zs", th)], t[("sp", th)] = best_of_each(
                [
                    lambda: zd.multi_decompress_to_buffer(frames, threads=th),
                    lambda: sd.multi_decompress_to_buffer(frames, threads=th),
                ],
                runs,
            )
        row(
            f"(c) multi_decompress_to_buffer, {n // 1000}k JSON records of 1 KiB, {name}, zstd-3 "
            f"(ratio {ratio:.1f}), threads=1 / 2",
            f"{mbps(total, t[('sp', 1)])} / {mbps(total, t[('sp', 2)])}",
            f"{mbps(total, t[('zs', 1)])} / {mbps(total, t[('zs', 2)])}",
            f"**{t[('zs', 1)] / t[('sp', 1)]:.2f}× / {t[('zs', 2)] / t[('sp', 2)]:.2f}×**",
        )
        t_loop, t_sloop = best_of_each(
            [
                lambda: [zd.decompress(f) for f in frames],
                lambda: [sd.decompress(f) for f in frames],
            ],
            runs,
        )
        row(
            f"(c) same, one-shot `decompress` loop, {name}",
            per_item(t_sloop, n),
            per_item(t_loop, n),
            f"{t_loop / t_sloop:.2f}×",
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="abc", help="sections to run, e.g. 'ac'")
    ap.add_argument("--out", help="also write the markdown table to this file")
    ap.add_argument("--dump", help="write the items and frames to this folder (for bench/oneshot_bench.cc)")
    a = ap.parse_args()
    global DUMP
    DUMP = a.dump
    runs = 7 if a.quick else 15
    if "a" in a.only:
        bench_one_shot(runs, a.quick)
    if "b" in a.only:
        bench_other_codecs(runs)
    if "c" in a.only:
        bench_dictionary(runs, a.quick)
    head = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}, zstandard {version('zstandard')} "
        f"(libzstd {'.'.join(map(str, zstandard.ZSTD_VERSION))}), segpack's libzstd "
        f"{'.'.join(map(str, segpack.ZSTD_VERSION))}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    table = ["| benchmark | segpack | peer | ratio |", "|---|---:|---:|---:|"]
    table += ["| " + " | ".join(r) + " |" for r in ROWS]
    print("\n" + head + "\n\n" + "\n".join(table))
    if a.out:
        with open(a.out, "w") as f:
            f.write(head + "\n\n" + "\n".join(table) + "\n")


if __name__ == "__main__":
    main()
