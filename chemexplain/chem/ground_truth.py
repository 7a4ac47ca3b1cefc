"""Per-atom ground truths for checking explanations: RDKit's Crippen logP contributions,
and the trivial element-plus-aromaticity lookup table that an explainer must beat.

    truth = crippen_atom_contributions("OCC(O)CO")     # (n_atoms,), sums to MolLogP
    rule = AtomTypeLookup().fit(train_smiles, train_y)  # per-atom values from labels only
    values = rule.atom_values(["OCC(O)CO"])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import Descriptors, rdMolDescriptors

__all__ = [
    "AtomTypeLookup",
    "SYNTHETIC_TYPE_VALUES",
    "atom_type",
    "crippen_atom_contributions",
    "crippen_frame",
    "synthetic_atom_values",
    "synthetic_context_atom_values",
]


def crippen_atom_contributions(smiles: str) -> np.ndarray:
    """Per heavy atom Crippen logP contribution (RDKit order), its hydrogens folded in.

    ``_CalcCrippenContribs`` on a molecule with implicit hydrogens leaves their
    contributions out; with explicit hydrogens each H has its own value, which is
    added to its heavy atom, so the values sum to ``Descriptors.MolLogP``.
    """
    parsed = Chem.MolFromSmiles(smiles)
    if parsed is None:
        raise ValueError(f"RDKit cannot parse {smiles!r}")
    mol = Chem.AddHs(parsed)  # keeps the parsed atoms' indices, appends the hydrogens
    values = [c[0] for c in rdMolDescriptors._CalcCrippenContribs(mol)]
    atoms = np.zeros(parsed.GetNumAtoms())
    for atom, value in zip(mol.GetAtoms(), values):
        if atom.GetIdx() < len(atoms):
            atoms[atom.GetIdx()] += value
        else:
            atoms[atom.GetNeighbors()[0].GetIdx()] += value
    return atoms


def crippen_frame(smiles: Sequence[str]) -> pd.DataFrame:
    """The distinct single-fragment molecules of ``smiles`` (first spelling kept) with their
    Crippen logP: columns ``smiles``, ``crippen_logp``."""
    seen, rows = set(), []
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            continue
        canonical = Chem.MolToSmiles(mol)
        if canonical not in seen and "." not in canonical:
            seen.add(canonical)
            rows.append((s, Descriptors.MolLogP(mol)))
    return pd.DataFrame(rows, columns=["smiles", "crippen_logp"])


def atom_type(atom: Chem.Atom) -> str:
    """Element plus aromaticity: ``C``, ``c``, ``N``, ``n``, ``Cl``, ..."""
    return atom.GetSymbol().lower() if atom.GetIsAromatic() else atom.GetSymbol()


#: The synthetic task's fixed value of each atom type (element + aromaticity); others 0.
SYNTHETIC_TYPE_VALUES = {
    "C": 0.3, "c": 0.2, "N": -0.6, "n": -0.4, "O": -0.8, "o": -0.2, "S": 0.4, "s": 0.3,
    "F": 0.1, "Cl": 0.6, "Br": 0.8, "I": 1.0, "P": -0.3,
}  # fmt: skip
#: The synthetic task's functional-group term: every atom of a carboxylic acid or of a
#: primary amide gets this much more, on top of its type's value.
SYNTHETIC_GROUP = ("[CX3](=O)[OX2H1,NX3H2]", -0.7)


def synthetic_atom_values(smiles: str) -> np.ndarray:
    """The synthetic additive task's true per-atom values (RDKit order); their sum is the
    molecule's target. Known exactly by construction: an explainer of a model trained on
    this target should find them."""
    return _synthetic_values(_parsed(smiles))


def _parsed(smiles: str) -> Chem.Mol:
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError(f"RDKit cannot parse {smiles!r}")
    return mol


def _synthetic_values(mol: Chem.Mol) -> np.ndarray:
    """:func:`synthetic_atom_values` of a parsed molecule."""
    values = np.array([SYNTHETIC_TYPE_VALUES.get(atom_type(a), 0.0) for a in mol.GetAtoms()])
    pattern, extra = Chem.MolFromSmarts(SYNTHETIC_GROUP[0]), SYNTHETIC_GROUP[1]
    grouped = {i for match in mol.GetSubstructMatches(pattern) for i in match}
    for i in grouped:
        values[i] += extra
    return values


#: The context task's value of each hydrogen, by the element it is bonded to: a CH3
#: carbon is worth more than a quaternary one, an OH or NH less than an ether O or a
#: tertiary N (hydrogen-bond donors).
SYNTHETIC_HYDROGEN_VALUES = {"C": 0.1, "N": -0.3, "O": -0.4, "S": -0.1}
#: The context task's term for a carbon per N or O neighbour (a polarized carbon).
SYNTHETIC_POLAR_NEIGHBOUR = -0.25


def synthetic_context_atom_values(smiles: str) -> np.ndarray:
    """A second synthetic additive task whose per-atom values depend on each atom's
    context, as Crippen's atom types do (RDKit order; their sum is the target).

    The first task (:func:`synthetic_atom_values`) gives every atom its element-plus-
    aromaticity value, exactly the form of :class:`AtomTypeLookup`, so that rule
    recovers it almost perfectly and the task cannot tell an explainer from the rule.
    Here each atom's value is the first task's, plus its hydrogens' values
    (``SYNTHETIC_HYDROGEN_VALUES`` per hydrogen, by the atom's element) and, for a
    carbon, ``SYNTHETIC_POLAR_NEIGHBOUR`` per N or O neighbour: still known exactly and
    additive, but no table of element and aromaticity can hold it, and the truth ties
    fewer atoms (a higher tau-b ceiling).
    """
    mol = _parsed(smiles)
    values = _synthetic_values(mol)
    for atom in mol.GetAtoms():
        symbol = atom.GetSymbol()
        extra = SYNTHETIC_HYDROGEN_VALUES.get(symbol, 0.0) * atom.GetTotalNumHs()
        if symbol == "C":
            polar = sum(n.GetSymbol() in ("N", "O") for n in atom.GetNeighbors())
            extra += SYNTHETIC_POLAR_NEIGHBOUR * polar
        values[atom.GetIdx()] += extra
    return values


class AtomTypeLookup:
    """The trivial additive rule: one value per atom type (element + aromaticity), fitted by
    ridge least squares of the molecules' labels on their atom-type counts plus an
    intercept. An atom's value is its type's; unseen types get 0. ``fit`` returns self."""

    def __init__(self, alpha: float = 1e-3):
        self.alpha = alpha

    def fit(self, smiles: Sequence[str], y: Sequence[float]) -> AtomTypeLookup:
        counts = [self._counts(s) for s in smiles]
        self.types_ = sorted({t for c in counts for t in c})
        x = np.array([[c.get(t, 0) for t in self.types_] + [1.0] for c in counts])
        penalty = self.alpha * np.eye(x.shape[1])
        penalty[-1, -1] = 0.0  # the intercept is not shrunk
        w = np.linalg.solve(x.T @ x + penalty, x.T @ np.asarray(y, dtype=float))
        self.values_, self.intercept_ = dict(zip(self.types_, w[:-1])), float(w[-1])
        return self

    @staticmethod
    def _counts(smiles: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for atom in Chem.MolFromSmiles(smiles).GetAtoms():
            counts[atom_type(atom)] = counts.get(atom_type(atom), 0) + 1
        return counts

    def atom_values(self, smiles: Sequence[str]) -> list[np.ndarray]:
        """Each molecule's per-atom values, RDKit order."""
        return [
            np.array(
                [self.values_.get(atom_type(a), 0.0) for a in Chem.MolFromSmiles(s).GetAtoms()]
            )
            for s in smiles
        ]
