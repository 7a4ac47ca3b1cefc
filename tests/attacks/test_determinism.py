"""A molecule's result never depends on its batch, position, chunk size or command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import chemexplain as cx
from chemexplain.service import explain_batch


@pytest.fixture(scope="module")
def molecules(esol):
    return [s for s in esol.smiles if "@" not in s][:100]


def _by_input(explanations):
    return {e.input: (e.prediction, e.atom_weights) for e in explanations}


def _same(a, b):
    assert a.keys() <= b.keys()
    for key, (prediction, weights) in a.items():
        assert abs(prediction - b[key][0]) <= 1e-9, key
        np.testing.assert_allclose(weights, b[key][1], rtol=0, atol=1e-9)


@pytest.mark.parametrize("n_test_augment", [0, 10])
def test_alone_in_a_batch_reversed_and_in_any_chunk(molecules, tmp_path, n_test_augment):
    first = molecules[:25]
    alone = {}
    for s in first:
        alone.update(_by_input(explain_batch([s], n_test_augment=n_test_augment)))
    _same(alone, _by_input(explain_batch(molecules, n_test_augment=n_test_augment)))
    _same(alone, _by_input(explain_batch(molecules[::-1], n_test_augment=n_test_augment)))
    source = tmp_path / "in.csv"
    pd.DataFrame({"smiles": molecules[::-1]}).to_csv(source, index=False)
    for chunk_size in (1, 7, 1000):
        out = tmp_path / f"out{chunk_size}.parquet"
        cx.score_file(
            source, out, chunk_size=chunk_size, n_test_augment=n_test_augment, progress=False
        )
        frame = pd.read_parquet(out)
        scored = {
            s: (p, np.array(json.loads(w)))
            for s, p, w in zip(frame.smiles, frame.prediction, frame.atom_weights)
        }
        # the file rounds atom weights to 4 decimals; predictions are full precision
        for s in first:
            assert abs(scored[s][0] - alone[s][0]) <= 1e-9
            np.testing.assert_allclose(scored[s][1], np.round(alone[s][1], 4), atol=1e-12)


def test_explain_score_and_predict_agree(tmp_path):
    model, _ = cx.pretrained()
    explained = cx.explain("CCO").prediction
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("smiles\nCCO\n")
    cx.score_file(source, out, progress=False)
    assert pd.read_csv(out)["prediction"][0] == pytest.approx(explained, abs=1e-9)
    assert model.predict(["CCO"], n_test_augment=0)[0] == pytest.approx(explained, abs=1e-9)
    averaged = model.predict(["CCO"])[0]  # predict's default: the model's own 10 spellings
    assert cx.explain("CCO", n_test_augment=None).prediction == pytest.approx(averaged, abs=1e-9)
