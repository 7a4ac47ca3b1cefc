"""Class prototypes by activation maximization (Montavon, Samek & Müller 2018, section 3).

For each class c, gradient ascent on an input x in pixel space:

* plain: ``max_x log p(c | x) - l2 * ||x - x0||^2`` (x0 the mean training image);
* with a density expert: ``max_x log p(c | x) + weight * log p(x)``, where
  ``p(x)`` is a Gaussian mixture fitted on the training images
  (:class:`GaussianMixtureExpert`), which keeps the prototype near real data.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

__all__ = ["GaussianMixtureExpert", "activation_maximization"]


class GaussianMixtureExpert:
    """scikit-learn ``GaussianMixture`` over flattened images, with a torch log-density.

    Parameters mirror ``GaussianMixture`` (full covariances; ``reg_covar`` keeps
    the constant-zero border pixels of the digits from collapsing a variance).
    """

    def __init__(self, n_components: int = 10, reg_covar: float = 1e-2, random_state: int = 0):
        self.n_components = n_components
        self.reg_covar = reg_covar
        self.random_state = random_state

    def fit(self, images: torch.Tensor) -> GaussianMixtureExpert:
        """Fit on (N, C, H, W) images; returns self."""
        from sklearn.mixture import GaussianMixture

        self.shape_ = tuple(images.shape[1:])
        self.mixture_ = GaussianMixture(
            self.n_components,
            covariance_type="full",
            reg_covar=self.reg_covar,
            random_state=self.random_state,
        ).fit(images.reshape(len(images), -1).double().numpy())
        self.means_ = torch.tensor(self.mixture_.means_, dtype=torch.float32)  # (K, D)
        self.cholesky_ = torch.tensor(
            self.mixture_.precisions_cholesky_, dtype=torch.float32
        )  # (K, D, D)
        self.log_weights_ = torch.tensor(np.log(self.mixture_.weights_), dtype=torch.float32)
        return self

    def log_density(self, images: torch.Tensor) -> torch.Tensor:
        """log p(x) for (B, C, H, W) images, shape (B,); differentiable."""
        x = images.reshape(len(images), -1)
        dim = x.shape[1]
        centred = x.unsqueeze(1) - self.means_.unsqueeze(0)  # (B, K, D)
        y = torch.einsum("bkd,kde->bke", centred, self.cholesky_)
        log_det = torch.log(torch.diagonal(self.cholesky_, dim1=1, dim2=2)).sum(1)  # (K,)
        log_gauss = -0.5 * dim * math.log(2 * math.pi) + log_det - 0.5 * (y**2).sum(2)
        return torch.logsumexp(log_gauss + self.log_weights_, dim=1)


def activation_maximization(
    model: torch.nn.Module,
    classes,
    start: torch.Tensor,
    *,
    l2: float = 0.05,
    expert: GaussianMixtureExpert | None = None,
    expert_weight: float = 1.0,
    steps: int = 300,
    learning_rate: float = 0.05,
) -> torch.Tensor:
    """One prototype per class, (K, C, H, W), from the (C, H, W) image ``start``.

    Without ``expert`` the objective is ``log p(c|x) - l2 * ||x - start||^2``;
    with it, ``log p(c|x) + expert_weight * log p(x)`` (no L2 term). Adam, a
    fixed number of steps; deterministic for a given model and start.
    """
    classes = torch.as_tensor(list(classes)).long()
    x = start.detach().unsqueeze(0).repeat(len(classes), 1, 1, 1).requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=learning_rate)
    model.eval()
    flags = [parameter.requires_grad for parameter in model.parameters()]
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    try:
        for _ in range(steps):
            log_class = F.log_softmax(model(x), dim=1)[torch.arange(len(classes)), classes]
            if expert is None:
                penalty = l2 * ((x - start) ** 2).flatten(1).sum(1)
                objective = log_class - penalty
            else:
                objective = log_class + expert_weight * expert.log_density(x)
            optimizer.zero_grad()
            (-objective.sum()).backward()
            optimizer.step()
    finally:
        for parameter, flag in zip(model.parameters(), flags):
            parameter.requires_grad_(flag)
    return x.detach()
