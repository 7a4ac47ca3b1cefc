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

__all__ = ["PRETRAINED_DIR", "Pretrained", "pretrained", "model_card"]

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
    if not (path / "model" / "config.json").is_file():
        raise ModelFileError(
            f"no pretrained model at {path}: the package data is missing. Reinstall "
            "chemexplain, or run 'python scripts/train_pretrained.py' in a source checkout."
        )
    model = load_model(path / "model")
    return Pretrained(model, SmilesMask.load(path / "mask", model), path)


def pretrained(directory: str | Path | None = None) -> Pretrained:
    """The bundled ESOL model and mask: ``model, mask = pretrained()``.

    Loaded once per process and cached; ``directory`` loads another pair laid
    out the same way (``model/`` and ``mask/``).
    """
    return _load(str(Path(directory or PRETRAINED_DIR).resolve()))


def model_card() -> str:
    """The bundled model's card (markdown)."""
    return (PRETRAINED_DIR / "MODEL_CARD.md").read_text()
