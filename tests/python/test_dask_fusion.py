"""The fragment-fusion workflow on a distributed.LocalCluster (2 worker processes)
against moto's S3 server on 127.0.0.1 holding a few hundred MapBuffer files
(demo/dask_fusion.py holds the workflow; issue 12, item 4).

Checked: the fused skeletons (returned as digests and written back to S3) equal
a local computation from the in-memory fragments; map handles pickle as URL +
options; the scheduler never holds file bytes (measured on the scheduler: the
pickled size and content of every task, the size of every result), and the same
measurement does flag in-memory maps shipped through the scheduler; the S3
requests stay within what per-process caching of headers and indexes allows; ObjectFile
and IntMap handles opened from s3:// URLs travel to a worker the same way."""

import os
import pickle
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "demo"))

import dask_fusion as df  # noqa: E402

import segpack  # noqa: E402

# The scheduler's HTTP server (bound to 127.0.0.1, like everything here) moves off 8787 when
# another cluster on the machine holds it, and says so.
pytestmark = pytest.mark.filterwarnings("ignore:Port 8787 is already in use")

GRID = 6  # 216 files
N_WORKERS = 2


@pytest.fixture(scope="module")
def cluster():
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    cluster, client = df.start_cluster(N_WORKERS)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_fusion_on_two_workers_without_file_bytes_through_the_scheduler(s3, s3_bucket, cluster):
    client = cluster
    urls, frags, span_ids, blobs = df.write_fragment_files(
        s3, s3_bucket, GRID, spanning=400, local=20, seed=3
    )
    assert len(urls) == GRID**3
    opts = s3.storage_options()
    rng = np.random.default_rng(4)
    labels = sorted(rng.choice(np.asarray(span_ids, dtype=np.uint64), 48, replace=False).tolist())

    maps = df.open_maps(urls, opts)
    for url, blob, m in list(zip(urls, blobs, maps))[:10]:
        p = pickle.dumps(m)
        assert len(p) < 1024
        assert url.encode() in p
        assert blob[16:48] not in p  # the first index entries: not the file's bytes
        again = pickle.loads(p)
        assert len(again) == len(m)

    assert len(client.scheduler_info()["workers"]) == N_WORKERS
    s3.mark()
    digests, outs, futures = df.run_on_cluster(
        client, maps, labels, f"s3://{s3_bucket}/fused", opts, batch=12
    )
    totals = df.check_no_file_bytes(df.scheduler_report(client, futures), blobs, len(maps))
    assert totals["tasks"] == 4

    # Requests: at most 2 per file to open it in each worker process (headers and indexes
    # are cached per URL, so later tasks reopen for free), plus at most one per fragment
    # fetched; never a whole-file download per task.
    n_fragments = sum(label in d for label in labels for d in frags)
    gets = [r for r in s3.requests() if r.method == "GET"]
    assert len(gets) <= 2 * N_WORKERS * len(urls) + n_fragments, len(gets)
    assert all(r.range for r in gets if "/frags/" in r.path), "a fragment file was read whole"

    # The result: digests returned, and the fused maps written back, equal the local fusion.
    local = df.fuse_locally(frags, labels)
    assert set(local) == set(labels)
    assert digests == {k: df.digest(v) for k, v in local.items()}
    fused = {}
    for u in outs:
        fused.update({int(k): bytes(v) for k, v in segpack.MapBuffer(u, storage_options=opts).items()})
    assert fused == local
    del futures


def test_the_check_catches_maps_shipped_as_bytes(s3, s3_bucket, cluster):
    """The same scheduler measurement fails when a task carries in-memory maps."""
    client = cluster
    blobs = [
        bytes(segpack.MapBuffer({k: os.urandom(2000) for k in range(i, i + 20)}).tobytes()) for i in range(8)
    ]
    future = client.submit(len, [segpack.MapBuffer(b) for b in blobs], pure=False)
    assert future.result() == 8
    with pytest.raises(AssertionError):
        df.check_no_file_bytes(df.scheduler_report(client, [future]), blobs, len(blobs))


def _objfile_sum(handle):
    """Runs on a worker: loads the object file the handle names, returns small numbers."""
    obj = handle.load()
    return float(obj["a"].sum()), int(obj["b"].shape[0]), obj["name"]


def _intmap_sum(handle, keys):
    return [int(v) for v in handle.get_many(keys)]


def test_object_file_and_intmap_handles_travel_as_urls(s3, s3_bucket, cluster):
    """ObjectFile and IntMap opened from s3:// URLs go to a worker as URL + options and are
    read there; the scheduler holds none of their bytes."""
    import io

    client = cluster
    opts = s3.storage_options()
    rng = np.random.default_rng(9)
    obj = {"a": rng.random(200_000), "b": rng.integers(0, 1 << 40, 50_000), "name": "volume-7"}
    stream = io.BytesIO()
    segpack.dump(obj, stream)
    of_blob = stream.getvalue()
    of_url = s3.put(s3_bucket, "objects/volume-7.spo", of_blob)
    ints = {
        int(k): int(v) for k, v in zip(rng.permutation(100_000)[:20_000], rng.integers(0, 1 << 60, 20_000))
    }
    im_blob = bytes(segpack.IntMap(ints).tobytes())
    im_url = s3.put(s3_bucket, "objects/labels.im", im_blob)

    handle = segpack.ObjectFile(of_url, storage_options=opts)
    imap = segpack.IntMap(im_url, storage_options=opts)
    for h, blob in ((handle, of_blob), (imap, im_blob)):
        p = pickle.dumps(h)
        assert len(p) < 1024 and blob[-4096:-4032] not in p

    keys = sorted(ints)[:500]
    futures = [
        client.submit(_objfile_sum, handle, pure=False),
        client.submit(_intmap_sum, imap, keys, pure=False),
    ]
    assert futures[0].result() == (float(obj["a"].sum()), 50_000, "volume-7")
    assert futures[1].result() == [ints[k] for k in keys]
    report = df.scheduler_report(client, futures)
    for task_bytes, result_bytes, task in report.values():
        assert task_bytes < 64 * 1024 and result_bytes < 64 * 1024
        for blob in (of_blob, im_blob):
            for at in range(len(blob) // 4, len(blob), len(blob) // 4):
                assert blob[at : at + 64] not in task, "file bytes went through the scheduler"
    del futures
