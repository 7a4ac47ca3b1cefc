"""LRP-αβ through a residual CNN (Montavon, Samek & Müller 2018): the fixed-size-input pass
of :class:`chemexplain.attribution.LRPAlphaBeta` (``lengths=None``).

Captum's LRP has the α1β0 rule but no α2β1, and passes relevance through a
residual sum by plain gradient (the z-rule) instead of the αβ rule; zennit
has both but requires torchvision (which pulls a CUDA build of torch). So
the αβ pass here is explicit, layer by layer. On a network without a
residual sum it agrees with Captum's α1β0, and it conserves the target logit
when biases are zero (both tested). Biases take no relevance.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from chemexplain.attribution.lrp import alpha_beta, alpha_beta_weights

__all__ = ["lrp_alpha_beta_cnn"]

_CNN_LAYERS = ("stem", "block1", "pool", "block2", "dense", "head")


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


def lrp_alpha_beta_cnn(
    model, images: torch.Tensor, target, alpha: float, beta: float
) -> torch.Tensor:
    """LRP-αβ relevance of ``images`` (B, C, H, W) for the ``target`` logit; same shape.

    ``model`` has the layout of :class:`chemexplain.image.ResidualCNN`: ``stem``
    (conv), ``block1``, ``pool`` (average), ``block2`` (residual blocks with
    ``conv1``/``conv2``), ``dense`` and ``head`` (linear), ReLUs between them.
    """
    missing = [n for n in _CNN_LAYERS if not hasattr(model, n)]
    if missing:
        raise TypeError(
            "LRP-αβ on fixed-size inputs propagates through a ResidualCNN-like model "
            f"(stem, block1, pool, block2, dense, head); this one lacks {', '.join(missing)}"
        )
    m, ab = model, (alpha, beta)
    m.eval()
    with torch.no_grad():
        a1 = F.relu(m.stem(images))
        o1 = m.block1(a1)
        p = m.pool(o1)
        o2 = m.block2(p)
        flat = o2.flatten(1)
        d = F.relu(m.dense(flat))
        logits = m.head(d)
    rows = torch.arange(len(images))
    target = (
        torch.as_tensor(target).long().expand(len(images))
        if np.ndim(target) == 0
        else torch.as_tensor(target).long()
    )
    r_logits = torch.zeros_like(logits)
    r_logits[rows, target] = logits[rows, target]
    r = _alpha_beta(_linear(m.head), d, r_logits, *ab)
    r = _alpha_beta(_linear(m.dense), flat, r, *ab).view_as(o2)
    r = _block_relevance(m.block2, p, r, *ab)
    r = _alpha_beta(_pool(m.pool), o1, r, *ab)
    r = _block_relevance(m.block1, a1, r, *ab)
    return _alpha_beta(_conv(m.stem), images, r, *ab)
