"""Token scores to atom scores: the two ownership rules and spelling averaging."""

import numpy as np
import pytest
from rdkit import Chem

from chemexplain.chem.atom_attribution import (
    atom_scores,
    owner_atoms,
    spelling_averaged_atom_scores,
    spellings,
)
from chemexplain.chem.tokenizer import tokenize


def test_attached_rule_gives_bonds_to_the_next_atom_and_the_rest_to_the_previous():
    tokens = tokenize("CC(=O)c1ccccc1")
    texts = [t.text for t in tokens]
    owners = owner_atoms(tokens, "attached")
    assert owner_atoms(tokens, "atoms")[texts.index("=")] is None
    assert owners[texts.index("=")] == 2  # the carbonyl O
    assert owners[texts.index("(")] == 1 and owners[texts.index(")")] == 2
    assert owners[texts.index("1")] == 3  # the first ring digit follows atom 3
    assert None not in owners
    with pytest.raises(ValueError, match="unknown rule"):
        owner_atoms(tokens, "nearest")


def test_a_ring_closure_bond_goes_with_its_digit_to_the_atom_before_it():
    # RDKit's canonical 2,3-benzofluorene ends in "cc1-2": the "-" leads to no atom
    tokens = tokenize("c1ccc2c(c1)Cc1cc3ccccc3cc1-2")
    owners = owner_atoms(tokens, "attached")
    assert None not in owners
    assert owners[-2] == owners[-1] == 16  # "-" and "2" with the last atom
    tokens = tokenize("C1CC=1C")  # mid-string: the "=" closes the ring at atom 2, not atom 3
    owners = owner_atoms(tokens, "attached")
    assert [t.text for t in tokens] == ["C", "1", "C", "C", "=", "1", "C"]
    assert owners[4] == owners[5] == 2


def test_atom_scores_sum_and_keep_totals():
    smiles = "ClC(=O)O"
    weights = np.arange(1.0, len(smiles) + 1)  # 1..8 per character
    strict = atom_scores(smiles, weights, rule="atoms")
    np.testing.assert_allclose(strict, [1 + 2, 3, 6, 8])  # Cl = C+l; '(' '=' ')' dropped
    attached = atom_scores(smiles, weights, rule="attached")
    assert attached.sum() == pytest.approx(weights.sum())
    np.testing.assert_allclose(attached, [3, 3 + 4, 5 + 6 + 7, 8])


def test_spellings_map_atoms_back_to_the_input_order():
    rng = np.random.default_rng(0)
    smiles = "OCC(Cl)c1ccccc1N"
    mol = Chem.MolFromSmiles(smiles)
    for text, order in spellings(smiles, 5, rng):
        variant = Chem.MolFromSmiles(text)
        assert sorted(order) == list(range(mol.GetNumAtoms()))
        for k, atom in enumerate(variant.GetAtoms()):
            original = mol.GetAtomWithIdx(order[k])
            assert atom.GetSymbol() == original.GetSymbol()
            assert atom.GetDegree() == original.GetDegree()


def test_spelling_average_of_an_atom_property_is_that_property():
    """A scorer that gives each atom character its atomic number returns the atomic numbers."""

    def scorer(texts):
        out = []
        for text in texts:
            tokens = tokenize(text)
            mol = Chem.MolFromSmiles(text)
            scores, seen = np.zeros(len(tokens)), set()
            for i, t in enumerate(tokens):  # the first character of each atom carries it
                if t.atom is not None and t.atom not in seen:
                    seen.add(t.atom)
                    scores[i] = mol.GetAtomWithIdx(t.atom).GetAtomicNum()
            out.append(scores)
        return out

    smiles = ["OCC(Cl)c1ccccc1N", "CCO"]
    averaged = spelling_averaged_atom_scores(smiles, scorer, n_spellings=4, rule="atoms")
    for s, a in zip(smiles, averaged):
        expected = [atom.GetAtomicNum() for atom in Chem.MolFromSmiles(s).GetAtoms()]
        np.testing.assert_allclose(a, expected)
