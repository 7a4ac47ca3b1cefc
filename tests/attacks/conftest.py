"""Helpers for the adversarial tests: run the CLI like a user and read what it said."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chemexplain.cli import main


def run_cli(argv, capsys) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``chemexplain ARGV`` run in-process."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    """Exit 2, exactly one line on stderr, no traceback, and each fragment in it."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, f"exit {code}, stderr: {err!r}"
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 200 KB tmpfs (root only); yields its folder and unmounts it afterwards."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a 200 KB tmpfs needs root and mount")
    folder = tmp_path / "tiny"
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield Path(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
