"""Per-atom ground truths: Crippen contributions and the atom-type lookup rule."""

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors, rdMolDescriptors

from chemexplain.chem.ground_truth import (
    AtomTypeLookup,
    crippen_atom_contributions,
    crippen_frame,
)


@pytest.mark.parametrize("smiles", ["CCO", "Clc1ccc(Cl)cc1", "CC(=O)Nc1ccc(O)cc1", "OCC(O)CO"])
def test_crippen_contributions_fold_hydrogens_and_sum_to_mol_logp(smiles):
    values = crippen_atom_contributions(smiles)
    mol = Chem.MolFromSmiles(smiles)
    assert values.shape == (mol.GetNumAtoms(),)
    assert values.sum() == pytest.approx(Descriptors.MolLogP(mol), abs=1e-9)
    # without the hydrogens folded in, the heavy atoms alone do not add up
    bare = sum(c[0] for c in rdMolDescriptors._CalcCrippenContribs(mol))
    assert abs(bare - values.sum()) > 0.1


def test_crippen_contributions_of_ethanol_by_hand():
    # RDKit's own per-atom values with explicit hydrogens; each H must go to its heavy atom
    mol = Chem.AddHs(Chem.MolFromSmiles("CCO"))
    per_atom = [c[0] for c in rdMolDescriptors._CalcCrippenContribs(mol)]
    expected = np.array(per_atom[:3])
    for atom in mol.GetAtoms():
        if atom.GetSymbol() == "H":
            expected[atom.GetNeighbors()[0].GetIdx()] += per_atom[atom.GetIdx()]
    np.testing.assert_allclose(crippen_atom_contributions("CCO"), expected)
    assert crippen_atom_contributions("CCO")[2] < 0 < crippen_atom_contributions("CCO")[0]


def test_crippen_frame_keeps_one_spelling_per_molecule_and_drops_salts():
    frame = crippen_frame(["CCO", "OCC", "C(C)O", "CC.O", "c1ccccc1", "C1CC"])
    assert frame.smiles.tolist() == ["CCO", "c1ccccc1"]
    assert frame.crippen_logp[1] == pytest.approx(
        Descriptors.MolLogP(Chem.MolFromSmiles("c1ccccc1"))
    )


def test_atom_type_lookup_recovers_an_additive_rule():
    smiles = ["CCO", "CCCO", "OCCO", "c1ccccc1", "c1ccccc1O", "CCCCC", "OC(O)CO", "Oc1ccccc1O"]
    weights = {"C": 0.5, "O": -1.0, "c": 0.25}

    def label(s):
        return 0.7 + sum(
            weights[a.GetSymbol().lower() if a.GetIsAromatic() else a.GetSymbol()]
            for a in Chem.MolFromSmiles(s).GetAtoms()
        )

    rule = AtomTypeLookup(alpha=1e-9).fit(smiles, [label(s) for s in smiles])
    assert rule.intercept_ == pytest.approx(0.7, abs=1e-4)
    for name, value in weights.items():
        assert rule.values_[name] == pytest.approx(value, abs=1e-4)
    (phenol,) = rule.atom_values(["Oc1ccccc1"])
    np.testing.assert_allclose(phenol, [-1.0] + [0.25] * 6, atol=1e-4)
    assert rule.atom_values(["CS"])[0][1] == 0.0  # an unseen type


def test_synthetic_values_by_hand():
    from chemexplain.chem.ground_truth import synthetic_atom_values

    # acetic acid: C 0.3, then the acid C, =O and -OH each get -0.7 more
    np.testing.assert_allclose(synthetic_atom_values("CC(=O)O"), [0.3, -0.4, -1.5, -1.5])
    # ethanol has no acid group; chlorobenzene: Cl 0.6, aromatic carbons 0.2
    np.testing.assert_allclose(synthetic_atom_values("CCO"), [0.3, 0.3, -0.8])
    np.testing.assert_allclose(synthetic_atom_values("Clc1ccccc1"), [0.6] + [0.2] * 6)
    # acetamide: the primary amide's C, O and N
    np.testing.assert_allclose(synthetic_atom_values("CC(N)=O"), [0.3, -0.4, -1.3, -1.5])


def test_synthetic_context_values_by_hand():
    from chemexplain.chem.ground_truth import synthetic_context_atom_values as context

    # acetic acid: CH3 0.3 + 3 x 0.1; the acid C -0.4 and two O neighbours x -0.25;
    # =O -1.5; -OH -1.5 and its hydrogen -0.4
    np.testing.assert_allclose(context("CC(=O)O"), [0.6, -0.9, -1.5, -1.9])
    # ethanol: CH3 0.6; CH2 0.3 + 0.2 - 0.25 (next to O); OH -0.8 - 0.4
    np.testing.assert_allclose(context("CCO"), [0.6, 0.25, -1.2])
    # chlorobenzene: the carbon bearing Cl has no hydrogen, the five CH carry 0.1 each
    np.testing.assert_allclose(context("Clc1ccccc1"), [0.6, 0.2] + [0.3] * 5)
    # acetamide: NH2 -1.3 + 2 x -0.3; the spelling does not change an atom's value
    np.testing.assert_allclose(context("CC(N)=O"), [0.6, -0.9, -1.9, -1.5])
    np.testing.assert_allclose(context("O=C(N)C"), [-1.5, -0.9, -1.9, 0.6])


def test_lookup_rule_cannot_hold_the_context_task():
    """The element-plus-aromaticity rule recovers the first synthetic task exactly but not
    the context one, whose values differ within an atom type (CH3 against CH2)."""
    from chemexplain.chem.ground_truth import (
        AtomTypeLookup,
        synthetic_atom_values,
        synthetic_context_atom_values,
    )
    from chemexplain.metrics.ground_truth import per_molecule_kendall

    train = ["CCO", "CCCO", "CCCC", "CC(C)O", "OCCO", "CCCCCO", "CC(C)(C)O", "CCC(C)C", "CO"]
    test = ["CCCCO", "CC(C)CO", "OCC(C)C"]
    # the context task: the rule ties CH3, CH2 and the carbon next to O (2/3 on each)
    cases = ((synthetic_atom_values, 0.99, 1.0), (synthetic_context_atom_values, 0.6, 0.7))
    for truth_of, low, high in cases:
        labels = [truth_of(s).sum() for s in train]
        rule = AtomTypeLookup(alpha=1e-9).fit(train, labels)
        tau = per_molecule_kendall(rule.atom_values(test), [truth_of(s) for s in test])
        assert tau.size == 3 and low <= tau.mean() <= high
