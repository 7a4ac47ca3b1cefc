"""Standardization before scoring: keep the largest fragment and neutralize charges (RDKit).

``standardize_smiles("CC(=O)[O-].[Na+]") == "CC(=O)O"``: RDKit's
``rdMolStandardize.LargestFragmentChooser`` drops counter-ions and solvents,
then ``Uncharger`` neutralizes what can be neutralized (a quaternary ammonium
keeps its charge). The result is RDKit's canonical SMILES.

``isolated_charges(mol)`` finds the ions a neutral-molecule model never saw: a
protonated amine, a carboxylate, a zwitterion's two ends. The charge-separated
notation of a neutral group (nitro ``[N+](=O)[O-]``, an N-oxide, ``[S+2]([O-])[O-]``)
puts opposite charges on bonded atoms and is not counted.
"""

from __future__ import annotations

from functools import lru_cache

from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

from chemexplain.chem.parsing import output_order, parse_smiles

__all__ = [
    "ION_WARNING_START",
    "atoms_of",
    "ion_warning",
    "isolated_charges",
    "renumber_ion_warning",
    "standardize_mol",
    "standardize_smiles",
]

#: how :func:`ion_warning` begins: drawings and SDF outputs find it in ``warning`` by it
ION_WARNING_START = "ionized atoms"


@lru_cache(maxsize=1)
def _tools():
    return rdMolStandardize.LargestFragmentChooser(), rdMolStandardize.Uncharger()


def standardize_smiles(smiles: str) -> str:
    """Largest fragment, neutralized, as canonical SMILES (raises ``InvalidSmilesError``)."""
    return Chem.MolToSmiles(standardize_mol(parse_smiles(smiles)))


def standardize_mol(mol: Chem.Mol) -> Chem.Mol:
    """``mol``'s largest fragment, neutralized: a new molecule whose atoms keep their
    properties (an SDF writer finds the input's atoms by them)."""
    chooser, uncharger = _tools()
    return uncharger.uncharge(chooser.choose(mol))


def atoms_of(mol: Chem.Mol, smiles: str) -> list[int] | None:
    """Where the atoms of ``smiles`` are in ``mol``: atom ``k`` of ``smiles`` is atom
    ``atoms_of(mol, smiles)[k]`` of ``mol`` (whose hydrogen atoms keep their numbers too),
    when ``smiles`` is RDKit's SMILES of ``mol`` or of its largest fragment, neutralized
    (:func:`standardize_mol`); else None."""
    marked = Chem.Mol(mol)
    for atom in marked.GetAtoms():
        atom.SetIntProp("given_index", atom.GetIdx())
    heavy = Chem.RemoveHs(marked)  # keeps each atom's properties
    if Chem.MolToSmiles(heavy) != smiles:
        heavy = standardize_mol(heavy)  # so do its largest fragment's atoms
        if Chem.MolToSmiles(heavy) != smiles:
            return None
    found = output_order(heavy)  # atom k of smiles is atom found[k] of heavy
    return [heavy.GetAtomWithIdx(i).GetIntProp("given_index") for i in found]


_POSITIVE, _NEGATIVE = "+,+2,+3,+4,+5,+6,+7", "-,-2,-3,-4,-5,-6,-7"
#: one atom, charged, with no bonded atom of the opposite sign (matched in C++, faster than
#: a Python loop over the atoms)
_ION = Chem.MolFromSmarts(
    f"[$([{_POSITIVE};!$(*~[{_NEGATIVE}])]),$([{_NEGATIVE};!$(*~[{_POSITIVE}])])]"
)


def isolated_charges(mol: Chem.Mol) -> list[int]:
    """Indices of the atoms whose formal charge no bonded atom of the opposite sign
    balances (``[NH3+]``, ``C(=O)[O-]``, ``[N+](C)(C)(C)C``), in atom order."""
    return sorted(match[0] for match in mol.GetSubstructMatches(_ION, maxMatches=1_000_000))


def ion_warning(mol: Chem.Mol, shown: int = 3, *, standardized: bool = False, numbers=None) -> str:
    """A warning naming ``mol``'s ions (:func:`~chemexplain.chem.standardize.isolated_charges`)
    for a model that saw none in training; "" when it has none. ``standardized``: ``mol``
    is already the standardized form (its ions cannot be neutralized); ``numbers``: name
    atom ``i`` as ``numbers[i]`` (an input structure's own numbers)."""
    ions = isolated_charges(mol)
    if not ions:
        return ""
    numbers = range(mol.GetNumAtoms()) if numbers is None else numbers
    named = [
        f"{mol.GetAtomWithIdx(i).GetSymbol()}{numbers[i]} "
        f"({mol.GetAtomWithIdx(i).GetFormalCharge():+d})"
        for i in ions
    ]
    more = f" and {len(named) - shown} more" if len(named) > shown else ""
    remedy = (
        "standardizing cannot neutralize them"
        if standardized
        else "standardize=True or --standardize neutralizes what can be"
    )
    return (
        f"{ION_WARNING_START} {', '.join(named[:shown])}{more}: the model saw no ion in "
        f"training ({remedy})"
    )


def renumber_ion_warning(warning: str, mol: Chem.Mol, numbers) -> str:
    """``warning`` (a row's, parts joined by "; ") with its :func:`ion_warning` naming the
    ions of ``mol`` (the scored molecule) by ``numbers`` (atom ``i`` is ``numbers[i]``);
    the other parts, and what the ion warning says after the names, stay."""
    parts = warning.split("; ")
    for k, part in enumerate(parts):
        if part.startswith(ION_WARNING_START):
            names = ion_warning(mol, numbers=numbers).partition(": ")[0]
            parts[k] = f"{names}: {part.partition(': ')[2]}"
    return "; ".join(parts)
