"""Is a predicted spread an honest error bar? Coverage and its conformal calibration.

A spread ``s`` (an ensemble's standard deviation, say) promises that about
95% of errors fall within ±1.96·s. :func:`interval_coverage` measures the
fraction that does; :func:`conformal_scale` finds, on held-out molecules, the
factor that makes the promise hold (split-conformal prediction with a
normalized score, Papadopoulos et al. 2002; Lei et al. 2018).
"""

from __future__ import annotations

import numpy as np

__all__ = ["conformal_scale", "interval_coverage"]


def interval_coverage(errors, spread, z: float = 1.96) -> float:
    """Fraction of ``|errors| <= z * spread`` (both (n,), the target's units)."""
    return float(np.mean(np.abs(np.asarray(errors, float)) <= z * np.asarray(spread, float)))


def conformal_scale(errors, spread, level: float = 0.95, z: float = 1.96) -> float:
    """Factor ``c`` such that ``|error| <= z * c * spread`` for ``level`` of new molecules.

    The normalized score ``|error| / spread`` of the calibration molecules is
    sorted and its ``ceil((n + 1) * level)``-th smallest (the largest if ``n``
    is too small) divided by ``z``. Exchangeable molecules then meet the level
    on average; molecules unlike the calibration set may not.
    """
    errors, spread = np.abs(np.asarray(errors, float)), np.asarray(spread, float)
    if errors.shape != spread.shape or errors.size == 0:
        raise ValueError("errors and spread need the same non-empty shape")
    if np.any(spread <= 0) or not np.all(np.isfinite(spread)):
        raise ValueError("every spread must be positive and finite")
    scores = np.sort(errors / spread)
    k = min(len(scores), int(np.ceil((len(scores) + 1) * level)))
    return float(scores[k - 1] / z)
