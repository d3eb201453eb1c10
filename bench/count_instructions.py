#!/usr/bin/env python3
"""Instructions per one-shot call, segpack vs python-zstandard, under valgrind.

Wall-clock ratios on a shared 2-core machine move by ±30%; instruction counts
do not. This runs one loop of ``ZstdCompressor().compress`` or
``ZstdDecompressor().decompress`` (the object made once) under callgrind twice,
with 0 and with N passes over the items, and prints the difference per item,
split by shared object (libzstd or the extension that bundles it, libpython,
segpack's _core, libc). Needs valgrind. Nothing is asserted.

    .venv/bin/python bench/count_instructions.py            # 1 KiB and 64 KiB, both ops
    .venv/bin/python bench/count_instructions.py --size 1024 --op d
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

LOOP = r"""
import sys
sys.path.insert(0, {here!r})
import segpack, zstandard
from bench_segments import mixed_data
which, op, isz, n, passes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
data = mixed_data(isz * n, seed=5)
items = [data[i:i + isz] for i in range(0, len(data), isz)]
frames = [zstandard.ZstdCompressor().compress(x) for x in items]
mod = zstandard if which == "zstandard" else segpack
f = mod.ZstdCompressor().compress if op == "c" else mod.ZstdDecompressor().decompress
src = items if op == "c" else frames
f(src[0])
for _ in range(passes):
    for x in src:
        f(x)
"""


def profile(script: str, args: list[str]) -> collections.Counter:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        # A fixed hash seed and no OpenBLAS thread (numpy's, spinning in the
        # background): the two runs then differ only by the passes.
        env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, script, *args],
            check=True,
            capture_output=True,
            env=env,
        )
        txt = subprocess.run(
            ["callgrind_annotate", "--threshold=100", out], check=True, capture_output=True, text=True
        ).stdout
    by_object = collections.Counter()
    for line in txt.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)$", line)
        if not m or "PROGRAM TOTALS" in m.group(2):
            continue
        obj = re.search(r"\[([^\]]*)\]\s*$", m.group(2))
        by_object[os.path.basename(obj.group(1)) if obj else "?"] += int(m.group(1).replace(",", ""))
    return by_object


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, action="append", help="item size (default: 1024 and 65536)")
    ap.add_argument(
        "--op", choices=["c", "d"], action="append", help="c = compress, d = decompress (default both)"
    )
    ap.add_argument("--passes", type=int, default=3)
    a = ap.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(LOOP.format(here=HERE))
        script = f.name
    try:
        for size in a.size or [1024, 65536]:
            n = 500 if size <= 4096 else 20
            for op in a.op or ["c", "d"]:
                for which in ("zstandard", "segpack"):
                    base = profile(script, [which, op, str(size), str(n), "0"])
                    full = profile(script, [which, op, str(size), str(n), str(a.passes)])
                    per = a.passes * n
                    diff = collections.Counter({k: full[k] - base.get(k, 0) for k in full})
                    total = sum(v for v in diff.values() if v > 0) // per
                    parts = ", ".join(f"{k} {v // per:,}" for k, v in diff.most_common(4) if v > 0)
                    print(
                        f"{'compress' if op == 'c' else 'decompress'} {size // 1024} KiB, {which}: "
                        f"{total:,} instructions per item ({parts})",
                        flush=True,
                    )
    finally:
        os.unlink(script)


if __name__ == "__main__":
    main()
