"""Datasets (ESOL, FreeSolv, user CSVs) and train/val/test splits.

Names load on first use, so the command line's ``--help`` needs no pandas.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "datasets": [
            "MANIFEST",
            "find_dataset",
            "load_csv",
            "load_dataset",
            "load_esol",
            "load_freesolv",
        ],
        "splits": ["Split", "split_indices"],
    },
)
