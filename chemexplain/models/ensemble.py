"""An ensemble of SMILES regressors from different seeds: a mean prediction and its spread.

    ensemble = SmilesEnsemble("paper", n_members=5).fit(train_smiles, train_y, val_smiles, val_y)
    ensemble.predict(smiles)          # (n,) mean of the members, log10 mol/L for ESOL
    ensemble.predict_std(smiles)      # (n,) their sample standard deviation
    ensemble.save("esol_ensemble")    # member_0/ ... member_4/ and ensemble.json

Every member is a :class:`SmilesRegressor` trained on the same data with seed
``random_state + i``. Anything else (tokenizer, vocabulary, split, domain,
the modules an explainer reads) is member 0's: explanations of an ensemble are
member 0's, made to add up to the ensemble's mean prediction where the method
is additive. ``load_model`` reads an ensemble folder back.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from chemexplain.errors import ModelFileError, NotFittedError

__all__ = ["ENSEMBLE_FORMAT", "SmilesEnsemble", "is_ensemble_dir"]

ENSEMBLE_FORMAT = "chemexplain-smiles-ensemble"
ENSEMBLE_FILE = "ensemble.json"
_MEMBER = re.compile(r"member_\d{1,3}")


def is_ensemble_dir(directory: str | os.PathLike) -> bool:
    return (Path(directory) / ENSEMBLE_FILE).is_file()


class SmilesEnsemble:
    """``n_members`` SMILES regressors; ``fit`` returns self and leaves ``members_``.

    Attributes it does not define itself come from member 0 (``vocab_``,
    ``params_``, ``split_``, ``domain_``, ``encode``, ``inference_module`` ...),
    so an ensemble goes wherever a fitted regressor goes.
    """

    task = "regression"

    def __init__(self, config: str = "paper", n_members: int = 5, random_state: int = 0, **kwargs):
        if n_members < 2:
            raise ValueError("an ensemble needs at least 2 members")
        self.config, self.n_members, self.random_state = config, n_members, random_state
        self.kwargs = kwargs

    def __getattr__(self, name: str):
        members = self.__dict__.get("members_")
        if name.startswith("__") or not members:
            raise AttributeError(name)
        return getattr(members[0], name)

    def fit(self, smiles, y, val_smiles=None, val_y=None) -> SmilesEnsemble:
        from chemexplain.models.estimator import SmilesRegressor

        self.members_ = [
            SmilesRegressor(self.config, random_state=self.random_state + i, **self.kwargs).fit(
                smiles, y, val_smiles, val_y
            )
            for i in range(self.n_members)
        ]
        return self

    def _check_fitted(self) -> None:
        if not self.__dict__.get("members_"):
            raise NotFittedError("this SmilesEnsemble is not fitted yet: call fit first")

    def member_predictions(
        self, smiles: Sequence[str], n_test_augment: int | None = None
    ) -> np.ndarray:
        """(n_members, n) every member's prediction for valid SMILES, in the target's units."""
        self._check_fitted()
        return np.stack(
            [
                m.inverse_transform_target(m._averaged_outputs(list(smiles), n_test_augment))
                for m in self.members_
            ]
        )

    def _averaged_outputs(self, smiles, n_test_augment=None, exact=True) -> np.ndarray:
        """The mean prediction in member 0's standardized units (what explainers read)."""
        mean = self.member_predictions(smiles, n_test_augment).mean(0)
        first = self.members_[0]
        return (mean - first.target_mean_) / first.target_std_

    def predict(self, smiles, on_invalid: str = "raise", n_test_augment: int | None = None):
        """(n,) mean of the members' predictions (NaN where ``on_invalid="nan"`` drops a row)."""
        self._check_fitted()
        return np.mean(
            [m.predict(smiles, on_invalid, n_test_augment) for m in self.members_], axis=0
        )

    def predict_std(self, smiles, on_invalid: str = "raise", n_test_augment: int | None = None):
        """(n,) sample standard deviation of the members' predictions."""
        self._check_fitted()
        values = [m.predict(smiles, on_invalid, n_test_augment) for m in self.members_]
        return np.std(values, axis=0, ddof=1)

    def save(self, directory: str | os.PathLike) -> None:
        """``member_<i>/`` model folders plus ``ensemble.json`` naming them."""
        from chemexplain.serialization import write_json

        self._check_fitted()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        names = [f"member_{i}" for i in range(len(self.members_))]
        for name, member in zip(names, self.members_, strict=True):
            for shared in ("split_", "data_"):  # what train_on_frame records on the ensemble
                if shared in self.__dict__:
                    setattr(member, shared, self.__dict__[shared])
            member.save(path / name)
        config = {
            "format": ENSEMBLE_FORMAT,
            "config": self.config,
            "random_state": self.random_state,
            "members": names,
            "metrics": getattr(self, "metrics_", {}),
        }
        write_json(path / ENSEMBLE_FILE, config)

    @classmethod
    def load(cls, directory: str | os.PathLike, device: str = "cpu") -> SmilesEnsemble:
        """Read an ensemble folder: each member is loaded and checked like any model."""
        from chemexplain.models.estimator import SmilesRegressor

        path = Path(directory)
        try:
            config = json.loads((path / ENSEMBLE_FILE).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ModelFileError(f"{path / ENSEMBLE_FILE} cannot be read ({error})") from None
        names = config.get("members") if isinstance(config, dict) else None
        if config.get("format") != ENSEMBLE_FORMAT or not isinstance(names, list):
            raise ModelFileError(f"{path / ENSEMBLE_FILE} is not a {ENSEMBLE_FORMAT} file")
        if len(names) < 2 or not all(isinstance(n, str) and _MEMBER.fullmatch(n) for n in names):
            raise ModelFileError(f"{path / ENSEMBLE_FILE}: 'members' must name member_<i> folders")
        members = [SmilesRegressor.load(path / name, device=device) for name in names]
        scales = {(m.target_mean_, m.target_std_) for m in members}
        if len(scales) != 1:
            raise ModelFileError(f"{path}: the members were trained on different targets")
        ensemble = cls(config.get("config", "paper"), len(members), config.get("random_state", 0))
        ensemble.members_ = members
        ensemble.metrics_ = config.get("metrics") or {}
        return ensemble
