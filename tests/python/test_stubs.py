"""The committed type stubs of segpack._core match the installed extension.

The stubs are generated (nanobind's stubgen, `make stubs`) and committed; this test regenerates
them from the installed extension into a temporary directory, so a binding change without
`make stubs` fails here instead of shipping stale stubs.
"""

import difflib
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "python" / "segpack" / "_core.pyi"
PATTERNS = ROOT / "python" / "stubgen_patterns.txt"


def test_committed_stubs_match_the_extension(tmp_path):
    pytest.importorskip("nanobind.stubgen")
    out = tmp_path / "_core.pyi"
    # Run from the temporary directory so `segpack` is the installed package, not a source tree.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nanobind.stubgen",
            "-q",
            "-m",
            "segpack._core",
            "-p",
            str(PATTERNS),
            "-o",
            str(out),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"nanobind.stubgen failed:\n{proc.stdout}{proc.stderr}"
    fresh = out.read_text()
    committed = COMMITTED.read_text()
    if fresh != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                fresh.splitlines(keepends=True),
                "python/segpack/_core.pyi (committed)",
                "stubgen output of the installed segpack._core",
            )
        )
        pytest.fail(
            "python/segpack/_core.pyi is stale: run `make stubs` and commit the result "
            "(stubgen's output also depends on the installed nanobind version).\n" + diff
        )
