"""chem.shapley, the SMILES adapter of the amortized Shapley explainer: exact efficiency,
batch independence, files, the CLI, the delete game's one reference."""

import numpy as np
import pytest
import torch
from rdkit import Chem

import chemexplain as cx
from chemexplain.chem.shapley import SmilesShapley
from chemexplain.cli import main

MOLECULES = ["CC(=O)Nc1ccc(O)cc1", "OCC(O)CO", "Clc1ccc(Cl)cc1", "CCO", "c1ccccc1C(=O)O"]


def _fitted(tiny_pair_dir, esol, removal):
    model = cx.pretrained(tiny_pair_dir).model
    smiles = esol.smiles[:120].tolist()
    return SmilesShapley(
        model, hidden=16, n_coalitions=2, max_epochs=2, removal=removal, verbose=False
    ).fit(smiles)


@pytest.fixture(scope="module", params=["delete", "zero"])
def fitted(tiny_pair_dir, esol, request):
    """A tiny explainer of each way of removing an atom (the default, delete, first)."""
    return _fitted(tiny_pair_dir, esol, request.param)


@pytest.fixture(scope="module")
def fitted_zero(tiny_pair_dir, esol):
    return _fitted(tiny_pair_dir, esol, "zero")


def test_contributions_add_up_exactly_and_do_not_depend_on_the_batch(fitted):
    values, reference = fitted.atom_values(MOLECULES)
    predictions = fitted.model.predict(MOLECULES, n_test_augment=0)
    for smiles, v, r, p in zip(MOLECULES, values, reference, predictions):
        assert v.shape == (Chem.MolFromSmiles(smiles).GetNumAtoms(),)
        assert v.sum() == pytest.approx(p - r, abs=1e-9)
    for smiles, v in zip(MOLECULES, values):
        alone, _ = fitted.atom_values([smiles])
        np.testing.assert_allclose(alone[0], v, rtol=0, atol=1e-9)


def test_zeroings_reference_is_computed_for_a_group_of_lengths_and_never_depends_on_the_batch(
    fitted_zero,
):
    fitted = fitted_zero
    core = fitted._inference_core()
    like = torch.zeros(1, 1, core.model.embedding.embedding_dim, dtype=torch.float64)
    for length, first in ((1, 1), (8, 1), (9, 9), (23, 17)):
        group = fitted._empty_of_lengths(core, length, like)
        assert sorted(group) == list(range(first, first + 8))
        zeros = like.new_zeros(1, length, like.shape[-1])
        alone = core._value(zeros, torch.tensor([length]), like.new_zeros(1, length))[0]
        assert float(group[length]) == pytest.approx(float(alone), abs=1e-12)
    # the cache filled by one molecule alone, or first by a batch of other lengths: same bits
    fitted.__dict__.pop("_empty_by_length", None)
    _, alone = fitted.atom_values(["CCCCCCCCCCCCO"])
    fitted.__dict__.pop("_empty_by_length", None)
    _, batch = fitted.atom_values(MOLECULES + ["CCCCCCCCCCCCO"])
    assert batch[-1] == alone[0]


def test_save_load_round_trip_and_a_wrong_base_model(fitted, tmp_path):
    fitted.save(tmp_path / "shapley")
    loaded = SmilesShapley.load(tmp_path / "shapley", fitted.model)
    a, _ = fitted.atom_values(MOLECULES)
    b, _ = loaded.atom_values(MOLECULES)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=1e-12)
    assert loaded.removal == fitted.removal
    with pytest.raises(cx.ModelFileError, match="another base model"):
        SmilesShapley.load(tmp_path / "shapley", cx.pretrained().model)


def test_explain_and_commands_use_the_stored_explainer(tiny_pair_dir, esol, tmp_path, capsys):
    import shutil

    pair = tmp_path / "pair"
    shutil.copytree(tiny_pair_dir, pair)
    assert main(["explain", "CCO", "--model", str(pair), "--method", "shapley"]) == 2
    assert "fit-explainer" in capsys.readouterr().err
    assert cx.explain("CCO", str(pair)).method == "mask"  # no explainer: the mask by default
    data = tmp_path / "data.csv"
    esol[["smiles"]].iloc[:80].to_csv(data, index=False)
    assert (
        main(
            [
                "fit-explainer",
                "--model",
                str(pair / "model"),
                "-o",
                str(pair / "shapley"),
                "--data",
                str(data),
                "--epochs",
                "1",
                "--coalitions",
                "1",
                "--layers",
                "1",
                "--hidden",
                "8",
                "--removal",
                "zero",
                "--quiet",
            ]
        )
        == 0
    )
    capsys.readouterr()
    saved = SmilesShapley.load(pair / "shapley", cx.pretrained(pair).model)
    # each flag arrived
    assert (saved.n_coalitions, saved.n_layers, saved.hidden, saved.removal) == (1, 1, 8, "zero")
    assert cx.explain("CCO", str(pair)).method == "shapley"  # the default once there is one
    e = cx.explain("CC(=O)Nc1ccc(O)cc1", str(pair), method="shapley")
    assert e.signed and e.method == "shapley"
    assert e.atom_weights.sum() == pytest.approx(e.prediction - e.reference, abs=1e-9)
    assert main(["explain", "CCO", "--model", str(pair), "--method", "shapley"]) == 0
    assert "raise:" in capsys.readouterr().out
    import pandas as pd

    data.write_text("smiles\nCC(=O)Nc1ccc(O)cc1\nC1CC\nCCO\n")
    frames = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.csv"
        argv = [
            "score",
            str(data),
            "-o",
            str(out),
            "--model",
            str(pair),
            "--method",
            "shapley",
            "--workers",
            workers,
            "--quiet",
        ]
        assert main(argv) == 0
        frames.append(pd.read_csv(out, keep_default_na=False))
    pd.testing.assert_frame_equal(*frames)
    assert frames[0]["method"].tolist() == ["shapley"] * 3 and frames[0]["status"][1] == "error"


def test_a_nitro_groups_oxygens_get_one_value_whichever_rdkit_charges():
    """They got +0.45 and +0.17 (bundled explainer), swapped by spelling the charge on the
    other oxygen; Crippen and the synthetic task give them one value."""
    import chemexplain as cx

    for smiles in ("Cc1ccc(cc1)[N+](=O)[O-]", "Cc1ccc(cc1)[N+]([O-])=O", "Cc1ccc(cc1)N(=O)=O"):
        e = cx.explain(smiles)
        assert e.atom_weights[8] == pytest.approx(e.atom_weights[9], abs=1e-12)
        assert e.atom_weights.sum() == pytest.approx(e.prediction - e.reference, abs=1e-9)


def test_the_delete_explainer_has_one_reference_and_keeps_it_through_files(
    tiny_pair_dir, esol, tmp_path
):
    model = cx.pretrained(tiny_pair_dir).model
    explainer = SmilesShapley(
        model, hidden=16, n_coalitions=2, max_epochs=1, removal="delete", verbose=False
    ).fit(esol.smiles[:60].tolist())
    values, reference = explainer.atom_values(MOLECULES)
    empty = model.inverse_transform_target(np.array([model.module_.head.bias.item()]))[0]
    np.testing.assert_allclose(reference, empty, atol=1e-6)  # the empty SMILES, for all
    predictions = model.predict(MOLECULES, n_test_augment=0)
    for v, p in zip(values, predictions):
        assert v.sum() == pytest.approx(p - reference[0], abs=1e-9)
    explainer.save(tmp_path / "shapley")
    loaded = SmilesShapley.load(tmp_path / "shapley", model)
    assert loaded.removal == "delete"
    for a, b in zip(values, loaded.atom_values(MOLECULES)[0]):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_looked_up_references_are_the_computed_ones(fitted):
    """v(empty) is looked up for a molecule whose every character belongs to an atom (the
    embedding is skipped); a molecule with a character of no atom is computed alone, as
    _empty does: both give the bits of the model's own forward pass."""
    core = fitted._inference_core()
    mapped = [fitted._players(s) for s in MOLECULES]
    looked_up = fitted._references(core, MOLECULES, mapped)
    # as _empty computes it from the embedded batch
    computed = np.zeros(len(MOLECULES))
    for embedded, lengths, players, _, _, rows in fitted._batches(
        MOLECULES, core.model, torch.float64, mapped, features=False
    ):
        computed[rows] = fitted._empty(core, embedded, lengths, players).numpy()
    np.testing.assert_array_equal(looked_up, computed)
    # a character of no atom (its player -1): kept in every coalition, so v(empty) is
    # the model's output for that character alone and differs from the lookup
    players, n_atoms, mol = mapped[3]  # CCO
    odd = [(players[:-1] + [-1], n_atoms, mol)]
    (own,) = fitted._references(core, ["CCO"], odd)
    ids = torch.tensor(fitted.model.encode(["CCO"])[0])
    embedded = core.model.embed(ids).double()
    keep = torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64)
    expected = core._value(embedded, torch.tensor([3]), keep)[0]
    assert own == float(expected)
    assert own != looked_up[3]
