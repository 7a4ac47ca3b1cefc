"""Train a torch classifier on (inputs, lengths, labels) batches: the image and text adapters' loop.

SMILES models have their own estimator (:mod:`chemexplain.models`); the image
and text adapters only need one plain loop: Adam on cross-entropy, the
validation loss checked each epoch, the best epoch's weights kept. Batches use
the :class:`~chemexplain.mask.MaskExplainer` layout so one list of batches
serves both the classifier and its explainer.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["make_batches", "fit_classifier", "predict_logits", "accuracy"]

Batch = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]


def make_batches(
    inputs: torch.Tensor,
    labels: torch.Tensor | None = None,
    lengths: torch.Tensor | None = None,
    batch_size: int = 64,
    shuffle: bool = False,
    random_state: int = 0,
) -> list[Batch]:
    """Split tensors into ``(inputs, lengths, labels)`` batches (a list, re-iterable)."""
    order = np.arange(len(inputs))
    if shuffle:
        order = np.random.default_rng(random_state).permutation(len(inputs))
    batches = []
    for start in range(0, len(order), batch_size):
        index = torch.as_tensor(order[start : start + batch_size])
        batches.append(
            (
                inputs[index],
                None if lengths is None else lengths[index],
                None if labels is None else labels[index],
            )
        )
    return batches


def _loss(model: nn.Module, batches: list[Batch]) -> float:
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for inputs, lengths, labels in batches:
            total += F.cross_entropy(model(inputs, lengths), labels, reduction="sum").item()
            n += len(labels)
    return total / n


def fit_classifier(
    model: nn.Module,
    train: list[Batch],
    val: list[Batch],
    *,
    epochs: int = 30,
    learning_rate: float = 1e-3,
    weight_decay: float = 0.0,
    patience: int = 8,
    augment=None,
    random_state: int = 0,
) -> list[dict]:
    """Train ``model(inputs, lengths) -> logits (B, K)`` in place; keep the best epoch.

    ``augment(inputs, generator) -> inputs``, if given, transforms each training
    batch (e.g. :func:`chemexplain.image.data.random_shift`). Returns the history, one dict per epoch (``train_loss``, ``val_loss``,
    ``val_accuracy``); the model ends in eval mode with its best validation weights.
    """
    torch.manual_seed(random_state)
    rng = np.random.default_rng(random_state)
    generator = torch.Generator().manual_seed(random_state)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    history: list[dict] = []
    best, best_state, stale = np.inf, copy.deepcopy(model.state_dict()), 0
    for epoch in range(1, epochs + 1):
        model.train()
        total, n = 0.0, 0
        for i in rng.permutation(len(train)):
            inputs, lengths, labels = train[i]
            if augment is not None:
                inputs = augment(inputs, generator)
            loss = F.cross_entropy(model(inputs, lengths), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            n += len(labels)
        val_loss = _loss(model, val)
        history.append(
            {
                "epoch": epoch,
                "train_loss": total / n,
                "val_loss": val_loss,
                "val_accuracy": accuracy(model, val),
            }
        )
        if val_loss < best - 1e-6:
            best, best_state, stale = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if stale >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return history


def predict_logits(model: nn.Module, batches: list[Batch]) -> torch.Tensor:
    """Concatenated logits (N, K) over ``batches``, no gradients."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(inputs, lengths) for inputs, lengths, _ in batches])


def accuracy(model: nn.Module, batches: list[Batch]) -> float:
    """Fraction of correct argmax predictions over labelled ``batches``."""
    logits = predict_logits(model, batches)
    labels = torch.cat([labels for _, _, labels in batches])
    return float((logits.argmax(1) == labels).float().mean())
