"""Pure-notation differences a SMILES model may never have seen: stereo marks, isotope labels,
explicit hydrogen atoms, Kekulé rings, ring-closure numbers from %10, atom map numbers, a CXSMILES
extension (``|&1:1|``). The model reads the molecule without them (aromatic rings in aromatic
notation); its atoms keep the input's numbers.

    form = readable_form("O[C@@H](C)c1ccccc1", mol, model_reads_it=False)
    form.smiles     # "OC(C)c1ccccc1": what the model reads
    form.order      # atom k of form.smiles is atom form.order[k] of the input molecule
    form.warning    # "stereo ignored: the model was trained without it"

ESOL's training molecules carry no ``@``: a model trained on them cannot tell
enantiomers apart, and its prediction for a stereo SMILES is its prediction for
the stereo-free molecule. Isotope labels
(``[13C]``, ``[2H]``) and hydrogens written as atoms (``[H]``) are read the same
way: the element and the bonds stay, only the notation goes. An aromatic ring
written in Kekulé form (``C1=CC=CC=C1``, as PubChem writes SMILES) is read in
RDKit's aromatic notation (``c1ccccc1``) when the model reads it
(``aromatic=True``): models trained on RDKit's spellings, ESOL's own included,
saw rings in that form only and predict far worse from Kekulé spellings
(``tests/chem/test_notation.py`` measures the gap). Nothing is lost, so no
warning is given; nor for a SMILES with other characters the model never saw
(``%10`` ring closures, ``[CH3:1]`` atom map numbers), read as RDKit writes the
same molecule (ring-closure digits from 1, no map numbers). Elements the model never saw (Se, B, Si, metals) are not
notation and stay refused. With ``canonical=True`` (what ``explain`` and ``score`` ask for a
model trained on random spellings) every molecule is written as RDKit's canonical SMILES,
so that every spelling of it reads the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from rdkit import Chem

from chemexplain.chem.parsing import output_order, split_cxsmiles

__all__ = [
    "CXSMILES_WARNING",
    "STEREO_WARNING",
    "ISOTOPE_WARNING",
    "EXPLICIT_H_WARNING",
    "ReadableForm",
    "kekule_written",
    "readable_form",
    "to_input_atoms",
]

STEREO_WARNING = "stereo ignored: the model was trained without it"
CXSMILES_WARNING = "CXSMILES extension ignored: the model reads the SMILES alone"
ISOTOPE_WARNING = "isotope labels ignored: the model was trained without them"
EXPLICIT_H_WARNING = (
    "explicit hydrogen atoms read as implicit hydrogens: the model was trained without them"
)
#: the characters of SMILES stereo notation
STEREO_CHARACTERS = frozenset("@/\\")
#: a hydrogen written as its own bracket atom: [H], [2H], [H+] (not [nH] or [NH4+])
_EXPLICIT_H = re.compile(r"\[\d*H[+-]?\d*\]")
_AROMATIC_ATOM = Chem.MolFromSmarts("a")


@dataclass(frozen=True)
class ReadableForm:
    """What the model reads for one input: ``smiles`` and, when it differs from the input,
    ``order`` (atom k of ``smiles`` is atom ``order[k]`` of the input molecule; input atoms
    missing from it, such as explicit hydrogens, are absent) and ``warning``. ``mol``: the
    molecule with its atoms in ``smiles``' order, where it could be had without parsing
    ``smiles`` again (a canonical rewrite); else None. ``input_canonical``: RDKit's
    canonical SMILES of the input molecule (``Chem.MolToSmiles(mol)``) where the rewrite
    wrote exactly that, so a caller need not write it again; else None."""

    smiles: str
    order: tuple[int, ...] | None = None
    warning: str = ""
    mol: Chem.Mol | None = field(default=None, compare=False, repr=False)
    input_canonical: str | None = field(default=None, compare=False, repr=False)

    @property
    def changed(self) -> bool:
        return self.order is not None


def readable_form(
    smiles: str,
    mol: Chem.Mol,
    model_reads_it: bool,
    aromatic: bool = False,
    canonical: bool = False,
) -> ReadableForm:
    """The form of ``smiles`` (parsed as ``mol``) that the model reads. When the model cannot
    read ``smiles`` as written (``model_reads_it`` False: a token it never saw), it reads
    RDKit's spelling of the molecule in the input's atom order (ring-closure digits from 1,
    no atom map numbers) without stereo marks; isotope labels and explicit hydrogen atoms
    always go (the element stays); with ``aromatic``, aromatic rings written in Kekulé form
    are written in aromatic notation; with ``canonical``, the molecule is always written as
    RDKit's canonical SMILES, so that every spelling of it reads the same. Unchanged
    (``order`` None) when there is nothing to change. A CXSMILES extension
    (``"C[C@H](O)CC |&1:1|"``) goes, with a warning; the atoms keep their numbers."""
    written, extension = split_cxsmiles(smiles)
    if extension:
        form = readable_form(written, mol, model_reads_it, aromatic, canonical)
        order = form.order if form.changed else tuple(range(mol.GetNumAtoms()))
        warning = "; ".join(w for w in (form.warning, CXSMILES_WARNING) if w)
        return ReadableForm(form.smiles, order, warning, form.mol)
    reasons = []
    if not model_reads_it and STEREO_CHARACTERS & set(smiles):
        reasons.append(STEREO_WARNING)
    if "[" in smiles and any(atom.GetIsotope() for atom in mol.GetAtoms()):  # [13C] only
        reasons.append(ISOTOPE_WARNING)
    if _EXPLICIT_H.search(smiles):
        reasons.append(EXPLICIT_H_WARNING)
    no_heavy_atom = mol.GetNumHeavyAtoms() == 0  # [H][H]
    rewrite = (
        reasons or not model_reads_it or canonical or (aromatic and kekule_written(smiles, mol))
    )
    if no_heavy_atom or not rewrite:
        return ReadableForm(smiles)
    plain = Chem.Mol(mol)
    if "[" in smiles:  # isotopes and map numbers are written in brackets; else skip the loop
        for atom in plain.GetAtoms():
            atom.SetIsotope(0)
            atom.SetAtomMapNum(0)  # [CH3:1]: a reaction tool's label, not chemistry
    heavy: list[int] | range = range(plain.GetNumAtoms())
    if plain.GetNumHeavyAtoms() < plain.GetNumAtoms():  # [2H] stays an atom until its label goes
        heavy = [a.GetIdx() for a in plain.GetAtoms() if a.GetAtomicNum() != 1]
        plain = Chem.RemoveHs(plain)  # keeps the other atoms in their order
    keep_stereo = STEREO_WARNING not in reasons
    kekule = not aromatic and kekule_written(smiles, mol)  # rings stay as they were written
    if kekule:
        Chem.Kekulize(plain, clearAromaticFlags=True)
    text = Chem.MolToSmiles(
        plain, isomericSmiles=keep_stereo, kekuleSmiles=kekule, canonical=canonical
    )
    # the same atoms, bonds and flags as parsing ``text`` (checked on ESOL and FreeSolv and a
    # random spelling of each: features, tokens, fingerprints); only for a plain rewrite
    same = canonical and not reasons and not kekule
    # without brackets there was nothing to take off, so ``plain`` is ``mol`` unchanged and
    # ``text`` is its canonical SMILES, written with MolToSmiles' default options
    as_canonical = text if same and "[" not in smiles else None
    if text == smiles and not reasons:  # already written so: the input's own atom order
        return ReadableForm(smiles, input_canonical=as_canonical)
    written = output_order(plain)
    order = tuple(heavy[i] for i in written)
    read = Chem.RenumberAtoms(plain, written) if same else None
    return ReadableForm(text, order, "; ".join(reasons), read, as_canonical)


def kekule_written(smiles: str, mol: Chem.Mol) -> bool:
    """Whether ``smiles`` writes in Kekulé form (upper case, alternating double bonds) any
    atom that RDKit perceives as aromatic in ``mol``, its parse."""
    if "=" not in smiles:  # a ring in Kekulé form writes its double bonds
        return False
    n_aromatic = len(mol.GetSubstructMatches(_AROMATIC_ATOM, maxMatches=mol.GetNumAtoms()))
    if not n_aromatic:
        return False
    if sum(map(smiles.count, "cnosp")) >= n_aromatic:  # as many lower-case atoms: the usual
        return False
    as_written = Chem.MolFromSmiles(smiles, sanitize=False)  # lower case = aromatic as written
    return sum(atom.GetIsAromatic() for atom in as_written.GetAtoms()) < n_aromatic


def to_input_atoms(values: np.ndarray, form: ReadableForm, n_input_atoms: int) -> np.ndarray:
    """Per-atom values of ``form.smiles`` (its RDKit order) -> the input molecule's order,
    (n_input_atoms,); input atoms the model did not read (explicit hydrogens) get 0."""
    values = np.asarray(values, dtype=float)
    if form.order is None:
        return values
    out = np.zeros(n_input_atoms)
    out[list(form.order)] = values
    return out
