"""io.scoring: the row options that local and Dask scoring share."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import pytest

from chemexplain.chem import MAX_SMILES_LENGTH
from chemexplain.io.scoring import (
    EXPLAIN_OPTIONS,
    explain_settings,
    length_sorted_parts,
    row_options,
)


def test_row_options_fill_in_the_defaults_of_score_file():
    assert row_options({}) == {
        "smiles_col": "smiles",
        "id_col": None,
        "columns": None,
        "standardize": False,
        "method": None,
        "spellings": 0,
        "n_test_augment": 0,
        "max_length": MAX_SMILES_LENGTH,
        "on_unknown": "strip",
    }
    given = row_options({"method": "occlusion", "id_col": "name"})
    assert (given["method"], given["id_col"], given["spellings"]) == ("occlusion", "name", 0)


def test_a_misspelt_or_foreign_option_is_a_type_error():
    with pytest.raises(TypeError, match="'smiles_coll'"):
        row_options({"smiles_coll": "SMILES"})
    with pytest.raises(TypeError, match="'smiles_col'"):  # score_dataframe reads no file
        row_options({"smiles_col": "SMILES"}, EXPLAIN_OPTIONS)


def test_explain_settings_keep_only_what_explain_batch_takes():
    settings = explain_settings(row_options({"method": "shapley", "columns": ["a"]}))
    assert list(settings) == list(EXPLAIN_OPTIONS)
    assert settings["method"] == "shapley" and "columns" not in settings


def test_at_most_gives_the_same_chunks_and_reads_no_further_than_needed():
    from chemexplain.io.scoring import _at_most

    def chunks(sizes, then_fail=False):
        for i, size in enumerate(sizes):
            yield pd.DataFrame({"smiles": ["C"] * size, "chunk": i})
        if then_fail:
            raise AssertionError("read past the chunk that passed the limit")

    again, small = _at_most(chunks([3, 3, 3]), 9)
    assert small and [c.chunk[0] for c in again] == [0, 1, 2]
    again, small = _at_most(chunks([3, 3, 3]), 8)
    assert not small and [len(c) for c in again] == [3, 3, 3]
    again, small = _at_most(chunks([3, 3], then_fail=True), 5)  # the 2nd chunk passes 5
    assert not small and next(again).chunk[0] == 0 and next(again).chunk[0] == 1
    assert _at_most(chunks([]), 0)[1]


def test_workers_none_starts_processes_only_past_inline_rows(tmp_path, tiny_pair_dir, monkeypatch):
    import chemexplain.io.scoring as scoring

    started = []

    class Refused:  # stands in for the worker pool: records its size, scores nothing
        def __init__(self, model, workers, settings):
            started.append(workers)
            raise RuntimeError("no pool here")

    monkeypatch.setattr(scoring, "_ParallelExplainer", Refused)
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\nc1ccccc1O\nCC(=O)O\n")
    summary = scoring.score_file(source, tmp_path / "a.csv", tiny_pair_dir, workers=None)
    assert summary["ok"] == 3 and started == []  # 3 rows: scored in this process
    monkeypatch.setattr(scoring, "INLINE_ROWS", 2)
    with pytest.raises(RuntimeError, match="no pool here"):
        scoring.score_file(source, tmp_path / "b.csv", tiny_pair_dir, workers=None, chunk_size=1)
    assert started == [min(os.cpu_count() or 1, 4)] and not (tmp_path / "b.csv").exists()


def test_length_sorted_parts_hold_every_row_once_shortest_first():
    smiles = ["CCCCCC", None, "C", "CCO", "c1ccccc1O", "CC", "CCCC"]
    parts = length_sorted_parts(smiles, rows=3)
    assert [len(p) for p in parts] == [3, 2, 2]  # balanced, none over 3
    order = [int(i) for p in parts for i in p]
    assert sorted(order) == list(range(7))
    assert order == [1, 2, 5, 3, 6, 0, 4]  # a missing SMILES counts as length 0; ties keep order
    assert [list(p) for p in length_sorted_parts(smiles[:2], rows=3)] == [[1, 0]]
    # a chunk smaller than a part still gives each worker one
    assert [len(p) for p in length_sorted_parts(smiles, rows=2048, at_least=2)] == [4, 3]
    assert [list(p) for p in length_sorted_parts(["CC"], at_least=2)] == [[0]]


STOP_A_POOL_WITH_HALF_A_RESULT = """
import multiprocessing, os, struct, time
from concurrent.futures import ProcessPoolExecutor
from chemexplain.io.scoring import stop_pool_now

if __name__ == "__main__":
    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    assert pool.submit(os.getpid).result() != os.getpid()  # the workers are up
    # what a worker killed while sending its result leaves: a header for 1 MiB, 10 bytes
    os.write(pool._result_queue._writer.fileno(), struct.pack("!i", 1 << 20) + b"x" * 10)
    time.sleep(1)  # the executor's manager thread now waits in recv() for the rest
    stop_pool_now(pool)
    print("stopped", flush=True)
"""


def test_stop_pool_now_returns_when_a_worker_died_halfway_through_sending(tmp_path):
    """Killing the workers and calling shutdown() alone hangs here (checked: 60 s timeout)."""
    script = tmp_path / "stop.py"
    script.write_text(STOP_A_POOL_WITH_HALF_A_RESULT)
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stdout.read().strip() == "stopped"


def test_score_workers_ignore_ctrl_c_and_the_parent_keeps_its_handler():
    from chemexplain.io.scoring import _DeafSpawnContext

    before = signal.getsignal(signal.SIGINT)
    with ProcessPoolExecutor(1, mp_context=_DeafSpawnContext()) as pool:
        assert pool.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN
    assert signal.getsignal(signal.SIGINT) is before
