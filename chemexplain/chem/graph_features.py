"""Per-atom features and the bond adjacency of an RDKit molecule: what a graph explainer reads.

    features = atom_features(mol)     # (n_atoms, N_ATOM_FEATURES) float32, RDKit atom order
    bonds = adjacency(mol)            # (n_atoms, n_atoms) float32, 1 where two atoms are bonded

Both depend on the molecule only, never on how its SMILES is written (up to
the order of the atoms, which follows the parsed SMILES).
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem

__all__ = ["ELEMENTS", "N_ATOM_FEATURES", "atom_features", "adjacency", "resonance_classes"]

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


#: column where each one-hot group starts: element, aromatic, degree, hydrogens, charge,
#: ring, hybridization
_CHARGED_ATOM = Chem.MolFromSmarts("[!+0]")
_START = np.cumsum([0, len(ELEMENTS) + 1, 1, 5, 4, 3, 1])


def atom_features(mol: Chem.Mol) -> np.ndarray:
    """(n_atoms, N_ATOM_FEATURES) float32 one-hot features of every atom, RDKit order."""
    columns = []
    for atom in mol.GetAtoms():
        symbol = atom.GetSymbol()
        hybrid = atom.GetHybridization()
        columns.append(
            (
                ELEMENTS.index(symbol) if symbol in ELEMENTS else len(ELEMENTS),
                0 if atom.GetIsAromatic() else -1,  # -1: the feature stays 0
                min(atom.GetDegree(), 4),
                min(atom.GetTotalNumHs(), 3),
                max(-1, min(1, atom.GetFormalCharge())) + 1,
                0 if atom.IsInRing() else -1,
                _HYBRIDIZATIONS.index(hybrid) if hybrid in _HYBRIDIZATIONS else 3,
            )
        )
    index = np.asarray(columns, dtype=np.int64).reshape(-1, len(_START))
    out = np.zeros((len(index), N_ATOM_FEATURES), dtype=np.float32)
    rows, groups = np.nonzero(index >= 0)
    out[rows, _START[groups] + index[rows, groups]] = 1.0
    return out


def adjacency(mol: Chem.Mol) -> np.ndarray:
    """(n_atoms, n_atoms) float32: 1 where two atoms share a bond, else 0."""
    return Chem.GetAdjacencyMatrix(mol).astype(np.float32)


def resonance_classes(mol: Chem.Mol) -> np.ndarray | None:
    """(n_atoms,) class of each atom: atoms of one class are the same atom in another
    resonance form (the two oxygens of a nitro group, ``[N+](=O)[O-]``, whose charge RDKit
    puts on whichever comes second); None for a molecule without formal charges.

    Atoms are equivalent when the molecule's graph maps one onto the other by element,
    hydrogen count and bonds, whatever the bond orders and charges (RDKit's canonical
    ranks of that skeleton, ties unbroken).
    """
    if not mol.HasSubstructMatch(_CHARGED_ATOM):
        return None
    skeleton = Chem.RWMol(mol)
    for atom in skeleton.GetAtoms():
        hydrogens = atom.GetTotalNumHs()
        atom.SetFormalCharge(0)
        atom.SetIsAromatic(False)
        atom.SetNoImplicit(True)
        atom.SetNumExplicitHs(hydrogens)
    for bond in skeleton.GetBonds():
        bond.SetBondType(Chem.BondType.SINGLE)
        bond.SetIsAromatic(False)
    skeleton.UpdatePropertyCache(strict=False)
    return np.asarray(Chem.CanonicalRankAtoms(skeleton, breakTies=False))
