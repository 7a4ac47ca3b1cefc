"""The bundled pretrained ESOL model and its explainers (package data, loads offline).

    model, mask = chemexplain.pretrained()

``pretrained(directory)`` loads any model folder the same way: a bare model
from ``chemexplain train`` (``config.json``, or ``ensemble.json``), or a folder
with ``model/`` beside ``mask/`` and/or ``shapley/`` (the bundled layout). The
explainers a folder lacks are None.

Both were written by ``scripts/train_pretrained.py``; ``MODEL_CARD.md`` beside
them gives the data, split, measured accuracy and limits.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chemexplain.errors import ModelFileError

__all__ = [
    "PRETRAINED_DIR",
    "Pretrained",
    "check_model_directory",
    "loaded_from",
    "model_card",
    "pretrained",
    "pretrained_shapley",
]

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained_esol"


@dataclass(frozen=True)
class Pretrained:
    """A fitted SMILES model and the explanation mask trained over it (None if it has none).

    It reads as the pair ``(model, mask)``: ``model, mask = pretrained()`` or
    ``pretrained()[0]``."""

    model: object
    mask: object
    directory: Path

    def __iter__(self):
        return iter((self.model, self.mask))

    def __getitem__(self, index):
        return (self.model, self.mask)[index]

    def __len__(self) -> int:
        return 2


#: id(model object) -> (a weak reference to it, the folder :func:`pretrained` loaded it from)
_FOLDERS: dict[int, tuple[weakref.ref, Path]] = {}


def loaded_from(model) -> Path | None:
    """The folder :func:`pretrained` loaded this very model object from in this process
    (for a :class:`Pretrained` pair, its ``directory``), else None.

    So ``model, mask = pretrained(); cx.explain(s, model=model)`` finds the explainers
    stored beside ``model`` as ``cx.explain(s)`` does. A copy, or a model trained or
    loaded any other way, has no folder known to hold explainers of its own."""
    if isinstance(model, Pretrained):
        return model.directory
    entry = _FOLDERS.get(id(model))
    return entry[1] if entry is not None and entry[0]() is model else None


@lru_cache(maxsize=4)
def _load(directory: str) -> Pretrained:
    from chemexplain.chem.masking import SmilesMask
    from chemexplain.models.estimator import load_model
    from chemexplain.serialization import CONFIG

    path = Path(directory)
    if not _is_model(path / "model"):  # a bare model folder
        model, mask = load_model(path), None
    else:
        model = load_model(path / "model")
        has_mask = (path / "mask" / CONFIG).is_file()
        mask = SmilesMask.load(path / "mask", model) if has_mask else None
    _FOLDERS[id(model)] = (weakref.ref(model), path)
    return Pretrained(model, mask, path)


def _is_model(path: Path) -> bool:
    from chemexplain.models.ensemble import is_ensemble_dir
    from chemexplain.serialization import CONFIG

    return (path / CONFIG).is_file() or is_ensemble_dir(path)


def check_model_directory(directory: str | Path) -> Path:
    """``directory`` if it holds a model (bare, or as ``model/``), else one accurate
    ``ModelFileError``."""
    from chemexplain.serialization import CONFIG, check_directory

    what = "model directory (a model from 'chemexplain train', or model/ with mask/ or shapley/)"
    path = check_directory(directory, what)
    if path.resolve() == PRETRAINED_DIR.resolve() and not (path / "model" / CONFIG).is_file():
        raise ModelFileError(
            f"the bundled model is missing from {path}: reinstall chemexplain, or run "
            "'python scripts/train_pretrained.py' in a source checkout"
        )
    if not _is_model(path / "model") and not _is_model(path):
        raise ModelFileError(f"{path} is not a {what}: model/{CONFIG} is missing")
    return path


def pretrained(directory: str | Path | None = None) -> Pretrained:
    """The bundled ESOL model and mask: ``model, mask = pretrained()``.

    Loaded once per process and cached; ``directory`` loads another model folder
    (see the module docstring; ``mask`` is None when it has none).
    """
    path = check_model_directory(directory or PRETRAINED_DIR)
    return _load(str(path.resolve()))


def pretrained_shapley(directory: str | Path | None = None):
    """The amortized Shapley explainer stored in ``shapley/`` beside ``model/`` (or inside a
    bare model folder), or None.

    Cached per folder and file version, so an explainer trained later is picked up.
    """
    path = check_model_directory(directory or PRETRAINED_DIR)
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
