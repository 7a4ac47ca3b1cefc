"""SMILES2vec (Goh et al. 2017): embedding -> Conv1d -> stacked GRUs -> linear head.

Torch only. The module exposes its embedded input so that an explainer can
multiply the embedding by a mask and run the rest of the network on it:

    embedded = model.embed(token_ids)                  # (B, L, E)
    output = model.forward_embedded(embedded, lengths)  # (B,) or (B, T)

Padding never changes a prediction: positions at or beyond a sequence's length
are zeroed before the convolution (so the kernel sees the same zeros as the
convolution's own padding), and the GRUs run on packed sequences.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from chemexplain.nn.core import length_mask

__all__ = ["Smiles2Vec", "Smiles2VecConfig"]


@dataclass
class Smiles2VecConfig:
    """Architecture of :class:`Smiles2Vec`; the defaults are DeepChem's reimplementation."""

    vocab_size: int
    embedding_dim: int = 50
    conv_filters: int = 192
    kernel_size: int = 3
    gru_sizes: tuple[int, ...] = (224, 384)
    bidirectional: bool = False
    dropout: float = 0.0
    n_outputs: int = 1

    def to_dict(self) -> dict:
        data = asdict(self)
        data["gru_sizes"] = list(self.gru_sizes)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Smiles2VecConfig:
        """Build from a saved dict, refusing wrong types and sizes (``ValueError`` naming them).

        Bounds keep a tampered file from asking for an absurd allocation:
        vocabulary up to 100,000 tokens, layers up to 4,096 units, up to 8 GRUs.
        """
        if not isinstance(data, dict) or set(data) - set(cls.__dataclass_fields__):
            raise ValueError(
                f"unknown architecture keys: {sorted(set(data) - set(cls.__dataclass_fields__))}"
            )
        limits = {
            "vocab_size": 100_000,
            "embedding_dim": 4096,
            "conv_filters": 4096,
            "kernel_size": 63,
            "n_outputs": 1024,
        }
        for key, high in limits.items():
            value = data.get(key, 1)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise ValueError(f"{key} must be an integer in [1, {high}], got {value!r}")
        sizes = data.get("gru_sizes")
        if (
            not isinstance(sizes, (list, tuple))
            or not 1 <= len(sizes) <= 8
            or not all(
                isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 4096 for n in sizes
            )
        ):
            raise ValueError(f"gru_sizes must be 1 to 8 integers in [1, 4096], got {sizes!r}")
        if not isinstance(data.get("bidirectional", False), bool):
            raise ValueError("bidirectional must be true or false")
        dropout = data.get("dropout", 0.0)
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not 0 <= dropout < 1
        ):
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        return cls(**{**data, "gru_sizes": tuple(sizes)})


class Smiles2Vec(nn.Module):
    """The SMILES2vec CNN-GRU.

    ``forward(token_ids (B, L) long, lengths (B,) long) -> (B,)`` for one output
    (a standardized regression value or a classification logit), ``(B, T)`` for
    ``n_outputs = T > 1``.
    """

    def __init__(self, config: Smiles2VecConfig):
        super().__init__()
        if config.kernel_size % 2 != 1:
            raise ValueError("kernel_size must be odd so that the convolution preserves length")
        self.config = config
        directions = 2 if config.bidirectional else 1
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=0)
        self.conv = nn.Conv1d(
            config.embedding_dim,
            config.conv_filters,
            config.kernel_size,
            padding=config.kernel_size // 2,
        )
        grus = []
        width = config.conv_filters
        for size in config.gru_sizes:
            grus.append(nn.GRU(width, size, batch_first=True, bidirectional=config.bidirectional))
            width = size * directions
        self.grus = nn.ModuleList(grus)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(width, config.n_outputs)

    def embed(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Token ids (B, L) -> embedded input (B, L, E); padding (id 0) embeds to zeros."""
        return self.embedding(token_ids)

    def forward_embedded(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Run the network from its embedded input (B, L, E) and lengths (B,).

        A row of length 0 (the empty input) gets the output of the GRUs' initial
        state, zero: ``head(0)``, whatever its padding holds.
        """
        lengths = lengths.to(torch.long)
        mask = length_mask(lengths.to(embedded.device), embedded.shape[1])
        embedded = embedded * mask.unsqueeze(-1).to(embedded.dtype)
        hidden = torch.relu(self.conv(embedded.transpose(1, 2))).transpose(1, 2)
        empty = (lengths == 0).to(hidden.device).unsqueeze(-1)
        if not self.config.bidirectional and not torch.is_grad_enabled():
            # Inference fast path: a forward GRU's state at the last real position never
            # sees the right padding after it, so run on the padded batch (faster than a
            # packed one on CPU) and read the state there. Same numbers to ~1e-7.
            for gru in self.grus:
                hidden, _ = gru(hidden)
            rows = torch.arange(hidden.shape[0], device=hidden.device)
            last = hidden[rows, (lengths - 1).clamp(min=0).to(hidden.device)]
            output = self.head(self.dropout(last.masked_fill(empty, 0.0)))
            return output.squeeze(-1) if self.config.n_outputs == 1 else output
        sequence = pack_padded_sequence(
            hidden, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        final = None
        for gru in self.grus:
            sequence, final = gru(sequence)
        # final: (layers * directions, B, H) -> last layer's states of every direction
        directions = 2 if self.config.bidirectional else 1
        summary = torch.cat([final[-d] for d in range(directions, 0, -1)], dim=-1)
        output = self.head(self.dropout(summary.masked_fill(empty, 0.0)))
        return output.squeeze(-1) if self.config.n_outputs == 1 else output

    def forward(self, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.forward_embedded(self.embed(token_ids), lengths)
