"""Estimators (fit / predict / save / load), named configs and dataset training."""

from chemexplain.models.configs import CONFIGS
from chemexplain.models.estimator import SmilesClassifier, SmilesRegressor, load_model
from chemexplain.models.training import regression_metrics, train_on_frame

__all__ = [
    "CONFIGS",
    "SmilesClassifier",
    "SmilesRegressor",
    "load_model",
    "regression_metrics",
    "train_on_frame",
]
