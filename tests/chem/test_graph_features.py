"""chem.graph_features: one-hot atom features and the bond adjacency, by hand."""

from __future__ import annotations

import numpy as np
from rdkit import Chem

from chemexplain.chem.graph_features import (
    N_ATOM_FEATURES,
    adjacency,
    atom_features,
    resonance_classes,
)


def _expected(element, aromatic, degree, hydrogens, charge, ring, hybrid):
    """One row built from the documented layout: element (10), aromatic, degree (5),
    hydrogens (4), charge -/0/+ (3), in ring, sp/sp2/sp3/other (4)."""
    row = np.zeros(N_ATOM_FEATURES, dtype=np.float32)
    row[element] = 1
    row[10] = aromatic
    row[11 + degree] = 1
    row[16 + hydrogens] = 1
    row[20 + charge] = 1
    row[23] = ring
    row[24 + hybrid] = 1
    return row


def test_methylammonium_and_a_selenium_atom_by_hand():
    features = atom_features(Chem.MolFromSmiles("C[NH3+]"))
    np.testing.assert_array_equal(features[0], _expected(0, 0, 1, 3, 1, 0, 2))
    np.testing.assert_array_equal(features[1], _expected(1, 0, 1, 3, 2, 0, 2))
    selenium = atom_features(Chem.MolFromSmiles("C[Se]C"))[1]
    np.testing.assert_array_equal(selenium, _expected(9, 0, 2, 0, 1, 0, 2))  # "other" element


def test_aromatic_ring_atoms_and_adjacency():
    mol = Chem.MolFromSmiles("c1ccncc1")
    features = atom_features(mol)
    np.testing.assert_array_equal(features[3], _expected(1, 1, 2, 0, 1, 1, 1))  # pyridine N
    assert features.shape == (6, N_ATOM_FEATURES) and features.sum(1).tolist() == [7.0] * 6
    bonds = adjacency(mol)
    assert bonds.sum() == 12 and bonds[0, 1] == bonds[0, 5] == 1 and bonds[0, 3] == 0


def test_resonance_classes_join_a_nitro_groups_oxygens_and_nothing_else():
    def classes(smiles):
        found = resonance_classes(Chem.MolFromSmiles(smiles))
        return None if found is None else found.tolist()

    nitro = classes("CN(=O)=O")  # RDKit: C[N+](=O)[O-]
    assert nitro[2] == nitro[3] and len(set(nitro)) == 3
    acetate = classes("CC(=O)[O-]")
    assert acetate[2] == acetate[3] and len(set(acetate)) == 3
    glycine = classes("[NH3+]CC([O-])=O")  # zwitterion: the carboxylate's oxygens only
    assert glycine[3] == glycine[4] and len(set(glycine)) == 4
    # a neutral acid's oxygens differ (one carries the hydrogen); no charge, no classes
    assert classes("CC(=O)O") is None
    methylammonium = classes("C[NH3+]")
    assert len(set(methylammonium)) == 2
