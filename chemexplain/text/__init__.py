"""Text adapter (secondary): the paper's biGRU classifier and word mask on the shared core."""

from chemexplain.text.data import (
    FILLER_WORDS,
    NEGATIVE_WORDS,
    POSITIVE_WORDS,
    encode_texts,
    load_imdb,
    synthetic_reviews,
    word_dropout,
    words,
)
from chemexplain.text.explainer import WordMaskNet, text_mask_explainer
from chemexplain.text.models import BiGRUClassifier

__all__ = [
    "BiGRUClassifier",
    "FILLER_WORDS",
    "NEGATIVE_WORDS",
    "POSITIVE_WORDS",
    "WordMaskNet",
    "encode_texts",
    "load_imdb",
    "synthetic_reviews",
    "text_mask_explainer",
    "word_dropout",
    "words",
]
