"""How good a model's predictions are: regression and classification scores (pure functions).

Units follow the target: an RMSE on ESOL is in log10 mol/L.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["accuracy", "classification_metrics", "regression_metrics"]


def regression_metrics(y_true: Sequence[float], y_pred: Sequence[float]) -> dict:
    """RMSE, MAE and R² of predictions (same units as the target)."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    residual = y_pred - y_true
    total = np.sum((y_true - y_true.mean()) ** 2)
    return {
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "mae": float(np.mean(np.abs(residual))),
        "r2": float(1 - np.sum(residual**2) / total) if total > 0 else float("nan"),
    }


def classification_metrics(y_true: Sequence[int], proba: Sequence[float]) -> dict:
    """Accuracy at 0.5 and ROC AUC (NaN with one class present) of P(class 1)."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    y_true, proba = np.asarray(y_true), np.asarray(proba, float)
    metrics = {"accuracy": float(accuracy_score(y_true, proba >= 0.5))}
    metrics["roc_auc"] = (
        float(roc_auc_score(y_true, proba)) if len(set(y_true.tolist())) == 2 else float("nan")
    )
    return metrics


def accuracy(logits, labels) -> float:
    """Fraction of rows whose argmax over the last axis equals the label.

    ``logits``: (N, K) array or tensor; ``labels``: (N,) integer class labels.
    """
    logits, labels = np.asarray(logits), np.asarray(labels)
    return float(np.mean(logits.argmax(-1) == labels))
