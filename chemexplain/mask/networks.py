"""Explainer networks: read a frozen model's embedded input, output one weight per unit.

:class:`ResidualConvMask` is the SMILES explainer of Phillips, Goh & Hodas
(2018): a 20-layer residual 1D CNN with SELU and length-preserving padding, then
a 1x1 convolution, batch normalization and softplus, giving one non-negative
weight per character. It works on any (B, L, E) sequence, so it is torch-only.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from chemexplain.nn.core import constructor_arguments, length_mask

__all__ = ["ResidualConvMask"]


class ResidualConvMask(nn.Module):
    """(B, L, E) embedded sequence + lengths (B,) -> (B, L) softplus weights, 0 at padding.

    ``n_layers`` convolutions (kernel ``kernel_size``, ``channels`` wide) in
    residual blocks of two; hidden states are zeroed at padded positions after
    every layer and the batch normalization sees real positions only, so a
    sequence's mask does not depend on how much padding its batch has.
    """

    def __init__(
        self, embedding_dim: int = 50, channels: int = 64, n_layers: int = 20, kernel_size: int = 3
    ):
        super().__init__()
        if n_layers % 2 or kernel_size % 2 == 0:
            raise ValueError("n_layers must be even (blocks of two) and kernel_size odd")
        self.config = constructor_arguments(locals())
        self.input = nn.Conv1d(embedding_dim, channels, 1)
        self.layers = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2)
            for _ in range(n_layers)
        )
        self.output = nn.Conv1d(channels, 1, 1)
        self.norm = nn.BatchNorm1d(1)

    def forward(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        real = length_mask(lengths.to(embedded.device), embedded.shape[1])  # (B, L)
        keep = real.unsqueeze(1).to(embedded.dtype)  # (B, 1, L)
        hidden = self.input(embedded.transpose(1, 2)) * keep
        for first, second in zip(self.layers[0::2], self.layers[1::2], strict=True):
            update = second(F.selu(first(F.selu(hidden)) * keep)) * keep
            hidden = hidden + update
        logits = self.output(F.selu(hidden)).squeeze(1)  # (B, L)
        normalized = torch.zeros_like(logits)
        normalized[real] = self.norm(logits[real].unsqueeze(1)).squeeze(1)
        return F.softplus(normalized) * real.to(logits.dtype)
