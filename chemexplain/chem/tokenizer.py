"""SMILES tokenization with a map from every token to the RDKit atom it belongs to.

Two schemes:

``char``
    One token per character, as in SMILES2vec (Goh et al. 2017). Every
    character of an atom (both letters of ``Cl``, all of ``[nH]``) maps to that
    atom.
``atom``
    The regular expression of Schwaller et al. (2019): bracket atoms such as
    ``[nH]`` or ``[O-]``, ``Cl``, ``Br`` and two-digit ring closures ``%nn``
    are single tokens.

Atom indices refer to ``Chem.MolFromSmiles(smiles)``. Bonds, branches, ring
closure digits and dots map to ``None``. An explicit hydrogen atom that RDKit
removes (``[H]`` in ``[H]OC``) maps to the heavy atom it is bonded to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from chemexplain.chem.parsing import parse_smiles
from chemexplain.errors import InvalidSmilesError

__all__ = ["Token", "tokenize", "split_smiles", "SMILES_REGEX", "Scheme"]

Scheme = Literal["char", "atom"]

#: Schwaller et al. (2019), "Molecular Transformer", the atom-level SMILES regex.
SMILES_REGEX = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$|\%[0-9]{2}|[0-9])"
)
_ATOM_PROP = "_chemexplain_src"
# a bracket hydrogen atom ([H], [2H], [H+]) that RDKit may remove, shifting atom indices
_EXPLICIT_H = re.compile(r"\[\d*H(?![a-z])")


@dataclass(frozen=True)
class Token:
    """One SMILES token: its text and the RDKit atom index it belongs to (or None)."""

    text: str
    atom: int | None


#: the pieces of ``SMILES_REGEX`` that are atoms outside brackets
_ORGANIC_ATOMS = frozenset(
    ("Br", "Cl", "B", "C", "N", "O", "S", "P", "F", "I", "b", "c", "n", "o", "s", "p", "*")
)


def _is_atom_piece(piece: str) -> bool:
    """Whether a piece of ``SMILES_REGEX`` is an atom: a bracket atom or an organic-subset
    one (a set lookup: a regex call per piece cost a tenth of :func:`tokenize`)."""
    return piece[0] == "[" or piece in _ORGANIC_ATOMS


def _atom_level_pieces(smiles: str) -> list[str]:
    pieces = SMILES_REGEX.findall(smiles)
    if "".join(pieces) != smiles:
        position = 0
        for piece in pieces:
            if smiles.startswith(piece, position):
                position += len(piece)
            else:
                break
        raise InvalidSmilesError(
            smiles, f"cannot tokenize character {smiles[position]!r} at position {position}"
        )
    return pieces


def split_smiles(smiles: str, scheme: Scheme = "char") -> list[str]:
    """Token texts of ``smiles`` without RDKit (fast path for model input).

    ``"".join(split_smiles(s, scheme)) == s`` always holds; the ``atom`` scheme
    raises ``InvalidSmilesError`` on a character its regex does not know.
    """
    if scheme == "char":
        return list(smiles)
    if scheme == "atom":
        return _atom_level_pieces(smiles)
    raise ValueError(f"unknown tokenizer scheme {scheme!r}; use 'char' or 'atom'")


def _atom_index_of_sequence_atoms(smiles: str, row: int | None) -> list[int]:
    """For the k-th atom written in ``smiles``, its index in ``MolFromSmiles(smiles)``."""
    with_hs = parse_smiles(smiles, row=row, remove_hs=False)
    for atom in with_hs.GetAtoms():
        atom.SetIntProp(_ATOM_PROP, atom.GetIdx())
    from rdkit import Chem

    without_hs = Chem.RemoveHs(with_hs)
    kept = {a.GetIntProp(_ATOM_PROP): a.GetIdx() for a in without_hs.GetAtoms()}
    index = []
    for atom in with_hs.GetAtoms():
        if atom.GetIdx() in kept:
            index.append(kept[atom.GetIdx()])
        else:  # a removed explicit hydrogen belongs to its heavy neighbour
            heavy = [n.GetIdx() for n in atom.GetNeighbors() if n.GetIdx() in kept]
            index.append(kept[heavy[0]] if heavy else None)
    return index


def tokenize(smiles: str, scheme: Scheme = "char", row: int | None = None, mol=None) -> list[Token]:
    """Tokenize ``smiles`` and map each token to its RDKit atom index.

    Parameters
    ----------
    smiles : a SMILES string; it must parse with RDKit.
    scheme : ``"char"`` (SMILES2vec) or ``"atom"`` (Schwaller et al. 2019 regex).
    row : position in a batch, only used in error messages.
    mol : ``Chem.MolFromSmiles(smiles)`` if the caller has it (saves a parse).

    Returns
    -------
    list of Token, with ``"".join(t.text for t in tokens) == smiles``.

    Raises
    ------
    InvalidSmilesError : RDKit cannot parse ``smiles`` or the regex cannot split it.
    """
    if scheme not in ("char", "atom"):
        raise ValueError(f"unknown tokenizer scheme {scheme!r}; use 'char' or 'atom'")
    if not isinstance(smiles, str) or not smiles:
        raise InvalidSmilesError(str(smiles), "empty string", row)
    try:
        pieces = _atom_level_pieces(smiles)
    except InvalidSmilesError as error:
        raise InvalidSmilesError(smiles, error.reason, row) from None
    if _EXPLICIT_H.search(smiles):
        atom_index = _atom_index_of_sequence_atoms(smiles, row)
    else:  # RDKit numbers atoms in the order the SMILES writes them
        mol = parse_smiles(smiles, row=row) if mol is None else mol
        atom_index = list(range(mol.GetNumAtoms()))
    is_atom = [_is_atom_piece(p) for p in pieces]
    n_atom_pieces = sum(is_atom)
    if n_atom_pieces != len(atom_index):
        raise InvalidSmilesError(
            smiles, f"{n_atom_pieces} atom tokens but RDKit reads {len(atom_index)} atoms", row
        )
    tokens: list[Token] = []
    atoms = iter(atom_index)
    for piece, atomic in zip(pieces, is_atom):
        atom = next(atoms) if atomic else None
        if scheme == "atom" or len(piece) == 1:
            tokens.append(Token(piece, atom))
        else:
            tokens.extend([Token(char, atom) for char in piece])
    return tokens
