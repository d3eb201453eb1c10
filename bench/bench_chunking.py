#!/usr/bin/env python3
"""Side-by-side benchmark of chunked-array serialization (issue 11): segpack.chunk
(1 and 2 threads), segpack.tobytes, fastremap.tobytes, a per-cutout ``.tobytes()``
loop, segpack.frombytes, and np.copyto of the same bytes into a preallocated array
(the memory-speed reference), in ONE process on the same arrays. All the cases of
one dtype are timed round-robin (--runs rounds, best of each), so every ratio
compares figures taken at the same moments even on a noisy machine. This is a
script, not a test: nothing is asserted.

    .venv/bin/python bench/bench_chunking.py              # full run (~2-3 minutes)
    .venv/bin/python bench/bench_chunking.py --runs 5 --out /tmp/chunking.md

Cases, for float32 and uint8, 64^3 chunks:
  matching     512x512x256 C-contiguous array, chunks in C order
  mismatching  512x512x256 C-contiguous array, chunks in F order ("C->F"), and
               its Fortran-ordered copy cut into C-order chunks ("F->C")
  edges        500x500x250 C-contiguous array, chunks in C order, edges truncate / pad
               (fastremap cannot do it; the loop cuts the same clipped boxes)
  frombytes    the matching case's chunks assembled into a reused array (out=),
               1 and 2 threads, and from the F-order chunks (a second round-robin
               group, with copyto and chunk 1T again for its ratios)
Figures are GB/s of array bytes (higher is better), best of --runs with gc off.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import sys
import time
from importlib.metadata import version

import numpy as np

import segpack

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


def rounds(cases, runs):
    """Best wall time of every case, timed round-robin over `runs` rounds."""
    best = {name: float("inf") for name in cases}
    was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            for name, fn in cases.items():
                t0 = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - t0)
    finally:
        if was:
            gc.enable()
    return best


def run(dtype, runs):
    rng = np.random.default_rng(1)

    def make(shape):
        if np.dtype(dtype).kind == "f":
            return rng.random(shape, dtype=np.float32)
        return rng.integers(0, 255, shape, dtype=np.uint8)

    a = make((512, 512, 256))
    af = np.asfortranarray(a)
    e = make((500, 500, 250))
    ref = np.empty_like(a)
    eref = ref.reshape(-1)[: e.size].reshape(e.shape)
    bx, ebx = list(boxes(a.shape)), list(boxes(e.shape))
    assert segpack.tobytes(a, CS) == fastremap.tobytes(a, CS)
    cases = {
        "copyto": lambda: np.copyto(ref, a),
        "copyto edges": lambda: np.copyto(eref, e),
        "chunk 1T": lambda: segpack.chunk(a, CS, threads=1),
        "chunk 2T": lambda: segpack.chunk(a, CS, threads=2),
        "tobytes": lambda: segpack.tobytes(a, CS, "C"),
        "fastremap": lambda: fastremap.tobytes(a, CS, "C"),
        "loop": lambda: [a[b].tobytes("C") for b in bx],
        "C->F chunk 1T": lambda: segpack.chunk(a, CS, order="F", threads=1),
        "C->F chunk 2T": lambda: segpack.chunk(a, CS, order="F", threads=2),
        "C->F tobytes": lambda: segpack.tobytes(a, CS, "F"),
        "C->F fastremap": lambda: fastremap.tobytes(a, CS, "F"),
        "C->F loop": lambda: [a[b].tobytes("F") for b in bx],
        "F->C chunk 1T": lambda: segpack.chunk(af, CS, order="C", threads=1),
        "F->C chunk 2T": lambda: segpack.chunk(af, CS, order="C", threads=2),
        "F->C fastremap": lambda: fastremap.tobytes(af, CS, "C"),
        "truncate 1T": lambda: segpack.chunk(e, CS, edges="truncate", threads=1),
        "truncate 2T": lambda: segpack.chunk(e, CS, edges="truncate", threads=2),
        "pad 1T": lambda: segpack.chunk(e, CS, edges="pad", threads=1),
        "pad 2T": lambda: segpack.chunk(e, CS, edges="pad", threads=2),
        "edges loop": lambda: [e[b].tobytes("C") for b in ebx],
    }
    t = rounds(cases, runs)
    # Assembly in a second round-robin, with copyto and chunk again for its
    # ratios: the two 256 MiB chunk results it reads are kept alive only here
    # (held during the first group, they halved the speed of writing into
    # fresh pages, tobytes' case, on this VM).
    cc, cf = segpack.chunk(a, CS), segpack.chunk(a, CS, order="F")
    assembly = {
        "copyto (assembly rounds)": lambda: np.copyto(ref, a),
        "chunk 1T (assembly rounds)": lambda: segpack.chunk(a, CS, threads=1),
        "frombytes 1T": lambda: segpack.frombytes(cc, out=ref, threads=1),
        "frombytes 2T": lambda: segpack.frombytes(cc, out=ref, threads=2),
        "frombytes F chunks 1T": lambda: segpack.frombytes(cf, out=ref, threads=1),
    }
    t.update(rounds(assembly, runs))
    cases.update(assembly)
    return {name: (e.nbytes if name in EDGE_CASES else a.nbytes) / t[name] / 1e9 for name in cases}


EDGE_CASES = {"copyto edges", "truncate 1T", "truncate 2T", "pad 1T", "pad 2T", "edges loop"}


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
        r = run(dtype, args.runs)
        lines += [f"**{dtype}** (GB/s of array bytes; best of {args.runs} round-robin rounds)", ""]
        lines.append(", ".join(f"{k} {v:.2f}" for k, v in r.items()))
        c = r["copyto"]
        rows = [
            ("chunk 1T / copyto, matching", "≥ 0.70", r["chunk 1T"] / c),
            ("chunk 1T / cutout loop, matching", "≥ 2", r["chunk 1T"] / r["loop"]),
            ("chunk 1T / fastremap, matching", "≥ 6", r["chunk 1T"] / r["fastremap"]),
            ("tobytes / cutout loop, matching", "≥ 1.5", r["tobytes"] / r["loop"]),
            ("tobytes / fastremap, matching", "≥ 4", r["tobytes"] / r["fastremap"]),
            ("chunk 1T / copyto, C array -> F chunks", "≥ 0.35", r["C->F chunk 1T"] / c),
            ("chunk 1T / copyto, F array -> C chunks", "≥ 0.35", r["F->C chunk 1T"] / c),
            ("chunk 1T / fastremap, C -> F", "≥ 5", r["C->F chunk 1T"] / r["C->F fastremap"]),
            ("chunk 1T / fastremap, F -> C", "≥ 5", r["F->C chunk 1T"] / r["F->C fastremap"]),
            ("tobytes / fastremap, C -> F", "–", r["C->F tobytes"] / r["C->F fastremap"]),
            ("chunk 2T / 1T, matching", "≥ 1.4 (idle machine)", r["chunk 2T"] / r["chunk 1T"]),
            ("chunk 2T / 1T, C -> F", "≥ 1.4 (idle machine)", r["C->F chunk 2T"] / r["C->F chunk 1T"]),
            ("edges truncate / divisible, 1T", "≥ 0.8", r["truncate 1T"] / r["chunk 1T"]),
            ("edges pad / divisible, 1T", "≥ 0.8", r["pad 1T"] / r["chunk 1T"]),
            ("edges truncate / copyto of the same array", "–", r["truncate 1T"] / r["copyto edges"]),
            ("edges pad / copyto of the same array", "–", r["pad 1T"] / r["copyto edges"]),
            (
                "frombytes 1T / chunk 1T (same speed class)",
                "~1",
                r["frombytes 1T"] / r["chunk 1T (assembly rounds)"],
            ),
            ("frombytes 1T / copyto", "–", r["frombytes 1T"] / r["copyto (assembly rounds)"]),
            ("frombytes 2T / 1T", "≥ 1.4 (idle machine)", r["frombytes 2T"] / r["frombytes 1T"]),
            (
                "frombytes from F chunks 1T / copyto",
                "–",
                r["frombytes F chunks 1T"] / r["copyto (assembly rounds)"],
            ),
        ]
        lines += ["", "| ratio | target | measured |", "|---|---|---:|"]
        lines += [f"| {name} | {target} | {v:.2f} |" for name, target, v in rows]
        lines.append("")
    lines.append(f"load average at the end {os.getloadavg()[0]:.1f}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
