"""Pixel heatmaps for an image classifier (Montavon, Samek & Müller 2018) and pixel flipping.

* :class:`Sensitivity` — sensitivity analysis, ``(df_c/dx_i)^2`` (Captum's
  ``Saliency`` gradient, squared);
* :class:`GradientXInput` — simple Taylor decomposition at the origin,
  ``x_i df_c/dx_i`` (Captum's ``InputXGradient``);
* :class:`LRPAlphaBeta` — layer-wise relevance propagation with the αβ rule
  (α = 1, β = 0 and α = 2, β = 1) through :class:`ResidualCNN`.

Captum's LRP has the α1β0 rule but no α2β1, and passes relevance through a
residual sum by plain gradient (the z-rule) instead of the αβ rule; zennit
has both but requires torchvision (which pulls a CUDA build of torch). So
the αβ pass here is explicit, layer by layer. On a network without a
residual sum it agrees with Captum's α1β0, and it conserves the target logit
when biases are zero (both tested). Biases take no relevance; every method ``attribute(images, target)`` returns (B, C, H, W).

:func:`pixel_flipping` removes the most relevant pixels first, replacing them
with uniform noise (or 0), and records the target class's logit: the faster
it falls, the more faithful the heatmap (Samek et al. 2017).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from chemexplain.attribution.lrp import alpha_beta, alpha_beta_weights
from chemexplain.image.models import ResidualCNN

__all__ = ["Sensitivity", "GradientXInput", "LRPAlphaBeta", "pixel_flipping", "HEATMAPS"]


def _as_target(target, n: int) -> torch.Tensor:
    return (
        torch.as_tensor(target).long().expand(n)
        if np.ndim(target) == 0
        else torch.as_tensor(target).long()
    )


class Sensitivity:
    """Sensitivity analysis: squared gradient of the target logit, (B, C, H, W)."""

    def __init__(self, model: torch.nn.Module):
        self.model = model

    def attribute(self, images: torch.Tensor, target) -> torch.Tensor:
        from captum.attr import Saliency

        self.model.eval()
        gradient = Saliency(self.model).attribute(
            images, target=_as_target(target, len(images)), abs=False
        )
        return gradient.detach() ** 2


class GradientXInput:
    """Simple Taylor decomposition (root point 0): input times gradient, (B, C, H, W)."""

    def __init__(self, model: torch.nn.Module):
        self.model = model

    def attribute(self, images: torch.Tensor, target) -> torch.Tensor:
        from captum.attr import InputXGradient

        self.model.eval()
        return (
            InputXGradient(self.model)
            .attribute(images, target=_as_target(target, len(images)))
            .detach()
        )


# ------------------------------------------------------------------------ LRP
def _alpha_beta(layer, a: torch.Tensor, relevance: torch.Tensor, alpha, beta, eps=1e-9):
    """Relevance of a layer's input ``a`` by the αβ rule.

    ``layer(a, sign)`` computes the bias-free layer with its weights' positive
    (``sign=+1``) or negative (``sign=-1``) part. Positive contributions
    ``z+ = W+ a+ + W- a-`` receive ``alpha`` times the output relevance,
    negative ones ``z- = W- a+ + W+ a-`` minus ``beta`` times it, each split in
    proportion to the contributions (edge cases: :func:`alpha_beta_weights`).
    """
    a_pos = a.clamp(min=0).detach().requires_grad_(True)
    a_neg = a.clamp(max=0).detach().requires_grad_(True)
    z_pos = layer(a_pos, +1) + layer(a_neg, -1)
    z_neg = layer(a_pos, -1) + layer(a_neg, +1)
    alphas, betas = alpha_beta_weights(z_pos.detach(), z_neg.detach(), alpha, beta)
    scale_pos = (alphas * relevance / (z_pos + eps)).detach()
    scale_neg = (betas * relevance / (z_neg - eps)).detach()
    g_pos = _grad((z_pos * scale_pos).sum(), [a_pos, a_neg])
    g_neg = _grad((z_neg * scale_neg).sum(), [a_pos, a_neg])
    positive = a_pos * g_pos[0] + a_neg * g_pos[1]
    negative = a_pos * g_neg[0] + a_neg * g_neg[1]
    return (positive - negative).detach()


def _grad(output: torch.Tensor, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
    if not output.requires_grad:  # the layer ignored both inputs (a sign with no weights)
        return [torch.zeros_like(x) for x in inputs]
    grads = torch.autograd.grad(output, inputs, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for x, g in zip(inputs, grads)]


def _signed(weight: torch.Tensor, sign: int) -> torch.Tensor:
    return weight.clamp(min=0) if sign > 0 else weight.clamp(max=0)


def _conv(conv):
    return lambda a, s: F.conv2d(a, _signed(conv.weight, s), None, conv.stride, conv.padding)


def _linear(linear):
    return lambda a, s: F.linear(a, _signed(linear.weight, s))


def _pool(pool):  # average pooling: all weights positive
    return lambda a, s: pool(a) if s > 0 else torch.zeros_like(pool(a))


def _sum_rule(parts, relevance, alpha, beta):
    """αβ rule for ``y = sum(parts)`` (a residual connection): each part is its own contribution."""
    contributions = torch.stack(parts, dim=-1).unsqueeze(-1)  # (..., I = len(parts), J = 1)
    return alpha_beta(contributions, relevance.unsqueeze(-1), alpha, beta).unbind(-1)


def _block_relevance(block, h, relevance, alpha, beta):
    inner = F.relu(block.conv1(h))
    branch = block.conv2(inner)
    direct, through = _sum_rule([h, branch], relevance, alpha, beta)
    r_inner = _alpha_beta(_conv(block.conv2), inner, through, alpha, beta)
    return direct + _alpha_beta(_conv(block.conv1), h, r_inner, alpha, beta)


class LRPAlphaBeta:
    """LRP-αβ through a :class:`ResidualCNN`; ``alpha - beta`` must be 1. (B, C, H, W).

    The output relevance is the target logit (other logits 0); ReLUs pass
    relevance unchanged; dropout is off (eval mode).
    """

    def __init__(self, model: ResidualCNN, alpha: float = 1.0, beta: float = 0.0):
        if abs(alpha - beta - 1) > 1e-9:
            raise ValueError("the αβ rule needs alpha - beta = 1 (e.g. 1, 0 or 2, 1)")
        if not isinstance(model, ResidualCNN):
            raise TypeError("LRPAlphaBeta propagates through chemexplain's ResidualCNN only")
        self.model, self.alpha, self.beta = model, alpha, beta

    def attribute(self, images: torch.Tensor, target) -> torch.Tensor:
        m, ab = self.model, (self.alpha, self.beta)
        m.eval()
        with torch.no_grad():
            a1 = F.relu(m.stem(images))
            o1 = m.block1(a1)
            p = m.pool(o1)
            o2 = m.block2(p)
            flat = o2.flatten(1)
            d = F.relu(m.dense(flat))
            logits = m.head(d)
        target = _as_target(target, len(images))
        r_logits = torch.zeros_like(logits)
        r_logits[torch.arange(len(images)), target] = logits[torch.arange(len(images)), target]
        r = _alpha_beta(_linear(m.head), d, r_logits, *ab)
        r = _alpha_beta(_linear(m.dense), flat, r, *ab).view_as(o2)
        r = _block_relevance(m.block2, p, r, *ab)
        r = _alpha_beta(_pool(m.pool), o1, r, *ab)
        r = _block_relevance(m.block1, a1, r, *ab)
        return _alpha_beta(_conv(m.stem), images, r, *ab)


#: the heatmap methods of the Montavon et al. comparison, by display name
HEATMAPS = {
    "sensitivity": Sensitivity,
    "gradient x input": GradientXInput,
    "LRP a1b0": lambda model: LRPAlphaBeta(model, 1.0, 0.0),
    "LRP a2b1": lambda model: LRPAlphaBeta(model, 2.0, 1.0),
}


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
    target = _as_target(target, batch)
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
