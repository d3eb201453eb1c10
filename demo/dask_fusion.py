#!/usr/bin/env python3
"""Fragment fusion on a Dask cluster, reading MapBuffer files from S3.

The at-scale form of demo/fragment_fusion.py's stage 2: the fragment files of a
3D grid of tasks are on object storage (here moto's S3 server on 127.0.0.1),
and merge tasks on a distributed cluster each take a batch of labels, fetch
those labels' fragments out of every file with segpack.gather (headers and
indexes of all files concurrently, then the items), fuse them, write the fused
skeletons back to S3 as one MapBuffer per task and return only a digest.

The tasks are handed open segpack.MapBuffer handles: a remote map pickles as
its URL + options and reopens lazily on the worker, so the scheduler carries
a few hundred bytes per file, never the file. `check_no_file_bytes` measures
that on the scheduler itself (the pickled size of every task it holds and of
every result reported to it) and `python demo/dask_fusion.py` prints it.

    python demo/dask_fusion.py                   # 6x6x6 grid = 216 files, 2 workers
    python demo/dask_fusion.py --grid 8 --labels 400 --workers 2

tests/python/test_dask_fusion.py runs the same functions and checks the fused
skeletons against a local computation.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
for _p in (HERE, os.path.join(os.path.dirname(HERE), "tests", "python")):
    if _p not in sys.path:  # fragment_fusion (the data and fuse) and servers (moto on loopback)
        sys.path.insert(0, _p)

import numpy as np  # noqa: E402
from fragment_fusion import cell_name, fuse, make_fragments, make_labels  # noqa: E402

import segpack  # noqa: E402


# ---- stage 1: the fragment files on S3 -----------------------------------------------------
def write_fragment_files(s3, bucket: str, grid: int, spanning: int, local: int, seed: int, codec="br"):
    """Builds one MapBuffer of fragments per grid cell and stores it in `bucket`.

    Returns (urls, fragments, spanning_ids, file_bytes): the s3:// URLs in cell order,
    for each file the {segid: fragment} dict it holds, the labels that cross cells,
    and the files' serialized bytes (for the checks)."""
    cells, span_ids = make_labels(grid, spanning, local, seed)
    names, frags, blobs = [], [], {}
    for cell, ids in sorted(cells.items()):
        d = make_fragments(ids, cell, 512.0, seed)
        name = f"frags/{cell_name(cell)}.frags"
        blobs[name] = bytes(segpack.MapBuffer(d, compress=codec).tobytes())
        names.append(name)
        frags.append(d)
    urls = s3.put_many(bucket, blobs)
    return urls, frags, span_ids, [blobs[n] for n in names]


# ---- stage 2: one merge task per batch of labels ----------------------------------------------
def digest(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


def fuse_task(maps, labels, out_url: str, storage_options: dict) -> dict[int, tuple[int, str]]:
    """Runs on a worker: gathers `labels` from every map, fuses each label's fragments
    (in file order), writes {label: fused} as one MapBuffer to out_url and returns
    {label: (size, sha256)} of the fused skeletons (a few bytes per label)."""
    import fsspec

    found = segpack.gather(maps, labels, storage_options=storage_options)
    fused = {}
    for label in labels:
        parts = [bytes(d[label]) for d in found if label in d]
        if parts:
            fused[label] = fuse(parts)
    with fsspec.open(out_url, "wb", **storage_options) as f:
        f.write(bytes(segpack.MapBuffer(fused, compress="zstd").tobytes()))
    return {label: digest(v) for label, v in fused.items()}


def fuse_locally(frags: list[dict[int, bytes]], labels) -> dict[int, bytes]:
    """The reference: the same fusion from the in-memory fragment dicts, no segpack."""
    out = {}
    for label in labels:
        parts = [d[label] for d in frags if label in d]
        if parts:
            out[label] = fuse(parts)
    return out


def batches(labels, size: int):
    return [labels[i : i + size] for i in range(0, len(labels), size)]


def run_on_cluster(client, maps, labels, out_prefix: str, storage_options: dict, batch: int):
    """Submits one fuse_task per batch of labels; returns ({label: digest}, [output URLs], futures)."""
    futures, outs = [], []
    for i, chunk in enumerate(batches(labels, batch)):
        out = f"{out_prefix}/fused-{i:04d}.mb"
        outs.append(out)
        futures.append(client.submit(fuse_task, maps, chunk, out, storage_options, pure=False))
    digests = {}
    for part in client.gather(futures):
        digests.update(part)
    return digests, outs, futures


# ---- what the scheduler carried ----------------------------------------------------------------
def _scheduler_sizes(dask_scheduler=None, keys=()):
    """Runs on the scheduler: for each key, the pickled size of the task as the scheduler
    holds it (function + arguments, as received from the client), the pickled task itself
    (for a content check), and the result size the worker reported."""
    from distributed.protocol.pickle import dumps

    out = {}
    for key in keys:
        ts = dask_scheduler.tasks.get(key)
        if ts is None:
            continue
        blob = dumps(ts.run_spec)
        out[key] = (len(blob), ts.nbytes, blob)
    return out


def scheduler_report(client, futures) -> dict:
    """{key: (pickled task bytes, reported result bytes, pickled task)} for the futures'
    tasks, measured on the scheduler."""
    keys = [f.key for f in futures]
    return client.run_on_scheduler(_scheduler_sizes, keys=keys)


def check_no_file_bytes(report: dict, file_blobs: list[bytes], n_maps: int, per_map: int = 1024) -> dict:
    """Raises AssertionError when the scheduler carried file bytes.

    - every task the scheduler holds pickles to at most n_maps * per_map + 64 KiB
      (the map handles as URL + options, plus the labels and the function);
    - all tasks together hold less than 5% of the files' bytes (shipping the maps'
      data would hold at least 100%);
    - no task holds a file's index bytes (16 bytes per key, unique to each file);
    - every result the workers reported is at most 64 KiB (digests, not data).
    Returns the totals."""
    total_files = sum(len(b) for b in file_blobs)
    task_bytes = [v[0] for v in report.values()]
    result_bytes = [v[1] for v in report.values()]
    assert task_bytes, "the scheduler holds none of the tasks"
    limit = n_maps * per_map + 65536
    assert max(task_bytes) <= limit, f"a task of {max(task_bytes)} bytes on the scheduler (limit {limit})"
    assert sum(task_bytes) < 0.05 * total_files, f"{sum(task_bytes)} task bytes for {total_files} file bytes"
    for blob in file_blobs[:: max(1, len(file_blobs) // 25)]:
        n = int.from_bytes(blob[12:16], "little")
        index = blob[16 : 16 + min(16 * n, 256)]
        for _, _, task in report.values():
            assert index not in task, "a file's index went through the scheduler"
    assert max(result_bytes) <= 65536, f"a result of {max(result_bytes)} bytes went to the scheduler"
    return {
        "tasks": len(task_bytes),
        "task_bytes": sum(task_bytes),
        "max_task_bytes": max(task_bytes),
        "result_bytes": sum(result_bytes),
        "file_bytes": total_files,
    }


def start_cluster(n_workers: int = 2):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
    )
    return cluster, Client(cluster)


def open_maps(urls, storage_options):
    """Remote map handles (they pickle as URL + options)."""
    return [segpack.MapBuffer(u, storage_options=storage_options) for u in urls]


def main(argv=None) -> int:
    from servers import S3Server

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--grid", type=int, default=6, help="cells per axis (grid**3 files)")
    p.add_argument("--spanning", type=int, default=400, help="labels that cross cell boundaries")
    p.add_argument("--local", type=int, default=20, help="cell-local labels per cell")
    p.add_argument("--labels", type=int, default=96, help="labels fused")
    p.add_argument("--batch", type=int, default=12, help="labels per merge task")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

    with S3Server() as s3:
        bucket = s3.create_bucket()
        t0 = time.perf_counter()
        urls, frags, span_ids, blobs = write_fragment_files(s3, bucket, a.grid, a.spanning, a.local, a.seed)
        print(
            f"stage 1: {len(urls)} MapBuffer files ({sum(map(len, blobs)) / 1e6:.1f} MB) on S3 "
            f"(moto, {s3.url}) in {time.perf_counter() - t0:.1f} s"
        )
        rng = np.random.default_rng(a.seed + 1)
        labels = sorted(rng.choice(np.asarray(span_ids, dtype=np.uint64), a.labels, replace=False).tolist())
        opts = s3.storage_options()
        maps = open_maps(urls, opts)
        print(f"         one map handle pickles to {len(pickle.dumps(maps[0]))} bytes")

        t0 = time.perf_counter()
        cluster, client = start_cluster(a.workers)
        try:
            print(f"cluster: {a.workers} worker processes up in {time.perf_counter() - t0:.1f} s")
            s3.mark()
            t0 = time.perf_counter()
            digests, outs, futures = run_on_cluster(
                client, maps, labels, f"s3://{bucket}/fused", opts, a.batch
            )
            t_run = time.perf_counter() - t0
            gets = sum(r.method == "GET" for r in s3.requests())
            totals = check_no_file_bytes(scheduler_report(client, futures), blobs, len(maps))
        finally:
            client.close()
            cluster.close()

        local = fuse_locally(frags, labels)
        ok = digests == {k: digest(v) for k, v in local.items()}
        fused = {}
        for u in outs:
            fused.update({int(k): bytes(v) for k, v in segpack.MapBuffer(u, storage_options=opts).items()})
        ok = ok and fused == local
    print(
        f"stage 2: {len(labels)} labels from {len(urls)} files in {len(futures)} tasks: {t_run:.2f} s, "
        f"{gets} GET requests to S3; fused skeletons equal the local computation: {'yes' if ok else 'NO'}"
    )
    print(
        f"scheduler: {totals['tasks']} tasks holding {totals['task_bytes'] / 1e3:.1f} kB "
        f"(largest {totals['max_task_bytes'] / 1e3:.1f} kB), results {totals['result_bytes'] / 1e3:.1f} kB, "
        f"for {totals['file_bytes'] / 1e6:.1f} MB of files: no file bytes through the scheduler"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
