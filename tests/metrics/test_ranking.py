"""Top-k hits, chance, rank agreement and class contrast."""

import numpy as np
import pytest

from chemexplain.metrics import (
    chance_top_k,
    class_contrast,
    mean_spearman,
    rank_normalize,
    top_k,
    top_k_accuracy,
)


def test_top_k_breaks_ties_by_position_and_accuracy_counts_hits():
    assert top_k(np.array([0.1, 0.5, 0.5, 0.2]), 2).tolist() == [1, 2]
    weights = [np.array([0.9, 0.1, 0.2, 0.3]), np.array([0.1, 0.2, 0.3, 0.9])]
    members = [np.array([0, 0, 0, 1], bool), np.array([0, 0, 0, 1], bool)]
    assert top_k_accuracy(weights, members, k=1) == 0.5
    assert top_k_accuracy(weights, members, k=3) == 1.0


def test_chance_matches_the_closed_form_and_a_simulation():
    members = [
        np.array([1, 0, 0, 0, 0, 0], bool),
        np.array([1, 1, 0, 0], bool),
        np.array([0, 0], bool),
    ]
    # 1 - C(5,3)/C(6,3) = 1/2; 1 - C(2,3)/C(4,3) = 1; no member at all = 0
    assert chance_top_k(members, 3) == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    rng = np.random.default_rng(0)
    simulated = np.mean(
        [top_k_accuracy([rng.random(len(m)) for m in members], members, 3) for _ in range(4000)]
    )
    assert simulated == pytest.approx(chance_top_k(members, 3), abs=0.02)


def test_rank_normalize_and_spearman():
    np.testing.assert_allclose(rank_normalize(np.array([3.0, 1.0, 2.0])), [1.0, 0.0, 0.5])
    a = [np.array([1.0, 2.0, 3.0]), np.array([3.0, 1.0, 2.0])]
    assert mean_spearman(a, a) == pytest.approx(1.0)
    assert mean_spearman(a, [-x for x in a]) == pytest.approx(-1.0)
    assert mean_spearman([np.ones(3)], [np.arange(3.0)]) != mean_spearman(
        [np.ones(3)], [np.arange(3.0)]
    )


def test_class_contrast_tells_class_aware_from_class_blind():
    members = [np.array([1, 0, 0], bool)] * 4
    in_class = np.array([1, 1, 0, 0], bool)
    aware = [
        np.array([3.0, 1, 2]),
        np.array([3.0, 2, 1]),
        np.array([1.0, 2, 3]),
        np.array([1.0, 3, 2]),
    ]
    blind = [np.array([3.0, 1, 2])] * 4
    assert class_contrast(aware, members, in_class, ~in_class) == pytest.approx(1.0)
    assert class_contrast(blind, members, in_class, ~in_class) == pytest.approx(0.0)
