"""Image adapter (secondary): a residual CNN, digits data, the paper's image explainer.

Heatmaps are the attribution methods of :mod:`chemexplain.attribution` with ``lengths=None``.
"""

from chemexplain.image.data import (
    CIFAR10_CLASSES,
    ImageSplits,
    load_cifar10,
    load_digits_splits,
    planted_patch_dataset,
    random_erase,
    random_shift,
)
from chemexplain.image.explainer import BottleneckImageMask, image_mask_explainer
from chemexplain.image.models import ResidualBlock, ResidualCNN

__all__ = [
    "CIFAR10_CLASSES",
    "BottleneckImageMask",
    "ImageSplits",
    "ResidualBlock",
    "ResidualCNN",
    "image_mask_explainer",
    "load_cifar10",
    "load_digits_splits",
    "planted_patch_dataset",
    "random_erase",
    "random_shift",
]
