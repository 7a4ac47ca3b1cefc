"""io.scoring: the row options that local and Dask scoring share."""

from __future__ import annotations

import pytest

from chemexplain.chem import MAX_SMILES_LENGTH
from chemexplain.io.scoring import EXPLAIN_OPTIONS, explain_settings, row_options


def test_row_options_fill_in_the_defaults_of_score_file():
    assert row_options({}) == {
        "smiles_col": "smiles",
        "id_col": None,
        "columns": None,
        "standardize": False,
        "method": None,
        "spellings": 0,
        "n_test_augment": 0,
        "max_length": MAX_SMILES_LENGTH,
        "on_unknown": "strip",
    }
    given = row_options({"method": "occlusion", "id_col": "name"})
    assert (given["method"], given["id_col"], given["spellings"]) == ("occlusion", "name", 0)


def test_a_misspelt_or_foreign_option_is_a_type_error():
    with pytest.raises(TypeError, match="'smiles_coll'"):
        row_options({"smiles_coll": "SMILES"})
    with pytest.raises(TypeError, match="'smiles_col'"):  # score_dataframe reads no file
        row_options({"smiles_col": "SMILES"}, EXPLAIN_OPTIONS)


def test_explain_settings_keep_only_what_explain_batch_takes():
    settings = explain_settings(row_options({"method": "shapley", "columns": ["a"]}))
    assert list(settings) == list(EXPLAIN_OPTIONS)
    assert settings["method"] == "shapley" and "columns" not in settings
