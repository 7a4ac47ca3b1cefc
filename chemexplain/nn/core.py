"""Generic torch helpers every model and explainer shares: padding, length masks,
seeded re-initialization, and the batch type of the training loops.

Torch only; nothing here knows SMILES, images or words.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["Batch", "length_mask", "pad_ids", "reinitialize"]

#: One training batch: (inputs, lengths (B,) or None for fixed-size inputs, targets or None).
Batch = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]


def pad_ids(sequences: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id sequences with 0 -> (ids (B, L) long, lengths (B,) long)."""
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    ids = torch.zeros(len(sequences), int(lengths.max()), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.as_tensor(sequence, dtype=torch.long)
    return ids, lengths


def reinitialize(module: nn.Module, seed: int) -> nn.Module:
    """Re-draw every parameter of ``module`` (in place) from its initializer, seeded.

    The model-randomization control of Adebayo et al. (2018): an explanation
    that survives it does not depend on what the model learned.
    """
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    for sub in module.modules():
        if sub is not module and hasattr(sub, "reset_parameters"):
            sub.reset_parameters()
    torch.random.set_rng_state(generator_state)
    return module


def length_mask(lengths: torch.Tensor, max_length: int) -> torch.Tensor:
    """Boolean (B, L) mask, True at real (non-padding) positions."""
    positions = torch.arange(max_length, device=lengths.device)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)
