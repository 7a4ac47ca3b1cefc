"""SmilesMask: the paper's mask over a frozen SMILES model, saved, loaded and randomized."""

import numpy as np
import pytest
import torch

from chemexplain.chem.masking import SmilesMask, atom_weights_from_tokens, randomized_copy
from chemexplain.errors import ModelFileError, NotFittedError
from chemexplain.mask import MaskExplainer, ResidualConvMask
from chemexplain.nn import pad_ids

FAST = dict(channels=8, n_layers=4, max_epochs=2, patience=2, verbose=False)


@pytest.fixture(scope="module")
def fitted_mask(tiny_model, esol):
    part = esol.iloc[200:320]
    before = {k: v.clone() for k, v in tiny_model.module_.state_dict().items()}
    mask = SmilesMask(tiny_model, random_state=0, **FAST).fit(part.smiles, part.logS)
    return mask, before


def test_fit_never_changes_the_base_model(fitted_mask, tiny_model):
    mask, before = fitted_mask
    after = tiny_model.module_.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert len(mask.history_) == 2 and {"train_loss", "val_loss", "val_l1"} <= set(mask.history_[0])


def test_weights_are_nonnegative_one_per_character_and_zero_at_padding(fitted_mask, tiny_model):
    mask, _ = fitted_mask
    smiles = ["CCO", "c1ccccc1Cl", "CC(=O)Oc1ccccc1C(=O)O"]
    weights = mask.token_weights(smiles)
    assert [len(w) for w in weights] == [len(s) for s in smiles]
    assert all((w >= 0).all() for w in weights)
    ids, lengths = pad_ids(tiny_model.encode(smiles)[0])
    raw = mask.explainer_.explain(ids, lengths)
    assert raw.shape == ids.shape
    assert torch.all(raw[0, 3:] == 0) and torch.all(raw[1, 10:] == 0)
    # a molecule's mask does not depend on the batch it is explained in
    alone = mask.token_weights(["CCO"])[0]
    np.testing.assert_allclose(alone, weights[0], atol=1e-5)


def test_atom_weights_average_characters_per_atom(fitted_mask):
    mask, _ = fitted_mask
    chars = mask.token_weights(["CC(Cl)=O"])[0]
    atoms = mask.atom_weights(["CC(Cl)=O"])[0]
    # the mean, so Cl's two characters do not count twice; the paper-era sum on request
    np.testing.assert_allclose(atoms, [chars[0], chars[1], (chars[3] + chars[4]) / 2, chars[7]])
    weights = np.array([1.0, 1.0, 1.0, 1.0, 1.0])  # "ClCO" + nothing dropped: C l C O
    np.testing.assert_allclose(atom_weights_from_tokens("ClCO", weights[:4]), [1.0, 1.0, 1.0])
    summed = atom_weights_from_tokens("ClCO", weights[:4], aggregate="sum")
    np.testing.assert_allclose(summed, [2.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="aggregate"):
        atom_weights_from_tokens("CO", np.array([1.0, 2.0]), aggregate="max")


def test_using_a_mask_before_fit_is_a_clear_error(tiny_model):
    with pytest.raises(NotFittedError):
        SmilesMask(tiny_model, **FAST).token_weights(["CCO"])
    explainer = MaskExplainer(tiny_model.module_, ResidualConvMask(50, 8, 2))
    with pytest.raises(NotFittedError):
        explainer.explain(torch.ones(1, 3, dtype=torch.long), torch.tensor([3]))


def test_model_target_needs_no_labels(tiny_model, esol):
    part = esol.iloc[200:260]
    mask = SmilesMask(tiny_model, target="model", **FAST).fit(part.smiles)
    assert np.isfinite(mask.predict_masked(["CCO", "CCCl"])).all()
    with pytest.raises(ValueError, match="target='label' needs targets"):
        SmilesMask(tiny_model, target="label", **FAST).fit(part.smiles)


def test_penalties_shrink_the_mask(tiny_model, esol):
    """A huge L1 coefficient must give a much smaller mask than none at all.

    The mask's overall level sits in the final BatchNorm's shift, which Adam
    moves by about the learning rate per step: a few steps need a large rate.
    """
    part = esol.iloc[200:300]
    sizes = {}
    for l1 in (0.0, 1.0):
        mask = SmilesMask(
            tiny_model, l1=l1, l2=0.0, learning_rate=0.1, **dict(FAST, max_epochs=4, patience=4)
        )
        mask.fit(part.smiles, part.logS)
        sizes[l1] = np.mean(np.concatenate(mask.token_weights(part.smiles[:30])))
    assert sizes[1.0] < 0.5 * sizes[0.0], sizes


def test_save_load_round_trip_and_base_model_check(fitted_mask, tiny_model, tmp_path):
    mask, _ = fitted_mask
    mask.save(tmp_path / "mask")
    loaded = SmilesMask.load(tmp_path / "mask", tiny_model)
    np.testing.assert_array_equal(
        loaded.token_weights(["CCN(C)C"])[0], mask.token_weights(["CCN(C)C"])[0]
    )
    with pytest.raises(ModelFileError, match="another base model"):
        SmilesMask.load(tmp_path / "mask", randomized_copy(tiny_model))


def test_randomized_copy_redraws_weights_but_keeps_the_original(tiny_model):
    twin = randomized_copy(tiny_model, seed=1)
    original = tiny_model.module_.conv.weight
    assert not torch.equal(twin.module_.conv.weight, original)
    assert torch.equal(
        randomized_copy(tiny_model, seed=1).module_.conv.weight, twin.module_.conv.weight
    )
    assert twin.module_.embedding.weight[0].abs().sum() == 0  # padding row stays zero
