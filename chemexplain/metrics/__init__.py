"""Modality-agnostic metrics over explanations (pure numpy functions)."""

from chemexplain.metrics.ranking import (
    chance_top_k,
    class_contrast,
    mean_spearman,
    rank_normalize,
    top_k,
    top_k_accuracy,
    top_k_hit,
)

__all__ = [
    "chance_top_k",
    "class_contrast",
    "mean_spearman",
    "rank_normalize",
    "top_k",
    "top_k_accuracy",
    "top_k_hit",
]
