#!/usr/bin/env python3
"""Remote MapBuffer reads, segpack vs the mapbuffer package, over real servers on 127.0.0.1.

Sections (each on loopback and through a local proxy adding a delay before every
response, --delay-ms, 20 ms by default: a typical object store's time to first byte):

  (a) HTTP (nginx): open + 100 random keys of a 100k-key MapBuffer with values of
      0-4 KiB (~206 MB). The mapbuffer package reads through a slicing object over an
      fsspec file without cache (one range request per read, as cloud-volume does);
      segpack opens the same kind of fsspec file object, and the URL itself, then
      get_many. Also: reopening a URL already opened in the process.
  (b) HTTP (nginx): segpack.gather of 50 keys from each of 200 files (2k keys of
      0-1 KiB per file, ~1 MB) vs a mapbuffer loop over the same files.
  (c) S3 (moto's server): open + get_many of 100 random keys of a small object vs
      mapbuffer over an s3fs file (moto reads the whole object for every ranged GET,
      so the object stays small).
  (d) HTTP (nginx): an object file of 64 MiB in 4 float64 arrays, segpack.load(url)
      vs joblib.load and pickle.load (protocol 5, in-band) of the same object over an
      fsspec HTTP file (fsspec's default read-ahead cache); the peer columns hold them.
  (e) HTTP (nginx): open + get_many of 100 random keys of a 2M-key MapBuffer (values
      0-32 bytes; a 32 MB index) in partial-index mode (the default for an index over
      1 MiB) vs partial_index=False (the whole index read on open). The "peer" columns
      of these rows are the full-index mode.

Requests are counted from the servers' own logs (nginx's access log, the S3 server's
request log). Each repetition opens a different URL (symlinks / copies of the same
data), so segpack's per-process header and index cache never hides the cold cost,
except in the rows that measure it. Times are medians with the min-max spread.
This is a script, not a test: nothing is asserted about speed.

    .venv/bin/python bench/bench_remote.py                 # all sections (~3 minutes)
    .venv/bin/python bench/bench_remote.py --only a --reps 7
    .venv/bin/python bench/bench_remote.py --only d --reps 5
    .venv/bin/python bench/bench_remote.py --out /tmp/remote.md
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "python"))

import fsspec  # noqa: E402

import segpack  # noqa: E402
from servers import FaultProxy, NginxServer, S3Server, SliceReader  # noqa: E402

try:
    import mapbuffer
except ImportError:
    sys.exit("bench_remote.py needs the mapbuffer package (pip install mapbuffer)")

ROWS: list[tuple[str, ...]] = []


# ---- data ---------------------------------------------------------------------------------
def write_map(path: str, keys, max_value: int, seed: int) -> None:
    rng = random.Random(seed)
    with segpack.MapBufferWriter(path) as w:
        for k in keys:
            w.add(k, rng.randbytes(rng.randint(0, max_value)))


def serve_map(web, name: str, keys, max_value: int, seed: int, copies: int) -> tuple[int, float]:
    """Writes `name` under the server's root with `copies` symlinks to it (name-i.mb: one URL
    per cold open); returns (size in bytes, seconds to write)."""
    path = os.path.join(web.root, name)
    t0 = time.perf_counter()
    write_map(path, keys, max_value, seed=seed)
    stem = name.rsplit(".", 1)[0]
    for i in range(copies):
        os.symlink(name, os.path.join(web.root, f"{stem}-{i}.mb"))
    return os.path.getsize(path), time.perf_counter() - t0


def random_keys(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    keys: set[int] = set()
    while len(keys) < n:
        keys.add(rng.randrange(1, 2**48))  # < 2**63: the mapbuffer package can look them up
    return sorted(keys)


# ---- measuring -------------------------------------------------------------------------------
def fmt_ms(ts: list[float]) -> str:
    med = statistics.median(ts) * 1e3
    if len(ts) == 1:
        return f"{med:.0f} ms" if med >= 10 else f"{med:.1f} ms"
    lo, hi = min(ts) * 1e3, max(ts) * 1e3
    if med >= 10:
        return f"{med:.0f} ms ({lo:.0f}–{hi:.0f})"
    return f"{med:.1f} ms ({lo:.1f}–{hi:.1f})"


def measure(server, reps: int, fn):
    """Runs fn(rep) `reps` times; returns (times, requests of the last run, result)."""
    times, nreq, result = [], 0, None
    for rep in range(reps):
        server.mark()
        t0 = time.perf_counter()
        result = fn(rep)
        times.append(time.perf_counter() - t0)
        nreq = len(server.requests())
    return times, nreq, result


def row(section: str, what: str, seg, peer, note: str = "") -> None:
    """seg / peer: (times, requests) or None."""
    s_t, s_n = seg
    cells = [section, what, fmt_ms(s_t), str(s_n)]
    if peer is not None:
        p_t, p_n = peer
        ratio = statistics.median(p_t) / statistics.median(s_t)
        cells += [fmt_ms(p_t), str(p_n), f"{ratio:.1f}×", f"{p_n / max(s_n, 1):.0f}×"]
    else:
        cells += ["—", "—", "—", "—"]
    cells.append(note)
    ROWS.append(tuple(cells))
    print("| " + " | ".join(cells) + " |", flush=True)


def as_bytes_segpack(values) -> list[bytes]:
    return [values[i].tobytes() for i in range(len(values))]


def mapbuffer_over(fs, url: str, keys) -> list[bytes]:
    with fs.open(url, "rb", cache_type="none") as f:
        mb = mapbuffer.MapBuffer(SliceReader(f))
        return [bytes(mb[k]) for k in keys]


# ---- (a) one big file over HTTP -------------------------------------------------------------------
def section_a(web: NginxServer, bases: dict[str, str], reps: int, n_keys: int) -> None:
    name = "big.mb"
    keys = random_keys(n_keys, seed=1)
    size, secs = serve_map(web, name, keys, 4096, 2, len(bases) * 4 * reps)
    print(f"(a) {n_keys} keys, values 0–4 KiB: {size / 1e6:.0f} MB, written in {secs:.1f} s")
    http = fsspec.filesystem("http")
    url_no = iter(range(10**9))
    for where, base in bases.items():
        sec = f"(a) HTTP {where}"

        def pick(rep):
            return random.Random(100 + rep).sample(keys, 100)

        def peer(rep):
            return mapbuffer_over(http, f"{base}/{name}", pick(rep))

        def seg_file(rep):
            with http.open(f"{base}/big-{next(url_no)}.mb", "rb", cache_type="none") as f:
                with segpack.MapBuffer(f) as mb:
                    return as_bytes_segpack(mb.get_many(pick(rep)))

        def seg_url(rep):
            with segpack.MapBuffer(f"{base}/big-{next(url_no)}.mb") as mb:
                return as_bytes_segpack(mb.get_many(pick(rep)))

        p = measure(web, reps, peer)
        f = measure(web, reps, seg_file)
        u = measure(web, reps, seg_url)
        assert f[2] == p[2] and u[2] == p[2], "segpack and mapbuffer disagree"
        row(sec, "open + 100 random keys (fsspec file object; get_many vs mb[k] loop)", f[:2], p[:2])
        row(sec, "open + 100 random keys (segpack MapBuffer(url))", u[:2], p[:2])

        opened = measure(web, reps, lambda rep: segpack.MapBuffer(f"{base}/big-{next(url_no)}.mb").close())
        row(sec, "open alone (segpack MapBuffer(url))", opened[:2], None)

        def reopen(rep):
            url = f"{base}/big-{next(url_no)}.mb"
            segpack.MapBuffer(url).close()  # the first open fills the cache
            web.mark()
            t0 = time.perf_counter()
            segpack.MapBuffer(url).close()
            return time.perf_counter() - t0, len(web.requests())

        again = [reopen(rep) for rep in range(reps)]
        row(sec, "reopen of a URL already opened in the process", ([t for t, _ in again], again[-1][1]), None)


# ---- (e) a big index over HTTP: partial-index mode ---------------------------------------------
def section_e(web: NginxServer, bases: dict[str, str], reps: int, n_keys: int) -> None:
    name = "huge.mb"
    keys = random_keys(n_keys, seed=3)
    size, secs = serve_map(web, name, keys, 32, 4, len(bases) * 2 * reps)
    print(
        f"(e) {n_keys} keys, values 0–32 B: {size / 1e6:.0f} MB ({16 * n_keys / 1e6:.0f} MB index), {secs:.1f} s"
    )
    url_no = iter(range(10**9))
    for where, base in bases.items():
        sec = f"(e) HTTP {where}"

        def pick(rep):
            return random.Random(200 + rep).sample(keys, 100)

        def run(rep, partial):
            segpack.remote_cache_clear()
            with segpack.MapBuffer(f"{base}/huge-{next(url_no)}.mb", partial_index=partial) as mb:
                return as_bytes_segpack(mb.get_many(pick(rep)))

        part = measure(web, reps, lambda rep: run(rep, None))
        full = measure(web, reps, lambda rep: run(rep, False))
        assert part[2] == full[2], "partial and full index disagree"
        row(
            sec,
            f"open + 100 random keys of {n_keys // 1000}k (partial index vs whole index)",
            part[:2],
            full[:2],
        )


# ---- (b) many files over HTTP -----------------------------------------------------------------------
def section_b(web: NginxServer, bases: dict[str, str], reps: int, n_files: int, peer_files_slow: int) -> None:
    folder = os.path.join(web.root, "files")
    os.makedirs(folder)
    keys = random_keys(2000, seed=3)
    t0 = time.perf_counter()
    for i in range(n_files):
        write_map(os.path.join(folder, f"f{i:04d}.mb"), keys, 1024, seed=1000 + i)
    size = sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder))
    print(
        f"(b) {n_files} files of 2000 keys, values 0–1 KiB: {size / 1e6:.0f} MB, {time.perf_counter() - t0:.1f} s"
    )
    n_sets = len(bases) * reps
    for s in range(n_sets):  # one folder of URLs per cold gather
        os.symlink("files", os.path.join(web.root, f"set{s}"))
    sets = iter(range(n_sets))
    http = fsspec.filesystem("http")
    for where, base in bases.items():
        sec = f"(b) HTTP {where}"
        slow = where != "loopback"
        n_peer = min(n_files, peer_files_slow) if slow else n_files

        def pick(rep):
            return random.Random(200 + rep).sample(keys, 50)

        seg_urls = []
        for _ in range(reps):
            folder_url = f"{base}/set{next(sets)}"
            seg_urls.append([f"{folder_url}/f{i:04d}.mb" for i in range(n_files)])

        def seg(rep):
            found = segpack.gather(seg_urls[rep], pick(rep))
            return [[bytes(d[k]) for k in pick(rep)] for d in found]

        peer_reps = 1 if slow else reps

        def peer(rep):
            keys = pick(rep + reps - peer_reps)  # the last run's keys match segpack's last run
            return [mapbuffer_over(http, f"{base}/files/f{i:04d}.mb", keys) for i in range(n_peer)]

        s = measure(web, reps, seg)
        p = measure(web, peer_reps, peer)
        assert s[2][:n_peer] == p[2], "segpack.gather and the mapbuffer loop disagree"
        p_t, p_n = p[0], p[1]
        note = ""
        if n_peer < n_files:  # the peer's loop is sequential: scale it from a subset
            scale = n_files / n_peer
            p_t, p_n = [t * scale for t in p_t], round(p_n * scale)
            note = f"mapbuffer measured over {n_peer} files, scaled ×{scale:g}"
        row(sec, f"50 keys from each of {n_files} files (gather vs loop)", s[:2], (p_t, p_n), note)


# ---- (c) S3 ----------------------------------------------------------------------------------------
def section_c(s3: S3Server, endpoints: dict[str, str], reps: int, n_keys: int) -> None:
    bucket = s3.create_bucket()
    keys = random_keys(n_keys, seed=5)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.mb")
        write_map(path, keys, 2048, seed=6)
        with open(path, "rb") as f:
            blob = f.read()
    n_objects = len(endpoints) * (2 * reps + 1)
    s3.put_many(bucket, {f"s{i}.mb": blob for i in range(n_objects)})
    print(
        f"(c) {n_keys} keys, values 0–2 KiB: one {len(blob) / 1e6:.1f} MB object (x{n_objects} names) on S3 (moto)"
    )
    objs = iter(range(n_objects))
    for where, endpoint in endpoints.items():
        sec = f"(c) S3 {where}"
        opts = s3.storage_options(endpoint_url=endpoint)
        s3fs_fs = fsspec.filesystem("s3", **opts)

        def pick(rep):
            return random.Random(300 + rep).sample(keys, 100)

        def seg(rep):
            with segpack.MapBuffer(f"s3://{bucket}/s{next(objs)}.mb", storage_options=opts) as mb:
                return as_bytes_segpack(mb.get_many(pick(rep)))

        def peer(rep):
            return mapbuffer_over(s3fs_fs, f"s3://{bucket}/s0.mb", pick(rep))

        def seg_gap0(rep):  # no coalescing: one ranged GET per item, issued concurrently
            url = f"s3://{bucket}/s{next(objs)}.mb"
            with segpack.MapBuffer(url, storage_options=opts, coalesce_gap=0) as mb:
                return as_bytes_segpack(mb.get_many(pick(rep)))

        s = measure(s3, reps, seg)
        s0 = measure(s3, reps, seg_gap0)
        p = measure(s3, reps, peer)
        assert s[2] == p[2] and s0[2] == p[2], "segpack and mapbuffer disagree over S3"
        row(sec, "open + get_many of 100 random keys vs mapbuffer over an s3fs file", s[:2], p[:2])
        row(sec, "the same with coalesce_gap=0 (a GET per item, concurrent)", s0[:2], p[:2])
        opened = measure(
            s3,
            1,
            lambda rep: segpack.MapBuffer(f"s3://{bucket}/s{next(objs)}.mb", storage_options=opts).close(),
        )
        row(sec, "open (segpack MapBuffer(s3 url)): requests", opened[:2], None)


# ---- (d) an object file over HTTP ------------------------------------------------------------------
def section_d(web: NginxServer, bases: dict[str, str], reps: int, mib: int) -> None:
    import pickle

    import joblib
    import numpy as np

    rng = np.random.default_rng(7)
    obj = {f"a{i}": rng.standard_normal(mib * (1 << 20) // 32) for i in range(4)}
    n_urls = 2 * len(bases) * reps + 1
    segpack.dump(obj, os.path.join(web.root, "obj.spk"))
    joblib.dump(obj, os.path.join(web.root, "obj.joblib"))
    with open(os.path.join(web.root, "obj.pkl"), "wb") as f:
        pickle.dump(obj, f, protocol=5)
    for i in range(n_urls):  # one URL per cold open (segpack's metadata cache)
        os.symlink("obj.spk", os.path.join(web.root, f"obj-{i}.spk"))
    print(f"(d) {mib} MiB in 4 float64 arrays: segpack / joblib / pickle files on nginx")
    http = fsspec.filesystem("http")
    urls = iter(range(n_urls))

    def same(a, b):
        return all(np.array_equal(a[k], b[k]) for k in obj)

    for where, base in bases.items():
        sec = f"(d) HTTP {where}"
        s = measure(web, reps, lambda rep: segpack.load(f"{base}/obj-{next(urls)}.spk"))

        def joblib_load(rep):
            with http.open(f"{base}/obj.joblib", "rb") as f:
                return joblib.load(f)

        def pickle_load(rep):
            with http.open(f"{base}/obj.pkl", "rb") as f:
                return pickle.load(f)

        j = measure(web, reps, joblib_load)
        p = measure(web, reps, pickle_load)
        assert same(s[2], obj) and same(j[2], obj) and same(p[2], obj)
        row(
            sec,
            f"load of {mib} MiB in 4 arrays: segpack.load(url) vs joblib.load(fsspec file)",
            s[:2],
            j[:2],
            "peer: joblib",
        )
        row(sec, "the same vs pickle.load(fsspec file)", s[:2], p[:2], "peer: pickle")
        w = measure(web, reps, lambda rep: segpack.load(f"{base}/obj-{next(urls)}.spk", writable=True))
        assert same(w[2], obj)
        row(
            sec,
            "segpack.load(url, writable=True) (copied, crc in the copy pass) vs joblib",
            w[:2],
            j[:2],
            "peer: joblib",
        )


# ---- report --------------------------------------------------------------------------------------
def machine() -> str:
    def v(name):
        with contextlib.suppress(PackageNotFoundError):
            return version(name)
        return "?"

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, load {load}, Python {platform.python_version()}; "
        f"segpack {segpack.__version__}, mapbuffer {v('mapbuffer')}, fsspec {v('fsspec')}, "
        f"s3fs {v('s3fs')}, aiohttp {v('aiohttp')}, moto {v('moto')}"
    )


HEADER = (
    "| section | benchmark | segpack | requests | mapbuffer | requests | time ratio | request ratio | note |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---|"
)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default="abcde", help="sections to run (a, b, c, d, e)")
    p.add_argument("--reps", type=int, default=5, help="repetitions per measurement (median and spread)")
    p.add_argument("--delay-ms", type=float, default=20.0, help="delay the proxy adds before each response")
    p.add_argument("--keys", type=int, default=100_000, help="(a) keys in the big file")
    p.add_argument("--files", type=int, default=200, help="(b) number of files")
    p.add_argument(
        "--peer-files",
        type=int,
        default=20,
        help="(b) files the mapbuffer loop reads through the proxy (scaled up)",
    )
    p.add_argument("--huge-keys", type=int, default=2_000_000, help="(e) keys in the partial-index file")
    p.add_argument("--s3-keys", type=int, default=2000, help="(c) keys in the S3 object")
    p.add_argument("--mib", type=int, default=64, help="(d) MiB of the object file")
    p.add_argument("--tmp", default=None, help="folder for the served files (default: a temporary one)")
    p.add_argument("--out", help="also write the markdown table to this file")
    a = p.parse_args(argv)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

    print(machine())
    print(HEADER, flush=True)
    root = tempfile.mkdtemp(prefix="segpack-bench-remote-", dir=a.tmp)
    try:
        with contextlib.ExitStack() as stack:
            if "a" in a.only or "b" in a.only or "d" in a.only:
                web = stack.enter_context(NginxServer(root))
                slow = stack.enter_context(FaultProxy(web.url, delay_ms=a.delay_ms))
                bases = {"loopback": web.url, f"+{a.delay_ms:g} ms proxy": slow.url}
                if "a" in a.only:
                    section_a(web, bases, a.reps, a.keys)
                if "b" in a.only:
                    section_b(web, bases, max(1, a.reps // 2), a.files, a.peer_files)
                if "d" in a.only:
                    section_d(web, bases, a.reps, a.mib)
                if "e" in a.only:
                    section_e(web, bases, a.reps, a.huge_keys)
            if "c" in a.only:
                s3 = stack.enter_context(S3Server())
                slow3 = stack.enter_context(FaultProxy(s3.url, delay_ms=a.delay_ms))
                section_c(s3, {"loopback": s3.url, f"+{a.delay_ms:g} ms proxy": slow3.url}, a.reps, a.s3_keys)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if a.out:
        with open(a.out, "w") as f:
            f.write(machine() + "\n\n" + HEADER + "\n")
            f.writelines("| " + " | ".join(r) + " |\n" for r in ROWS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
