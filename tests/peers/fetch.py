"""Fetches the peers' source distributions and lays out their test suites.

    python tests/peers/fetch.py [build/peers]

Downloads mapbuffer and python-zstandard sdists with pip (``pip download
--no-deps --no-binary``; pip's own cache applies), unpacks each under
``<dest>/src/`` and copies the test files the peer stage runs into
``<dest>/<package>/``, away from the package sources, so that ``import
mapbuffer`` / ``import zstandard`` in the tests can only find our shims (pytest
puts a test file's root folder first on sys.path; the sdists' roots hold the
packages' own sources). Nothing here is committed: it lives in the build folder.
A package whose layout is complete is not fetched again.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

#: name -> (version, files and folders of the sdist to copy, relative to its root)
PEERS = {
    "mapbuffer": ("1.2.0", ["automated_test.py"]),
    "zstandard": ("0.25.0", ["tests"]),
}

DEFAULT_DEST = Path(__file__).resolve().parents[2] / "build" / "peers"


def _stamp(dest: Path, name: str) -> Path:
    return dest / name / ".fetched"


def _download(name: str, version: str, dest: Path) -> Path:
    sdists = dest / "sdist"
    sdists.mkdir(parents=True, exist_ok=True)
    archive = sdists / f"{name}-{version}.tar.gz"
    if not archive.exists():
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            name,
            f"{name}=={version}",
            "--dest",
            str(sdists),
        ]
        print("peers:", " ".join(cmd[1:]), flush=True)
        done = subprocess.run(cmd)
        if done.returncode != 0 or not archive.exists():
            sys.exit(
                f"peers: could not download the {name}=={version} sdist (network?); "
                f"put {archive.name} into {sdists} by hand to run offline"
            )
    return archive


def _unpack(archive: Path, dest: Path) -> Path:
    src = dest / "src"
    src.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        roots = {m.name.split("/", 1)[0] for m in tar.getmembers()}
        if len(roots) != 1:
            sys.exit(f"peers: unexpected layout of {archive.name}: {sorted(roots)}")
        root = src / roots.pop()
        if root.exists():
            shutil.rmtree(root)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(src, filter="data")
        else:  # Python < 3.10.12 / 3.11.4: the archive comes from PyPI over https
            tar.extractall(src)
    return root


def fetch(dest: Path = DEFAULT_DEST) -> dict[str, Path]:
    """Makes sure every peer's tests are laid out under dest; returns name -> folder."""
    dest = Path(dest).resolve()
    out = {}
    for name, (version, wanted) in PEERS.items():
        folder = dest / name
        stamp = _stamp(dest, name)
        if not (stamp.exists() and stamp.read_text().strip() == version):
            root = _unpack(_download(name, version, dest), dest)
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            for rel in wanted:
                source = root / rel
                if source.is_dir():
                    shutil.copytree(source, folder / rel)
                else:
                    shutil.copy2(source, folder / rel)
            stamp.write_text(version + "\n")
            print(f"peers: {name}=={version} tests in {folder}", flush=True)
        out[name] = folder
    return out


if __name__ == "__main__":
    fetch(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DEST)
