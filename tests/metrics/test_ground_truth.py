"""Kendall's tau against known per-atom values, its ceiling, bootstrap CIs."""

import numpy as np
import pytest


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


def test_somers_d_ignores_the_pairs_the_truth_ties():
    from chemexplain.metrics.ground_truth import kendall_ceiling, per_molecule_kendall

    def per_molecule_somers_d(values, truths, **options):
        return per_molecule_kendall(values, truths, statistic="somers_d", **options)

    truth = np.array([0.2, 0.2, 0.2, -0.8, 0.6])  # three tied aromatic carbons
    perfect = np.array([0.21, 0.19, 0.2, -0.8, 0.6])  # orders them anyway
    assert per_molecule_somers_d([perfect], [truth])[0] == 1.0
    tau = per_molecule_kendall([perfect], [truth])[0]
    assert tau == pytest.approx(kendall_ceiling([truth])[0]) and tau < 1
    # one of the 7 pairs the truth orders is reversed, one tied by the values: (5 - 1) / 7
    wrong = np.array([0.3, 0.7, 0.2, -0.8, 0.3])
    assert per_molecule_somers_d([wrong], [truth])[0] == pytest.approx(4 / 7)
    assert per_molecule_somers_d([-truth], [truth], absolute=True)[0] == 1.0
    assert per_molecule_somers_d([np.ones(5)], [truth]).size == 0  # same molecules as tau
    with pytest.raises(ValueError, match="tau_b, somers_d"):
        per_molecule_kendall([perfect], [truth], statistic="tau_c")
