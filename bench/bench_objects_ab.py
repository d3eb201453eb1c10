#!/usr/bin/env python3
"""A/B of segpack.objects against the module of an earlier commit, with pyfory as the peer, in
one process: serialize + deserialize of bench_objects.py's case (b), 10k arrays of 100 float64
in a dict, with out-of-band buffers. A script, not a test: nothing is asserted.

    .venv/bin/python bench/bench_objects_ab.py --old 8c792c0   # the last pure-Python reducer

The earlier python/segpack/objects.py (read with `git show`) is loaded as segpack.old_objects
beside the installed one (it uses the installed _core for what it needs of it). Every round
times the three in turn (best of 3 each), gc off; milliseconds, lower is better.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyfory

import segpack


def load_old(commit: str) -> Any:
    """The objects module of ``commit``, as segpack.old_objects."""
    source = subprocess.run(
        ["git", "show", f"{commit}:python/segpack/objects.py"], check=True, capture_output=True
    ).stdout
    with tempfile.NamedTemporaryFile("wb", suffix=".py", delete=False) as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("segpack.old_objects", f.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["segpack.old_objects"] = module
    spec.loader.exec_module(module)
    return module


def segpack_run(module: Any, obj: Any, allow: list[str]) -> Callable[[], Any]:
    def run() -> Any:
        bufs: list[Any] = []
        payload = module.serialize(obj, buffer_callback=bufs.append)
        return module.deserialize(payload, buffers=[b.getbuffer() for b in bufs], allow=allow)

    return run


def fory_run(obj: Any) -> Callable[[], Any]:
    fory = pyfory.Fory(xlang=False, ref=False, strict=False)

    def run() -> Any:
        bufs: list[Any] = []
        payload = fory.serialize(obj, buffer_callback=bufs.append)
        return fory.deserialize(payload, buffers=[b.getbuffer() for b in bufs])

    return run


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, help="the commit whose objects.py is the A side")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    args = ap.parse_args()
    old = load_old(args.old)
    arrays = {f"a{i}": np.random.default_rng(i).random(100) for i in range(10_000)}
    old_names = ["segpack.old_objects._rebuild_array", "segpack.old_objects._rebuild_dtype"]
    cases = {
        f"segpack {args.old}": segpack_run(old, arrays, old_names),
        "segpack (installed)": segpack_run(segpack.objects, arrays, []),
        "pyfory": fory_run(arrays),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    gc.disable()
    for _ in range(args.rounds):
        for name, fn in cases.items():
            times[name].append(best_of(fn))
    fory = times["pyfory"]
    print("| | best ms | median ms | pyfory / it, per round |")
    print("|---|---:|---:|---|")
    for name, ts in times.items():
        ratios = " ".join(f"{f / t:.2f}" for f, t in zip(fory, ts))
        print(f"| {name} | {min(ts):.2f} | {sorted(ts)[len(ts) // 2]:.2f} | {ratios} |")


if __name__ == "__main__":
    main()
