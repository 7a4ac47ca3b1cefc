"""The removal-games script: each game's sampled Shapley values add up to v(all) - v(empty)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

spec = importlib.util.spec_from_file_location(
    "compare_removal_games", Path(__file__).parents[2] / "scripts" / "compare_removal_games.py"
)
games = importlib.util.module_from_spec(spec)
spec.loader.exec_module(games)


@pytest.mark.parametrize("smiles", ["CC(=O)Nc1ccc(O)cc1", "ClC(Cl)Cl"])
def test_each_games_values_add_up_to_its_own_reference(tiny_model, smiles):
    values = games.game_shapley(tiny_model, smiles, permutations=3, seed=0)
    scale, n_atoms = tiny_model.target_std_, len(values["zero"])
    ids = tiny_model.encode([smiles])[0][0]
    module = tiny_model.inference_module()
    with torch.no_grad():
        full = float(module(torch.tensor([ids]), torch.tensor([len(ids)]))[0])
    zero_reference = games.zero_input_outputs(tiny_model, len(ids))[-1]  # target units
    zero_reference = (zero_reference - tiny_model.target_mean_) / scale
    assert values["zero"].sum() == pytest.approx((full - zero_reference) * scale, abs=1e-9)
    empty = module.head.bias[0].item()  # the empty SMILES: no GRU step
    assert values["delete"].sum() == pytest.approx((full - empty) * scale, abs=1e-9)
    assert n_atoms == len(values["delete"]) and not np.allclose(values["zero"], values["delete"])


def test_one_game_alone_gives_the_same_values(tiny_model):
    both = games.game_shapley(tiny_model, "CC(=O)Nc1ccc(O)cc1", permutations=3, seed=0)
    alone = games.game_shapley(tiny_model, "CC(=O)Nc1ccc(O)cc1", 3, 0, ("delete",))
    assert list(alone) == ["delete"]
    np.testing.assert_array_equal(alone["delete"], both["delete"])


def test_coalitions_in_parts_give_the_values_of_one_pass(tiny_model, monkeypatch):
    whole = games.game_shapley(tiny_model, "CC(=O)Nc1ccc(O)cc1", permutations=3, seed=0)
    monkeypatch.setattr(games, "_CHUNK", 5)  # 36 coalitions in 8 parts
    parts = games.game_shapley(tiny_model, "CC(=O)Nc1ccc(O)cc1", permutations=3, seed=0)
    for game in ("zero", "delete"):
        np.testing.assert_allclose(parts[game], whole[game], rtol=0, atol=1e-9)
