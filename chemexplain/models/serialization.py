"""Safe model directories: JSON config + safetensors weights, never pickle.

Layout of a model directory::

    config.json          architecture, vocabulary, tokenizer, target scaling,
                         split membership, package version, weights' sha256
    weights.safetensors  the module's state dict
    metrics.json         test/val RMSE, training seconds (written by training)

Loading checks the format tag, the weights' sha256 and the state dict against
the architecture, and turns every failure into a one-line ``ModelFileError``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from chemexplain.data.datasets import sha256_of
from chemexplain.errors import ModelFileError

__all__ = ["FORMAT", "write_model_dir", "read_model_dir", "write_json"]

FORMAT = "chemexplain-smiles-model"
FORMAT_VERSION = 1
WEIGHTS = "weights.safetensors"
CONFIG = "config.json"


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented JSON atomically (temporary file, then rename)."""
    partial = Path(f"{path}.part")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(partial, path)


def write_model_dir(
    directory: str | os.PathLike, config: dict, state_dict: dict, fmt: str = FORMAT
) -> Path:
    """Save ``state_dict`` as safetensors and ``config`` (plus format tag and sha256) as JSON."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / WEIGHTS
    save_file({k: v.detach().cpu().contiguous() for k, v in state_dict.items()}, str(weights))
    config = {"format": fmt, "format_version": FORMAT_VERSION, **config}
    config["weights"] = {"file": WEIGHTS, "sha256": sha256_of(weights)}
    write_json(directory / CONFIG, config)
    return directory


def read_model_dir(
    directory: str | os.PathLike, fmt: str = FORMAT
) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read and verify a model directory of format ``fmt``; returns ``(config, state_dict)``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelFileError(f"{directory} is not a model directory (it does not exist)")
    config_path = directory / CONFIG
    if not config_path.is_file():
        raise ModelFileError(f"{directory} is not a chemexplain model: {CONFIG} is missing")
    try:
        config = json.loads(config_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelFileError(
            f"{config_path} is not valid JSON ({error}); the file is damaged"
        ) from None
    if not isinstance(config, dict) or config.get("format") != fmt:
        raise ModelFileError(f"{config_path} is not a {fmt} config")
    if config.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{config_path} has format version {config.get('format_version')}, this chemexplain reads "
            f"{FORMAT_VERSION}"
        )
    weights_path = directory / config.get("weights", {}).get("file", WEIGHTS)
    if not weights_path.is_file():
        raise ModelFileError(f"{weights_path} is missing")
    expected = config.get("weights", {}).get("sha256")
    found = sha256_of(weights_path)
    if expected != found:
        raise ModelFileError(
            f"{weights_path} does not match {CONFIG} (sha256 {found[:12]}..., expected "
            f"{str(expected)[:12]}...): it was truncated, edited or comes from another model"
        )
    try:
        state_dict = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelFileError(f"{weights_path} cannot be read as safetensors: {error}") from None
    return config, state_dict
