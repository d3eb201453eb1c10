"""Every ```python block of README.md runs as written.

A block runs in a fresh namespace, in a temporary working folder, unless its
first line is the marker ``# (continues the block above)``: then it runs after
the block before it, in the same namespace and folder, as a reader of the
README would type it. Tracebacks point at README.md's own line numbers.
"""

import re
from pathlib import Path

import pytest

import segpack

README = Path(__file__).resolve().parents[2] / "README.md"
CONTINUES = "# (continues the block above)"


def readme_blocks(text):
    """[(heading, first line number, source)] of every ```python block, in order."""
    blocks, heading, fence = [], "", None
    for number, line in enumerate(text.splitlines(), 1):
        if fence is None:
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
            elif line.strip() == "```python":
                fence = (heading, number + 1, [])
        elif line.strip() == "```":
            blocks.append((fence[0], fence[1], "\n".join(fence[2]) + "\n"))
            fence = None
        else:
            fence[2].append(line)
    assert fence is None, "README.md: a ```python block is not closed"
    return blocks


def readme_chains():
    """Blocks grouped into what runs together: a block and the ones continuing it."""
    chains = []
    for heading, line, source in readme_blocks(README.read_text(encoding="utf-8")):
        if source.startswith(CONTINUES):
            assert chains, f"README.md:{line}: the first python block cannot continue another"
            chains[-1][1].append((line, source))
        else:
            chains.append((heading, [(line, source)]))
    return chains


def chain_id(chain):
    heading, blocks = chain
    slug = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") or "top"
    return f"{slug}-line{blocks[0][0]}"


CHAINS = readme_chains()


def test_readme_has_python_blocks():
    assert CHAINS, "no ```python block found in README.md"


@pytest.fixture
def restore_threads():
    before = segpack.get_num_threads()
    yield
    segpack.set_num_threads(before)


@pytest.mark.parametrize("chain", CHAINS, ids=[chain_id(c) for c in CHAINS])
def test_readme_block_runs(chain, tmp_path, monkeypatch, restore_threads):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    for line, source in chain[1]:
        # padding keeps README.md's line numbers in tracebacks
        code = compile("\n" * (line - 1) + source, str(README), "exec")
        exec(code, namespace)
