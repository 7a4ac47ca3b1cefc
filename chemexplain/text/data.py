"""Text data: word tokens, a synthetic review corpus with planted sentiment words, local IMDB.

Labels are 0 (negative) and 1 (positive). :func:`synthetic_reviews` is the
planted-evidence check for text: each review is neutral filler with exactly
one sentiment word, the only thing that decides its label, and the position of
that word is returned. :func:`load_imdb` reads a local copy of the standard
archive (``aclImdb_v1.tar.gz`` or its extracted ``aclImdb`` folder); nothing
is downloaded.
"""

from __future__ import annotations

import os
import re
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from chemexplain.data.datasets import find_local_copy
from chemexplain.errors import DataFormatError
from chemexplain.nn.core import pad_ids
from chemexplain.vocabulary import UNK, Vocabulary

__all__ = [
    "words",
    "encode_texts",
    "synthetic_reviews",
    "word_dropout",
    "load_imdb",
    "POSITIVE_WORDS",
    "NEGATIVE_WORDS",
    "FILLER_WORDS",
]

_WORD = re.compile(r"[a-z0-9']+")

POSITIVE_WORDS = (
    "excellent", "wonderful", "brilliant", "superb", "delightful",
    "masterful", "gripping", "charming", "moving", "stunning",
)  # fmt: skip
NEGATIVE_WORDS = (
    "awful", "terrible", "boring", "dreadful", "horrible",
    "tedious", "clumsy", "dull", "painful", "pointless",
)  # fmt: skip
FILLER_WORDS = tuple(
    """the a an this that movie film story plot actor actress director scene scenes
    script camera music score cast role character characters ending beginning middle
    was is were are it its he she they we i you of in on at to for with as by from
    about after before during night day city town house family friend friends man woman
    child year years time first second last one two three some many most other new old
    long short early late again also just then there here when where while because
    seems looks feels watched saw seen made make shows show tells told takes took set
    around through into over under between studio budget version sequel series episode
    book novel screen theatre audience critics dialogue lines voice color light sound""".split()
)


def words(text: str) -> list[str]:
    """Lower-case word tokens; HTML line breaks (IMDB's ``<br />``) are dropped."""
    return _WORD.findall(text.replace("<br />", " ").lower())


def encode_texts(
    texts, vocabulary: Vocabulary, max_length: int = 400
) -> tuple[torch.Tensor, torch.Tensor]:
    """Word ids (N, L) padded with 0 and lengths (N,); texts longer than ``max_length`` are cut.

    Unknown words map to the vocabulary's UNK id; an empty text keeps one UNK.
    """
    return pad_ids([vocabulary.encode(words(text)[:max_length] or [UNK])[0] for text in texts])


def word_dropout(ids: torch.Tensor, generator: torch.Generator, rate: float = 0.3) -> torch.Tensor:
    """Zero each word id with probability ``rate`` (training augmentation), (B, L).

    Id 0 embeds to the zero vector, exactly what a mask weight of 0 gives, so a
    classifier trained this way has seen masked reviews: with its evidence
    removed it becomes unsure, instead of falling back on whichever class its
    biases favour. Without it, a mask can explain that class by keeping no
    word at all. Its effect is measured by ``scripts/demo_text.py``: the
    "Text adapter" section of benchmarks/README.md.
    """
    keep = torch.rand(ids.shape, generator=generator) >= rate
    return ids * keep


def synthetic_reviews(
    n: int, min_words: int = 8, max_words: int = 30, random_state: int = 0
) -> pd.DataFrame:
    """``n`` reviews of neutral filler with one planted sentiment word each.

    Returns a DataFrame with ``text``, ``label`` (1 positive, 0 negative),
    ``planted`` (the sentiment word) and ``position`` (its word index).
    """
    rng = np.random.default_rng(random_state)
    rows = []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        length = int(rng.integers(min_words, max_words + 1))
        review = list(rng.choice(FILLER_WORDS, size=length - 1))
        planted = str(rng.choice(POSITIVE_WORDS if label else NEGATIVE_WORDS))
        position = int(rng.integers(0, length))
        review.insert(position, planted)
        rows.append(
            {"text": " ".join(review), "label": label, "planted": planted, "position": position}
        )
    return pd.DataFrame(rows)


def load_imdb(path: str | os.PathLike | None = None, split: str = "train") -> pd.DataFrame:
    """Large Movie Review Dataset (Maas et al. 2011) from a local copy: ``text``, ``label``.

    ``path`` is the ``aclImdb_v1.tar.gz`` archive or the extracted ``aclImdb``
    folder (else ``$CHEMEXPLAIN_DATA`` and the user cache are searched).
    ``split`` is ``"train"`` or ``"test"`` (25,000 labelled reviews each;
    ``unsup`` reviews are skipped). Rows are sorted by file name within each
    label, negatives first, so the order is the same on every machine.
    """
    if split not in ("train", "test"):
        raise ValueError("split must be 'train' or 'test'")
    source = find_local_copy(
        path,
        ("aclImdb", "aclImdb_v1.tar.gz"),
        "IMDB reviews",
        "download aclImdb_v1.tar.gz from https://ai.stanford.edu/~amaas/data/sentiment/ and pass "
        "it (or its extracted aclImdb folder) as path=, or put it in $CHEMEXPLAIN_DATA "
        "(chemexplain never downloads IMDB itself)",
    )
    pattern = re.compile(rf"(?:^|/){split}/(pos|neg)/[^/]+\.txt$")
    found: list[tuple[str, str, str]] = []
    if source.is_dir():
        for file in source.rglob("*.txt"):
            match = pattern.search(file.relative_to(source).as_posix())
            if match:
                found.append((match.group(1), file.name, file.read_text(encoding="utf-8")))
    else:
        with tarfile.open(source) as archive:
            for member in archive:
                match = pattern.search(member.name)
                if member.isfile() and match:
                    text = archive.extractfile(member).read().decode("utf-8")
                    found.append((match.group(1), Path(member.name).name, text))
    if not found:
        raise DataFormatError(f"{source} holds no {split}/pos or {split}/neg reviews")
    found.sort(key=lambda row: (row[0] != "neg", row[1]))
    return pd.DataFrame(
        {"text": [row[2] for row in found], "label": [int(row[0] == "pos") for row in found]}
    )
