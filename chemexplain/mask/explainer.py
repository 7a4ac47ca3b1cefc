"""MaskExplainer: learn which input units a frozen model needs (Phillips, Goh & Hodas 2018).

A second network reads the frozen model's embedded input and outputs one
non-negative weight per unit (a SMILES character, a word, a pixel); the weights
multiply the embedding, the frozen model predicts from the masked input, and
L1/L2 penalties keep the mask small::

    loss = task_loss(model(mask * embedded), target) + l1 * L1(mask) + l2 * L2(mask)
           + entropy * H(mask / sum(mask))

The entropy term (the paper's text explainer) treats a sample's mask as a
distribution over its units and asks it to be peaked on a few of them.

The penalties are **sums over a sample's units, averaged over the batch**
(``L1 = mean_b sum_i |m_bi|``), as Keras' activity regularizers of the
paper's implementation compute them: a long molecule pays for every character
it keeps, and the coefficients keep the paper's meaning. The task loss is MSE
on the model's (standardized) output for regression, binary cross-entropy on
its logit for classification, cross-entropy over logits for ``multiclass``.

``target="label"`` (the paper) asks the masked model to predict the measured
value; ``target="model"`` asks it to reproduce the frozen model's own output,
which needs no labels.

Torch only: the model must expose ``embed(inputs)`` and
``forward_embedded(embedded, lengths)``; batches are ``(inputs, lengths,
targets)`` tuples (``lengths`` may be None for fixed-size inputs, ``targets``
None for ``target="model"``). The same class trains the SMILES mask
(:class:`chemexplain.chem.SmilesMask`), the image mask
(:func:`chemexplain.image.image_mask_explainer`) and the word mask
(:func:`chemexplain.text.text_mask_explainer`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from chemexplain.errors import NotFittedError
from chemexplain.nn.core import (
    Batch,
    EarlyStopping,
    TrainingSchedule,
    epoch_bar,
    gradient_context,
    length_mask,
    store_parameters,
)

__all__ = ["MaskExplainer", "Batch"]

TASKS = ("regression", "classification", "multiclass")


class MaskExplainer:
    """Train an explainer network over a frozen model; explain inputs with it.

    Parameters
    ----------
    model : frozen model with ``embed`` and ``forward_embedded``; never updated.
    network : ``nn.Module`` mapping ``(embedded, lengths)`` to non-negative
        weights: shaped like ``embedded`` without its last axis for sequences,
        (B, L) (SMILES characters, words); or broadcastable to ``embedded``,
        (B, 1, H, W) for images (one weight per pixel, all channels).
    l1, l2 : penalty coefficients (paper: 1e-3 and 1e-4).
    entropy : coefficient of the mask's entropy (0 for SMILES and images).
    target : ``"label"`` or ``"model"`` (see module docstring).
    task : ``"regression"``, ``"classification"`` or ``"multiclass"``.
    schedule : learning rate, epochs, patience, seed and verbosity of :meth:`fit`
        (default ``TrainingSchedule()``: 1e-3, 40, 6, 0, per-epoch bar).
    """

    def __init__(
        self,
        model: nn.Module,
        network: nn.Module,
        *,
        l1: float = 1e-3,
        l2: float = 1e-4,
        entropy: float = 0.0,
        target: str = "label",
        task: str = "regression",
        schedule: TrainingSchedule | None = None,
        device: str = "cpu",
    ):
        if target not in ("label", "model"):
            raise ValueError("target must be 'label' or 'model'")
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}")
        store_parameters(self, locals(), skip=("schedule",))
        self.schedule = schedule if schedule is not None else TrainingSchedule()

    # ------------------------------------------------------------------ pieces
    def _freeze(self) -> None:
        self.model.eval()
        for parameter in self.model.parameters():
            parameter.requires_grad_(False)

    def weights(self, embedded: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """The mask for already-embedded inputs: (B, L), 0 at padding, or (B, 1, H, W).

        :meth:`explain` embeds the inputs first; attribution methods that work on
        the embedded input (``MaskAttribution``) call this. Gradients flow.
        """
        mask = self.network(embedded, lengths)
        if lengths is not None:  # padding is exactly zero, whatever the network does
            mask = mask * length_mask(lengths.to(mask.device), mask.shape[1]).to(mask.dtype)
        return mask

    @staticmethod
    def _apply(embedded: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return embedded * (mask.unsqueeze(-1) if mask.dim() == embedded.dim() - 1 else mask)

    def masked_forward(self, inputs, lengths) -> tuple[torch.Tensor, torch.Tensor]:
        """(model output on the masked input, mask) for one batch."""
        with torch.no_grad():
            embedded = self.model.embed(inputs.to(self.device))
        mask = self.weights(embedded, lengths)
        return self.model.forward_embedded(self._apply(embedded, mask), lengths), mask

    def _task_loss(self, output: torch.Tensor, goal: torch.Tensor) -> torch.Tensor:
        if self.task == "regression":
            return F.mse_loss(output, goal)
        if self.task == "classification":
            return F.binary_cross_entropy_with_logits(output, goal)
        if goal.dtype == torch.long:
            return F.cross_entropy(output, goal)
        return -(F.log_softmax(output, -1) * goal).sum(-1).mean()  # soft targets

    def _goal(self, inputs, lengths, targets) -> torch.Tensor:
        if self.target == "label":
            if targets is None:
                raise ValueError("target='label' needs targets in every batch; use target='model'")
            return targets.to(self.device)
        with torch.no_grad():
            output = self.model.forward_embedded(self.model.embed(inputs.to(self.device)), lengths)
        if self.task == "classification":
            return torch.sigmoid(output)
        if self.task == "multiclass":
            return F.softmax(output, -1)
        return output

    def _losses(self, batch: Batch) -> dict[str, torch.Tensor]:
        inputs, lengths, targets = batch
        goal = self._goal(inputs, lengths, targets)
        output, mask = self.masked_forward(inputs, lengths)
        flat = mask.reshape(mask.shape[0], -1)
        task = self._task_loss(output, goal)
        l1 = flat.abs().sum(1).mean()
        l2 = (flat**2).sum(1).mean()
        share = flat / flat.sum(1, keepdim=True).clamp_min(1e-12)
        entropy = -(share * torch.log(share.clamp_min(1e-12))).sum(1).mean()
        loss = task + self.l1 * l1 + self.l2 * l2 + self.entropy * entropy
        return {"loss": loss, "task": task, "l1": l1, "l2": l2, "entropy": entropy}

    # ------------------------------------------------------------------ public
    def fit(self, train: Iterable[Batch], val: Iterable[Batch]) -> list[dict]:
        """Train the explainer network only; early-stop on the validation loss.

        ``train`` is re-iterated every epoch (a list of batches, or a DataLoader
        with its own shuffling). Returns the loss history (also ``history_``).
        """
        schedule = self.schedule
        torch.manual_seed(schedule.random_state)
        rng = np.random.default_rng(schedule.random_state)
        self._freeze()
        self.network.to(self.device)
        optimizer = torch.optim.Adam(self.network.parameters(), lr=schedule.learning_rate)
        self.history_: list[dict] = []
        stopping = EarlyStopping(self.network, schedule.patience)
        bar = epoch_bar(schedule.max_epochs, "fit-mask", schedule.verbose)
        for epoch in bar:
            self.network.train()
            batches = (
                [train[i] for i in rng.permutation(len(train))]
                if isinstance(train, list)
                else train
            )
            totals: dict[str, float] = {}
            n = 0
            for batch in batches:
                with gradient_context(self.device):  # through the frozen GRU, on a GPU too
                    losses = self._losses(batch)
                    optimizer.zero_grad()
                    losses["loss"].backward()
                optimizer.step()
                size = batch[0].shape[0]
                for key, value in losses.items():
                    totals[key] = totals.get(key, 0.0) + value.item() * size
                n += size
            record = {"epoch": epoch, **{f"train_{k}": v / n for k, v in totals.items()}}
            record.update({f"val_{k}": v for k, v in self.evaluate_loss(val).items()})
            self.history_.append(record)
            bar.set_postfix(loss=f"{record['train_loss']:.3f}", val=f"{record['val_loss']:.3f}")
            if stopping.step(record["val_loss"], epoch):
                break
        bar.close()
        stopping.restore()
        self.best_epoch_ = stopping.best_epoch
        self.fitted_ = True
        return self.history_

    def evaluate_loss(self, batches: Iterable[Batch]) -> dict[str, float]:
        """Mean loss terms over ``batches`` (network in eval mode, no gradients)."""
        self.network.eval()
        totals: dict[str, float] = {}
        n = 0
        with torch.no_grad():
            for batch in batches:
                size = batch[0].shape[0]
                for key, value in self._losses(batch).items():
                    totals[key] = totals.get(key, 0.0) + value.item() * size
                n += size
        return {k: v / n for k, v in totals.items()}

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise NotFittedError(
                "this MaskExplainer is not fitted: call fit() or load its weights first"
            )

    def explain(self, inputs: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Per-unit weights: (B, L) for sequences, exactly 0 at padding; (B, 1, H, W) for images."""
        self._check_fitted()
        self.network.eval()
        with torch.no_grad():
            return self.weights(self.model.embed(inputs.to(self.device)), lengths)

    def predict_masked(
        self, inputs: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The frozen model's output on the masked input, (B,) or (B, T)."""
        self._check_fitted()
        self.network.eval()
        with torch.no_grad():
            return self.masked_forward(inputs, lengths)[0]
