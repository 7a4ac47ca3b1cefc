"""A small residual CNN image classifier with the hooks the explainers need.

``features(x)`` returns the bottleneck vector that the paper's image explainer
reads; ``embed``/``forward_embedded`` give :class:`~chemexplain.mask.MaskExplainer`
its interface (an image is its own embedding). No batch normalization, so that
layer-wise relevance propagation (:mod:`chemexplain.attribution.lrp_cnn`) sees only
convolutions, ReLUs, sums, average pooling and linear layers.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from chemexplain.nn.core import constructor_arguments

__all__ = ["ResidualBlock", "ResidualCNN"]


class ResidualBlock(nn.Module):
    """``relu(x + conv2(relu(conv1(x))))`` with 3x3 convolutions, shape-preserving."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.conv2(F.relu(self.conv1(x))))


class ResidualCNN(nn.Module):
    """(B, C, H, W) images -> (B, K) class logits.

    stem conv -> residual block -> 2x2 average pooling -> residual block ->
    flatten -> dense ``bottleneck`` (ReLU; what :meth:`features` returns) ->
    dropout -> dense to ``n_classes``. ``image_size`` must be even;
    ``bottleneck`` must be a perfect square (the explainer reshapes it).
    """

    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 8,
        n_classes: int = 10,
        channels: int = 32,
        bottleneck: int = 64,
        dropout: float = 0.25,
    ):
        super().__init__()
        if image_size % 2:
            raise ValueError("image_size must be even (one 2x2 pooling)")
        if math.isqrt(bottleneck) ** 2 != bottleneck:
            raise ValueError("bottleneck must be a perfect square, e.g. 64 or 256")
        self.config = constructor_arguments(locals())
        self.stem = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.block1 = ResidualBlock(channels)
        self.pool = nn.AvgPool2d(2)
        self.block2 = ResidualBlock(channels)
        self.dense = nn.Linear(channels * (image_size // 2) ** 2, bottleneck)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(bottleneck, n_classes)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, channels, H, W): the first block's output, full resolution."""
        return self.block1(F.relu(self.stem(x)))

    def features_from_map(self, feature_map: torch.Tensor) -> torch.Tensor:
        """:meth:`feature_map` output -> (B, bottleneck) non-negative bottleneck vector."""
        hidden = self.block2(self.pool(feature_map))
        return F.relu(self.dense(hidden.flatten(1)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, bottleneck) non-negative bottleneck vector."""
        return self.features_from_map(self.feature_map(x))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.dropout(self.features(x)))

    # MaskExplainer interface: the image is its own embedding.
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def forward_embedded(self, x: torch.Tensor, lengths: torch.Tensor | None = None):
        return self(x)
