"""The paper's text explainer network, trained by the shared :class:`MaskExplainer`.

It reads the frozen classifier's GRU outputs (B, L, 2H), runs a two-layer
bidirectional GRU of 100 units, a dense layer of 256 with ReLU and a linear
layer to one weight per word; a sigmoid keeps each weight in [0, 1]. The weight
multiplies the word's embedding. The paper trains it with an entropy penalty,
which asks the weights of a review to concentrate on a few words.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from chemexplain.mask import MaskExplainer
from chemexplain.nn.core import TrainingSchedule
from chemexplain.text.models import run_packed

__all__ = ["WordMaskNet", "text_mask_explainer"]


class WordMaskNet(nn.Module):
    """(B, L, E) embedded words + lengths -> (B, L) weights in [0, 1] (0 at padding).

    ``model`` (a :class:`~chemexplain.text.models.BiGRUClassifier`) is held by
    reference, not as a submodule: only this network's weights are trained and saved.
    """

    def __init__(self, model: nn.Module, hidden: int = 100, dense: int = 256):
        super().__init__()
        self._model = [model]
        width = 2 * model.config["hidden"]
        self.gru = nn.GRU(width, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.dense = nn.Linear(2 * hidden, dense)
        self.output = nn.Linear(dense, 1)

    def forward(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            states = self._model[0].encode(embedded, lengths)
        hidden = run_packed(self.gru, states, lengths)
        return torch.sigmoid(self.output(F.relu(self.dense(hidden))).squeeze(-1))


def text_mask_explainer(
    model: nn.Module,
    *,
    hidden: int = 100,
    dense: int = 256,
    entropy: float = 0.05,
    l1: float = 0.01,
    l2: float = 0.0,
    **options,
) -> MaskExplainer:
    """A multiclass :class:`MaskExplainer` with the paper's word mask and an entropy penalty.

    The entropy does not depend on the mask's scale, so alone (``l1=0``) it
    leaves the weights near 0.5; a small L1 pulls the weights of unneeded words
    to 0 and the entropy then sharpens what is left. Both settings are measured
    by ``scripts/demo_text.py`` ("Text adapter" in benchmarks/README.md).

    ``options`` go to :class:`MaskExplainer`, those of a
    :class:`~chemexplain.nn.core.TrainingSchedule` (``max_epochs``, ``learning_rate``...)
    to its ``schedule``. Fit it with ``(ids, lengths, labels)`` batches.
    """
    options.setdefault("task", "multiclass")
    options["schedule"] = TrainingSchedule.take(options)
    network = WordMaskNet(model, hidden, dense)
    return MaskExplainer(model, network, l1=l1, l2=l2, entropy=entropy, **options)
