"""Deletion and insertion curves (Petsiuk et al. 2018, for regression) and pixel
flipping (Samek et al. 2017, for image classifiers), torch only.

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

:func:`pixel_flipping` removes an image's most relevant pixels first,
replacing them with uniform noise (or 0), and records the target class's
logit: the faster it falls, the more faithful the heatmap.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = [
    "FRACTIONS",
    "area",
    "deletion_insertion_curves",
    "pixel_flipping",
    "resampled_baseline",
]

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


def pixel_flipping(
    model: torch.nn.Module,
    images: torch.Tensor,
    target,
    heatmaps: torch.Tensor,
    steps: int = 16,
    baseline: str = "noise",
    random_state: int = 0,
) -> dict:
    """Mean target logit as the most relevant pixels are flipped, most relevant first.

    ``baseline="noise"`` replaces a flipped pixel by uniform noise in [0, 1]
    (Samek et al. 2017; drawn once from ``random_state``), ``"zero"`` by 0
    (for the digits: erasing ink, never adding it).

    Parameters
    ----------
    images : (B, C, H, W); heatmaps : (B, C, H, W) or (B, 1, H, W), summed over
        channels to rank pixels (all channels of a pixel flip together).
    steps : number of equal flipping steps from 0 to all pixels.

    Returns
    -------
    ``{"fractions": [...], "logit": [...], "aopc": float}``; ``aopc`` is the
    mean drop from the unflipped logit over the steps (higher is better).
    """
    batch, channels, height, width = images.shape
    n_pixels = height * width
    order = heatmaps.sum(1).reshape(batch, -1).argsort(dim=1, descending=True, stable=True)
    if baseline not in ("noise", "zero"):
        raise ValueError("baseline must be 'noise' or 'zero'")
    if baseline == "noise":
        generator = torch.Generator().manual_seed(random_state)
        replacement = torch.rand(images.shape, generator=generator)
    else:
        replacement = torch.zeros_like(images)
    target = (
        torch.as_tensor(target).long().expand(batch)
        if np.ndim(target) == 0
        else torch.as_tensor(target).long()
    )
    flipped = images.clone().reshape(batch, channels, -1)
    replacement = replacement.reshape(batch, channels, -1)
    counts = np.linspace(0, n_pixels, steps + 1).round().astype(int)
    rows = torch.arange(batch)
    logits, done = [], 0
    model.eval()
    with torch.no_grad():
        for count in counts:
            chosen = order[:, done:count]
            for c in range(channels):
                flipped[rows.unsqueeze(1), c, chosen] = replacement[rows.unsqueeze(1), c, chosen]
            done = count
            out = model(flipped.reshape(images.shape))
            logits.append(float(out[rows, target].mean()))
    drops = logits[0] - np.asarray(logits)
    return {
        "fractions": [float(c / n_pixels) for c in counts],
        "logit": logits,
        "aopc": float(drops[1:].mean()),
    }
