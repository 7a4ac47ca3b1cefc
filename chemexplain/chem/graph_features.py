"""Per-atom features and the bond adjacency of an RDKit molecule: what a graph explainer reads.

    features = atom_features(mol)     # (n_atoms, N_ATOM_FEATURES) float32, RDKit atom order
    bonds = adjacency(mol)            # (n_atoms, n_atoms) float32, 1 where two atoms are bonded

Both depend on the molecule only, never on how its SMILES is written (up to
the order of the atoms, which follows the parsed SMILES).
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem

__all__ = ["ELEMENTS", "N_ATOM_FEATURES", "atom_features", "adjacency"]

#: Elements with their own feature; any other element sets the "other" feature.
ELEMENTS = ("C", "N", "O", "S", "F", "Cl", "Br", "I", "P")
_HYBRIDIZATIONS = (
    Chem.rdchem.HybridizationType.SP,
    Chem.rdchem.HybridizationType.SP2,
    Chem.rdchem.HybridizationType.SP3,
)
#: element (9 + other), aromatic, degree 0-4+ (5), hydrogens 0-3+ (4), charge -/0/+ (3),
#: in a ring, hybridization sp/sp2/sp3/other (4)
N_ATOM_FEATURES = len(ELEMENTS) + 1 + 1 + 5 + 4 + 3 + 1 + 4


def _one_hot(index: int, size: int) -> list[float]:
    row = [0.0] * size
    row[min(index, size - 1)] = 1.0
    return row


def atom_features(mol: Chem.Mol) -> np.ndarray:
    """(n_atoms, N_ATOM_FEATURES) float32 one-hot features of every atom, RDKit order."""
    rows = []
    for atom in mol.GetAtoms():
        symbol = atom.GetSymbol()
        element = ELEMENTS.index(symbol) if symbol in ELEMENTS else len(ELEMENTS)
        charge = max(-1, min(1, atom.GetFormalCharge())) + 1
        hybrid = atom.GetHybridization()
        rows.append(
            _one_hot(element, len(ELEMENTS) + 1)
            + [float(atom.GetIsAromatic())]
            + _one_hot(atom.GetDegree(), 5)
            + _one_hot(atom.GetTotalNumHs(), 4)
            + _one_hot(charge, 3)
            + [float(atom.IsInRing())]
            + _one_hot(_HYBRIDIZATIONS.index(hybrid) if hybrid in _HYBRIDIZATIONS else 3, 4)
        )
    return np.asarray(rows, dtype=np.float32).reshape(-1, N_ATOM_FEATURES)


def adjacency(mol: Chem.Mol) -> np.ndarray:
    """(n_atoms, n_atoms) float32: 1 where two atoms share a bond, else 0."""
    return Chem.GetAdjacencyMatrix(mol).astype(np.float32)
