"""From token scores to atom scores: two maps, and averaging over random SMILES spellings.

``rule="atoms"`` sums the scores of each atom's own characters; bonds,
branches and ring-closure digits drop out (the tokenizer's ``Token.atom``).
``rule="attached"`` also gives every such character to the atom it is written
next to: a bond symbol (``= # - / \\ :``) to the atom that follows it, ring
digits, ``%nn``, parentheses and dots to the atom before them. A ring-closure
bond (the ``-`` of ``c1-2``) goes with its digit to the atom before it, so that
every character has an atom. A model may
put the evidence for "carbonyl oxygen" on the ``=`` of ``C(=O)``; the
attached rule keeps it on the molecule.

:func:`spelling_averaged_atom_scores` explains the canonical SMILES and ``n``
random spellings of each molecule and averages the per-atom scores, mapped
back to the input's atom order through RDKit's ``_smilesAtomOutputOrder``:
a SMILES model's explanation depends on how the molecule was written, and the
average keeps what does not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from rdkit import Chem

from chemexplain.chem.parsing import molecule_rng, output_order, parse_smiles
from chemexplain.chem.tokenizer import Token, tokenize

__all__ = [
    "owner_atoms",
    "atom_scores",
    "atom_scores_from_tokens",
    "spellings",
    "spelling_averaged_atom_scores",
]

_BOND_CHARACTERS = set("=#-/\\:~")
_RING_CLOSURE_START = set("0123456789%")


def owner_atoms(tokens: Sequence[Token], rule: str = "atoms") -> list[int | None]:
    """The atom each token's score goes to under ``rule`` (None: dropped)."""
    atoms = [t.atom for t in tokens]
    if rule == "atoms":
        return atoms
    if rule != "attached":
        raise ValueError(f"unknown rule {rule!r}; use 'atoms' or 'attached'")
    owners = list(atoms)
    for i, token in enumerate(tokens):
        if atoms[i] is not None:
            continue
        preceding = next((atoms[j] for j in range(i - 1, -1, -1) if atoms[j] is not None), None)
        closes_a_ring = i + 1 < len(tokens) and tokens[i + 1].text[0] in _RING_CLOSURE_START
        if token.text in _BOND_CHARACTERS and not closes_a_ring:
            following = (atoms[j] for j in range(i + 1, len(atoms)) if atoms[j] is not None)
            owners[i] = next(following, preceding)  # a bond goes with the atom it leads to
        else:  # a ring-closure bond ("c1-2") with the atom its label is written on
            owners[i] = preceding
    return owners


def atom_scores_from_tokens(
    tokens: Sequence[Token],
    token_scores: np.ndarray,
    n_atoms: int,
    rule: str = "atoms",
    aggregate: str = "sum",
) -> np.ndarray:
    """Token scores (n_tokens,) -> per-atom scores (n_atoms,), for already tokenized SMILES.

    ``aggregate="sum"`` adds an atom's token scores: right for additive
    contributions (integrated gradients, occlusion, Shapley values).
    ``aggregate="mean"`` averages them: right for multiplicative weights such
    as a mask, where a sum would give ``Cl`` or ``[nH]`` double or more by
    construction (a weight of 1 on each character means "kept", not "twice as
    important").
    """
    if aggregate not in ("sum", "mean"):
        raise ValueError(f"unknown aggregate {aggregate!r}; use 'sum' or 'mean'")
    out, counts = np.zeros(n_atoms), np.zeros(n_atoms)
    for owner, score in zip(owner_atoms(tokens, rule), token_scores, strict=True):
        if owner is not None:
            out[owner] += score
            counts[owner] += 1
    if aggregate == "mean":
        out = np.divide(out, counts, out=np.zeros(n_atoms), where=counts > 0)
    return out


def atom_scores(
    smiles: str,
    token_scores: np.ndarray,
    scheme: str = "char",
    rule: str = "atoms",
    aggregate: str = "sum",
) -> np.ndarray:
    """Token scores (n_tokens,) of ``smiles`` -> per-atom scores (n_atoms,) in RDKit order."""
    mol = parse_smiles(smiles)
    tokens = tokenize(smiles, scheme, mol=mol)
    return atom_scores_from_tokens(tokens, token_scores, mol.GetNumAtoms(), rule, aggregate)


def spellings(smiles: str, n: int, rng: np.random.Generator) -> list[tuple[str, list[int]]]:
    """The canonical SMILES and ``n`` random ones, each with ``order``: the k-th atom
    written in it (= RDKit atom k when parsed) is atom ``order[k]`` of ``smiles``.

    The random orders permute the canonical atom ranking, not the input's order,
    so two spellings of one molecule get the same set of spellings from the same
    ``rng`` state (the values averaged over them do not depend on the input spelling).
    """
    mol = parse_smiles(smiles)
    out = [(Chem.MolToSmiles(mol), output_order(mol))]
    ranks = list(Chem.CanonicalRankAtoms(mol))
    by_rank = sorted(range(mol.GetNumAtoms()), key=ranks.__getitem__)  # input atom of rank k
    for _ in range(n):
        permutation = [by_rank[k] for k in rng.permutation(mol.GetNumAtoms()).tolist()]
        shuffled = Chem.RenumberAtoms(mol, permutation)
        text = Chem.MolToSmiles(shuffled, canonical=False)
        out.append((text, [permutation[i] for i in output_order(shuffled)]))
    return out


def spelling_averaged_atom_scores(
    smiles: Sequence[str],
    token_scores_of: Callable[[list[str]], list[np.ndarray]],
    *,
    n_spellings: int = 10,
    scheme: str = "char",
    rule: str = "attached",
    random_state: int = 0,
) -> list[np.ndarray]:
    """Per-atom scores of each SMILES, averaged over its canonical and random spellings.

    ``token_scores_of(list_of_smiles)`` returns one token-score array per SMILES
    (any method: a mask, integrated gradients, ...). Each molecule's spellings
    come from a seed fixed per molecule (its canonical SMILES and ``random_state``).
    """
    variants, owners = [], []
    for row, s in enumerate(smiles):
        rng = molecule_rng(s, random_state)  # per molecule: the same spellings in any batch
        for text, order in spellings(s, n_spellings, rng):
            variants.append(text)
            owners.append((row, order))
    scores = token_scores_of(variants)
    totals = [np.zeros(parse_smiles(s).GetNumAtoms()) for s in smiles]
    counts = np.zeros(len(smiles))
    for (row, order), text, w in zip(owners, variants, scores, strict=True):
        per_atom = atom_scores(text, w, scheme, rule)
        totals[row][order] += per_atom
        counts[row] += 1
    return [t / c for t, c in zip(totals, counts, strict=True)]
