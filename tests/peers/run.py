"""The peer stage: mapbuffer's and python-zstandard's own tests, run against segpack.

    python tests/peers/run.py                    # both suites (what `make test-peers` runs)
    python tests/peers/run.py zstandard -x -k dict   # one suite, extra pytest arguments
    python tests/peers/run.py mapbuffer mapbuffer/automated_test.py::test_full_intmap

Fetches the peers' sdists into build/peers/ (fetch.py), then runs each suite in
its own pytest process, from a temporary working folder (mapbuffer's tests
write files into the current folder), with only that suite's shim
(tests/peers/shims/<suite>/) and this folder on PYTHONPATH. The shims re-export
segpack's classes under the peer's names and fall back to the real package for
everything else. Tests listed in differences.toml are strict xfails.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fetch import DEFAULT_DEST, PEERS, fetch  # noqa: E402

#: suite -> what to collect, relative to its folder under build/peers/
SUITES = {
    "mapbuffer": ["automated_test.py"],
    "zstandard": [
        "tests/test_buffer_util.py",
        "tests/test_compressor_multi_compress_to_buffer.py",
        "tests/test_decompressor_multi_decompress_to_buffer.py",
        "tests/test_compressor_fuzzing.py::TestCompressor_multi_compress_to_buffer_fuzzing",
        "tests/test_decompressor_fuzzing.py::TestDecompressor_multi_decompress_to_buffer_fuzzing",
    ],
}


def run_suite(name: str, folder: Path, extra: list[str]) -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE / "shims" / name), str(HERE)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env["SEGPACK_PEERS_DIR"] = str(folder.parent)
    env["SEGPACK_PEERS_SUITE"] = name
    env["HYPOTHESIS_PROFILE"] = "segpack-peers"
    # python-zstandard guards its fuzzing classes with this; only the multi
    # (de)compress fuzzing classes are collected (see SUITES).
    env["ZSTD_SLOW_TESTS"] = "1"
    targets = [str(folder / t) for t in SUITES[name]]
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(HERE / "pytest.ini"),
        "--rootdir",
        str(folder.parent),
        "-p",
        "segpack_peers",
    ]
    paths = [a for a in extra if "::" in a or a.endswith(".py")]
    if (
        paths
    ):  # explicit tests, relative to build/peers/ as in differences.toml, replace the default selection
        targets = [a if os.path.isabs(a) else str(folder.parent / a) for a in paths]
    cmd += [a for a in extra if a not in paths]
    if not extra:
        cmd.append("--peers-stale-check")
    print(f"\n=== peer suite: {name} (shim: tests/peers/shims/{name}) ===", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"segpack-peers-{name}-") as cwd:
        return subprocess.run(cmd + targets, env=env, cwd=cwd).returncode


def main(argv: list[str]) -> int:
    suites = list(SUITES)
    if argv and argv[0] in SUITES:
        suites, argv = [argv[0]], argv[1:]
    folders = fetch(DEFAULT_DEST)
    for name in suites:
        # the shim falls back to the installed package for what segpack lacks
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != PEERS[name][0]:
            print(
                f"peers: note: the tests are {name} {PEERS[name][0]}'s, the installed {name} is {installed}"
            )
    failed = [s for s in suites if run_suite(s, folders[s], argv) != 0]
    if failed:
        print(f"peer suites failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
