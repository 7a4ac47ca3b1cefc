"""The paper's text classifier: embedding, bidirectional GRU, mean over time, dense, softmax.

Phillips, Goh & Hodas (2018) classify IMDB reviews with an embedding, a
bidirectional GRU of 256 units, the mean of its outputs over time, a dense
layer of 128 with ReLU and a softmax. Padding is packed away, so a review's
prediction does not depend on its batch. ``encode`` returns the GRU outputs
that the text explainer reads.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from chemexplain.nn.core import constructor_arguments, length_mask

__all__ = ["BiGRUClassifier", "run_packed"]


def run_packed(gru: nn.GRU, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """A batch-first GRU over the real steps of (B, L, D) only -> outputs (B, L, H'), 0 at padding."""
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    outputs, _ = pad_packed_sequence(gru(packed)[0], batch_first=True, total_length=x.shape[1])
    return outputs


class BiGRUClassifier(nn.Module):
    """Word ids (B, L) + lengths (B,) -> class logits (B, K) (softmax in the loss)."""

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 64,
        hidden: int = 256,
        dense: int = 128,
        n_classes: int = 2,
    ):
        super().__init__()
        self.config = constructor_arguments(locals())
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.gru = nn.GRU(embedding_dim, hidden, batch_first=True, bidirectional=True)
        self.dense = nn.Linear(2 * hidden, dense)
        self.head = nn.Linear(dense, n_classes)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, L) word ids -> (B, L, E) embeddings (0 at padding)."""
        return self.embedding(ids)

    def encode(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, L, E) -> GRU outputs (B, L, 2 * hidden), zero at padding."""
        return run_packed(self.gru, embedded, lengths)

    def forward_embedded(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        outputs = self.encode(embedded, lengths)
        real = length_mask(lengths.to(outputs.device), outputs.shape[1]).unsqueeze(-1)
        mean = (outputs * real).sum(1) / lengths.to(outputs.device).unsqueeze(1)
        return self.head(F.relu(self.dense(mean)))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.forward_embedded(self.embed(ids), lengths)
