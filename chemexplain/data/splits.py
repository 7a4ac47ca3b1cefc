"""Train/validation/test splits through DeepChem's splitters, quietly.

``random`` uses ``deepchem.splits.RandomSplitter`` with the seed; ``scaffold``
uses ``deepchem.splits.ScaffoldSplitter`` (Bemis-Murcko scaffolds, largest
scaffold sets to train first), which is deterministic: the seed does not change
a scaffold split, only the model's initialization.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Split", "holdout", "split_indices", "scaffold_folds", "SPLIT_METHODS"]

SPLIT_METHODS = ("random", "scaffold")


def holdout(
    n: int, rng: np.random.Generator, fraction: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, validation rows) of ``n`` rows: a random ``fraction`` held out.

    The one hold-out rule of every ``fit`` given no validation set: round(fraction x n)
    rows, at least one, drawn with one permutation from ``rng``.
    """
    n_val = max(1, int(round(fraction * n)))
    order = rng.permutation(n)
    return order[n_val:], order[:n_val]


@dataclass
class Split:
    """Row indices of each part of a dataset, and how they were drawn."""

    method: str
    seed: int
    train: list[int]
    val: list[int]
    test: list[int]
    fractions: tuple[float, float, float] = field(default=(0.8, 0.1, 0.1))

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "seed": self.seed,
            "fractions": list(self.fractions),
            "train": self.train,
            "val": self.val,
            "test": self.test,
        }


@contextlib.contextmanager
def _quiet():
    """Silence DeepChem's import-time prints, warnings and log records."""
    sink = io.StringIO()
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        logging.disable(previous)


def split_indices(
    smiles: Sequence[str],
    method: str = "random",
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> Split:
    """Split ``len(smiles)`` rows into train/val/test with a DeepChem splitter."""
    if method not in SPLIT_METHODS:
        raise ValueError(f"unknown split {method!r}; use one of {', '.join(SPLIT_METHODS)}")
    with _quiet():
        import deepchem as dc

        dataset = dc.data.NumpyDataset(
            X=np.zeros((len(smiles), 1)),
            y=np.zeros(len(smiles)),
            ids=np.asarray(smiles, dtype=object),
        )
        splitter = (
            dc.splits.RandomSplitter() if method == "random" else dc.splits.ScaffoldSplitter()
        )
        train, val, test = splitter.split(dataset, *fractions, seed=seed)
    as_list = lambda part: [int(i) for i in part]  # noqa: E731
    return Split(method, seed, as_list(train), as_list(val), as_list(test), tuple(fractions))


def scaffold_folds(smiles: Sequence[str], k: int = 5) -> list[list[int]]:
    """``k`` disjoint folds of row indices with no Bemis-Murcko scaffold in two folds
    (DeepChem's ``ScaffoldSplitter.k_fold_split``; deterministic). Every row is in one fold."""
    with _quiet():
        import deepchem as dc

        dataset = dc.data.NumpyDataset(
            X=np.arange(len(smiles)).reshape(-1, 1),
            y=np.zeros(len(smiles)),
            ids=np.asarray(smiles, dtype=object),
        )
        folds = dc.splits.ScaffoldSplitter().k_fold_split(dataset, k)
    return [[int(i) for i in held_out.X[:, 0]] for _, held_out in folds]
