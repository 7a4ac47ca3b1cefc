"""Safe model directories: JSON config + safetensors weights, never pickle.

Layout of a model directory::

    config.json          architecture, vocabulary, tokenizer, target scaling,
                         split membership, package version, weights' sha256
    weights.safetensors  the module's state dict
    metrics.json         test/val RMSE, training seconds (written by training)

Loading checks the format tag, the config's own sha256 (``config_sha256``,
over the rest of the config: an edited vocabulary or target scaling is
caught), the weights' sha256 and the state dict against the architecture,
and turns every failure into a one-line ``ModelFileError``. Nothing is ever
unpickled; a config deeper than 32 levels or larger than 64 MB is refused.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from chemexplain.errors import ModelFileError
from chemexplain.files import write_atomically

__all__ = [
    "FORMAT",
    "bounded_int",
    "check_directory",
    "config_digest",
    "module_sha256",
    "read_explainer_dir",
    "read_model_dir",
    "sha256_of",
    "write_explainer_dir",
    "write_json",
    "write_model_dir",
]


def sha256_of(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


FORMAT = "chemexplain-smiles-model"
FORMAT_VERSION = 2  # 2: config.json carries config_sha256
WEIGHTS = "weights.safetensors"
CONFIG = "config.json"
MAX_CONFIG_BYTES = 64 * 2**20
MAX_DEPTH = 32


def config_digest(config: dict) -> str:
    """sha256 of ``config`` without its ``config_sha256`` entry (sorted keys, compact JSON)."""
    body = {k: v for k, v in config.items() if k != "config_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _depth(value, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of parsed JSON, iteratively (stops counting past ``limit``)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > limit:
            break
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return deepest


def bounded_int(data: dict, key: str, low: int, high: int, where: str) -> int:
    """``data[key]`` if it is an int in [low, high], else a ``ModelFileError`` naming it."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ModelFileError(f"{where}: {key} must be an integer in [{low}, {high}], got {value!r}")
    return value


def bounded_float(data: dict, key: str, low: float, high: float, where: str) -> float:
    """``data[key]`` if it is a finite number in [low, high], else a ``ModelFileError``."""
    value = data.get(key)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not low <= value <= high:
        raise ModelFileError(f"{where}: {key} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def module_sha256(module: torch.nn.Module) -> str:
    """sha256 of a module's parameters and buffers (names and bytes, sorted by name).

    An explainer saved over a model records it, so that it is never loaded over another.
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def write_explainer_dir(
    directory,
    fmt: str,
    explainer,
    base_module: torch.nn.Module,
    params: dict,
    history: list,
    **extra,
) -> None:
    """Save an explainer trained over ``base_module``: its ``params``, history, best epoch,
    the base model's weight hash (checked by :func:`read_explainer_dir`) and its weights."""
    config = {
        "params": params,
        **extra,
        "base_model_weights_sha256": module_sha256(base_module),
        "history": history,
        "best_epoch": getattr(explainer, "best_epoch_", None),
    }
    write_model_dir(directory, config, explainer.network.state_dict(), fmt=fmt)


def read_explainer_dir(directory, fmt: str, module: torch.nn.Module) -> tuple[dict, dict]:
    """``read_model_dir`` for an explainer saved over ``module``: refuses one saved over another."""
    config, state_dict = read_model_dir(directory, fmt=fmt)
    if config.get("base_model_weights_sha256") != module_sha256(module):
        raise ModelFileError(f"{directory} was trained over another base model than the one given")
    return config, state_dict


def check_directory(directory: str | os.PathLike, what: str = "model directory") -> Path:
    """``directory`` as a Path if it is a readable folder, else one accurate ``ModelFileError``."""
    directory = Path(directory)
    try:
        os.stat(directory)
    except OSError as error:
        reason = {
            errno.ENOENT: "it does not exist",
            errno.ELOOP: "it is a symbolic link loop",
            errno.EACCES: "permission denied",
            errno.ENOTDIR: "a part of the path is a file, not a folder",
        }.get(error.errno, error.strerror)
        raise ModelFileError(f"{directory} is not a {what}: {reason}") from None
    if not directory.is_dir():
        raise ModelFileError(f"{directory} is not a {what}: it is a file, not a folder")
    return directory


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented JSON atomically (:func:`~chemexplain.files.write_atomically`)."""
    write_atomically(path, json.dumps(data, indent=2) + "\n")


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
    config["config_sha256"] = config_digest(config)
    write_json(directory / CONFIG, config)
    return directory


def read_model_dir(
    directory: str | os.PathLike, fmt: str = FORMAT
) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read and verify a model directory of format ``fmt``; returns ``(config, state_dict)``."""
    directory = check_directory(directory)
    config_path = directory / CONFIG
    if not config_path.is_file():
        raise ModelFileError(f"{directory} is not a chemexplain model: {CONFIG} is missing")
    if config_path.stat().st_size > MAX_CONFIG_BYTES:
        raise ModelFileError(f"{config_path} is larger than {MAX_CONFIG_BYTES >> 20} MB")
    try:
        config = json.loads(config_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelFileError(
            f"{config_path} is not valid JSON ({error}); the file is damaged"
        ) from None
    except RecursionError:
        raise ModelFileError(f"{config_path} is nested too deeply to be a model config") from None
    if not isinstance(config, dict) or config.get("format") != fmt:
        raise ModelFileError(f"{config_path} is not a {fmt} config")
    if _depth(config) > MAX_DEPTH:
        raise ModelFileError(f"{config_path} is nested deeper than {MAX_DEPTH} levels")
    if config.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{config_path} has format version {config.get('format_version')!r}, this chemexplain "
            f"reads {FORMAT_VERSION} (version 1 files carry no config checksum: train the "
            "model again with this version)"
        )
    if config.get("config_sha256") != config_digest(config):
        raise ModelFileError(
            f"{config_path} does not match its own sha256: it was edited after saving "
            "(vocabulary, scaling or architecture changed)"
        )
    weights = config.get("weights")
    if not (
        isinstance(weights, dict)
        and isinstance(weights.get("file"), str)
        and isinstance(weights.get("sha256"), str)
        and Path(weights["file"]).name == weights["file"]
    ):
        raise ModelFileError(
            f"{config_path}: 'weights' must name a file in the folder and its sha256"
        )
    weights_path = directory / weights["file"]
    if not weights_path.is_file():
        raise ModelFileError(f"{weights_path} is missing")
    expected = weights["sha256"]
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
