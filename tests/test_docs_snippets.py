"""Every Python block of the README and of docs/*.md runs as written, in a fresh interpreter.

Each block runs alone (``python -c``) in an empty working folder, with the
package's own data (no CHEMEXPLAIN_DATA) and no network. A block that needs
minutes carries its quick knob in its text (``max_epochs=3``, ``epochs=2``),
so what runs here is exactly what a reader copies.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(path: Path) -> list[str]:
    """The fenced ```python blocks of a markdown file, in order."""
    return BLOCK.findall(path.read_text())


def run_block(code: str, workdir: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter in ``workdir``; returns the finished process."""
    env = {k: v for k, v in os.environ.items() if k != "CHEMEXPLAIN_DATA"}
    env.update(CHEMEXPLAIN_OFFLINE="1", MPLBACKEND="Agg", HOME=str(workdir))
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


CASES = [
    pytest.param(path, i, id=f"{path.relative_to(ROOT)}#{i + 1}")
    for path in DOCUMENTS
    for i in range(len(python_blocks(path)))
]


def test_the_documents_have_python_blocks():
    counts = {path.name: len(python_blocks(path)) for path in DOCUMENTS}
    assert counts["README.md"] >= 4 and sum(counts.values()) >= 7, counts


@pytest.mark.slow
@pytest.mark.parametrize("path, index", CASES)
def test_block_runs_as_written(path, index, tmp_path):
    code = python_blocks(path)[index]
    done = run_block(code, tmp_path)
    assert done.returncode == 0, f"{path.name} block {index + 1} failed:\n{done.stderr[-3000:]}"


def test_a_broken_block_fails(tmp_path):
    """The runner is not blind: a README copy with one block broken is caught."""
    text = (ROOT / "README.md").read_text()
    first = python_blocks(ROOT / "README.md")[0]
    broken = text.replace(first, "name_that_nobody_defined\n" + first, 1)
    copy = tmp_path / "README.md"
    copy.write_text(broken)
    blocks = python_blocks(copy)
    assert blocks[0].startswith("name_that_nobody_defined")
    done = run_block(blocks[0], tmp_path)
    assert done.returncode != 0 and "NameError: name 'name_that_nobody_defined'" in done.stderr
