"""Datasets (ESOL, FreeSolv, user CSVs) and train/val/test splits."""

from chemexplain.data.datasets import (
    MANIFEST,
    find_dataset,
    load_csv,
    load_dataset,
    load_esol,
    load_freesolv,
)
from chemexplain.data.splits import Split, split_indices

__all__ = [
    "MANIFEST",
    "Split",
    "find_dataset",
    "load_csv",
    "load_dataset",
    "load_esol",
    "load_freesolv",
    "split_indices",
]
