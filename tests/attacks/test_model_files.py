"""Attacks on model files: edited, damaged or absurd configs and wrong paths get one line."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from chemexplain.models.pretrained import PRETRAINED_DIR
from chemexplain.serialization import config_digest

from .conftest import assert_one_line_error, run_cli

pytestmark = pytest.mark.cli


@pytest.fixture
def bundle(tmp_path):
    """A writable copy of the bundled model and mask."""
    copy = tmp_path / "bundle"
    shutil.copytree(PRETRAINED_DIR, copy)
    return copy


def _edit(path, change, reseal: bool):
    config = json.loads(path.read_text())
    change(config)
    if reseal:  # the attacker also recomputes the config checksum
        config["config_sha256"] = config_digest(config)
    path.write_text(json.dumps(config))


def test_swapped_vocabulary_is_caught_by_the_config_checksum(bundle, capsys):
    def swap(config):
        vocabulary = config["vocabulary"]
        a, b = vocabulary.index("C"), vocabulary.index("c")
        vocabulary[a], vocabulary[b] = vocabulary[b], vocabulary[a]

    _edit(bundle / "model" / "config.json", swap, reseal=False)
    code, _, err = run_cli(["explain", "CCO", "--model", bundle], capsys)
    assert_one_line_error(code, err, "does not match its own sha256")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["target"].update(std=float("nan")), "std must be a number"),
        (lambda c: c["architecture"].update(conv_filters=-5), "conv_filters must be an integer"),
        (lambda c: c["architecture"].update(gru_sizes=[10**7, 10**7]), "gru_sizes must be"),
        (lambda c: c.update(weights="x"), "'weights' must name a file"),
        (lambda c: c["weights"].update(file="../../etc/passwd"), "'weights' must name a file"),
        (lambda c: c.update(vocabulary="CcO"), "vocabulary is not a list"),
    ],
)
def test_resealed_absurd_configs_are_refused_without_allocating(bundle, capsys, change, message):
    _edit(bundle / "model" / "config.json", change, reseal=True)
    (bundle.parent / "in.csv").write_text("smiles\nCCO\n")
    out = bundle.parent / "out.csv"
    code, _, err = run_cli(
        ["score", bundle.parent / "in.csv", "-o", out, "--model", bundle, "--workers", "2"], capsys
    )
    assert_one_line_error(code, err, message)
    assert not out.exists()


def test_deeply_nested_config_is_one_line(bundle, capsys):
    path = bundle / "model" / "config.json"
    path.write_text(
        '{"format": "chemexplain-smiles-model", "x": ' + "[" * 100000 + "]" * 100000 + "}"
    )
    code, _, err = run_cli(["predict", "--model", bundle / "model", "CCO"], capsys)
    assert_one_line_error(code, err, "nested")


def test_wrong_model_paths_get_an_accurate_line_before_any_worker(bundle, tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("smiles\nCCO\n")
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    cases = [
        (tmp_path / "typo", "it does not exist"),
        (source, "it is a file, not a folder"),
        (loop, "symbolic link loop"),
        (bundle / "mask", "is not a chemexplain-smiles-model config"),  # a mask is no model
        (tmp_path, "model/config.json is missing"),
    ]
    for path, message in cases:
        out = tmp_path / "out.csv"
        code, _, err = run_cli(
            ["score", source, "-o", out, "--model", path, "--workers", "2"], capsys
        )
        assert_one_line_error(code, err, message)
        assert "BrokenProcessPool" not in err and not out.exists()
    out = tmp_path / "out.csv"
    # a bare model has no mask: asking for it is one line before any worker starts
    args = ["score", source, "-o", out, "--model", bundle / "model", "--method", "mask"]
    code, _, err = run_cli([*args, "--workers", "2"], capsys)
    assert_one_line_error(code, err, "has no explanation mask (mask/)")
    assert "BrokenProcessPool" not in err and not out.exists()
    code, _, err = run_cli(["predict", "--model", loop, "CCO"], capsys)
    assert_one_line_error(code, err, "symbolic link loop")


def test_a_pickle_named_like_weights_never_runs(bundle, tmp_path, capsys):
    import pickle

    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    (bundle / "model" / "weights.safetensors").write_bytes(pickle.dumps(Boom()))
    code, _, err = run_cli(["explain", "CCO", "--model", bundle], capsys)
    assert_one_line_error(code, err, "does not match")
    assert not (tmp_path / "pwned").exists()
