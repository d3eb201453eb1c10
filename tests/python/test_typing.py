"""The type stubs type-check, match the extension, and describe real use.

- `mypy --strict` on tests/typing/readme_usage.py (the README's tour as a typed
  program, with `assert_type` on what each call returns) and on the package
  itself (python/segpack: the generated _core.pyi and the Python modules);
- `python -m mypy.stubtest segpack`: every name of the stubs exists at run time
  with the right kind, except what tests/typing/stubtest_allowlist.txt lists
  (each entry with its reason);
- the usage file runs, so what it asserts about values holds too.

mypy reads [tool.mypy] in pyproject.toml (mypy_path = "python": the stubs and
sources of this tree, checked against the installed extension).
"""

import os
import pathlib
import re
import runpy
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
USAGE = ROOT / "tests" / "typing" / "readme_usage.py"
ALLOWLIST = ROOT / "tests" / "typing" / "stubtest_allowlist.txt"
STUB = ROOT / "python" / "segpack" / "_core.pyi"
CACHE = ROOT / "build" / "typing" / "mypy_cache"


def run_mypy_tool(*args):
    """Runs `python -m <args>` from the repository root; returns (exit code, output)."""
    proc = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MYPY_FORCE_COLOR": "0"},
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "target",
    [str(USAGE.relative_to(ROOT)), "python/segpack"],
    ids=["readme_usage", "package"],
)
def test_mypy_strict_passes(target):
    code, out = run_mypy_tool(
        "mypy", "--strict", "--config-file", "pyproject.toml", "--cache-dir", str(CACHE), target
    )
    assert code == 0 and "Success: no issues found" in out, f"mypy --strict {target}:\n{out}"


def test_stubtest_passes():
    code, out = run_mypy_tool(
        "mypy.stubtest",
        "segpack",
        "--mypy-config-file",
        "pyproject.toml",
        "--allowlist",
        str(ALLOWLIST.relative_to(ROOT)),
    )
    assert code == 0, f"python -m mypy.stubtest segpack:\n{out}"


def test_every_allowlist_entry_says_why():
    for number, line in enumerate(ALLOWLIST.read_text().splitlines(), 1):
        entry, _, why = line.partition("#")
        if entry.strip():
            assert why.strip(), f"{ALLOWLIST.name}:{number}: entry without a reason: {line!r}"


def test_usage_file_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import segpack

    threads = segpack.get_num_threads()
    try:
        runpy.run_path(str(USAGE), run_name="__usage__")
    finally:
        segpack.set_num_threads(threads)


def test_stub_returns_no_bare_object():
    """A binding that returns nb::object without a signature shows up as
    `-> object` in the stubs, which type-checks nothing: say the type (nb::sig)."""
    loose = [
        f"_core.pyi:{number}: {line.strip()}"
        for number, line in enumerate(STUB.read_text().splitlines(), 1)
        if re.search(r"->\s*object\b", line)
    ]
    assert not loose, "stub functions returning `object`:\n" + "\n".join(loose)
