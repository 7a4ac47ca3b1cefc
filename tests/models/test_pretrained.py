"""The bundled pretrained model: loads offline, matches its model card, scores in parallel the same."""

import json

import numpy as np
import pandas as pd
import pytest

import chemexplain as cx
from chemexplain.metrics import regression_metrics
from chemexplain.models.pretrained import PRETRAINED_DIR


def test_bundled_files_are_small_and_safe():
    files = [p for p in PRETRAINED_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 20 * 2**20
    suffixes = {p.suffix for p in files}
    assert suffixes <= {".json", ".safetensors", ".md"}  # nothing that unpickles


def test_bundled_model_reproduces_its_card(esol):
    model, mask = cx.pretrained()
    assert cx.pretrained().model is model  # loaded once per process
    assert cx.pretrained()[0] is model and cx.pretrained()[1] is mask  # it reads as the pair
    metrics = json.loads((PRETRAINED_DIR / "metrics.json").read_text())
    test = model.split_["test"]
    smiles, y = [esol.smiles[i] for i in test], esol.logS.to_numpy()[test]
    averaged = regression_metrics(y, model.predict(smiles))["rmse"]
    single = regression_metrics(y, model.predict(smiles, n_test_augment=0, as_written=True))["rmse"]
    assert averaged == pytest.approx(metrics["test"]["rmse"], abs=2e-3)
    # the mask evaluation's unmasked row is the same measurement (it was left at 0.544,
    # measured before predictions were seeded per molecule), its masked row the mask's
    base, masked = (
        metrics["evaluation"]["test"]["rmse"]["base"],
        metrics["evaluation"]["test"]["rmse"]["masked"],
    )
    assert base == pytest.approx(averaged, abs=2e-3)
    assert masked == pytest.approx(
        regression_metrics(y, mask.predict_masked(smiles))["rmse"], abs=2e-3
    )
    assert single == pytest.approx(metrics["test_single"]["rmse"], abs=2e-3)
    assert averaged < 0.7  # the `best` configuration; the card states the figure
    assert f"{metrics['test']['rmse']:.3f}" in cx.model_card()
    # what explain and score predict (RDKit's canonical SMILES): its own row of the card
    explained = [e.prediction for e in cx.explain(smiles)]
    read = regression_metrics(y, explained)["rmse"]
    assert read == pytest.approx(metrics["test_read"]["rmse"], abs=2e-3)
    np.testing.assert_allclose(explained, model.predict(smiles, n_test_augment=0), atol=1e-9)
    assert f"| {metrics['test_read']['rmse']:.3f} |" in cx.model_card()


def test_bundled_default_is_the_signed_explainer(tmp_path):
    e = cx.explain("CC(=O)Nc1ccc(O)cc1")  # paracetamol, no method named
    assert e.method == "shapley" and e.signed and e.units == "log10 mol/L"
    assert e.atom_weights.shape == (11,)
    assert e.atom_weights.sum() == pytest.approx(e.prediction - e.reference, abs=1e-9)
    assert (e.atom_weights > 0).any() and (e.atom_weights < 0).any()  # raising and lowering
    e.draw(tmp_path / "p.svg")
    svg = (tmp_path / "p.svg").read_text()
    assert "blue = -1 log10 mol/L or less (lowers), white = 0, red = +1" in svg  # diverging
    # written another way, the same molecule gets the same ranking of its atoms
    other = cx.explain("Oc1ccc(NC(C)=O)cc1")
    assert sorted(np.round(other.atom_weights - other.atom_weights.mean(), 6)) == pytest.approx(
        sorted(np.round(e.atom_weights - e.atom_weights.mean(), 6)), abs=0.05
    )


def test_the_bundled_explainer_has_one_reference_for_every_molecule():
    # it deletes absent atoms, so the reference is the empty SMILES' prediction; a zeroing
    # explainer's would move with the length (hexane -2.67, cyclohexane -3.09, toluene -3.31)
    model, _ = cx.pretrained()
    empty = model.inverse_transform_target(np.array([model.module_.head.bias.item()]))[0]
    out = cx.explain(["CCCCCC", "C1CCCCC1", "Cc1ccccc1", "c1ccc2c(c1)Cc1cc3ccccc3cc1-2"])
    np.testing.assert_allclose([e.reference for e in out], empty, atol=1e-6)
    hexane = out[0].atom_weights  # symmetric: atom i and atom 5 - i alike
    np.testing.assert_allclose(hexane, hexane[::-1], atol=1e-9)
    assert (hexane < 0).all()  # every carbon of a hydrocarbon lowers logS


def test_bundled_explanation_is_chemically_sensible():
    e = cx.explain("OCC(O)CO", method="mask")  # glycerol: very soluble, three hydroxyls
    assert e.units == "log10 mol/L" and e.prediction > -1.0
    assert sorted(e.atom_symbols) == ["C", "C", "C", "O", "O", "O"]
    assert e.atom_weights.shape == (6,) and np.all(e.atom_weights >= 0)


def test_parallel_workers_give_the_same_file(esol, tmp_path, monkeypatch):
    """In this process (what `score` does for a small file) or in 2 single-threaded workers:
    the same rows, the same numbers to 1e-9 (README, "any number of workers")."""
    # workers get each 64-row chunk in 4 parts of 16 rows, shortest SMILES first
    monkeypatch.setattr("chemexplain.io.scoring.PART_ROWS", 16)
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": range(300), "smiles": list(esol.smiles[:299]) + ["C1CC"]}).to_csv(
        source, index=False
    )
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    cx.score_file(source, one, id_col="id", chunk_size=64, progress=False, workers=1)
    cx.score_file(source, two, id_col="id", chunk_size=64, progress=False, workers=2)
    a, b = pd.read_csv(one), pd.read_csv(two)
    assert list(a["id"]) == list(range(300)) and a.loc[299, "status"] == "error"
    pd.testing.assert_frame_equal(
        a.drop(columns=["prediction", "atom_weights"]),
        b.drop(columns=["prediction", "atom_weights"]),
    )
    np.testing.assert_allclose(a["prediction"], b["prediction"], rtol=0, atol=1e-9)
    ok = a["status"] == "ok"
    for mine, theirs in zip(a["atom_weights"][ok], b["atom_weights"][ok], strict=True):
        np.testing.assert_allclose(json.loads(mine), json.loads(theirs), rtol=0, atol=1e-9)
