"""Ensembles: mean and spread of members from different seeds, saved and loaded as one folder."""

import json

import numpy as np
import pandas as pd
import pytest

import chemexplain as cx
from chemexplain.models.ensemble import SmilesEnsemble

TINY = dict(gru_sizes=(16, 16), max_epochs=2, patience=2, batch_size=32, verbose=False)


@pytest.fixture(scope="module")
def ensemble_dir(esol, tmp_path_factory):
    from chemexplain.models.training import train_on_frame

    part = esol.iloc[:160].reset_index(drop=True)
    model = train_on_frame(part, "logS", seed=3, ensemble=3, **TINY)
    out = tmp_path_factory.mktemp("ensemble") / "model"
    model.save(out)
    return out, model, part


def test_members_differ_and_the_ensemble_is_their_mean(ensemble_dir):
    _, model, part = ensemble_dir
    assert [m.random_state for m in model.members_] == [3, 4, 5]
    smiles = list(part.smiles[:20])
    each = np.array([m.predict(smiles) for m in model.members_])
    assert np.ptp(each, axis=0).max() > 1e-3  # different seeds, different members
    np.testing.assert_allclose(model.predict(smiles), each.mean(0))
    # the spread pools every member's predictions over 10 random spellings, scaled on val
    val = list(part.smiles[model.split_["val"]])
    pooled = []
    for s in val:
        values = [
            m.inverse_transform_target(m._spelling_outputs([s], 10)[0]) for m in model.members_
        ]
        pooled.append(np.std(np.concatenate(values), ddof=1))
    errors = model.predict(val) - part.logS.to_numpy()[model.split_["val"]]
    expected_scale = cx.metrics.conformal_scale(errors, np.array(pooled))
    assert model.std_scale_ == pytest.approx(expected_scale, rel=1e-9)
    np.testing.assert_allclose(model.predict_std(val), expected_scale * np.array(pooled))
    assert np.mean(np.abs(errors) <= 1.96 * model.predict_std(val)) >= 0.95
    # the prediction's own averaging does not change the spread (its calibration holds)
    np.testing.assert_allclose(
        model.predict_std(smiles, n_test_augment=3), model.predict_std(smiles)
    )
    # without spellings, the spread is the members' std, scaled
    model.spread_spellings = 0
    try:
        model.calibrate_spread(val, part.logS.to_numpy()[model.split_["val"]])
        members_val = np.array([m.predict(val) for m in model.members_])
        scale = cx.metrics.conformal_scale(errors, members_val.std(0, ddof=1))
        assert model.std_scale_ == pytest.approx(scale, rel=1e-9)
        np.testing.assert_allclose(model.predict_std(smiles), scale * each.std(0, ddof=1))
    finally:
        model.spread_spellings = 10
        model.calibrate_spread(val, part.logS.to_numpy()[model.split_["val"]])
    test_rmse = model.metrics_["test_rmse"]
    assert len(model.metrics_["members_test_rmse"]) == 3 and np.isfinite(test_rmse)


def test_an_ensemble_folder_loads_back_and_explains(ensemble_dir):
    out, model, part = ensemble_dir
    assert json.loads((out / "ensemble.json").read_text())["members"] == [
        "member_0",
        "member_1",
        "member_2",
    ]
    loaded = cx.load_model(out)
    assert isinstance(loaded, SmilesEnsemble) and loaded.split_ == model.split_
    assert loaded.std_scale_ == model.std_scale_ and loaded.spread_spellings == 10
    smiles = list(part.smiles[:10])
    np.testing.assert_allclose(loaded.predict(smiles), model.predict(smiles), atol=1e-9)
    e = cx.explain(smiles[0], loaded, method="occlusion", n_test_augment=None)
    assert e.prediction == pytest.approx(loaded.predict(smiles[:1])[0], abs=1e-9)
    assert e.prediction_std == pytest.approx(loaded.predict_std(smiles[:1])[0], abs=1e-9)
    single = cx.explain(smiles[0], loaded.members_[0], method="occlusion")
    assert np.isnan(single.prediction_std)


def test_ensemble_files_are_checked(ensemble_dir, tmp_path):
    import shutil

    out, _, _ = ensemble_dir
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    config = json.loads((broken / "ensemble.json").read_text())
    config["members"] = ["../../etc", "member_1"]
    (broken / "ensemble.json").write_text(json.dumps(config))
    with pytest.raises(cx.ModelFileError, match="member_<i>"):
        cx.load_model(broken)


def test_cli_train_ensemble_and_predict_std(tmp_path, capsys):
    from chemexplain.cli import main

    data = tmp_path / "data.csv"
    frame = cx.load_esol().iloc[:120]
    pd.DataFrame({"smiles": frame.smiles, "y": frame.logS}).to_csv(data, index=False)
    out = tmp_path / "ens"
    argv = ["train", "--data", str(data), "--target-col", "y", "-o", str(out)]
    assert main([*argv, "--ensemble", "2", "--epochs", "1", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(summary["members_test_rmse"]) == 2
    assert main(["predict", "CCO", "c1ccccc1", "--model", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("smiles,prediction,prediction_std,")
    assert main([*argv, "--ensemble", "1"]) == 2
    assert "at least 2 members" in capsys.readouterr().err


def test_the_amortized_explainer_of_an_ensemble_adds_up_to_its_mean(ensemble_dir):
    from chemexplain.chem.shapley import SmilesShapley

    _, model, part = ensemble_dir
    smiles = list(part.smiles[:60])
    explainer = SmilesShapley(model, hidden=16, n_layers=1, max_epochs=1, verbose=False)
    explainer.fit(smiles)
    e = cx.explain(smiles[0], model, shapley=explainer)
    assert e.method == "shapley"
    assert e.prediction == pytest.approx(model.predict(smiles[:1], n_test_augment=0)[0], abs=1e-9)
    assert e.atom_weights.sum() == pytest.approx(e.prediction - e.reference, abs=1e-9)
    # with test-time spellings too (the values added up to the SMILES as written)
    averaged = cx.explain(smiles[0], model, shapley=explainer, n_test_augment=None)
    assert averaged.prediction == pytest.approx(model.predict(smiles[:1])[0], abs=1e-9)
    assert averaged.atom_weights.sum() == pytest.approx(
        averaged.prediction - averaged.reference, abs=1e-9
    )
    # integrated gradients explains member 0, whose output is not the mean: no reference
    assert np.isnan(cx.explain(smiles[0], model, method="integrated_gradients").reference)
