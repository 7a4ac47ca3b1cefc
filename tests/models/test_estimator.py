import json

import numpy as np
import pytest

from chemexplain import (
    InvalidSmilesError,
    ModelFileError,
    SmilesClassifier,
    SmilesRegressor,
    load_model,
)
from chemexplain.errors import NotFittedError
from chemexplain.serialization import config_digest
from tests.conftest import TINY


def test_fit_returns_self_and_records_history(tiny_model):
    assert isinstance(tiny_model, SmilesRegressor)
    assert [h["epoch"] for h in tiny_model.history_] == [1, 2, 3]
    assert tiny_model.params_["gru_sizes"] == (24, 32)
    assert len(tiny_model.vocab_) > 10


def test_same_seed_same_numbers_other_seed_other_numbers(esol, tiny_model):
    part = esol.iloc[:200]
    again = SmilesRegressor("paper", random_state=0, **TINY).fit(part.smiles, part.logS)
    other = SmilesRegressor("paper", random_state=1, **TINY).fit(part.smiles, part.logS)
    probe = esol.smiles[500:520].tolist()
    np.testing.assert_array_equal(again.predict(probe), tiny_model.predict(probe))
    assert not np.allclose(other.predict(probe), tiny_model.predict(probe))


def test_training_learns_something(esol):
    """A few epochs on 400 molecules must beat predicting the training mean on held-out ones."""
    train, test = esol.iloc[:400], esol.iloc[400:600]
    model = SmilesRegressor(
        "paper", random_state=0, gru_sizes=(48, 64), max_epochs=8, patience=8, verbose=False
    ).fit(train.smiles, train.logS)
    rmse = np.sqrt(np.mean((model.predict(test.smiles) - test.logS) ** 2))
    baseline = np.sqrt(np.mean((train.logS.mean() - test.logS) ** 2))
    assert rmse < 0.8 * baseline, (rmse, baseline)


def test_predict_before_fit_is_a_clear_error():
    with pytest.raises(NotFittedError, match="fit"):
        SmilesRegressor().predict(["CCO"])


def test_invalid_smiles_raise_with_row_or_become_nan(tiny_model):
    with pytest.raises(InvalidSmilesError, match=r"'C1CC' \(row 1\)"):
        tiny_model.predict(["CCO", "C1CC"])
    out = tiny_model.predict(["CCO", "C1CC", "", "c1ccccc1"], on_invalid="nan")
    assert np.isnan(out[1]) and np.isnan(out[2])
    np.testing.assert_allclose(out[[0, 3]], tiny_model.predict(["CCO", "c1ccccc1"]), atol=1e-6)


def test_unknown_characters_are_reported_not_dropped(tiny_model):
    with pytest.warns(UserWarning, match=r"never saw.*\[Se\]"):
        tiny_model.predict(["C[Se]C"])


def test_save_load_round_trip_is_exact_and_pickle_free(tiny_model, esol, tmp_path):
    tiny_model.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == ["config.json", "domain", "metrics.json", "weights.safetensors"]
    assert sorted(p.name for p in (tmp_path / "m" / "domain").iterdir()) == [
        "config.json",
        "weights.safetensors",
    ]
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["tokenizer"] == {"scheme": "char"} and config["vocabulary"][:2] == [
        "<pad>",
        "<unk>",
    ]
    assert config["target"]["std"] > 0 and config["package_version"]
    loaded = load_model(tmp_path / "m")
    probe = esol.smiles[:64].tolist()
    np.testing.assert_array_equal(loaded.predict(probe), tiny_model.predict(probe))


def test_the_training_elements_are_kept_and_read_back(tiny_model, tmp_path):
    import shutil

    from rdkit import Chem

    directory = tmp_path / "m"
    tiny_model.save(directory)
    config_path = directory / "config.json"
    config = json.loads(config_path.read_text())
    assert config["elements"] == tiny_model.elements_ == tiny_model.training_elements()
    assert "B" not in config["elements"] and {"C", "O", "Cl"} <= set(config["elements"])
    assert tiny_model.unseen_elements(Chem.MolFromSmiles("OB(O)c1ccccc1")) == ["B"]
    assert tiny_model.unseen_elements(Chem.MolFromSmiles("[2H]OCCCl")) == []

    def resealed(config):
        config_path.write_text(json.dumps({**config, "config_sha256": config_digest(config)}))

    # a model saved before the elements were kept reads them from its domain's SMILES
    config = {k: v for k, v in config.items() if k not in ("elements", "config_sha256")}
    resealed(config)
    assert load_model(directory).training_elements() == tiny_model.elements_
    shutil.rmtree(directory / "domain")  # and without a domain, nothing is refused for it
    older = load_model(directory)
    assert older.training_elements() is None
    assert older.unseen_elements(Chem.MolFromSmiles("OB(O)c1ccccc1")) == []
    resealed({**config, "elements": "C"})
    with pytest.raises(ModelFileError, match="'elements' must be a list"):
        load_model(directory)


def test_damaged_model_files_give_clear_errors(tiny_model, tmp_path):
    directory = tmp_path / "m"
    tiny_model.save(directory)
    weights = directory / "weights.safetensors"
    original = weights.read_bytes()
    weights.write_bytes(original[: len(original) // 2])
    with pytest.raises(ModelFileError, match="truncated, edited"):
        SmilesRegressor.load(directory)
    weights.write_bytes(original)
    config_path = directory / "config.json"
    text = config_path.read_text()
    config_path.write_text(text[:100])
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(directory)
    config = json.loads(text)
    config["architecture"]["conv_filters"] = 64  # mismatched with the weights
    config_path.write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="does not match its own sha256"):
        load_model(directory)

    def resealed(config):  # an edit that also recomputes the checksum
        config_path.write_text(json.dumps({**config, "config_sha256": config_digest(config)}))

    resealed(config)
    with pytest.raises(ModelFileError, match="do not fit the architecture"):
        load_model(directory)
    del config["vocabulary"]
    resealed(config)
    with pytest.raises(ModelFileError, match="incomplete or invalid"):
        load_model(directory)
    with pytest.raises(ModelFileError, match="it does not exist"):
        load_model(tmp_path / "nothing")
    with pytest.raises(ModelFileError, match="regression model, not classification"):
        config_path.write_text(text)
        SmilesClassifier.load(directory)


def test_augmentation_and_test_time_averaging(esol):
    part = esol.iloc[:120]
    model = SmilesRegressor(
        "best",
        random_state=0,
        gru_sizes=(16, 16),
        max_epochs=1,
        n_augment=3,
        n_test_augment=4,
        verbose=False,
    ).fit(part.smiles, part.logS)
    first = model.predict(["CC(=O)Oc1ccccc1C(=O)O", "OCC"])
    np.testing.assert_array_equal(first, model.predict(["CC(=O)Oc1ccccc1C(=O)O", "OCC"]))
    # the averaged prediction differs from the prediction of the given spelling alone
    single = model.inverse_transform_target(model._raw_outputs(["CC(=O)Oc1ccccc1C(=O)O"]))
    assert abs(single[0] - first[0]) > 1e-6


def test_classifier_probabilities(esol):
    part = esol.iloc[:200]
    labels = (part.logS > -3).astype(float)
    model = SmilesClassifier("paper", random_state=0, **TINY).fit(part.smiles, labels)
    proba = model.predict_proba(esol.smiles[300:310])
    assert proba.shape == (10, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(esol.smiles[300:310])) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="binary"):
        SmilesClassifier(**TINY).fit(["CCO", "CCC"], [0.5, 1.0])


def test_fit_names_an_invalid_smiles_by_the_callers_row():
    """The check runs before the validation hold-out shuffles the rows."""
    model = SmilesRegressor("paper", random_state=0, max_epochs=1, verbose=False)
    with pytest.raises(InvalidSmilesError, match=r"'C1CC' \(row 1\): unclosed ring"):
        model.fit(["CCO", "C1CC", "CCC", "CCCC", "OCC"], [1.0, 2.0, 3.0, 4.0, 5.0])
    with pytest.raises(InvalidSmilesError, match=r"'xx' \(row 1\): a validation SMILES: syntax"):
        model.fit(["CCO", "CCC"], [1.0, 2.0], ["CC", "xx"], [1.0, 2.0])
