"""The interface every attribution method follows (Captum's shape, at the embedding layer).

    method = IntegratedGradients(model)            # model: embed / forward_embedded
    attr = method.attribute(embedded, lengths)     # (B, L, E), like the input
    scores = method.token_scores(attr)             # (B, L), 0 at padding

``embedded`` is ``model.embed(token_ids)``; baselines default to zeros (the
embedding of padding, what the mask multiplies towards). ``signed`` says
whether a method's token scores carry a sign (evidence for / against the
output) or only a magnitude.
"""

from __future__ import annotations

import torch

from chemexplain.nn.core import length_mask

__all__ = ["TokenAttribution", "forward_function", "gradient_context"]


def forward_function(model):
    """``f(embedded, lengths) -> (B,)`` for Captum: the frozen model from its embedded input."""

    def forward(embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return model.forward_embedded(embedded, lengths)

    return forward


def gradient_context(device):
    """Backward through a GRU in eval mode fails under cuDNN (Captum #328, #564): disable it."""
    if torch.device(device).type == "cuda":
        return torch.backends.cudnn.flags(enabled=False)
    return torch.enable_grad()


class TokenAttribution:
    """Base class: bind the model in ``__init__``, compute in ``attribute``."""

    name = "base"
    signed = True
    #: True when the scores depend on random draws made for the whole batch (seeded, so
    #: repeatable, but a molecule alone and in a batch get different draws)
    stochastic = False

    def __init__(self, model):
        self.model = model

    def attribute(
        self,
        inputs: torch.Tensor,
        lengths: torch.Tensor,
        baselines: torch.Tensor | None = None,
        target=None,
        **knobs,
    ) -> torch.Tensor:
        """Attribution of the output to ``inputs`` (B, L, E); same shape, 0 at padding."""
        raise NotImplementedError

    def token_scores(self, attributions: torch.Tensor) -> torch.Tensor:
        """(B, L, E) -> (B, L): the sum over the embedding dimension."""
        return attributions.sum(-1)

    @staticmethod
    def _zero_padding(attributions: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        keep = length_mask(lengths.to(attributions.device), attributions.shape[1])
        return attributions * keep.unsqueeze(-1).to(attributions.dtype)

    def _device(self):
        return next(self.model.parameters()).device
