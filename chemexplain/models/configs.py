"""Named training configurations of the SMILES estimators.

``paper``
    SMILES2vec as in Goh et al. (2017) and DeepChem's reimplementation:
    character tokens, embedding 50, Conv1d 192 (kernel 3), GRU 224 then 384,
    Adam 1e-3, batch 32, early stopping; no augmentation.
``best``
    The configuration that gave the lowest validation RMSE on ESOL in the
    search recorded in ``benchmarks/README.md``: the same network trained on
    RDKit-randomized SMILES (``n_augment`` per training molecule) and
    predicting the mean over ``n_test_augment`` random SMILES per molecule.
"""

from __future__ import annotations

__all__ = ["CONFIGS", "resolve_config"]

_PAPER = {
    "scheme": "char",
    "embedding_dim": 50,
    "conv_filters": 192,
    "kernel_size": 3,
    "gru_sizes": (224, 384),
    "bidirectional": False,
    "dropout": 0.0,
    "learning_rate": 1e-3,
    "batch_size": 32,
    "max_epochs": 60,
    "patience": 12,
    "n_augment": 0,
    "n_test_augment": 0,
}

CONFIGS: dict[str, dict] = {
    "paper": _PAPER,
    # the paper's network, trained on randomized SMILES and averaged over them at test time
    "best": {**_PAPER, "max_epochs": 30, "patience": 8, "n_augment": 5, "n_test_augment": 10},
}


def resolve_config(name: str, overrides: dict) -> dict:
    """The named configuration with every non-None override applied."""
    if name not in CONFIGS:
        raise ValueError(f"unknown config {name!r}; use one of {', '.join(CONFIGS)}")
    resolved = dict(CONFIGS[name])
    for key, value in overrides.items():
        if key not in resolved:
            raise ValueError(f"unknown hyperparameter {key!r}")
        if value is not None:
            resolved[key] = value
    resolved["gru_sizes"] = tuple(resolved["gru_sizes"])
    return resolved
