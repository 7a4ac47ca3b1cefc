"""Deletion and insertion curves (Petsiuk et al. 2018, for regression), torch only.

For each molecule, tokens are ranked by their score (highest first). The
deletion curve zeroes the embedding of the top fraction ``q`` of tokens and
records how far the output moves from the full input's output,
``|f(x_del(q)) - f(x)|``: a faithful ranking moves it early (higher area is
better). The insertion curve starts from the all-zero input and restores the
top fraction ``q``: ``|f(x_ins(q)) - f(x)|`` should fall early (lower area is
better). Outputs are in the model's own units (standardized logS for the
regressors here); areas use the trapezoid rule over ``q`` in [0, 1].

Zeroing is the very perturbation that occlusion, LIME and KernelSHAP are
built on, so it favours them. ``baseline`` gives another: a (B, L, E) input
whose units replace the removed ones (for SMILES, the embeddings of tokens
drawn from the training token distribution; see
:func:`resampled_baseline`); the insertion curve then starts from it.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["deletion_insertion_curves", "resampled_baseline", "area", "FRACTIONS"]

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
    baseline: torch.Tensor | None = None,
) -> dict:
    """Mean deletion and insertion curves over a batch.

    Parameters
    ----------
    forward : ``f(embedded (B, L, E), lengths (B,)) -> (B,)``.
    embedded, lengths : the inputs.
    scores : (B, L) token scores; padding ignored.
    baseline : (B, L, E) what a removed unit becomes; None: zeros.

    Returns
    -------
    ``{"fractions": [...], "deletion": [...], "insertion": [...]}`` (means over molecules).
    """
    width = embedded.shape[1]
    real = torch.arange(width, device=embedded.device)[None, :] < lengths[:, None].to(
        embedded.device
    )
    real = real.unsqueeze(-1).to(embedded.dtype)
    with torch.no_grad():
        full = forward(embedded, lengths)
        deletion, insertion = [], []
        for q in fractions:
            for curve, top in ((deletion, True), (insertion, False)):
                keep = _kept(scores.cpu(), lengths.cpu(), float(q), top).to(embedded.device)
                keep = keep.unsqueeze(-1).to(embedded.dtype)
                perturbed = embedded * keep
                if baseline is not None:
                    perturbed = perturbed + baseline * (1.0 - keep) * real
                out = forward(perturbed, lengths)
                curve.append(float((out - full).abs().mean()))
    return {
        "fractions": [float(q) for q in fractions],
        "deletion": deletion,
        "insertion": insertion,
    }


def resampled_baseline(
    embed, lengths: torch.Tensor, frequencies: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """(B, L, E): ``embed`` of token ids drawn independently from ``frequencies`` (V,), the
    training token distribution; zeros at padding. ``embed`` maps (B, L) ids to (B, L, E)."""
    width = int(lengths.max())
    ids = torch.multinomial(
        frequencies, len(lengths) * width, replacement=True, generator=generator
    )
    with torch.no_grad():
        drawn = embed(ids.view(len(lengths), width))
    real = torch.arange(width)[None, :] < lengths[:, None]
    return drawn * real.unsqueeze(-1).to(drawn.dtype)


def area(fractions, values) -> float:
    """Trapezoid area under a curve."""
    x, y = np.asarray(fractions, float), np.asarray(values, float)
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))
