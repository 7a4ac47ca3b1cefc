"""Train an estimator on a dataset with a saved split, and score it on the test part."""

from __future__ import annotations

import pandas as pd

from chemexplain.data.splits import split_indices
from chemexplain.errors import DataFormatError
from chemexplain.metrics.prediction import classification_metrics, regression_metrics
from chemexplain.models.estimator import SmilesClassifier, SmilesRegressor

__all__ = ["train_on_frame", "training_frame"]


def train_on_frame(
    frame: pd.DataFrame,
    target_col: str,
    *,
    split: str = "random",
    seed: int = 0,
    config: str = "paper",
    task: str = "regression",
    data_info: dict | None = None,
    ensemble: int = 0,
    **estimator_args,
):
    """Split ``frame`` 80/10/10, fit on train (early stopping on val), score on test.

    ``frame`` needs a ``smiles`` column and ``target_col``. The returned
    estimator carries ``split_`` (row indices of each part), ``data_`` and
    ``metrics_`` (``test_rmse``, ``val_rmse``, ``train_rmse``, ... for
    regression; ``test_roc_auc``, ``test_accuracy`` ... for classification),
    all written by ``save``. ``ensemble=N`` (N >= 2, regression) trains a
    :class:`~chemexplain.models.ensemble.SmilesEnsemble` of N members with seeds
    ``seed, seed + 1, ...`` on the same split; ``metrics_`` then also holds
    ``members_test_rmse``.
    """
    smiles = frame["smiles"].tolist()
    y = frame[target_col].to_numpy(dtype=float)
    parts = split_indices(smiles, split, seed)
    sizes = {"training": len(parts.train), "validation": len(parts.val), "test": len(parts.test)}
    if sizes["training"] < 2 or not sizes["validation"] or not sizes["test"]:
        raise DataFormatError(
            f"{len(smiles)} molecules are too few for an 80/10/10 {split} split "
            f"({', '.join(f'{n} {name}' for name, n in sizes.items())}): "
            "give 10 or more (each part needs a molecule, training two)"
        )
    cls = SmilesRegressor if task == "regression" else SmilesClassifier
    if ensemble:
        from chemexplain.models.ensemble import SmilesEnsemble

        if task != "regression":
            raise ValueError("ensembles are for regression")
        model = SmilesEnsemble(
            config, n_members=ensemble, random_state=seed, estimator_params=estimator_args
        )
    else:
        model = cls(config, random_state=seed, **estimator_args)
    pick = lambda rows: ([smiles[i] for i in rows], y[rows])  # noqa: E731
    model.fit(*pick(parts.train), *pick(parts.val))
    metrics: dict = {}
    for name, rows in (("train", parts.train), ("val", parts.val), ("test", parts.test)):
        part_smiles, part_y = pick(rows)
        if task == "regression":
            scores = regression_metrics(part_y, model.predict(part_smiles))
        else:
            scores = classification_metrics(part_y, model.predict_proba(part_smiles)[:, 1])
        metrics.update({f"{name}_{key}": value for key, value in scores.items()})
        metrics[f"n_{name}"] = len(rows)
    members = model.__dict__.get("members_", [model])
    metrics["train_seconds"] = float(sum(m.train_seconds_ for m in members))
    metrics["best_epoch"] = model.best_epoch_
    if len(members) > 1:
        test_smiles, test_y = pick(parts.test)
        metrics["members_test_rmse"] = [
            regression_metrics(test_y, m.predict(test_smiles))["rmse"] for m in members
        ]
    model.split_ = parts.to_dict()
    model.data_ = {"target": target_col, "n_rows": len(frame), **(data_info or {})}
    model.metrics_ = metrics
    return model


def training_frame(model) -> tuple[pd.DataFrame, str]:
    """The DataFrame a saved model was trained on, and its target column.

    Reloads the dataset named in ``model.data_`` and checks its sha256, so that
    the row indices of ``model.split_`` still point at the same molecules.
    """
    from chemexplain.data.datasets import MANIFEST, find_dataset, load_csv, load_dataset
    from chemexplain.serialization import sha256_of

    info = getattr(model, "data_", None) or {}
    name = info.get("dataset")
    if name is None:
        raise DataFormatError("this model does not record the data it was trained on; pass --data")
    if name in MANIFEST:
        frame, path = load_dataset(name), find_dataset(name)
    else:
        frame, path = load_csv(name, info.get("smiles_col", "smiles"), info["target"]), name
    if info.get("sha256") and sha256_of(path) != info["sha256"]:
        raise DataFormatError(
            f"{path} changed since the model was trained (sha256 differs); "
            "its split indices no longer apply"
        )
    return frame, info["target"]
