"""RMSE, MAE, R2, accuracy and ROC AUC by hand."""

import numpy as np
import pytest


def test_prediction_metrics_by_hand():
    from chemexplain.metrics import accuracy, classification_metrics, regression_metrics

    scores = regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    assert scores["rmse"] == pytest.approx(np.sqrt(4 / 3)) and scores["mae"] == pytest.approx(2 / 3)
    assert scores["r2"] == pytest.approx(1 - 4 / 2)
    assert accuracy([[0.1, 0.9], [2.0, -1.0], [0.0, 1.0]], [1, 0, 0]) == pytest.approx(2 / 3)
    both = classification_metrics([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.1])
    assert both["accuracy"] == pytest.approx(0.75) and both["roc_auc"] == pytest.approx(1.0)
