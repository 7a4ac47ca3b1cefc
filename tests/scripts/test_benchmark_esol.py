"""The ESOL benchmark's aggregation and table (the training itself lives in the script)."""

import importlib.util
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
