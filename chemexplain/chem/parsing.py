"""The one SMILES parser of the package, plus small RDKit helpers.

Every module that needs an RDKit molecule goes through :func:`parse_smiles`, so
RDKit's logging is silenced in one place and an invalid string always becomes
an :class:`~chemexplain.errors.InvalidSmilesError` naming the string.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem, RDLogger

from chemexplain.errors import InvalidSmilesError

__all__ = ["parse_smiles", "randomize_smiles", "canonical_smiles", "InvalidSmilesError"]

RDLogger.DisableLog("rdApp.*")


def parse_smiles(smiles: str, row: int | None = None, remove_hs: bool = True) -> Chem.Mol:
    """Parse ``smiles`` into an RDKit molecule or raise ``InvalidSmilesError``.

    ``row`` is only used in the error message. ``remove_hs=False`` keeps explicit
    hydrogen atoms (``[H]``) as atoms, in SMILES order.
    """
    if not isinstance(smiles, str):
        raise InvalidSmilesError(
            str(smiles), f"expected a string, got {type(smiles).__name__}", row
        )
    if not smiles.strip():
        raise InvalidSmilesError(smiles, "empty string", row)
    if remove_hs:
        mol = Chem.MolFromSmiles(smiles)
    else:
        params = Chem.SmilesParserParams()
        params.removeHs = False
        mol = Chem.MolFromSmiles(smiles, params)
    if mol is None:
        raise InvalidSmilesError(smiles, "RDKit could not parse it", row)
    return mol


def canonical_smiles(smiles: str) -> str:
    """RDKit canonical SMILES of ``smiles`` (raises ``InvalidSmilesError``)."""
    return Chem.MolToSmiles(parse_smiles(smiles))


def randomize_smiles(smiles: str, n: int, rng: np.random.Generator) -> list[str]:
    """Up to ``n`` distinct random (non-canonical) SMILES of the same molecule.

    Atom order is shuffled with ``rng`` and written with RDKit's
    ``MolToSmiles(canonical=False)``, the enumeration of Bjerrum (2017) used by
    SMILES-X. Fewer than ``n`` come back for molecules with few spellings.
    """
    mol = parse_smiles(smiles)
    n_atoms = mol.GetNumAtoms()
    seen: dict[str, None] = {}
    for _ in range(4 * n):
        order = rng.permutation(n_atoms).tolist()
        shuffled = Chem.RenumberAtoms(mol, order)
        seen.setdefault(Chem.MolToSmiles(shuffled, canonical=False), None)
        if len(seen) >= n:
            break
    return list(seen)
