#!/usr/bin/env python3
"""Side-by-side benchmark: segpack.serialize / deserialize against pickle (in-band, and with
out-of-band buffers) and pyfory; segpack.dump / load (object files) against pickle, joblib,
binpickle and a raw write (issue 10). A script, not a test: nothing is asserted.

    .venv/bin/python bench/bench_objects.py            # full run (a few minutes)
    .venv/bin/python bench/bench_objects.py --quick    # smaller DataFrame
    .venv/bin/python bench/bench_objects.py --only afz # object files only

Sections:
  (b) 10k float64 arrays of 100 elements in a dict;
  (c) a DataFrame of 1M rows: float64, int64, float32 and str columns;
  (d) serialize with an out-of-band callback: a 1 MB array against a 1 GB one (nothing is
      copied, so both should cost the same);
  (a) object files: 256 MiB in 4 float64 arrays, dump into a new file and load;
  (f) object files of (b) and (c);
  (z) compressed object files: 64 MiB of compressible float64 (4 arrays, zstd-1 ratio ~5),
      segpack zstd level 1 against binpickle's default codec (zlib level 9; timed once, it
      writes ~1.4 MB/s).

Each figure is the best of several interleaved runs with gc disabled, in milliseconds (lower is better).
"dumps"/"loads" are the serialize and deserialize halves; segpack's loads is the default
(restricted) one unless the row says trusted.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import pickle
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import numpy as np

import segpack


def optional(name: str) -> Any:
    """The module, or None when it is not installed (its rows are left out)."""
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover
        return None


pd = optional("pandas")
pyfory = optional("pyfory")
joblib = optional("joblib")
binpickle = optional("binpickle")


def best_of(
    fn: Callable[..., Any],
    repeat: int = 5,
    prepare: Callable[[], Any] | None = None,
    cleanup: Callable[[Any], Any] | None = None,
) -> float:
    """Best wall time of ``repeat`` calls, in ms, gc disabled. With ``prepare``, each call is
    ``fn(prepare())`` and ``cleanup`` gets that argument afterwards, both untimed."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            args = () if prepare is None else (prepare(),)
            t0 = time.perf_counter()
            fn(*args)
            best = min(best, time.perf_counter() - t0)
            if cleanup is not None:
                cleanup(*args)
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


# ---- object files ---------------------------------------------------------------------------


class Files:
    """Fresh file names in one scratch folder; every timed dump writes a new file (removed
    outside the timed region), as the issue's figures are for writes into a new file."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="segpack-bench-")
        self.n = 0

    def new(self) -> str:
        self.n += 1
        return os.path.join(self.dir, f"f{self.n}")

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def best_write(files: Files, write: Callable[[str], Any], repeat: int) -> float:
    """Best wall time (ms) of ``write(path)`` into a new path; the file is removed after each
    run, untimed."""
    return best_of(write, repeat, files.new, os.unlink)


def raw_write(obj: Any) -> Callable[[str], Any]:
    """Writes the arrays' bytes one after the other (the floor of any dump)."""
    arrays = list(obj.values())

    def write(path: str) -> None:
        with open(path, "wb") as f:
            for a in arrays:
                f.write(memoryview(a).cast("B"))

    return write


def pickle_dump(path: str, obj: Any) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=5)


def pickle_load(path: str) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)


def file_rows(obj: Any, files: Files, rounds: int, compressed: bool = False) -> list[tuple[str, str, Any]]:
    """(name, 'dump' | 'load', callable) rows; a load row's callable takes no argument, a
    dump row's takes the path to write."""
    rows: list[tuple[str, str, Any]] = []
    if not compressed:
        if isinstance(obj, dict):
            rows.append(("raw write of the arrays' bytes", "dump", raw_write(obj)))
        p = files.new()
        pickle_dump(p, obj)
        rows.append(("pickle in-band, file", "dump", lambda path: pickle_dump(path, obj)))
        rows.append(("pickle in-band, file", "load", lambda: pickle_load(p)))
        if joblib is not None:
            name = f"joblib {joblib.__version__}"
            p2 = files.new()
            joblib.dump(obj, p2)
            rows.append((name, "dump", lambda path: joblib.dump(obj, path)))
            rows.append((name, "load", lambda: joblib.load(p2)))
            rows.append((name + ' load mmap_mode="r"', "load", lambda: joblib.load(p2, mmap_mode="r")))
        if binpickle is not None:
            name = f"binpickle {version('binpickle')} mappable"
            p3 = files.new()
            binpickle.dump(obj, p3, mappable=True)
            rows.append((name, "dump", lambda path: binpickle.dump(obj, path, mappable=True)))
            rows.append((name + ", default load (copies)", "load", lambda: binpickle.load(p3)))

            def direct() -> Any:
                # not closed: binpickle's close() raises BufferError while the arrays live
                return binpickle.BinPickleFile(p3, direct=True).load()

            rows.append((name + ", direct load", "load", direct))
        p4 = files.new()
        segpack.dump(obj, p4)
        rows.append(("segpack dump (durable=False, default)", "dump", lambda path: segpack.dump(obj, path)))
        rows.append(
            ("segpack dump durable=True (fsync)", "dump", lambda path: segpack.dump(obj, path, durable=True))
        )
        rows.append(("segpack load (mmap, default)", "load", lambda: segpack.load(p4)))
        rows.append(
            (
                "segpack load verify=True (mmap, crcs in parallel)",
                "load",
                lambda: segpack.load(p4, verify=True),
            )
        )
        rows.append(("segpack load mmap=False (read + crc)", "load", lambda: segpack.load(p4, mmap=False)))
    else:
        if binpickle is not None:
            name = f"binpickle {version('binpickle')} default codec (zlib 9)"
            p3 = files.new()
            t0 = time.perf_counter()
            binpickle.dump(obj, p3)
            once = (time.perf_counter() - t0) * 1e3
            rows.append((name + " (timed once)", "fixed", once))
            rows.append((name, "load", lambda: binpickle.load(p3)))
        p4 = files.new()
        segpack.dump(obj, p4, codec="zstd", level=1)
        rows.append(("segpack zstd-1", "dump", lambda path: segpack.dump(obj, path, codec="zstd", level=1)))
        rows.append(("segpack zstd-1", "load", lambda: segpack.load(p4)))
        rows.append(("segpack zstd-1, 1 thread", "load", lambda: segpack.load(p4, threads=1)))
        zstd = optional("zstandard")
        if zstd is not None:  # what one core does: the floor of a one-thread dump / load
            frames = [zstd.ZstdCompressor(level=1).compress(a) for a in obj.values()]
            rows.append(
                ("python-zstandard level 1, one thread: compress", "load", lambda: zstd_all(zstd, obj, None))
            )
            rows.append(
                ("python-zstandard, one thread: decompress", "load", lambda: zstd_all(zstd, None, frames))
            )
        size = os.path.getsize(p4)
        raw = sum(a.nbytes for a in obj.values())
        rows.append((f"segpack zstd-1 file: {size / 2**20:.1f} MiB for {raw / 2**20:.0f} MiB", "fixed", 0.0))
    return rows


def zstd_all(zstd: Any, arrays: Any, frames: Any) -> None:
    """Compresses every array (or decompresses every frame) on this thread."""
    if frames is None:
        c = zstd.ZstdCompressor(level=1)
        for a in arrays.values():
            c.compress(a)
    else:
        d = zstd.ZstdDecompressor()
        for f in frames:
            d.decompress(f)


def file_section(title: str, obj: Any, out: list[str], rounds: int, compressed: bool = False) -> None:
    """Times the rows of file_rows in ``rounds`` interleaved rounds, keeping each one's best."""
    files = Files()
    try:
        rows = file_rows(obj, files, rounds, compressed)
        best: dict[tuple[str, str], float] = {}
        for _ in range(rounds):
            for name, kind, fn in rows:
                if kind == "dump":
                    t = best_write(files, fn, 2)
                elif kind == "load":
                    t = best_of(fn, 3)
                else:
                    t = fn
                best[(name, kind)] = min(best.get((name, kind), float("inf")), t)
        out.append(f"\n{title}\n")
        out.append("| | operation | ms |")
        out.append("|---|---|---:|")
        for name, kind, _ in rows:
            t = best[(name, kind)]
            out.append(
                f"| {name} | {kind if kind != 'fixed' else ''} | {t:.2f} |" if t else f"| {name} | | |"
            )
            print(out[-1], flush=True)
    finally:
        files.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100k-row DataFrame instead of 1M")
    ap.add_argument("--only", default="bcdafz", help="sections to run (default bcdafz)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = ap.parse_args()
    rows: list[str] = []
    head = (
        f"python {platform.python_version()}, numpy {np.__version__}"
        + (f", pandas {pd.__version__}" if pd is not None else "")
        + (f", pyfory {version('pyfory')}" if pyfory is not None else "")
        + (f", joblib {joblib.__version__}" if joblib is not None else "")
        + (f", binpickle {version('binpickle')}" if binpickle is not None else "")
        + f", segpack {segpack.__version__}; {platform.machine()}"
    )
    print(head)
    rng = np.random.default_rng(1)
    arrays = {f"a{i}": rng.random(100) for i in range(10_000)}
    n = 100_000 if args.quick else 1_000_000
    rng = np.random.default_rng(2)
    df = (
        pd.DataFrame(
            {
                "f64": rng.random(n),
                "i64": rng.integers(0, 1 << 40, n),
                "f32": rng.random(n, dtype=np.float32),
                "str": [f"item-{i % 1000}" for i in range(n)],
            }
        )
        if pd is not None
        else None
    )
    if "b" in args.only:
        section("(b) 10k arrays of 100 float64 in a dict", arrays, rows, args.rounds)
    if "c" in args.only and df is not None:
        section(f"(c) DataFrame, {n:,} rows: float64, int64, float32, str", df, rows, args.rounds)
    if "d" in args.only:
        callback_cost(rows)
    if "a" in args.only:
        big = {f"w{i}": np.random.default_rng(10 + i).random(8 << 20) for i in range(4)}
        section("(a) 256 MiB in 4 float64 arrays: serialize / deserialize in memory", big, rows, 2)
        file_section("(a) object files: 256 MiB in 4 float64 arrays, uncompressed", big, rows, args.rounds)
        del big
    if "f" in args.only:
        file_section("(f/b) object files: 10k arrays of 100 float64 in a dict", arrays, rows, args.rounds)
        if df is not None:
            file_section(f"(f/c) object files: DataFrame, {n:,} rows", df, rows, args.rounds)
    if "z" in args.only:
        rng = np.random.default_rng(4)
        comp = {f"w{i}": rng.integers(0, 1000, 2 << 20).astype(np.float64) for i in range(4)}
        file_section(
            "(z) compressed object files: 64 MiB, 4 float64 arrays", comp, rows, args.rounds, compressed=True
        )
    print("\n" + head + "\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
