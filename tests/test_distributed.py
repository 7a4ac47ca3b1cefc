"""Scoring on a real Dask cluster: a LocalCluster of 2 worker processes (1 thread each) on
127.0.0.1, started and closed here. Same rows and values as the local ``score``, a worker
killed mid-run, a client killed mid-run and resumed, bad rows, score_dataframe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

if os.environ.get("CI"):
    import distributed  # CI installs chemexplain[dask]: these tests must run there
else:
    distributed = pytest.importorskip("distributed", reason="needs pip install 'chemexplain[dask]'")

from chemexplain.distributed import (  # noqa: E402
    MANIFEST,
    expand_inputs,
    local_cluster,
    plan_parts,
    score_files,
)

BAD = ["C1CC", "", "C[Se]C", "CC.O", "c1ccccc1" * 40]


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as client:
        yield client


@pytest.fixture(scope="module")
def library(esol, tmp_path_factory) -> list[Path]:
    """Two CSV files: ESOL molecules with bad rows among them, and a smaller one."""
    folder = tmp_path_factory.mktemp("library")
    smiles = list(esol.smiles[:600])
    for i, bad in enumerate(BAD):
        smiles.insert(50 * i + 7, bad)
    first = pd.DataFrame({"id": [f"a{i}" for i in range(len(smiles))], "smiles": smiles})
    first["note"] = "x"
    second = pd.DataFrame(
        {"id": [f"b{i}" for i in range(150)], "smiles": list(esol.smiles[600:750])}
    )
    second["note"] = "y"
    first.to_csv(folder / "lib_1.csv", index=False)
    second.to_csv(folder / "lib_2.csv", index=False)
    return [folder / "lib_1.csv", folder / "lib_2.csv"]


@pytest.fixture(scope="module")
def local_scores(library, tiny_pair_dir, tmp_path_factory) -> dict[str, pd.DataFrame]:
    """What the local ``score`` writes for each library file."""
    from chemexplain import score_file

    out = tmp_path_factory.mktemp("local")
    frames = {}
    for path in library:
        target = out / f"{path.stem}.parquet"
        score_file(path, target, tiny_pair_dir, id_col="id", progress=False, workers=1)
        frames[path.name] = pd.read_parquet(target)
    return frames


def read_parts(outdir: Path) -> pd.DataFrame:
    parts = sorted(outdir.glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


def assert_same_as_local(outdir: Path, local_scores: dict) -> None:
    """Every input row exactly once, in order, with the local score's columns and values."""
    scored = read_parts(outdir)
    for name, local in local_scores.items():
        mine = scored[scored.input_file == name]
        assert mine.input_row.tolist() == list(range(len(local)))  # each row once, in order
        mine = mine.drop(columns=["input_file", "input_row"]).reset_index(drop=True)
        assert list(mine.columns) == list(local.columns)
        ok = local.status == "ok"
        np.testing.assert_allclose(mine.prediction[ok], local.prediction[ok], atol=1e-6)
        for a, b in zip(mine.atom_weights[ok], local.atom_weights[ok]):
            np.testing.assert_allclose(json.loads(a), json.loads(b), atol=1e-6)
        for column in ("id", "smiles", "note", "status", "error", "top_atoms", "method"):
            assert mine[column].tolist() == local[column].tolist(), column
    assert len(scored) == sum(len(f) for f in local_scores.values())


def test_plan_cuts_each_file_into_row_ranges(library):
    parts, rows = plan_parts(expand_inputs([str(library[0].parent / "lib_*.csv")]), 200)
    assert rows == {str(library[0]): 605, str(library[1]): 150}
    assert [(Path(p.input).name, p.start, p.stop) for p in parts] == [
        ("lib_1.csv", 0, 200),
        ("lib_1.csv", 200, 400),
        ("lib_1.csv", 400, 600),
        ("lib_1.csv", 600, 605),
        ("lib_2.csv", 0, 150),
    ]
    assert [p.name for p in parts] == [f"part-0000{i}.parquet" for i in range(5)]


def test_same_rows_and_values_as_local_score_and_bad_rows_keep_their_reason(
    client, library, local_scores, tiny_pair_dir, tmp_path
):
    def run() -> dict:
        return score_files(
            [str(library[0].parent / "lib_*.csv")],
            tmp_path / "out",
            tiny_pair_dir,
            client=client,
            id_col="id",
            partition_rows=128,
            progress=False,
        )

    summary = run()
    local_errors = sum(int((f.status == "error").sum()) for f in local_scores.values())
    assert summary["rows"] == 755 and summary["error"] == local_errors
    assert summary["parts"] == 7 and summary["parts_skipped"] == 0
    assert_same_as_local(tmp_path / "out", local_scores)
    scored = read_parts(tmp_path / "out")
    errors = scored[scored.status == "error"]
    assert set(BAD) <= set(errors.smiles)  # (the tiny model refuses a few more)
    assert all(errors.error.str.len() > 0)
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert manifest["complete"] and sum(p["rows"] for p in manifest["parts"].values()) == 755

    again = run()  # the same run: it resumes and finds every part done
    assert again["parts_skipped"] == 7 and again["rows_scored"] == 0
    # each worker was started single-threaded (Dask's nanny environment)
    assert set(client.run(os.environ.get, "OMP_NUM_THREADS").values()) == {"1"}


def _worker_pids(client) -> list[int]:
    return sorted(client.run(os.getpid).values())


def _recorded(outdir: Path) -> int:
    try:
        return len(json.loads((outdir / MANIFEST).read_text())["parts"])
    except (OSError, ValueError, KeyError):
        return 0


def test_a_worker_killed_mid_run_loses_and_repeats_nothing(
    client, library, local_scores, tiny_pair_dir, tmp_path
):
    outdir = tmp_path / "out"
    before = _worker_pids(client)
    result: dict = {}

    def run():
        result["summary"] = score_files(
            [str(p) for p in library],
            outdir,
            tiny_pair_dir,
            client=client,
            id_col="id",
            partition_rows=25,
            progress=False,
        )

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while _recorded(outdir) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    done_at_kill = _recorded(outdir)
    os.kill(before[0], signal.SIGKILL)
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert 2 <= done_at_kill < 31  # the kill came mid-run
    assert result["summary"]["parts"] == 31 and result["summary"]["rows"] == 755
    assert_same_as_local(outdir, local_scores)
    client.wait_for_workers(2, timeout=60)
    assert before[0] not in _worker_pids(client)  # the nanny replaced the dead worker


def _cli(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "chemexplain", "score", *args]


def test_client_killed_mid_run_then_resumed_redoes_only_unfinished_parts(
    client, library, local_scores, tiny_pair_dir, tmp_path
):
    outdir = tmp_path / "out"
    args = [
        *[str(p) for p in library],
        "-o",
        str(outdir),
        "--model",
        str(tiny_pair_dir),
        "--id-col",
        "id",
        "--dask",
        client.scheduler.address,
        "--partition-rows",
        "25",
        "--quiet",
    ]
    first = subprocess.Popen(_cli(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _recorded(outdir) < 3 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
    first.kill()
    first.wait()
    manifest = json.loads((outdir / MANIFEST).read_text())
    finished = set(manifest["parts"])
    assert not manifest["complete"] and 3 <= len(finished) < 31
    stamps = {name: (outdir / name).stat().st_mtime_ns for name in finished}

    second = subprocess.run(_cli(args), capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout.strip().splitlines()[-1])
    assert summary["parts_skipped"] == len(finished)
    assert summary["parts_scored"] == 31 - len(finished)
    assert {name: (outdir / name).stat().st_mtime_ns for name in finished} == stamps
    assert json.loads((outdir / MANIFEST).read_text())["complete"]
    assert not list(outdir.glob(".part-*"))  # no temporary file left
    assert_same_as_local(outdir, local_scores)


def test_another_runs_folder_or_foreign_files_are_refused(client, library, tiny_pair_dir, tmp_path):
    from chemexplain.errors import OutputError

    kwargs = dict(client=client, id_col="id", progress=False, partition_rows=500)
    score_files([library[1]], tmp_path / "out", tiny_pair_dir, **kwargs)
    with pytest.raises(OutputError, match="another run"):
        score_files([library[0]], tmp_path / "out", tiny_pair_dir, **kwargs)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not score parts"):
        score_files([library[1]], tmp_path / "mine", tiny_pair_dir, **kwargs)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    # a client killed while it rewrote the manifest leaves its temporary file: the same run
    # resumes over it (the manifest says every part is done) and removes it
    left = tmp_path / "out" / f".{MANIFEST}.partial-999"
    left.write_text('{"format": "half written')
    before = (tmp_path / "out" / MANIFEST).read_text()
    score_files([library[1]], tmp_path / "out", tiny_pair_dir, **kwargs)
    assert not left.exists() and (tmp_path / "out" / MANIFEST).read_text() == before


def test_score_dataframe_matches_local_score(client, library, local_scores, tiny_pair_dir):
    import dask.dataframe as dd

    from chemexplain.distributed import score_dataframe

    frame = pd.read_csv(library[0], dtype=str, keep_default_na=False)
    ddf = dd.from_pandas(frame, npartitions=4)
    scored = score_dataframe(ddf, "smiles", tiny_pair_dir)
    assert list(scored.columns) == list(local_scores["lib_1.csv"].columns)
    result = scored.compute()
    local = local_scores["lib_1.csv"]
    assert result.index.tolist() == list(range(len(frame)))
    assert result.status.tolist() == local.status.tolist()
    ok = local.status == "ok"
    np.testing.assert_allclose(result.prediction[ok], local.prediction[ok], atol=1e-6)
    assert result.atom_weights.tolist() == local.atom_weights.tolist()


def test_cli_needs_dask_for_several_inputs(library, tmp_path):
    from chemexplain.cli import main

    assert main(["score", *map(str, library), "-o", str(tmp_path / "x.csv")]) == 2
    assert main(["score", str(library[0]), "-o", str(tmp_path / "o"), "--dask", "local:0"]) == 2


def test_cli_local_cluster_scores_and_puts_this_process_environment_back(
    library, local_scores, tiny_pair_dir, tmp_path, monkeypatch
):
    """Dask's nanny sets OMP_NUM_THREADS=1 (and more) in the process that starts a LocalCluster
    and leaves it there; `score --dask local` must not leave every later subprocess on 1 thread."""
    from chemexplain.cli import main

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    before = dict(os.environ)
    out = tmp_path / "scored"
    argv = ["score", str(library[1]), "-o", str(out), "--dask", "local:1", "--id-col", "id"]
    assert main([*argv, "--model", str(tiny_pair_dir), "--quiet"]) == 0
    assert dict(os.environ) == before
    assert_same_as_local(out, {"lib_2.csv": local_scores["lib_2.csv"]})


def test_a_misspelt_option_is_refused_before_any_work(tmp_path):
    with pytest.raises(TypeError, match="'smiles_coll'"):
        score_files([str(tmp_path / "none.csv")], tmp_path / "out", smiles_coll="SMILES")
    from chemexplain.distributed import score_dataframe

    with pytest.raises(TypeError, match="'id_col'"):  # a dask DataFrame has no id column
        score_dataframe(None, id_col="name")
    assert not (tmp_path / "out").exists()
