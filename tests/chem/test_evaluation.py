"""The paper's top-k report: groups, units, a perfect and a reversed explainer, trivial rules."""

import numpy as np
import pytest

from chemexplain.chem.evaluation import solubility_groups, top_k_report, units


def test_groups_and_units():
    groups = solubility_groups([0.5, -1.0, -3.0, -5.0, -7.0])
    assert groups["soluble"].tolist() == [True, True, False, False, False]
    assert groups["insoluble"].tolist() == [False, False, False, True, True]
    printed = solubility_groups([0.5, -3.0, -7.0], reading="printed")
    assert printed["soluble"].tolist() == [False, True, True]
    w, members = units("c1cc[nH]c1Cl", np.arange(12.0), frozenset({"O", "N"}), "char")
    assert members.tolist() == [False] * 4 + [True] * 4 + [False] * 4
    w, members = units("c1cc[nH]c1Cl", np.arange(12.0), frozenset({"O", "N"}), "atom")
    mean, _ = units("c1cc[nH]c1Cl", np.arange(12.0), frozenset({"O", "N"}), "atom_mean")
    assert mean.tolist() == [0, 2, 3, (4 + 5 + 6 + 7) / 4, 8, (10 + 11) / 2]
    assert w.tolist() == [0, 2, 3, 4 + 5 + 6 + 7, 8, 10 + 11] and members.tolist() == [
        0,
        0,
        0,
        1,
        0,
        0,
    ]
    _, halogens = units("c1cc[nH]c1Cl", np.arange(12.0), frozenset({"Cl"}), "char")
    assert halogens.tolist() == [False] * 10 + [True] * 2


def test_report_scores_a_perfect_and_a_reversed_explainer():
    smiles = ["OCCCCCCC", "NCCCCCCCC", "CCCCCCCCCO", "ClCCCCCCCO"]
    logS = [0.0, 0.0, -6.0, -6.0]
    perfect = [
        np.array([1.0] + [0.0] * 7),
        np.array([1.0] + [0.0] * 8),
        np.array([1.0] * 9 + [0.0]),
        np.array([1.0, 1.0] + [0.0] * 8),
    ]
    reversed_ = [1.0 - w for w in perfect]
    report = top_k_report(smiles, logS, perfect, control=reversed_, k=1)
    assert report["top1"]["soluble"]["atom"]["accuracy"] == 1.0
    assert report["top1"]["soluble"]["atom"]["randomized"] == 0.0
    assert report["top1"]["soluble"]["atom"]["chance"] == pytest.approx((1 / 8 + 1 / 9) / 2)
    assert report["top1"]["insoluble"]["char"]["n"] == 2
    assert report["contrast"]["hydrophilic"]["atom"]["mask"] > 0.5


def test_trivial_rules_and_confidence_intervals_in_the_report():
    from chemexplain.chem.evaluation import rule_token_weights

    smiles = ["OCCCCCCC", "NCCCCCCCC", "CCCCCCC", "c1ccccc1O"]
    logS = [0.0, 0.0, 0.0, 0.0]  # all soluble
    # training labels: each O or N raises logS by 2, each carbon lowers it by 0.5
    train = ["CCO", "CCCO", "CCN", "CCCC", "OCCO", "CCCCCC", "NCCN", "c1ccccc1", "Oc1ccccc1"]
    y = [-1.0 + 2.0 * (s.count("O") + s.count("N")) - 0.5 * s.lower().count("c") for s in train]
    rules = rule_token_weights(smiles, train, y)
    assert rules["o_n_first"][0].tolist() == [1.0] + [0.0] * 7
    lookup = rules["atom_type_lookup"][3]  # c1ccccc1O: ring digits below every atom
    assert lookup[-1] == max(lookup) and lookup[1] == min(lookup) == lookup[-2]
    flat = [np.zeros(len(s)) for s in smiles]  # ties go to the first character
    report = top_k_report(smiles, logS, flat, k=1, rules=rules)
    entry = report["top1"]["soluble"]["atom_mean"]
    # O/N first hits wherever there is an O or N: 3 of 4; the flat weights pick atom 0
    assert entry["rules"]["o_n_first"]["accuracy"] == pytest.approx(0.75)
    assert entry["rules"]["atom_type_lookup"]["accuracy"] == pytest.approx(0.75)
    assert entry["accuracy"] == pytest.approx(0.5)  # O of OCCCCCCC, N of NCCCCCCCC
    low, high = entry["ci"]
    assert 0.0 <= low < 0.5 < high <= 1.0
