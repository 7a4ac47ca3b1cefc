"""Deletion and insertion curves (Petsiuk et al. 2018, for regression), torch only.

For each molecule, tokens are ranked by their score (highest first). The
deletion curve zeroes the embedding of the top fraction ``q`` of tokens and
records how far the output moves from the full input's output,
``|f(x_del(q)) - f(x)|``: a faithful ranking moves it early (higher area is
better). The insertion curve starts from the all-zero input and restores the
top fraction ``q``: ``|f(x_ins(q)) - f(x)|`` should fall early (lower area is
better). Outputs are in the model's own units (standardized logS for the
regressors here); areas use the trapezoid rule over ``q`` in [0, 1].
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["deletion_insertion_curves", "area", "FRACTIONS"]

#: 0, 0.1, ..., 1: the fractions of tokens removed / restored
FRACTIONS = tuple(float(q) for q in np.linspace(0, 1, 11))


def _kept(scores: torch.Tensor, lengths: torch.Tensor, fraction: float, top: bool) -> torch.Tensor:
    """(B, L) 0/1: for each row, which real tokens to keep after removing / restoring."""
    batch, width = scores.shape
    keep = torch.zeros(batch, width)
    for i in range(batch):
        n = int(lengths[i])
        order = torch.argsort(scores[i, :n], descending=True, stable=True)
        k = int(round(fraction * n))
        chosen = order[:k]
        if top:  # deletion: keep everything except the top k
            keep[i, :n] = 1.0
            keep[i, chosen] = 0.0
        else:  # insertion: keep only the top k
            keep[i, chosen] = 1.0
    return keep


def deletion_insertion_curves(
    forward,
    embedded: torch.Tensor,
    lengths: torch.Tensor,
    scores: torch.Tensor,
    fractions=FRACTIONS,
) -> dict:
    """Mean deletion and insertion curves over a batch.

    Parameters
    ----------
    forward : ``f(embedded (B, L, E), lengths (B,)) -> (B,)``.
    embedded, lengths : the inputs.
    scores : (B, L) token scores; padding ignored.

    Returns
    -------
    ``{"fractions": [...], "deletion": [...], "insertion": [...]}`` (means over molecules).
    """
    with torch.no_grad():
        full = forward(embedded, lengths)
        deletion, insertion = [], []
        for q in fractions:
            for curve, top in ((deletion, True), (insertion, False)):
                keep = _kept(scores.cpu(), lengths.cpu(), float(q), top).to(embedded.device)
                out = forward(embedded * keep.unsqueeze(-1), lengths)
                curve.append(float((out - full).abs().mean()))
    return {
        "fractions": [float(q) for q in fractions],
        "deletion": deletion,
        "insertion": insertion,
    }


def area(fractions, values) -> float:
    """Trapezoid area under a curve."""
    x, y = np.asarray(fractions, float), np.asarray(values, float)
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))
