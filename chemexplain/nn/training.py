"""Train a torch classifier on (inputs, lengths, labels) batches: the image and text adapters' loop.

SMILES models have their own estimator (:mod:`chemexplain.models`); the image
and text adapters only need one plain loop: Adam on cross-entropy, the
validation loss checked each epoch, the best epoch's weights kept. Batches use
the :class:`~chemexplain.mask.MaskExplainer` layout so one list of batches
serves both the classifier and its explainer.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from chemexplain.nn.core import Batch, EarlyStopping

__all__ = ["make_batches", "fit_classifier", "predict_logits"]


def make_batches(
    inputs: torch.Tensor,
    labels: torch.Tensor | None = None,
    lengths: torch.Tensor | None = None,
    batch_size: int = 64,
) -> list[Batch]:
    """Split tensors, in order, into ``(inputs, lengths, labels)`` batches (a re-iterable list).

    :func:`fit_classifier` and :meth:`MaskExplainer.fit` shuffle the batch order each epoch.
    """
    return [
        (
            inputs[start : start + batch_size],
            None if lengths is None else lengths[start : start + batch_size],
            None if labels is None else labels[start : start + batch_size],
        )
        for start in range(0, len(inputs), batch_size)
    ]


def _loss_and_accuracy(model: nn.Module, batches: list[Batch]) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over labelled ``batches``, one forward pass each."""
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for inputs, lengths, labels in batches:
            logits = model(inputs, lengths)
            total += F.cross_entropy(logits, labels, reduction="sum").item()
            correct += int((logits.argmax(1) == labels).sum())
            n += len(labels)
    return total / n, correct / n


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
    batch (e.g. :func:`chemexplain.image.data.random_shift`). Returns the history,
    one dict per epoch (``train_loss``, ``val_loss``, ``val_accuracy``); the model
    ends in eval mode with its best validation weights.
    """
    torch.manual_seed(random_state)
    rng = np.random.default_rng(random_state)
    generator = torch.Generator().manual_seed(random_state)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    history: list[dict] = []
    stopping = EarlyStopping(model, patience)
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
        val_loss, val_accuracy = _loss_and_accuracy(model, val)
        history.append(
            {
                "epoch": epoch,
                "train_loss": total / n,
                "val_loss": val_loss,
                "val_accuracy": val_accuracy,
            }
        )
        if stopping.step(val_loss, epoch):
            break
    stopping.restore()
    return history


def predict_logits(
    model: nn.Module, batches: list[Batch]
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Concatenated logits (N, K) over ``batches``, no gradients, and the labels (N,) if any.

    ``chemexplain.metrics.accuracy(*predict_logits(model, batches))`` is the accuracy.
    """
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(inputs, lengths) for inputs, lengths, _ in batches])
    labels = [b[2] for b in batches]
    return logits, None if any(x is None for x in labels) else torch.cat(labels)
