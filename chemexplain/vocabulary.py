"""Token vocabulary: token text <-> integer id, with PAD (0) and UNK (1).

Modality-agnostic: it maps strings to ids and knows nothing of chemistry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["Vocabulary", "PAD", "UNK"]

PAD = "<pad>"
UNK = "<unk>"


class Vocabulary:
    """A fixed mapping from token text to id; id 0 is padding, id 1 unknown.

    Build it with :meth:`from_sequences` on training data; :meth:`encode`
    returns the ids and the tokens that were unknown, so callers can report
    them instead of dropping them silently.
    """

    def __init__(self, tokens: Sequence[str]):
        if len(tokens) < 2 or tokens[0] != PAD or tokens[1] != UNK:
            raise ValueError(f"a vocabulary must start with {PAD!r} and {UNK!r}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a vocabulary cannot hold the same token twice")
        self.tokens = list(tokens)
        self.index = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def from_sequences(
        cls, sequences: Iterable[Sequence[str]], max_size: int | None = None
    ) -> Vocabulary:
        """Every token seen in ``sequences``, most frequent first (ties by text).

        ``max_size`` keeps only that many most frequent tokens (plus PAD and UNK).
        """
        counts = Counter(token for sequence in sequences for token in sequence)
        ordered = sorted(counts, key=lambda token: (-counts[token], token))
        return cls([PAD, UNK, *ordered[:max_size]])

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.tokens == other.tokens

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens)"

    @property
    def unk_id(self) -> int:
        return 1

    def encode(self, tokens: Sequence[str]) -> tuple[list[int], list[str]]:
        """Ids of ``tokens`` and the list of tokens that were not in the vocabulary."""
        ids = [self.index.get(token, 1) for token in tokens]
        unknown = [token for token, i in zip(tokens, ids) if i == 1 and token != UNK]
        return ids, unknown

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Token texts of ``ids`` (padding dropped)."""
        return [self.tokens[i] for i in ids if i != 0]
