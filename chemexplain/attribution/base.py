"""The interface every attribution method follows, for every modality (Captum's shape).

Sequences (SMILES, words), at the embedding layer::

    method = IntegratedGradients(model)            # model: embed / forward_embedded
    attr = method.attribute(embedded, lengths)     # (B, L, E), like the input
    scores = method.token_scores(attr)             # (B, L), 0 at padding

Fixed-size inputs (images), with ``lengths=None``: the model is called as
``model(inputs)`` and ``target`` picks the class::

    heatmap = Saliency(cnn).attribute(images, target=labels)   # (B, C, H, W)

``embedded`` is ``model.embed(token_ids)``; baselines default to zeros (the
embedding of padding, what the mask multiplies towards). ``signed`` says
whether a method's scores carry a sign (evidence for / against the output)
or only a magnitude.
"""

from __future__ import annotations

import torch

from chemexplain.nn.core import gradient_context, length_mask, module_device

__all__ = ["TokenAttribution", "forward_args", "forward_function", "gradient_context"]


def forward_function(model):
    """``f(inputs, lengths=None)`` for Captum: the frozen model from its embedded input
    (``forward_embedded``), or ``model(inputs)`` for a fixed-size input (``lengths=None``)."""

    def forward(inputs: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if lengths is None:
            return model(inputs)
        return model.forward_embedded(inputs, lengths)

    return forward


def forward_args(lengths: torch.Tensor | None):
    """Captum's ``additional_forward_args`` for :func:`forward_function`."""
    return None if lengths is None else (lengths,)


class TokenAttribution:
    """Base class: bind the model in ``__init__``, compute in ``attribute``."""

    name = "base"
    signed = True
    #: True when the scores depend on random draws made for the whole batch (seeded, so
    #: repeatable, but a molecule alone and in a batch get different draws)
    stochastic = False
    #: True when ``attribute`` also takes a fixed-size input (``lengths=None``, an image)
    fixed_size_inputs = False

    def __init__(self, model):
        self.model = model

    def attribute(
        self,
        inputs: torch.Tensor,
        lengths: torch.Tensor | None = None,
        baselines: torch.Tensor | None = None,
        target=None,
        **knobs,
    ) -> torch.Tensor:
        """Attribution of the output to ``inputs``: (B, L, E) with ``lengths`` (0 at padding),
        or any fixed-size (B, ...) with ``lengths=None``; the input's shape either way."""
        raise NotImplementedError

    def _need_lengths(self, lengths) -> None:
        if lengths is None:
            raise ValueError(
                f"{self.name} works on token sequences only: pass their lengths "
                "(methods for fixed-size inputs have fixed_size_inputs = True)"
            )

    def token_scores(self, attributions: torch.Tensor) -> torch.Tensor:
        """(B, L, E) -> (B, L): the sum over the embedding dimension."""
        return attributions.sum(-1)

    @staticmethod
    def _zero_padding(attributions: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        if lengths is None:  # a fixed-size input has no padding
            return attributions
        keep = length_mask(lengths.to(attributions.device), attributions.shape[1])
        return attributions * keep.unsqueeze(-1).to(attributions.dtype)

    def _device(self):
        return module_device(self.model)
