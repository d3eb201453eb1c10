#!/usr/bin/env python3
"""Side-by-side benchmark: segpack.serialize / deserialize against pickle (in-band, and with
out-of-band buffers) and pyfory (issue 10). A script, not a test: nothing is asserted.

    .venv/bin/python bench/bench_objects.py            # full run (~1 minute)
    .venv/bin/python bench/bench_objects.py --quick    # smaller DataFrame

Sections:
  (b) 10k float64 arrays of 100 elements in a dict;
  (c) a DataFrame of 1M rows: float64, int64, float32 and str columns;
  (d) serialize with an out-of-band callback: a 1 MB array against a 1 GB one (nothing is
      copied, so both should cost the same).

Each figure is the best of several interleaved runs with gc disabled, in milliseconds (lower is better).
"dumps"/"loads" are the serialize and deserialize halves; segpack's loads is the default
(restricted) one unless the row says trusted.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import platform
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import numpy as np

import segpack

try:
    import pandas as pd
except ImportError:  # pragma: no cover
    pd = None
try:
    import pyfory
except ImportError:  # pragma: no cover
    pyfory = None


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` calls, in ms, gc disabled."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
    finally:
        gc.enable()
    return best * 1e3


def pickle_oob(obj: Any) -> tuple[Callable[[], Any], Callable[[], Any], int]:
    bufs: list[Any] = []

    def dumps() -> bytes:
        bufs.clear()
        return pickle.dumps(obj, protocol=5, buffer_callback=bufs.append)

    data = dumps()
    views = [b.raw() for b in bufs]
    return dumps, lambda: pickle.loads(data, buffers=views), len(bufs)


def pickle_inband(obj: Any) -> tuple[Callable[[], Any], Callable[[], Any], int]:
    data = pickle.dumps(obj, protocol=5)
    return lambda: pickle.dumps(obj, protocol=5), lambda: pickle.loads(data), 0


def segpack_oob(obj: Any, trusted: bool = False) -> tuple[Callable[[], Any], Callable[[], Any], int]:
    bufs: list[Any] = []

    def dumps() -> bytes:
        bufs.clear()
        return segpack.serialize(obj, buffer_callback=bufs.append)

    data = dumps()
    views = [b.getbuffer() for b in bufs]
    return dumps, lambda: segpack.deserialize(data, buffers=views, trusted=trusted), len(bufs)


def segpack_inband(obj: Any) -> tuple[Callable[[], Any], Callable[[], Any], int]:
    data = segpack.serialize(obj)
    return lambda: segpack.serialize(obj), lambda: segpack.deserialize(data), 0


def fory_oob(obj: Any) -> tuple[Callable[[], Any], Callable[[], Any], int]:
    fory = pyfory.Fory(xlang=False, ref=False, strict=False)
    bufs: list[Any] = []

    def dumps() -> bytes:
        bufs.clear()
        return fory.serialize(obj, buffer_callback=bufs.append)

    data = dumps()
    views = [b.getbuffer() for b in bufs]
    return dumps, lambda: fory.deserialize(data, buffers=views), len(bufs)


def section(title: str, obj: Any, rows: list[str], rounds: int) -> None:
    """Times every configuration in ``rounds`` interleaved rounds (best of 3 each) and keeps
    each one's best: on a shared machine, interleaving spreads the noise over all of them."""
    rows.append(f"\n{title}\n")
    rows.append("| | dumps ms | loads ms | total ms | out-of-band buffers |")
    rows.append("|---|---:|---:|---:|---:|")
    runs: list[tuple[str, Callable[[Any], tuple[Callable[[], Any], Callable[[], Any], int]]]] = [
        ("pickle, in-band", pickle_inband),
        ("pickle, out-of-band", pickle_oob),
        ("segpack, in-band", segpack_inband),
        ("segpack, out-of-band", segpack_oob),
        ("segpack, out-of-band, trusted load", lambda o: segpack_oob(o, trusted=True)),
    ]
    if pyfory is not None:
        runs.append((f"pyfory {version('pyfory')}, callback", fory_oob))
    prepared = [(name, *run(obj)) for name, run in runs]
    best = {name: [float("inf"), float("inf")] for name, *_ in prepared}
    for _ in range(rounds):
        for name, dumps, loads, _n in prepared:
            best[name][0] = min(best[name][0], best_of(dumps, 3))
            best[name][1] = min(best[name][1], best_of(loads, 3))
    for name, _d, _l, n in prepared:
        d, lo = best[name]
        rows.append(f"| {name} | {d:.2f} | {lo:.2f} | {d + lo:.2f} | {n} |")
        print(rows[-1], flush=True)


def callback_cost(rows: list[str]) -> None:
    rows.append("\n(d) serialize with an out-of-band callback, one float64 array\n")
    rows.append("| array | segpack ms | pickle ms | pyfory ms |")
    rows.append("|---|---:|---:|---:|")
    for label, n in (("1 MB", 1 << 17), ("1 GB", 1 << 27)):
        a = np.zeros(n)  # calloc'ed: the pages are never touched when nothing is copied
        seg = best_of(lambda: segpack.serialize(a, buffer_callback=lambda b: False), 20)
        pic = best_of(lambda: pickle.dumps(a, protocol=5, buffer_callback=lambda b: False), 20)
        fory = "—"
        if pyfory is not None:
            f = pyfory.Fory(xlang=False, ref=False, strict=False)
            a2 = a.reshape(2, -1)  # pyfory keeps 1-D arrays in-band; a 2-D one goes out of band
            fory = f"{best_of(lambda: f.serialize(a2, buffer_callback=lambda b: False), 20):.3f} (2-D)"
        rows.append(f"| {label} | {seg:.3f} | {pic:.3f} | {fory} |")
        print(rows[-1], flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100k-row DataFrame instead of 1M")
    ap.add_argument("--only", default="bcd", help="sections to run (default bcd)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = ap.parse_args()
    rows: list[str] = []
    head = (
        f"python {platform.python_version()}, numpy {np.__version__}"
        + (f", pandas {pd.__version__}" if pd is not None else "")
        + (f", pyfory {version('pyfory')}" if pyfory is not None else "")
        + f", segpack {segpack.__version__}; {platform.machine()}"
    )
    print(head)
    if "b" in args.only:
        rng = np.random.default_rng(1)
        arrays = {f"a{i}": rng.random(100) for i in range(10_000)}
        section("(b) 10k arrays of 100 float64 in a dict", arrays, rows, args.rounds)
    if "c" in args.only and pd is not None:
        n = 100_000 if args.quick else 1_000_000
        rng = np.random.default_rng(2)
        df = pd.DataFrame(
            {
                "f64": rng.random(n),
                "i64": rng.integers(0, 1 << 40, n),
                "f32": rng.random(n, dtype=np.float32),
                "str": [f"item-{i % 1000}" for i in range(n)],
            }
        )
        section(f"(c) DataFrame, {n:,} rows: float64, int64, float32, str", df, rows, args.rounds)
    if "d" in args.only:
        callback_cost(rows)
    print("\n" + head + "\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
