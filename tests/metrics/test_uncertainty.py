"""Interval coverage and its split-conformal calibration."""

import numpy as np
import pytest


def test_conformal_scale_meets_the_level_on_exchangeable_errors():
    from chemexplain.metrics import conformal_scale, interval_coverage

    rng = np.random.default_rng(0)
    spread = rng.uniform(0.1, 1.0, 4000)
    errors = rng.normal(0, 3.0 * spread)  # the true std is 3x the spread
    scale = conformal_scale(errors[:2000], spread[:2000])
    assert scale == pytest.approx(3.0, rel=0.08)
    assert interval_coverage(errors[2000:], scale * spread[2000:]) == pytest.approx(0.95, abs=0.015)
    assert interval_coverage(errors[2000:], spread[2000:]) < 0.6  # uncalibrated: far too narrow
    # by hand: normalized scores 1..19 over 19 molecules -> the ceil(20 * 0.95) = 19th
    assert conformal_scale(np.arange(1, 20), np.ones(19)) == pytest.approx(19 / 1.96)
    with pytest.raises(ValueError, match="positive"):
        conformal_scale([1.0, 2.0], [1.0, 0.0])
