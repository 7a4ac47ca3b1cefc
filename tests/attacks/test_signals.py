"""Attacks with signals: no worker outlives a killed run, and SIGTERM cleans up like Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.cli


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited


@pytest.fixture(scope="module")
def library(esol, tmp_path_factory):
    path = tmp_path_factory.mktemp("signals") / "big.csv"
    pd.DataFrame({"smiles": list(esol.smiles) * 20}).to_csv(path, index=False)
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGKILL, -9)])
def test_no_process_of_a_killed_run_lives_on(library, tiny_pair_dir, tmp_path, sig, status):
    out = tmp_path / "out.csv"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chemexplain",
            "--threads",
            "1",
            "score",
            str(library),
            "-o",
            str(out),
            "--model",
            str(tiny_pair_dir),
            "--workers",
            "2",
            "--chunk-size",
            "256",
            "--quiet",
        ],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _signal_and_check(process, tmp_path, out, sig, status)
    finally:  # a failed check must not leave the run behind
        if process.poll() is None:
            process.kill()
            process.wait()


def _signal_and_check(process, tmp_path, out, sig, status) -> None:
    partial = tmp_path / f".out.csv.partial-{process.pid}"
    deadline = time.time() + 180
    while time.time() < deadline and not (partial.exists() and partial.stat().st_size > 20000):
        assert process.poll() is None, "finished before it could be killed; make the input larger"
        time.sleep(0.05)
    workers = _children(process.pid)
    assert len(workers) >= 2, "the two workers were not found"
    process.send_signal(sig)
    # stderr in the message: a run once exited 0 here under heavy load (a SIGTERM met in a
    # finalizer, the likeliest cause, is now delivered again: see the test below)
    assert process.wait(timeout=30) == status, process.stderr.read()[-3000:]
    time.sleep(5)
    assert [pid for pid in workers if _alive(pid)] == []
    assert not out.exists()
    if sig == signal.SIGTERM:  # cleaned up like Ctrl-C: no temporary file, one line
        assert not partial.exists()
        assert process.stderr.read().strip().splitlines()[-1] == "chemexplain score: terminated"


class _SignalledWhileCollected:
    def __init__(self, signum):
        self.signum = signum

    def __del__(self):
        os.kill(os.getpid(), self.signum)
        time.sleep(0.5)  # the handler runs here, inside the finalizer


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_that_arrives_inside_a_finalizer_still_stops_the_run(signum):
    """Python drops an exception raised in ``__del__``: without re-delivery the run
    would go on and exit 0 (seen once in this file's test under heavy load)."""
    from chemexplain.cli import Terminated, _raise_for_signal

    expected = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    previous = signal.signal(signum, _raise_for_signal)
    started = time.monotonic()
    try:
        with pytest.raises(expected):
            _SignalledWhileCollected(signum)  # collected at once: its __del__ runs here
            time.sleep(5)
    finally:
        signal.signal(signum, previous)
    assert time.monotonic() - started < 2
