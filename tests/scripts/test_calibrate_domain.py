"""The domain-calibration script's size rule (no training here)."""

import importlib.util
from pathlib import Path

import numpy as np

from chemexplain.data.splits import scaffold_folds

spec = importlib.util.spec_from_file_location(
    "calibrate_domain", Path(__file__).parents[2] / "scripts" / "calibrate_domain.py"
)
calibrate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(calibrate)

SMILES = [
    *("C" * n + "O" for n in range(1, 9)),
    *("c1ccccc1" + "C" * n for n in range(0, 6)),
    *("C1CCCCC1" + "C" * n for n in range(0, 6)),
    "C" * 40,  # acyclic, larger than every other molecule
]


def test_the_size_rule_counts_molecules_larger_than_their_folds_training_set():
    n_folds = 3
    folds = scaffold_folds(SMILES, n_folds)
    heavy = np.array([len(s.replace("1", "").replace("c", "C")) for s in SMILES])
    expected = np.zeros(len(SMILES), bool)
    for k, held_out in enumerate(folds):
        train, val = calibrate.fold_training_rows(k, held_out, len(SMILES))
        assert not set(train) & set(held_out) and not set(val) & set(held_out)
        assert len(train) + len(val) == len(SMILES) - len(held_out)
        expected[held_out] = heavy[held_out] > heavy[train].max()
    assert expected[-1]  # C40 is larger than any training molecule wherever it falls
    errors = np.arange(len(SMILES), dtype=float)
    similarity = np.where(np.arange(len(SMILES)) % 2 == 0, 0.9, 0.1)
    size = calibrate.larger_than_training(SMILES, n_folds, similarity, errors, 0.35)
    assert size["n"] == expected.sum()
    assert size["rmse"] == np.sqrt(np.mean(errors[expected] ** 2))
    assert size["already_below_threshold"] == (expected & (similarity < 0.35)).sum()
