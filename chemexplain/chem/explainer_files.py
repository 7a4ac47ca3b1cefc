"""Saving and loading an explainer fitted over a SMILES model (masks, amortized Shapley).

A saved explainer is a folder in the safe format of models (JSON config +
safetensors weights, no pickle): the parameters named in ``_SAVED``, the
training history, the best epoch and the base model's weight hash, which
loading checks so that an explainer is never paired with another model.
"""

from __future__ import annotations

import os

from chemexplain.errors import ModelFileError
from chemexplain.nn.core import module_device
from chemexplain.serialization import bounded_int, read_explainer_dir, write_explainer_dir

__all__ = ["SavedExplainer"]


class SavedExplainer:
    """``save``/``load`` for a SMILES explainer ``cls(model, verbose=..., **params)``.

    A subclass names its file format (``_FORMAT``), the parameters it saves
    (``_SAVED``), the integer ones checked before anything is built
    (``_BOUNDS``: name -> (low, high)) and builds its torch core, the object
    with ``.network`` that ``fit`` leaves in ``explainer_``, in ``_build_core``.
    """

    _FORMAT: str
    _SAVED: tuple[str, ...]
    _BOUNDS: dict[str, tuple[int, int]] = {}
    _WHAT = "explainer"

    def _build_core(self):
        raise NotImplementedError

    def _file_extra(self) -> dict:
        """Other config entries to save beside the parameters."""
        return {}

    @staticmethod
    def _params_from_file(params: dict) -> dict:
        """The saved parameters, completed for files of an older version."""
        return params

    def _after_load(self) -> None:
        """Anything the loaded explainer needs before it is used."""

    def save(self, directory: str | os.PathLike) -> None:
        """JSON config + safetensors weights, tied to the base model's weights."""
        params = {name: getattr(self, name) for name in self._SAVED}
        write_explainer_dir(
            directory,
            self._FORMAT,
            self.explainer_,
            self.model.module_,
            params,
            self.history_,
            **self._file_extra(),
        )

    @classmethod
    def load(cls, directory: str | os.PathLike, model):
        """Load an explainer saved by :meth:`save` over the same base ``model``."""
        config, state_dict = read_explainer_dir(directory, cls._FORMAT, model.module_)
        try:
            where = f"{directory}/config.json"
            for name, (low, high) in cls._BOUNDS.items():
                bounded_int(config["params"], name, low, high, where)
            explainer = cls(model, verbose=False, **cls._params_from_file(config["params"]))
            core = explainer._build_core()
            core.network.load_state_dict(state_dict, strict=True)
        except (KeyError, TypeError, ValueError, RuntimeError) as error:
            raise ModelFileError(
                f"{directory}: {cls._WHAT} config or weights do not fit ({error!r})"
            ) from None
        core.network.to(module_device(model.module_)).eval()  # where the model is
        core.fitted_, core.best_epoch_ = True, config.get("best_epoch")
        explainer.explainer_, explainer.history_ = core, config.get("history", [])
        explainer._after_load()
        return explainer
