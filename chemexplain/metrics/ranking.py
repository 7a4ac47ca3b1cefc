"""Ranking metrics over per-unit explanation weights; pure numpy functions.

A *unit* is whatever an explanation scores: a SMILES character, an atom, a
word. Each function takes one array per sample (units differ in number), so
they work for any modality.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np
from scipy.stats import rankdata, spearmanr

__all__ = [
    "top_k",
    "top_k_hit",
    "top_k_accuracy",
    "chance_top_k",
    "rank_normalize",
    "mean_spearman",
    "class_contrast",
]


def top_k(weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest weights; ties go to the earlier unit."""
    weights = np.asarray(weights, dtype=float)
    return np.argsort(-weights, kind="stable")[:k]


def top_k_hit(weights: np.ndarray, members: np.ndarray, k: int = 3) -> bool:
    """True when any of the ``k`` highest-weighted units is a member of the group."""
    return bool(np.asarray(members, dtype=bool)[top_k(weights, k)].any())


def top_k_accuracy(
    weights: Sequence[np.ndarray], members: Sequence[np.ndarray], k: int = 3
) -> float:
    """Fraction of samples whose top-``k`` units include a group member (the paper's metric)."""
    if not len(weights):
        return float("nan")
    return float(np.mean([top_k_hit(w, m, k) for w, m in zip(weights, members, strict=True)]))


def chance_top_k(members: Sequence[np.ndarray], k: int = 3) -> float:
    """Exact expected top-``k`` accuracy of a uniformly random ranking of the same units.

    For a sample with ``n`` units of which ``g`` are members, a random top-``k``
    misses every member with probability ``C(n-g, k) / C(n, k)``.
    """
    if not len(members):
        return float("nan")
    hits = []
    for m in members:
        n, g = len(m), int(np.sum(m))
        take = min(k, n)
        hits.append(1.0 - comb(n - g, take) / comb(n, take) if n else 0.0)
    return float(np.mean(hits))


def rank_normalize(weights: np.ndarray) -> np.ndarray:
    """Ranks scaled to [0, 1] (0 = lowest weight, ties share their mean rank)."""
    weights = np.asarray(weights, dtype=float)
    if len(weights) < 2:
        return np.full(len(weights), 0.5)
    return (rankdata(weights) - 1) / (len(weights) - 1)


def mean_spearman(first: Sequence[np.ndarray], second: Sequence[np.ndarray]) -> float:
    """Mean per-sample Spearman correlation of two explanations of the same units.

    Samples where either explanation is constant (correlation undefined) are left out.
    """
    values = []
    for a, b in zip(first, second, strict=True):
        if len(a) > 1 and np.ptp(a) > 0 and np.ptp(b) > 0:
            values.append(spearmanr(a, b).statistic)
    return float(np.mean(values)) if values else float("nan")


def class_contrast(
    weights: Sequence[np.ndarray],
    members: Sequence[np.ndarray],
    in_class: np.ndarray,
    out_class: np.ndarray,
) -> float:
    """Mean rank-normalized weight of member units in ``in_class`` samples minus in ``out_class`` ones.

    Near 0 for a class-blind explainer that always ranks, say, heteroatoms high;
    positive when it ranks them higher where they matter for the class.
    """

    def mean_member_rank(selected: np.ndarray) -> float:
        per_sample = [
            rank_normalize(w)[np.asarray(m, bool)].mean()
            for w, m, s in zip(weights, members, selected, strict=True)
            if s and np.any(m)
        ]
        return float(np.mean(per_sample)) if per_sample else float("nan")

    return mean_member_rank(np.asarray(in_class)) - mean_member_rank(np.asarray(out_class))
