"""chem.explainer_files: the one save/load of masks and amortized Shapley explainers."""

from __future__ import annotations

import json
import shutil

import pytest

import chemexplain as cx
from chemexplain.chem.masking import SmilesMask
from chemexplain.chem.shapley import SmilesShapley
from chemexplain.models.pretrained import PRETRAINED_DIR
from chemexplain.serialization import config_digest


def _resealed_copy(tmp_path, part: str, **params):
    """A copy of the bundled ``part`` folder with ``params`` changed and the checksum redone."""
    folder = tmp_path / part
    shutil.copytree(PRETRAINED_DIR / part, folder, ignore=shutil.ignore_patterns("randomized"))
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config["params"].update(params)
    config["config_sha256"] = config_digest(config)
    path.write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize(
    "cls, part, params, message",
    [
        (SmilesShapley, "shapley", {"hidden": 10**6}, "hidden must be an integer"),
        (SmilesShapley, "shapley", {"hidden": 64}, "explainer config or weights do not fit"),
        (SmilesShapley, "shapley", {"network": "tree"}, "explainer config or weights do not fit"),
        (SmilesMask, "mask", {"n_layers": 10**4}, "n_layers must be an integer"),
        (SmilesMask, "mask", {"channels": 32}, "mask config or weights do not fit"),
    ],
)
def test_absurd_or_mismatched_params_are_one_model_file_error(tmp_path, cls, part, params, message):
    folder = _resealed_copy(tmp_path, part, **params)
    with pytest.raises(cx.ModelFileError, match=message):
        cls.load(folder, cx.pretrained().model)


def test_the_bundled_explainers_load_with_their_saved_parameters(tmp_path):
    model = cx.pretrained().model
    shapley = SmilesShapley.load(PRETRAINED_DIR / "shapley", model)
    mask = SmilesMask.load(PRETRAINED_DIR / "mask", model)
    saved = json.loads((PRETRAINED_DIR / "shapley" / "config.json").read_text())["params"]
    saved = SmilesShapley._params_from_file(saved)  # an older file's missing ones filled in
    assert {name: getattr(shapley, name) for name in SmilesShapley._SAVED} == saved
    assert shapley.explainer_.fitted_ and not shapley.explainer_.network.training
    assert mask.explainer_.fitted_ and not any(
        p.requires_grad for p in mask.explainer_.model.parameters()
    )
    shapley.save(tmp_path / "again")  # what it saves reads back the same
    assert json.loads((tmp_path / "again" / "config.json").read_text())["params"] == saved
