"""Smoke runs of the image and text demo scripts (--quick: tiny epochs, output to a temp folder)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

SCRIPTS = Path(__file__).parents[2] / "scripts"


@pytest.fixture(autouse=True)
def _keep_thread_count():
    """The scripts set torch's thread count; other tests' numbers depend on it."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def _load(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.cli
@pytest.mark.slow
def test_demo_image_quick_writes_every_part(tmp_path):
    assert (
        _load("demo_image").main(
            ["--quick", "--out", str(tmp_path), "--threads", str(torch.get_num_threads())]
        )
        == 0
    )
    result = json.loads((tmp_path / "image.json").read_text())
    assert set(result) >= {"digits", "heatmaps", "prototypes", "planted_patch"}
    curves = result["heatmaps"]["curves"]["noise"]
    assert {"sensitivity", "gradient x input", "LRP a1b0", "LRP a2b1", "random"} <= set(curves)
    assert result["planted_patch"]["area_fraction"] == pytest.approx(16 / 256)
    methods = result["planted_patch"]["methods"]
    assert methods["random mask"]["mass_inside_patch"] == pytest.approx(16 / 256, abs=0.01)
    for name in ("pixel_flipping", "heatmaps", "prototypes", "planted_patch"):
        assert (tmp_path / f"image_{name}.png").stat().st_size > 1000
    table = _load("demo_image").readme_table(result)
    assert "| random mask |" in table and "AOPC" in table


@pytest.mark.cli
@pytest.mark.slow
def test_demo_text_quick_with_a_local_imdb_folder(tmp_path):
    for split in ("train", "test"):
        for label, text in (("pos", "a wonderful film"), ("neg", "an awful film")):
            folder = tmp_path / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i in range(4):
                (folder / f"{i}_5.txt").write_text(f"{text} {i}")
    out = tmp_path / "out"
    argv = [
        "--quick",
        "--out",
        str(out),
        "--threads",
        str(torch.get_num_threads()),
        "--imdb",
        str(tmp_path / "aclImdb"),
    ]
    assert _load("demo_text").main(argv) == 0
    result = json.loads((out / "text.json").read_text())
    synthetic = result["synthetic"]
    assert synthetic["n_test"] == 50 and 0 <= synthetic["planted_in_top3"] <= 1
    assert 0 < synthetic["chance_top3"] < 0.5
    assert result["ablation"]["word_dropout"] is False
    assert result["entropy_only"]["mask_options"] == {"l1": 0.0}
    assert result["imdb"]["n_test"] == 8
    assert (out / "text_words.png").stat().st_size > 1000
    assert "planted word in top 3" in _load("demo_text").readme_table(result)
