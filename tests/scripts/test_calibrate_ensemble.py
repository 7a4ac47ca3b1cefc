"""The ensemble-calibration script's analysis of other spreads (no training here)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

spec = importlib.util.spec_from_file_location(
    "calibrate_ensemble", Path(__file__).parents[2] / "scripts" / "calibrate_ensemble.py"
)
calibrate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(calibrate)


def test_fit_spread_recovers_a_known_scale():
    rng = np.random.default_rng(0)
    raw = rng.uniform(0.2, 1.0, 4000)
    errors = 0.3 * raw * rng.standard_normal(4000)
    (log_a,) = calibrate.fit_spread("scaled spread", errors, raw, np.zeros(4000))
    assert np.exp(log_a) == pytest.approx(0.3, rel=0.05)


def synthetic_results(rng, n_per_fold=400, folds=5):
    """Errors whose std grows with dissimilarity d, a raw spread unrelated to them."""
    n = n_per_fold * folds
    d = rng.uniform(0.1, 0.9, n)
    errors = np.exp(-1.5 + 2.0 * d) * rng.standard_normal(n)
    raw = rng.uniform(0.2, 1.0, n)
    scales = [1.5] * folds
    return {
        "folds": [n_per_fold] * folds,
        "std_scales": scales,
        "acyclic_fold": folds - 1,
        "per_molecule": {
            "fold": np.repeat(np.arange(folds), n_per_fold).tolist(),
            "error": errors.tolist(),
            "std": (1.5 * raw).tolist(),
            "dissimilarity": d.tolist(),
        },
    }


def test_cross_fitted_tells_an_informative_spread_from_an_uninformative_one():
    out = calibrate.cross_fitted(synthetic_results(np.random.default_rng(1)))
    informative = out["dissimilarity alone"]["other_folds"]["pooled"]
    assert 0.92 <= informative["coverage_1.96_std"] <= 0.98
    assert informative["spearman_abs_error_std"] > 0.25
    assert calibrate.meets_aim(out["dissimilarity alone"]["other_folds"])
    blind = out["scaled spread"]["other_folds"]["pooled"]
    assert abs(blind["spearman_abs_error_std"]) < 0.06
    assert not calibrate.meets_aim(out["scaled spread"]["other_folds"])
    assert set(out["scaled spread"]) == {"other_folds", "in_sample"}


def test_the_table_says_which_form_meets_the_aim():
    results = synthetic_results(np.random.default_rng(2))
    fold_rows = {
        "n": 1,
        "rmse": 1.0,
        "coverage_1.96_std": 0.9,
        "spearman_abs_error_std": 0.1,
        "spearman_members_std": 0.1,
        "spearman_dissimilarity": 0.1,
    }
    results |= {
        "config": "paper",
        "members": 5,
        "seconds": 60.0,
        "threads": 1,
        "per_fold": [fold_rows] * 5,
        "pooled": fold_rows,
        "pooled_without_acyclic_fold": fold_rows,
        "cross_fitted": calibrate.cross_fitted(results),
    }
    text = calibrate.table(results)
    assert (
        "Fitted on the other folds, spread and dissimilarity, dissimilarity alone meet the aim"
        in text
    )
