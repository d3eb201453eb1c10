"""The fragment-fusion workflow on a distributed.LocalCluster (2 worker processes)
against moto's S3 server on 127.0.0.1 holding a few hundred MapBuffer files
(demo/dask_fusion.py holds the workflow; issue 12, item 4).

Checked: the fused skeletons (returned as digests and written back to S3) equal
a local computation from the in-memory fragments; map handles pickle as URL +
options; the scheduler never holds file bytes (measured on the scheduler: the
pickled size and content of every task, the size of every result), and the same
measurement does flag in-memory maps shipped through the scheduler; the S3
requests stay within what per-process caching of headers and indexes allows."""

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
