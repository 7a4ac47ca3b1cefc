"""The ESOL benchmark's aggregation and table (the training itself lives in the script)."""

import importlib.util
import json
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "benchmark_esol", Path(__file__).parents[2] / "scripts" / "benchmark_esol.py"
)
benchmark = importlib.util.module_from_spec(spec)
spec.loader.exec_module(benchmark)


def test_aggregate_has_the_documented_shape_and_statistics():
    records = [
        {
            "split": "random",
            "config": "paper",
            "seed": s,
            "test_rmse": r,
            "val_rmse": r,
            "train_seconds": 10.0 * (s + 1),
            "best_epoch": 3,
        }
        for s, r in [(1, 0.8), (0, 0.6)]
    ]
    out = benchmark.aggregate(records)
    entry = out["random"]["paper"]
    assert entry["seeds"] == [0, 1] and entry["rmse"] == [0.6, 0.8]
    assert entry["rmse_mean"] == pytest.approx(0.7)
    assert entry["rmse_std"] == pytest.approx(0.1414, abs=1e-4)  # sample std
    assert entry["train_seconds"] == [10.0, 20.0]
    assert "| random | `paper` | **0.700 ± 0.141** |" in benchmark.table(out)


def test_ensemble_rows_follow_the_single_models():
    ensemble = {
        "split": "random",
        "seed": 0,
        "config": "best",
        "members": 5,
        "ensemble_test_rmse": 0.51234,
        "mean_member_test_rmse": 0.56,
        "members_test_rmse": [0.5, 0.55, 0.6, 0.57, 0.58],
        "train_seconds": 3000.0,
    }
    text = benchmark.table({}, {"random_0_best_5": ensemble})
    assert (
        "| random | `best` ensemble of 5 (`benchmark_ensemble.py`) | **0.512** (members' mean 0.560)"
        in text
    )
    assert "members 0-4" in text


def test_a_cached_run_is_reused_only_by_the_code_that_made_it(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    (package / "sub" / "b.py").write_text("y = 2\n")
    (package / "notes.txt").write_text("not code")
    before = benchmark.code_fingerprint(package)
    assert before == benchmark.code_fingerprint(package)  # deterministic
    (package / "notes.txt").write_text("other text")  # only Python files count
    assert benchmark.code_fingerprint(package) == before
    (package / "sub" / "b.py").write_text("y = 3\n")
    after = benchmark.code_fingerprint(package)
    assert after != before

    run = tmp_path / "random_paper_0.json"
    made = {"code": before, "threads": 1, "max_epochs": None}
    run.write_text(json.dumps({"test_rmse": 0.7, **made}))
    assert benchmark.cached_run(run, made) == {"test_rmse": 0.7, **made}
    assert benchmark.cached_run(run, {**made, "code": after}) is None  # other code: train again
    assert benchmark.cached_run(run, {**made, "threads": 2}) is None  # other bits
    assert benchmark.cached_run(run, {**made, "max_epochs": 1}) is None  # a smoke run's cache
    run.write_text('{"test_rmse": 0.7}')  # a cache from before fingerprints
    assert benchmark.cached_run(run, made) is None
    assert benchmark.cached_run(tmp_path / "missing.json", made) is None
