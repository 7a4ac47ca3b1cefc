"""data.splits: DeepChem's random and scaffold splits, scaffold folds, the one hold-out rule."""

import numpy as np
import pytest
from rdkit.Chem.Scaffolds.MurckoScaffold import MurckoScaffoldSmiles

from chemexplain.data.splits import holdout, scaffold_folds, split_indices


def test_random_split_is_seeded_80_10_10_and_disjoint(esol):
    smiles = esol.smiles.tolist()
    a, b, c = (split_indices(smiles, "random", s) for s in (0, 0, 1))
    assert (len(a.train), len(a.val), len(a.test)) == (902, 113, 113)
    assert sorted(a.train + a.val + a.test) == list(range(1128))
    assert a.to_dict() == b.to_dict()
    assert a.test != c.test


def test_scaffold_split_keeps_scaffolds_apart(esol):
    smiles = esol.smiles.tolist()
    split = split_indices(smiles, "scaffold", 0)
    scaffold = lambda rows: {MurckoScaffoldSmiles(smiles[i]) for i in rows}  # noqa: E731
    assert not scaffold(split.train) & scaffold(split.test)
    assert sorted(split.train + split.val + split.test) == list(range(1128))


def test_scaffold_folds_cover_every_row_once_and_never_share_a_scaffold(esol):
    smiles = esol.smiles.tolist()[:300]
    folds = scaffold_folds(smiles, 4)
    assert len(folds) == 4
    assert sorted(i for fold in folds for i in fold) == list(range(300))
    scaffolds = [{MurckoScaffoldSmiles(smiles[i]) for i in fold} for fold in folds]
    for a in range(4):
        for b in range(a + 1, 4):
            assert not scaffolds[a] & scaffolds[b]
    assert folds == scaffold_folds(smiles, 4)  # deterministic


def test_holdout_takes_a_rounded_tenth_at_least_one_row():
    train, val = holdout(25, np.random.default_rng(0))
    assert len(val) == 2 and len(train) == 23  # round(2.5) is 2
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(25))
    assert len(holdout(3, np.random.default_rng(0))[1]) == 1  # never an empty validation set
    again = holdout(25, np.random.default_rng(0))
    assert val.tolist() == again[1].tolist()


def test_an_unknown_split_names_the_choices():
    with pytest.raises(ValueError, match="random, scaffold"):
        split_indices(["CCO"], "temporal")
