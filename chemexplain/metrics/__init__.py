"""Modality-agnostic metrics: pure functions of predictions, explanations and ground truths.

* :mod:`~chemexplain.metrics.ranking`: top-k hits, chance, rank agreement;
* :mod:`~chemexplain.metrics.faithfulness`: deletion / insertion curves, pixel flipping;
* :mod:`~chemexplain.metrics.ground_truth`: Kendall's tau against known per-unit values;
* :mod:`~chemexplain.metrics.prediction`: RMSE, MAE, R², accuracy, ROC AUC;
* :mod:`~chemexplain.metrics.uncertainty`: interval coverage and its conformal calibration.
"""

from chemexplain.metrics.faithfulness import (
    FRACTIONS,
    area,
    deletion_insertion_curves,
    pixel_flipping,
    resampled_baseline,
)
from chemexplain.metrics.ground_truth import (
    bootstrap_ci,
    kendall_ceiling,
    paired_kendall,
    per_molecule_kendall,
)
from chemexplain.metrics.prediction import accuracy, classification_metrics, regression_metrics
from chemexplain.metrics.ranking import (
    chance_top_k,
    class_contrast,
    mean_spearman,
    rank_normalize,
    top_k,
    top_k_accuracy,
    top_k_hit,
)
from chemexplain.metrics.uncertainty import conformal_scale, interval_coverage

__all__ = [
    "FRACTIONS",
    "accuracy",
    "area",
    "bootstrap_ci",
    "chance_top_k",
    "class_contrast",
    "classification_metrics",
    "conformal_scale",
    "deletion_insertion_curves",
    "interval_coverage",
    "kendall_ceiling",
    "mean_spearman",
    "paired_kendall",
    "per_molecule_kendall",
    "pixel_flipping",
    "rank_normalize",
    "regression_metrics",
    "resampled_baseline",
    "top_k",
    "top_k_accuracy",
    "top_k_hit",
]
