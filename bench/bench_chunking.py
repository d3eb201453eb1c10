#!/usr/bin/env python3
"""Side-by-side benchmark of chunked-array serialization (issue 11): segpack.chunk
(1 and 2 threads), segpack.tobytes, fastremap.tobytes, a per-cutout ``.tobytes()``
loop, and np.copyto of the same bytes into a preallocated array (the memory-speed
reference), in ONE process on the same arrays, so the ratios are comparable even
on a noisy machine. This is a script, not a test: nothing is asserted.

    .venv/bin/python bench/bench_chunking.py              # full run (~1-2 minutes)
    .venv/bin/python bench/bench_chunking.py --runs 3 --out /tmp/chunking.md

Cases, for float32 and uint8, 64^3 chunks:
  matching     512x512x256 C-contiguous array, chunks in C order
  mismatching  512x512x256 C-contiguous array, chunks in F order
  edges        500x500x250 C-contiguous array, chunks in C order, edges truncate / pad
               (fastremap cannot do it; the loop cuts the same clipped boxes)
Figures are GB/s of array bytes (higher is better), best of --runs with gc off.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
from importlib.metadata import version

import numpy as np

import segpack
from bench_mapbuffer import best_of  # same timing rule (best of n, gc off)

try:
    import fastremap
except ImportError:
    sys.exit("bench_chunking.py needs the fastremap package")

CS = (64, 64, 64)


def boxes(shape):
    """Chunk boxes in Fortran grid order (fastremap's), clipped to the shape."""
    grid = [range(0, n, c) for n, c in zip(shape, CS)]
    for z, y, x in itertools.product(*reversed(grid)):
        yield tuple(slice(s, min(s + c, n)) for s, c, n in zip((x, y, z), CS, shape))


def run(dtype, runs):
    rows = []
    rng = np.random.default_rng(1)

    def make(shape):
        if np.dtype(dtype).kind == "f":
            return rng.random(shape, dtype=np.float32)
        return rng.integers(0, 255, shape, dtype=np.uint8)

    a = make((512, 512, 256))
    nbytes = a.nbytes
    ref = np.empty_like(a)
    copyto = nbytes / best_of(lambda: np.copyto(ref, a), runs) / 1e9
    for case, order in [("matching", "C"), ("mismatching", "F")]:
        bx = list(boxes(a.shape))
        r = {"copyto": copyto}
        r["chunk 1T"] = nbytes / best_of(lambda: segpack.chunk(a, CS, order=order, threads=1), runs) / 1e9
        r["chunk 2T"] = nbytes / best_of(lambda: segpack.chunk(a, CS, order=order, threads=2), runs) / 1e9
        r["segpack.tobytes"] = nbytes / best_of(lambda: segpack.tobytes(a, CS, order), runs) / 1e9
        r["fastremap.tobytes"] = nbytes / best_of(lambda: fastremap.tobytes(a, CS, order), runs) / 1e9
        r["cutout loop"] = nbytes / best_of(lambda: [a[b].tobytes(order) for b in bx], runs) / 1e9
        rows.append((case, r))
    e = make((500, 500, 250))
    bx = list(boxes(e.shape))
    r = {
        "copyto": e.nbytes
        / best_of(lambda: np.copyto(ref.reshape(-1)[: e.size].reshape(e.shape), e), runs)
        / 1e9
    }
    for edges in ("truncate", "pad"):
        r[f"chunk 1T {edges}"] = (
            e.nbytes / best_of(lambda: segpack.chunk(e, CS, edges=edges, threads=1), runs) / 1e9
        )
        r[f"chunk 2T {edges}"] = (
            e.nbytes / best_of(lambda: segpack.chunk(e, CS, edges=edges, threads=2), runs) / 1e9
        )
    r["cutout loop"] = e.nbytes / best_of(lambda: [e[b].tobytes("C") for b in bx], runs) / 1e9
    rows.append(("edges (500x500x250)", r))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", help="also write the markdown here")
    args = ap.parse_args()
    lines = [
        f"python {platform.python_version()}, numpy {np.__version__}, fastremap {version('fastremap')}, "
        f"segpack {segpack.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
        "",
    ]
    for dtype in ("float32", "uint8"):
        rows = run(dtype, args.runs)
        lines += [f"**{dtype}** (GB/s of array bytes; best of {args.runs})", ""]
        for case, r in rows:
            lines.append(f"{case}: " + ", ".join(f"{k} {v:.2f}" for k, v in r.items()))
        m = dict(rows[0][1])
        mm = dict(rows[1][1])
        ed = dict(rows[2][1])
        lines += [
            "",
            "| ratio | target | measured |",
            "|---|---|---:|",
            f"| chunk 1T / copyto, matching | ≥ 0.70 | {m['chunk 1T'] / m['copyto']:.2f} |",
            f"| chunk 1T / cutout loop, matching | ≥ 2 | {m['chunk 1T'] / m['cutout loop']:.2f} |",
            f"| chunk 1T / fastremap, matching | ≥ 6 | {m['chunk 1T'] / m['fastremap.tobytes']:.2f} |",
            f"| tobytes / cutout loop, matching | ≥ 1.5 | {m['segpack.tobytes'] / m['cutout loop']:.2f} |",
            f"| tobytes / fastremap, matching | ≥ 4 | {m['segpack.tobytes'] / m['fastremap.tobytes']:.2f} |",
            f"| chunk 1T / copyto, mismatching | ≥ 0.35 | {mm['chunk 1T'] / mm['copyto']:.2f} |",
            f"| chunk 1T / fastremap, mismatching | ≥ 5 | {mm['chunk 1T'] / mm['fastremap.tobytes']:.2f} |",
            f"| chunk 2T / 1T, matching | ≥ 1.4 (idle machine) | {m['chunk 2T'] / m['chunk 1T']:.2f} |",
            f"| chunk 2T / 1T, mismatching | ≥ 1.4 (idle machine) | {mm['chunk 2T'] / mm['chunk 1T']:.2f} |",
            f"| edges truncate / divisible, 1T | ≥ 0.8 | {ed['chunk 1T truncate'] / m['chunk 1T']:.2f} |",
            f"| edges pad / divisible, 1T | ≥ 0.8 | {ed['chunk 1T pad'] / m['chunk 1T']:.2f} |",
            "",
        ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
