#!/usr/bin/env python3
"""Connectomics fragment fusion on local files: segpack MapBuffer vs pickle.

The workflow MapBuffer was made for (igneous / kimimaro skeletonization):

  Stage 1  A 3D grid of tasks; each writes one file of skeleton fragments
           {segid: fragment_bytes} for the labels it saw. Labels that cross
           cell boundaries appear in several neighbouring files. Every file is
           written as a segpack MapBuffer with compress="br" (as igneous does),
           and again with zstd and uncompressed for comparison (--codecs), and
           as a pickled dict (what igneous did before MapBuffer).
  Stage 2  A merge task wants a few hundred labels. It visits every file and
           picks out only those labels: segpack memory-maps each file and looks
           the labels up; pickle must load each whole dict first. The mapbuffer
           package, when installed, reads the same br files as a third way.

           segpack does it three ways: a per-key loop over each file, one
           get_many per file, and one segpack.gather call over all files.

All gathers must yield identical fragments, which are then fused (vertices
concatenated, edges re-numbered) and compared label by label.

  --remote  Stage 2 again over the network, as the at-scale workload reads
           the files: the same br files served by nginx over HTTP and by
           moto's S3 server, both on 127.0.0.1 (started and stopped by the demo,
           tests/python/servers.py), read with segpack.gather and with the
           mapbuffer package (one range request per read, as cloud-volume
           does), with the requests counted from each server's own log.
           --delay-ms 20 puts a proxy adding 20 ms before every response (an
           object store's time to first byte) in front of both.

    python demo/fragment_fusion.py                   # 4x4x4 grid, 200 labels
    python demo/fragment_fusion.py --grid 6 --labels 500 --out /tmp/frags
    python demo/fragment_fusion.py --remote --delay-ms 20

Only segpack's public API is used. The mb-* and pickle folders under --out are
replaced on every run.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import struct
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import segpack

try:  # optional peer, reads the same .mb files
    import mapbuffer
except ImportError:  # pragma: no cover - the demo works without it
    mapbuffer = None

FRAG_HEADER = struct.Struct("<II")  # vertex count, edge count


# ---- synthetic data ---------------------------------------------------------
def make_labels(grid: int, spanning: int, local_per_cell: int, seed: int):
    """Returns {cell: sorted list of segids present in that cell}.

    `spanning` labels are neurites whose bounding box covers 1..3 cells per axis
    (so they cross into neighbouring cells); each cell also holds
    `local_per_cell` small labels of its own. Segids are large and sparse, as
    in a real segmentation (< 2**48, so the mapbuffer package can read them)."""
    rng = np.random.default_rng(seed)
    n_local = local_per_cell * grid**3
    segids = rng.choice(2**48 - 1, size=spanning + n_local, replace=False).astype(np.uint64) + 1
    cells: dict[tuple[int, int, int], list[int]] = {
        (x, y, z): [] for x in range(grid) for y in range(grid) for z in range(grid)
    }
    span_ids = segids[:spanning]
    lo = rng.integers(0, grid, size=(spanning, 3))
    ext = rng.integers(1, 4, size=(spanning, 3))
    hi = np.minimum(lo + ext, grid)
    for sid, a, b in zip(span_ids.tolist(), lo.tolist(), hi.tolist()):
        for x in range(a[0], b[0]):
            for y in range(a[1], b[1]):
                for z in range(a[2], b[2]):
                    cells[(x, y, z)].append(sid)
    local_ids = segids[spanning:].tolist()
    for i, cell in enumerate(sorted(cells)):
        cells[cell].extend(local_ids[i * local_per_cell : (i + 1) * local_per_cell])
    return {cell: sorted(ids) for cell, ids in cells.items()}, span_ids.tolist()


def make_fragments(segids, cell: tuple[int, int, int], cell_size: float, seed: int) -> dict[int, bytes]:
    """The fragments of one cell: for each segid a random-walk path of float32
    vertices inside the cell plus its uint32 edge list, serialized as
    header | vertices | edges (a few hundred bytes to ~3 KB). Generated in one
    batch per cell, deterministic in (seed, cell, segids)."""
    rng = np.random.default_rng([seed, *cell])
    counts = rng.integers(10, 150, size=len(segids))
    starts = np.concatenate([[0], np.cumsum(counts)])
    steps = rng.normal(0.0, 8.0, size=(int(starts[-1]), 3)).astype(np.float32)
    origins = np.asarray(cell, dtype=np.float32) * cell_size + rng.uniform(0, cell_size, (len(segids), 3))
    idx = np.arange(int(counts.max()) - 1, dtype=np.uint32)
    all_edges = np.stack([idx, idx + 1], axis=1)
    out = {}
    for i, sid in enumerate(segids):
        n = int(counts[i])
        verts = (origins[i] + np.cumsum(steps[starts[i] : starts[i + 1]], axis=0)).round(1).astype(np.float32)
        out[sid] = FRAG_HEADER.pack(n, n - 1) + verts.tobytes() + all_edges[: n - 1].tobytes()
    return out


def decode_fragment(buf) -> tuple[np.ndarray, np.ndarray]:
    nv, ne = FRAG_HEADER.unpack_from(buf, 0)
    off = FRAG_HEADER.size
    verts = np.frombuffer(buf, dtype=np.float32, count=3 * nv, offset=off).reshape(nv, 3)
    edges = np.frombuffer(buf, dtype=np.uint32, count=2 * ne, offset=off + 12 * nv).reshape(ne, 2)
    return verts, edges


def fuse(fragments: list[bytes]) -> bytes:
    """Fuses a label's fragments into one skeleton (vertices concatenated,
    edges re-numbered), returned serialized so results compare as bytes."""
    all_v, all_e, base = [], [], 0
    for buf in fragments:
        v, e = decode_fragment(buf)
        all_v.append(v)
        all_e.append(e + np.uint32(base))
        base += len(v)
    verts = np.concatenate(all_v)
    edges = np.concatenate(all_e)
    return FRAG_HEADER.pack(len(verts), len(edges)) + verts.tobytes() + edges.tobytes()


# ---- stage 1: one task per grid cell -----------------------------------------
def cell_name(cell) -> str:
    return "{}_{}_{}".format(*cell)


def mb_dir(codec: str) -> str:
    return f"mb-{codec}"


def stage1_task(args) -> tuple[int, dict[str, int], int]:
    cell, segids, out, cell_size, seed, codecs = args
    frags = make_fragments(segids, cell, cell_size, seed)
    sizes = {}
    for codec in codecs:
        path = os.path.join(out, mb_dir(codec), cell_name(cell) + ".frags")
        # Streaming writer: values are compressed as they are added and the
        # file appears atomically at commit() (what segpack.write_mapbuffer
        # does, spelled out with add / commit / abort).
        w = segpack.MapBufferWriter(path, None if codec == "none" else codec)
        try:
            for sid, frag in frags.items():
                w.add(sid, frag)
            w.commit()
        except BaseException:
            w.abort()
            raise
        sizes[codec] = os.path.getsize(path)
    pk_path = os.path.join(out, "pickle", cell_name(cell) + ".pkl")
    with open(pk_path, "wb") as f:
        pickle.dump(frags, f, protocol=pickle.HIGHEST_PROTOCOL)
    return len(frags), sizes, os.path.getsize(pk_path)


# ---- stage 2: gather the wanted labels from every file ------------------------
def gather_segpack(paths, wanted):
    out: dict[int, list[bytes]] = {k: [] for k in wanted}
    for path in paths:
        mb = segpack.MapBuffer(path)  # memory-mapped; reads header + touched pages only
        try:
            for label in wanted:
                frag = mb.get(label)
                if frag is not None:
                    out[label].append(frag)
        finally:
            mb.close()
    return out


def gather_segpack_get_many(paths, wanted):
    out: dict[int, list[bytes]] = {k: [] for k in wanted}
    keys = np.asarray(wanted, dtype=np.uint64)
    for path in paths:
        with segpack.MapBuffer(path) as mb:
            # one call per file; a fragment is never empty, so b"" marks a missing label
            values = mb.get_many(keys, default=b"")
            for label, frag in zip(wanted, values):
                if len(frag):
                    out[label].append(frag.tobytes())
    return out


def gather_segpack_gather(sources, wanted, storage_options=None):
    """One segpack.gather call over all files (paths or URLs): result i holds the
    labels file i contains."""
    out: dict[int, list[bytes]] = {k: [] for k in wanted}
    for found in segpack.gather(sources, wanted, storage_options=storage_options):
        for label in wanted:
            frag = found.get(label)
            if frag is not None:
                out[label].append(bytes(frag))
    return out


def gather_mapbuffer(paths, wanted):
    out: dict[int, list[bytes]] = {k: [] for k in wanted}
    for path in paths:
        with open(path, "rb") as f:
            mb = mapbuffer.MapBuffer(f)  # memory-mapped by the package
            for label in wanted:
                frag = mb.get(label)
                if frag is not None:
                    out[label].append(bytes(frag))
    return out


def gather_pickle(paths, wanted):
    out: dict[int, list[bytes]] = {k: [] for k in wanted}
    for path in paths:
        with open(path, "rb") as f:
            frags = pickle.load(f)  # the whole dict, for a handful of labels
        for label in wanted:
            frag = frags.get(label)
            if frag is not None:
                out[label].append(frag)
    return out


def gather_mapbuffer_remote(fs, urls, wanted):
    """The mapbuffer package over fsspec files, as cloud-volume reads remote files:
    a slicing object, one range request per read (header, index, each item)."""
    from servers import SliceReader

    out: dict[int, list[bytes]] = {k: [] for k in wanted}
    for url in urls:
        with fs.open(url, "rb", cache_type="none") as f:
            mb = mapbuffer.MapBuffer(SliceReader(f))
            for label in wanted:
                frag = mb.get(label)
                if frag is not None:
                    out[label].append(bytes(frag))
    return out


def timed(fn, repeat, *args):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="./demo-out", help="output folder (created, contents overwritten)")
    p.add_argument("--grid", type=int, default=4, help="cells per axis (grid**3 files per format)")
    p.add_argument("--spanning", type=int, default=2500, help="labels that cross cell boundaries")
    p.add_argument("--local", type=int, default=500, help="cell-local labels per cell")
    p.add_argument("--labels", type=int, default=200, help="labels gathered in stage 2")
    p.add_argument("--cell-size", type=float, default=512.0, help="cell edge length (nm)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="stage-1 processes")
    p.add_argument("--repeat", type=int, default=3, help="stage-2 runs per method (best is reported)")
    p.add_argument(
        "--codecs",
        default="br,zstd,none",
        help="MapBuffer codecs to write, comma-separated; the first is the headline "
        "(br, as igneous writes .frags)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--remote", action="store_true", help="stage 2 again over HTTP (nginx) and S3 (moto) on 127.0.0.1"
    )
    p.add_argument("--delay-ms", type=float, default=0.0, help="--remote: ms added before every response")
    a = p.parse_args(argv)
    if a.labels > a.spanning:
        p.error("--labels cannot exceed --spanning")

    codecs = [c.strip() for c in a.codecs.split(",") if c.strip()]
    if not codecs:
        p.error("--codecs needs at least one codec")
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    for sub in os.listdir(out):  # the folders a previous run may have left
        if sub == "pickle" or sub.startswith("mb-"):
            shutil.rmtree(os.path.join(out, sub))
    for sub in ["pickle"] + [mb_dir(c) for c in codecs]:
        os.makedirs(os.path.join(out, sub))

    peer = "mapbuffer not installed"
    if mapbuffer is not None:
        from importlib.metadata import version

        peer = f"mapbuffer {version('mapbuffer')}"
    print(f"segpack {segpack.__version__} (crc32c: {segpack.crc32c_backend()}), {peer}")

    # Stage 1
    t0 = time.perf_counter()
    cells, spanning = make_labels(a.grid, a.spanning, a.local, a.seed)
    tasks = [(cell, ids, out, a.cell_size, a.seed, codecs) for cell, ids in sorted(cells.items())]
    if a.workers > 1:
        with ProcessPoolExecutor(a.workers) as ex:
            stats = list(ex.map(stage1_task, tasks, chunksize=4))
    else:
        stats = [stage1_task(t) for t in tasks]
    t_stage1 = time.perf_counter() - t0
    n_frags = sum(s[0] for s in stats)
    mb_bytes = {c: sum(s[1][c] for s in stats) for c in codecs}
    pk_bytes = sum(s[2] for s in stats)
    print(
        f"stage 1: {len(tasks)} tasks ({a.grid}x{a.grid}x{a.grid}), {n_frags} fragments, "
        f"{t_stage1:.1f} s with {a.workers} worker(s)"
    )

    # Stage 2
    rng = np.random.default_rng(a.seed + 1)
    wanted = sorted(rng.choice(np.asarray(spanning, dtype=np.uint64), a.labels, replace=False).tolist())
    names = [cell_name(c) for c, *_ in tasks]
    mb_paths = {c: [os.path.join(out, mb_dir(c), n + ".frags") for n in names] for c in codecs}
    pk_paths = [os.path.join(out, "pickle", n + ".pkl") for n in names]
    head = codecs[0]

    # rows: (method, seconds, files, bytes on disk, gathered fragments)
    rows = []
    for codec in codecs:
        t, g = timed(gather_segpack, a.repeat, mb_paths[codec], wanted)
        rows.append((f"segpack MapBuffer ({codec}, mmap), per-key loop", t, len(names), mb_bytes[codec], g))
    t, g = timed(gather_segpack_get_many, a.repeat, mb_paths[head], wanted)
    rows.append((f"segpack get_many per file ({head})", t, len(names), mb_bytes[head], g))
    t, g = timed(gather_segpack_gather, a.repeat, mb_paths[head], wanted)
    rows.append((f"segpack.gather, one call ({head})", t, len(names), mb_bytes[head], g))
    t_pk, g_pk = timed(gather_pickle, a.repeat, pk_paths, wanted)
    rows.append(("pickle.load + pick", t_pk, len(names), pk_bytes, g_pk))
    if mapbuffer is not None:
        t, g = timed(gather_mapbuffer, a.repeat, mb_paths[head], wanted)
        rows.append((f"mapbuffer package ({head}, mmap)", t, len(names), mb_bytes[head], g))
    t_sp, g_sp = rows[0][1], rows[0][4]

    # Verify: same fragments, in the same (file) order, then the same fused skeletons.
    ok = all(r[4] == g_pk for r in rows)
    found = sum(len(v) for v in g_sp.values())
    fused_sp = {k: fuse(v) for k, v in g_sp.items()}
    fused_pk = {k: fuse(v) for k, v in g_pk.items()}
    ok = ok and fused_sp == fused_pk and all(v for v in g_sp.values())
    if not ok:
        print("ERROR: the gathers differ", file=sys.stderr)
        return 1
    fused_bytes = sum(len(v) for v in fused_sp.values())
    print(
        f"stage 2: {len(wanted)} labels from {len(names)} files -> {found} fragments, "
        f"fused into {len(fused_sp)} skeletons ({fused_bytes / 1e6:.1f} MB); "
        f"all methods agree: yes"
    )
    print(f"         best of {a.repeat} runs, files warm in the page cache\n")

    print("| stage 2 gather | time | vs segpack | files | bytes on disk |")
    print("|---|---:|---:|---:|---:|")
    for name, t, nfiles, nbytes, _ in rows:
        print(f"| {name} | {t * 1e3:.1f} ms | {t / t_sp:.2f}x | {nfiles} | {nbytes / 1e6:.1f} MB |")
    print(
        f"\npickle takes {t_pk / t_sp:.1f}x as long as segpack ({head}) to gather {len(wanted)} labels "
        f"({found / n_frags:.1%} of the fragments). Output in {out}"
    )
    if a.remote:
        return remote_stage2(out, mb_dir(head), names, wanted, g_pk, a.delay_ms)
    return 0


# ---- stage 2 over the network (--remote) ----------------------------------------------------------
def remote_stage2(out: str, folder: str, names, wanted, expected, delay_ms: float) -> int:
    """Serves out/folder/*.frags from nginx and from moto's S3 server (127.0.0.1) and gathers
    `wanted` over them with segpack.gather and with the mapbuffer package; prints time and the
    requests each server logged. Returns 1 if any gather differs from `expected`."""
    import contextlib

    import fsspec

    tests_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "python")
    sys.path.insert(0, tests_dir)
    from servers import FaultProxy, NginxServer, S3Server

    files = [f"{folder}/{n}.frags" for n in names]
    with contextlib.ExitStack() as stack:
        t0 = time.perf_counter()
        web = stack.enter_context(NginxServer(out))
        s3 = stack.enter_context(S3Server())
        bucket = s3.create_bucket()
        blobs = {}
        for name in files:
            with open(os.path.join(out, name), "rb") as f:
                blobs[name] = f.read()
        s3.put_many(bucket, blobs)
        http_base, s3_endpoint = web.url, s3.url
        if delay_ms:
            http_base = stack.enter_context(FaultProxy(web.url, delay_ms=delay_ms)).url
            s3_endpoint = stack.enter_context(FaultProxy(s3.url, delay_ms=delay_ms)).url
        print(
            f"\nremote: nginx at {web.url}, moto S3 at {s3.url}"
            + (f", each behind a proxy adding {delay_ms:g} ms per response" if delay_ms else "")
            + f" (up and {len(files)} files uploaded in {time.perf_counter() - t0:.1f} s)"
        )
        http_urls = [f"{http_base}/{name}" for name in files]
        s3_urls = [f"s3://{bucket}/{name}" for name in files]
        s3_opts = s3.storage_options(endpoint_url=s3_endpoint)
        http_fs = fsspec.filesystem("http")
        s3_fs = fsspec.filesystem("s3", **s3_opts)

        rows = []  # (method, where, seconds, requests, result)

        def run(name, where, server, fn, *args):
            server.mark()
            t0 = time.perf_counter()
            g = fn(*args)
            t = time.perf_counter() - t0
            rows.append((name, where, t, len(server.requests()), g))

        run("segpack.gather", "HTTP", web, gather_segpack_gather, http_urls, wanted)
        run(
            "segpack.gather, again (headers, indexes cached)",
            "HTTP",
            web,
            gather_segpack_gather,
            http_urls,
            wanted,
        )
        if mapbuffer is not None:
            run(
                "mapbuffer package, fsspec file",
                "HTTP",
                web,
                gather_mapbuffer_remote,
                http_fs,
                http_urls,
                wanted,
            )
        run("segpack.gather", "S3", s3, gather_segpack_gather, s3_urls, wanted, s3_opts)
        if mapbuffer is not None:
            run("mapbuffer package, fsspec file", "S3", s3, gather_mapbuffer_remote, s3_fs, s3_urls, wanted)

    bad = [f"{r[0]} ({r[1]})" for r in rows if r[4] != expected]
    if bad:
        print(f"ERROR: these remote gathers differ from the local ones: {', '.join(bad)}", file=sys.stderr)
        return 1
    print(
        f"stage 2 over the network: {len(wanted)} labels from {len(files)} files; all agree with the local gathers\n"
    )
    print("| remote gather | where | time | requests | vs segpack.gather |")
    print("|---|---|---:|---:|---:|")
    first = {}
    for name, where, t, n, _ in rows:
        first.setdefault(where, t)
        print(f"| {name} | {where} | {t * 1e3:.0f} ms | {n} | {t / first[where]:.1f}x |")
    print("\nrequests: as nginx's access log and the S3 server's request log recorded them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
