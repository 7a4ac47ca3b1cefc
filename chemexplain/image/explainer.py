"""The paper's image explainer network, trained by the shared :class:`MaskExplainer`.

Phillips, Goh & Hodas (2018) explain a CIFAR-10 ResNet with a network that
reads the classifier's bottleneck vector reshaped to a square, runs two blocks
of four 3x3 convolutions with tanh (each block returns the sum of its first
and last layer's outputs), upsamples to the input size after the first block,
and ends in a 1x1 convolution with a sigmoid: one weight in [0, 1] per pixel,
multiplied into every channel of the input.

``skip`` (not in the paper) also feeds the second block, as extra channels
after the upsampling, the input image (``"image"``) or the classifier's
full-resolution feature map (``"features"``, :meth:`ResidualCNN.feature_map`).
The bottleneck of a classifier only has to tell classes apart, and need not
say *where* the evidence was; the planted-patch check measures the difference.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from chemexplain.mask import MaskExplainer
from chemexplain.nn.core import TrainingSchedule

__all__ = ["BottleneckImageMask", "image_mask_explainer"]


class _TanhBlock(nn.Module):
    """Four 3x3 convolutions with tanh; returns first + last layer output."""

    def __init__(self, in_channels: int, channels: int):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(in_channels if i == 0 else channels, channels, 3, padding=1) for i in range(4)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = hidden = torch.tanh(self.convs[0](x))
        for conv in self.convs[1:]:
            hidden = torch.tanh(conv(hidden))
        return first + hidden


class BottleneckImageMask(nn.Module):
    """Frozen classifier's bottleneck -> (B, 1, H, W) mask in [0, 1].

    Parameters
    ----------
    model : the frozen classifier; ``model.features(images)`` must return
        (B, D) with D a perfect square. It is held by reference, not as a
        submodule: its weights are neither trained nor saved with the mask.
    image_size : H = W of the input images.
    in_channels : channels of the input image (used when ``skip="image"``).
    channels : width of the convolutions.
    skip : ``None`` (the paper), ``"image"`` or ``"features"`` (see module doc).
    """

    def __init__(
        self,
        model: nn.Module,
        image_size: int,
        in_channels: int = 1,
        channels: int = 32,
        skip: str | None = None,
    ):
        super().__init__()
        if skip not in (None, "image", "features"):
            raise ValueError("skip must be None, 'image' or 'features'")
        self._model = [model]  # a list, so that nn.Module does not register it
        self.image_size = image_size
        self.skip = skip
        extra = {None: 0, "image": in_channels, "features": model.config.get("channels", 0)}
        self.block1 = _TanhBlock(1, channels)
        self.block2 = _TanhBlock(channels + extra[skip], channels)
        self.output = nn.Conv2d(channels, 1, 1)

    def forward(self, images: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        model = self._model[0]
        with torch.no_grad():
            if self.skip == "features":  # one pass through the classifier for both inputs
                feature_map = model.feature_map(images)
                bottleneck = model.features_from_map(feature_map)
            else:
                bottleneck = model.features(images)
        side = math.isqrt(bottleneck.shape[1])
        if side * side != bottleneck.shape[1]:
            raise ValueError(f"bottleneck of size {bottleneck.shape[1]} is not a square")
        hidden = self.block1(bottleneck.view(-1, 1, side, side))
        hidden = F.interpolate(hidden, size=(self.image_size,) * 2, mode="bilinear")
        if self.skip == "image":
            hidden = torch.cat([hidden, images], dim=1)
        elif self.skip == "features":
            hidden = torch.cat([hidden, feature_map], dim=1)
        return torch.sigmoid(self.output(self.block2(hidden)))


def image_mask_explainer(
    model: nn.Module,
    image_size: int,
    in_channels: int = 1,
    *,
    channels: int = 32,
    skip: str | None = None,
    l1: float = 0.0,
    l2: float = 1e-4,
    **options,
) -> MaskExplainer:
    """A :class:`MaskExplainer` (multiclass, L2 1e-4 as in the paper) over an image classifier.

    ``options`` go to :class:`MaskExplainer` (``target``, ``device``), those of a
    :class:`~chemexplain.nn.core.TrainingSchedule` (``max_epochs``, ``learning_rate``,
    ``random_state``...) to its ``schedule``. Fit it with the classifier's
    ``(images, None, labels)`` batches.
    """
    options.setdefault("task", "multiclass")
    options["schedule"] = TrainingSchedule.take(options)
    network = BottleneckImageMask(model, image_size, in_channels, channels, skip)
    return MaskExplainer(model, network, l1=l1, l2=l2, **options)
