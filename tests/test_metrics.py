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


def test_per_molecule_kendall_signs_skips_and_absolute():
    from chemexplain.metrics.ground_truth import per_molecule_kendall

    truths = [np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), np.array([-3.0, 1.0, 2.0])]
    values = [np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]), np.array([3.0, 1.0, 2.0])]
    np.testing.assert_allclose(per_molecule_kendall(values, truths), [1.0, -1.0, -1 / 3])
    # |values| against |truths|: the third molecule ranks 3 > 2 > 1 both ways
    np.testing.assert_allclose(per_molecule_kendall(values, truths, absolute=True)[2], 1.0)
    short = per_molecule_kendall([np.array([1.0, 2.0])], [np.array([1.0, 2.0])])
    flat = per_molecule_kendall([np.ones(4)], [np.arange(4.0)])
    assert short.size == 0 and flat.size == 0


def test_bootstrap_ci_of_a_known_mean():
    from chemexplain.metrics.ground_truth import bootstrap_ci

    mean, (low, high) = bootstrap_ci([0.0, 1.0] * 50)
    assert mean == 0.5
    # the standard error of a mean of 100 fair coin flips is 0.05: about +-0.098
    assert low == pytest.approx(0.402, abs=0.03) and high == pytest.approx(0.598, abs=0.03)
    assert bootstrap_ci([0.3, 0.3, 0.3]) == (
        pytest.approx(0.3),
        (pytest.approx(0.3), pytest.approx(0.3)),
    )


def test_paired_kendall_keeps_only_molecules_both_methods_rank():
    from chemexplain.metrics.ground_truth import paired_kendall

    truths = [np.array([1.0, 2.0, 3.0])] * 3
    first = [np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])]
    second = [np.array([3.0, 2.0, 1.0]), np.ones(3), np.array([1.0, 2.0, 3.0])]  # 2nd: flat
    result = paired_kendall(first, second, truths)
    assert result["n"] == 2
    assert result["first"] == pytest.approx(0.0) and result["second"] == pytest.approx(0.0)
    assert result["difference"] == pytest.approx(0.0)
    assert result["ci"][0] == pytest.approx(-2.0) and result["ci"][1] == pytest.approx(2.0)


def test_kendall_ceiling_is_the_tau_of_a_perfect_tie_breaking_ranking():
    from chemexplain.metrics.ground_truth import kendall_ceiling, per_molecule_kendall

    # 4 atoms, two tied at 0.2: 6 pairs, 1 tied -> sqrt(5/6)
    truths = [np.array([0.2, 0.2, -0.8, 0.3]), np.array([1.0, 2.0, 3.0]), np.ones(3)]
    ceiling = kendall_ceiling(truths)
    np.testing.assert_allclose(ceiling, [np.sqrt(5 / 6), 1.0])  # the flat truth is left out
    # a perfect ranking that breaks the tie reaches exactly the ceiling
    broken = [np.array([0.2, 0.2001, -0.8, 0.3]), np.array([1.0, 2.0, 3.0])]
    np.testing.assert_allclose(per_molecule_kendall(broken, truths[:2]), ceiling)


def test_conformal_scale_meets_the_level_on_exchangeable_errors():
    from chemexplain.metrics import conformal_scale, interval_coverage

    rng = np.random.default_rng(0)
    spread = rng.uniform(0.1, 1.0, 4000)
    errors = rng.normal(0, 3.0 * spread)  # the true std is 3x the spread
    scale = conformal_scale(errors[:2000], spread[:2000])
    assert scale == pytest.approx(3.0, rel=0.08)
    assert interval_coverage(errors[2000:], scale * spread[2000:]) == pytest.approx(0.95, abs=0.015)
    assert interval_coverage(errors[2000:], spread[2000:]) < 0.6  # uncalibrated: far too narrow
    # by hand: normalized scores 1..19 over 19 molecules -> the ceil(20 * 0.95) = 19th
    assert conformal_scale(np.arange(1, 20), np.ones(19)) == pytest.approx(19 / 1.96)
    with pytest.raises(ValueError, match="positive"):
        conformal_scale([1.0, 2.0], [1.0, 0.0])


def test_prediction_metrics_by_hand():
    from chemexplain.metrics import accuracy, classification_metrics, regression_metrics

    scores = regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    assert scores["rmse"] == pytest.approx(np.sqrt(4 / 3)) and scores["mae"] == pytest.approx(2 / 3)
    assert scores["r2"] == pytest.approx(1 - 4 / 2)
    assert accuracy([[0.1, 0.9], [2.0, -1.0], [0.0, 1.0]], [1, 0, 0]) == pytest.approx(2 / 3)
    both = classification_metrics([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.1])
    assert both["accuracy"] == pytest.approx(0.75) and both["roc_auc"] == pytest.approx(1.0)
