"""pytest plugin of the peer stage (loaded with ``-p segpack_peers`` by run.py).

* Applies tests/peers/differences.toml: every test listed there is marked
  ``xfail(strict=True)`` with its kind and reason, so a listed test that starts
  passing fails the stage until its entry is removed. An entry may name one
  test, or a test function without its ``[parameters]`` (then every parameter
  set is expected to fail). Entries that match nothing collected are an error.
* Registers the ``segpack-peers`` hypothesis profile that python-zstandard's
  conftest loads through HYPOTHESIS_PROFILE: deterministic, no example
  database, no deadline, 100 examples per test (hypothesis' default, as
  python-zstandard's own "default" profile).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
DIFFERENCES = HERE / "differences.toml"
KINDS = ("gap", "difference")
PEERS_DIR = Path(os.environ.get("SEGPACK_PEERS_DIR", HERE.parents[1] / "build" / "peers")).resolve()

try:
    import hypothesis
except ImportError:  # the zstandard fuzzing modules skip themselves then
    hypothesis = None
else:
    hypothesis.settings.register_profile(
        "segpack-peers",
        hypothesis.settings(
            max_examples=100,
            derandomize=True,
            database=None,
            # tests assert behaviour, not time (the machine is shared)
            deadline=None,
            suppress_health_check=[hypothesis.HealthCheck.too_slow],
        ),
    )


def load_differences(path: Path = DIFFERENCES) -> dict[str, dict]:
    with open(path, "rb") as f:
        table = tomllib.load(f)
    for test, entry in table.items():
        if entry.get("kind") not in KINDS or not entry.get("reason"):
            raise pytest.UsageError(f"{path.name}: {test!r} needs kind (one of {KINDS}) and a reason")
    return table


def peer_id(item) -> str:
    """The test's id relative to the peers' folder: 'mapbuffer/automated_test.py::test_x[None]'."""
    path = Path(item.path).resolve()
    try:
        rel = path.relative_to(PEERS_DIR).as_posix()
    except ValueError:
        rel = path.as_posix()
    return rel + item.nodeid[len(item.nodeid.split("::", 1)[0]) :]


def pytest_addoption(parser):
    parser.addoption(
        "--peers-stale-check",
        action="store_true",
        help="fail when differences.toml lists a test of the collected suites that was not collected "
        "(run.py sets it when it runs whole suites)",
    )


def pytest_collection_modifyitems(session, config, items):
    table = load_differences()
    used = set()
    for item in items:
        nid = peer_id(item)
        key = nid if nid in table else nid.split("[", 1)[0]
        entry = table.get(key)
        if entry is None:
            continue
        used.add(key)
        reason = " ".join(entry["reason"].split())
        item.add_marker(pytest.mark.xfail(strict=True, reason=f"[{entry['kind']}] {reason}"))
        item.user_properties.append(("peers_kind", entry["kind"]))
    suites = {peer_id(item).split("/", 1)[0] for item in items}
    stale = sorted(k for k in table if k.split("/", 1)[0] in suites and k not in used)
    if stale and config.getoption("peers_stale_check"):
        raise pytest.UsageError(
            f"{DIFFERENCES.name} lists tests that were not collected (renamed or removed upstream?): "
            + ", ".join(stale)
        )


def pytest_terminal_summary(terminalreporter):
    counts = {kind: 0 for kind in KINDS}
    for report in terminalreporter.stats.get("xfailed", []):
        kind = dict(report.user_properties).get("peers_kind")
        if kind:
            counts[kind] += 1
    if any(counts.values()):
        terminalreporter.write_line(
            f"expected failures ({DIFFERENCES.name}): "
            + ", ".join(f"{n} {kind}" for kind, n in counts.items())
            + "  (tests/peers/run.py <suite> -rx shows the reasons)"
        )


def pytest_report_header(config):
    """With -v: what each shim takes from segpack and where the rest comes from."""
    name = os.environ.get("SEGPACK_PEERS_SUITE")
    if not name:
        return []
    import importlib

    shim = importlib.import_module(name)
    return [
        f"shim {name}: from segpack: {', '.join(shim.FROM_SEGPACK)}",
        f"shim {name}: everything else from {shim._real.__file__}",
    ]
