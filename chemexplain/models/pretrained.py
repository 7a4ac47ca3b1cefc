"""The bundled pretrained ESOL model and its explanation mask (package data, loads offline).

    model, mask = chemexplain.pretrained()

Both were written by ``scripts/train_pretrained.py``; ``MODEL_CARD.md`` beside
them gives the data, split, measured accuracy and limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chemexplain.errors import ModelFileError

__all__ = [
    "PRETRAINED_DIR",
    "Pretrained",
    "check_pair_directory",
    "model_card",
    "pretrained",
    "pretrained_shapley",
]

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained_esol"


@dataclass(frozen=True)
class Pretrained:
    """A fitted SMILES model and the explanation mask trained over it."""

    model: object
    mask: object
    directory: Path

    def __iter__(self):
        return iter((self.model, self.mask))


@lru_cache(maxsize=4)
def _load(directory: str) -> Pretrained:
    from chemexplain.chem.masking import SmilesMask
    from chemexplain.models.estimator import load_model

    path = Path(directory)
    model = load_model(path / "model")
    return Pretrained(model, SmilesMask.load(path / "mask", model), path)


def check_pair_directory(directory: str | Path) -> Path:
    """``directory`` if it holds ``model/`` and ``mask/``, else one accurate ``ModelFileError``."""
    from chemexplain.serialization import CONFIG, check_directory

    what = "model-plus-mask directory (model/ and mask/)"
    path = check_directory(directory, what)
    if path.resolve() == PRETRAINED_DIR.resolve() and not (path / "model" / CONFIG).is_file():
        raise ModelFileError(
            f"the bundled model is missing from {path}: reinstall chemexplain, or run "
            "'python scripts/train_pretrained.py' in a source checkout"
        )
    if (path / CONFIG).is_file():
        raise ModelFileError(
            f"{path} is a single model or mask directory, but this needs a {what}: pass its "
            "parent folder, or train a mask with 'chemexplain fit-mask' and put both in one folder"
        )
    for part in ("model", "mask"):
        if not (path / part / CONFIG).is_file():
            raise ModelFileError(f"{path} is not a {what}: {part}/{CONFIG} is missing")
    return path


def pretrained(directory: str | Path | None = None) -> Pretrained:
    """The bundled ESOL model and mask: ``model, mask = pretrained()``.

    Loaded once per process and cached; ``directory`` loads another pair laid
    out the same way (``model/`` and ``mask/``).
    """
    path = check_pair_directory(directory or PRETRAINED_DIR)
    return _load(str(path.resolve()))


def pretrained_shapley(directory: str | Path | None = None):
    """The amortized Shapley explainer stored in ``shapley/`` beside the model, or None.

    Cached per folder and file version, so an explainer trained later is picked up.
    """
    path = check_pair_directory(directory or PRETRAINED_DIR)
    config = path / "shapley" / "config.json"
    if not config.is_file():
        return None
    return _load_shapley(str(path.resolve()), config.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_shapley(directory: str, version: int):
    from chemexplain.chem.shapley import SmilesShapley

    return SmilesShapley.load(Path(directory) / "shapley", _load(directory).model)


def model_card() -> str:
    """The bundled model's card (markdown)."""
    return (PRETRAINED_DIR / "MODEL_CARD.md").read_text()
