from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem

from chemexplain import InvalidSmilesError, Vocabulary, tokenize
from chemexplain.chem import randomize_smiles, split_smiles


def _check_tokens(smiles: str):
    mol = Chem.MolFromSmiles(smiles)
    for scheme in ("char", "atom"):
        tokens = tokenize(smiles, scheme)
        assert "".join(t.text for t in tokens) == smiles
        assert [t.text for t in tokens] == split_smiles(smiles, scheme)
    atom_tokens = tokenize(smiles, "atom")
    covering = {}
    for token in atom_tokens:
        removed_hydrogen = (
            token.text.startswith("[H") and mol.GetAtomWithIdx(token.atom).GetSymbol() != "H"
        )
        if token.atom is not None and not removed_hydrogen:
            covering.setdefault(token.atom, []).append(token.text)
    for atom in mol.GetAtoms():
        texts = covering.get(atom.GetIdx(), [])
        assert len(texts) == 1, (smiles, atom.GetIdx(), texts)
        assert atom.GetSymbol().lower() in texts[0].lower(), (smiles, atom.GetSymbol(), texts)
    # every character of an atom token maps, in the char scheme, to that token's atom
    char_atoms = [t.atom for t in tokenize(smiles, "char")]
    expanded = [t.atom for t in atom_tokens for _ in t.text]
    assert char_atoms == expanded


def test_esol_and_randomized_smiles_round_trip_and_cover_atoms(esol):
    rng = np.random.default_rng(0)
    count = 0
    for smiles in esol.smiles:
        for variant in [smiles, *randomize_smiles(smiles, 10, rng)]:
            _check_tokens(variant)
            count += 1
    assert count > 1128 * 5  # small molecules have fewer than 10 spellings


def test_tricky_smiles(tricky_smiles):
    for smiles in tricky_smiles:
        _check_tokens(smiles)


def test_char_tokens_of_chlorine_and_bracket_atoms_share_the_atom():
    tokens = tokenize("CC(Cl)=O")
    assert [(t.text, t.atom) for t in tokens] == [
        ("C", 0),
        ("C", 1),
        ("(", None),
        ("C", 2),
        ("l", 2),
        (")", None),
        ("=", None),
        ("O", 3),
    ]
    assert [t.atom for t in tokenize("c1cc[nH]c1")] == [0, None, 1, 2, 3, 3, 3, 3, 4, None]


def test_atom_scheme_groups_bracket_atoms_and_two_digit_rings():
    texts = [t.text for t in tokenize("C%10CC[O-].Br%10", "atom")]
    assert texts == ["C", "%10", "C", "C", "[O-]", ".", "Br", "%10"]
    assert [t.atom for t in tokenize("C%10CC[O-].Br%10", "atom")] == [
        0,
        None,
        1,
        2,
        3,
        None,
        4,
        None,
    ]


def test_explicit_hydrogen_maps_to_its_heavy_neighbour():
    assert [(t.text, t.atom) for t in tokenize("[H]OC", "atom")] == [("[H]", 0), ("O", 0), ("C", 1)]


def test_invalid_smiles_raise_named_errors():
    with pytest.raises(InvalidSmilesError, match="C1CC"):
        tokenize("C1CC")
    with pytest.raises(InvalidSmilesError, match="empty"):
        tokenize("")
    with pytest.raises(InvalidSmilesError, match="position 1"):
        tokenize("C&C", "atom")
    with pytest.raises(ValueError, match="scheme"):
        tokenize("CC", "word")


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 17), st.integers(0, 2**32 - 1))
def test_any_random_spelling_round_trips(tricky_index, seed):
    smiles = (
        (Path(__file__).parents[1] / "data" / "tricky.smi").read_text().split()[::2][tricky_index]
    )
    for variant in randomize_smiles(smiles, 3, np.random.default_rng(seed)):
        _check_tokens(variant)


def test_vocabulary_reports_unknown_tokens_and_keeps_pad_unk():
    vocab = Vocabulary.from_sequences([list("CCO"), list("c1ccccc1")])
    assert vocab.tokens[:2] == ["<pad>", "<unk>"]
    assert vocab.tokens[2] == "c"  # most frequent first
    ids, unknown = vocab.encode(list("CC[Xe]"))
    assert unknown == ["[", "X", "e", "]"]
    assert ids[:2] == [vocab.index["C"]] * 2 and ids[2:] == [1, 1, 1, 1]
    assert vocab.decode(ids + [0, 0]) == ["C", "C", "<unk>", "<unk>", "<unk>", "<unk>"]
    with pytest.raises(ValueError):
        Vocabulary(["C", "O"])


def test_fast_atom_map_equals_the_hydrogen_aware_one(esol):
    """Without bracket hydrogens, atom k of the SMILES is RDKit atom k (the fast path)."""
    from chemexplain.chem.tokenizer import _atom_index_of_sequence_atoms

    rng = np.random.default_rng(1)
    checked = 0
    for smiles in list(esol.smiles[:300]):
        for variant in [smiles, *randomize_smiles(smiles, 2, rng)]:
            atoms = [t.atom for t in tokenize(variant, "atom") if t.atom is not None]
            assert atoms == _atom_index_of_sequence_atoms(variant, None)
            checked += 1
    assert checked > 800
    # with an explicit [H], the slow path keeps every token on its heavy atom
    assert [t.atom for t in tokenize("[H]OC", "atom")] == [0, 0, 1]
