"""Shared fixtures: the real ESOL file and one tiny trained model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(min(2, os.cpu_count() or 1))

DATA_DIR = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def pytest_configure(config):
    if not os.environ.get("CHEMEXPLAIN_DATA") and SHARED.is_dir():
        os.environ["CHEMEXPLAIN_DATA"] = str(SHARED)


@pytest.fixture(scope="session")
def esol():
    """The real ESOL DataFrame (the shared copy under CHEMEXPLAIN_DATA, else the packaged one)."""
    from chemexplain import load_esol

    return load_esol()


@pytest.fixture(scope="session")
def tricky_smiles() -> list[str]:
    lines = (DATA_DIR / "tricky.smi").read_text().splitlines()
    return [line.split()[0] for line in lines if line.strip()]


TINY = dict(gru_sizes=(24, 32), max_epochs=3, patience=3, batch_size=32, verbose=False)


@pytest.fixture(scope="session")
def tiny_model(esol):
    """A small SmilesRegressor trained for 3 epochs on 200 ESOL molecules (seconds)."""
    from chemexplain import SmilesRegressor

    part = esol.iloc[:200]
    return SmilesRegressor("paper", random_state=0, **TINY).fit(part.smiles, part.logS)


@pytest.fixture(scope="session")
def tiny_pair_dir(tiny_model, esol, tmp_path_factory):
    """A directory laid out like the bundled model: model/ and a 2-layer mask/ over tiny_model."""
    from chemexplain import SmilesMask

    out = tmp_path_factory.mktemp("pair")
    tiny_model.save(out / "model")
    part = esol.iloc[:200]
    mask = SmilesMask(
        tiny_model, n_layers=2, channels=8, max_epochs=2, patience=2, verbose=False
    ).fit(part.smiles, part.logS)
    mask.save(out / "mask")
    return out


@pytest.fixture(scope="session")
def inputs(tiny_model):
    """(embedded (4, L, E), lengths (4,)) of ATTRIBUTION_SMILES under tiny_model."""
    from chemexplain.nn import pad_ids
    from tests.helpers import ATTRIBUTION_SMILES

    ids, _ = tiny_model.encode(ATTRIBUTION_SMILES)
    token_ids, lengths = pad_ids(ids)
    with torch.no_grad():
        return tiny_model.module_.embed(token_ids), lengths


@pytest.fixture(scope="session")
def pair(tiny_pair_dir):
    """(model, mask) loaded from tiny_pair_dir."""
    import chemexplain as cx

    return cx.pretrained(tiny_pair_dir)
