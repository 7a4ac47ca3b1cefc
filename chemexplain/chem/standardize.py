"""Standardization before scoring: keep the largest fragment and neutralize charges (RDKit).

``standardize_smiles("CC(=O)[O-].[Na+]") == "CC(=O)O"``: RDKit's
``rdMolStandardize.LargestFragmentChooser`` drops counter-ions and solvents,
then ``Uncharger`` neutralizes what can be neutralized (a quaternary ammonium
keeps its charge). The result is RDKit's canonical SMILES.
"""

from __future__ import annotations

from functools import lru_cache

from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

from chemexplain.chem.parsing import parse_smiles

__all__ = ["standardize_smiles"]


@lru_cache(maxsize=1)
def _tools():
    return rdMolStandardize.LargestFragmentChooser(), rdMolStandardize.Uncharger()


def standardize_smiles(smiles: str) -> str:
    """Largest fragment, neutralized, as canonical SMILES (raises ``InvalidSmilesError``)."""
    chooser, uncharger = _tools()
    mol = uncharger.uncharge(chooser.choose(parse_smiles(smiles)))
    return Chem.MolToSmiles(mol)
