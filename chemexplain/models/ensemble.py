"""An ensemble of SMILES regressors from different seeds: a mean prediction and its spread.

    ensemble = SmilesEnsemble("paper", n_members=5).fit(train_smiles, train_y, val_smiles, val_y)
    ensemble.predict(smiles)          # (n,) mean of the members, log10 mol/L for ESOL
    ensemble.predict_std(smiles)      # (n,) their spread, calibrated on the validation set
    ensemble.save("esol_ensemble")    # member_0/ ... member_4/ and ensemble.json

The spread is the standard deviation of every member's predictions for the
SMILES as given and ``spread_spellings`` random spellings of it (members x
spellings, pooled), times ``std_scale_``: a factor fitted on the validation
molecules (split-conformal, :func:`chemexplain.metrics.conformal_scale`) so
that ±1.96 x ``predict_std`` holds about 95% of the errors of molecules like
the validation set's. Pooling the spellings was chosen on the validation
split: its rank correlation with the error is higher than the members' spread
alone (0.40 vs 0.29 on ESOL's random split, 0.20 vs -0.01 on the scaffold
split), and the raw spread of a few seeds is far too narrow (it covers about
half of the test errors). Figures: the "Ensembles" table of benchmarks/README.md.
The spread is measured the same way whatever ``n_test_augment`` the
prediction uses, so that its calibration holds; it costs
``n_members x (spread_spellings + 1)`` forward passes per molecule.

Every member is a :class:`SmilesRegressor` trained on the same data with seed
``random_state + i``. Anything else (tokenizer, vocabulary, split, domain,
the modules an explainer reads) is member 0's: explanations of an ensemble are
member 0's; the amortized explainer's are made to add up to the ensemble's mean
prediction, an attribution method's carry no reference (they add up to member
0's output). ``load_model`` reads an ensemble folder back.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin

from chemexplain.errors import ModelFileError, NotFittedError
from chemexplain.metrics.uncertainty import conformal_scale
from chemexplain.models.estimator import SmilesInput

__all__ = ["ENSEMBLE_FORMAT", "SmilesEnsemble", "is_ensemble_dir"]

ENSEMBLE_FORMAT = "chemexplain-smiles-ensemble"
ENSEMBLE_FILE = "ensemble.json"
_MEMBER = re.compile(r"member_\d{1,3}")


def is_ensemble_dir(directory: str | os.PathLike) -> bool:
    return (Path(directory) / ENSEMBLE_FILE).is_file()


class SmilesEnsemble(RegressorMixin, SmilesInput, BaseEstimator):
    """``n_members`` SMILES regressors; ``fit`` returns self and leaves ``members_``.

    Parameters
    ----------
    config, random_state : as :class:`SmilesRegressor`; member ``i`` gets seed
        ``random_state + i``.
    n_members : at least 2.
    estimator_params : other :class:`SmilesRegressor` keywords (``max_epochs`` ...).
    calibrate : fit ``std_scale_`` on the validation set (when ``fit`` is given
        one; :meth:`calibrate_spread` does it later); else the spread is raw.
    spread_spellings : random spellings per member pooled into the spread
        (0: the members' predictions for the SMILES as given only).

    Attributes it does not define itself come from member 0 (``vocab_``,
    ``params_``, ``split_``, ``domain_``, ``encode``, ``inference_module`` ...),
    so an ensemble goes wherever a fitted regressor goes.
    """

    task = "regression"

    def __init__(
        self,
        config: str = "paper",
        n_members: int = 5,
        random_state: int = 0,
        estimator_params: dict | None = None,
        calibrate: bool = True,
        spread_spellings: int = 10,
    ):
        self.config, self.n_members, self.random_state = config, n_members, random_state
        self.estimator_params = estimator_params
        self.calibrate = calibrate
        self.spread_spellings = spread_spellings

    def __getattr__(self, name: str):
        members = self.__dict__.get("members_")
        if name.startswith("__") or not members:
            raise AttributeError(name)
        return getattr(members[0], name)

    def fit(self, smiles, y, val_smiles=None, val_y=None) -> SmilesEnsemble:
        """Train every member on the same data; with validation data, calibrate the spread."""
        from chemexplain.models.estimator import SmilesRegressor

        if self.n_members < 2:
            raise ValueError("an ensemble needs at least 2 members")
        params = self.estimator_params or {}
        self.members_ = [
            SmilesRegressor(self.config, random_state=self.random_state + i, **params).fit(
                smiles, y, val_smiles, val_y
            )
            for i in range(self.n_members)
        ]
        self.std_scale_ = 1.0
        if self.calibrate and val_smiles is not None and len(val_smiles) > 0:
            self.calibrate_spread(val_smiles, val_y)
        return self

    def calibrate_spread(self, smiles: Sequence[str], y) -> SmilesEnsemble:
        """Fit ``std_scale_`` on held-out molecules ``smiles`` with measured ``y``.

        Split-conformal: afterwards ±1.96 x ``predict_std`` holds the errors of
        95% of these molecules (the prediction as :meth:`predict` makes it, with
        the model's own test-time averaging). Returns self.
        """
        self._check_fitted()
        smiles = list(smiles)
        errors = self.predict(smiles) - np.asarray(y, float)
        self.std_scale_ = 1.0
        spread = np.maximum(self.predict_std(smiles), 1e-12)
        self.std_scale_ = conformal_scale(errors, spread)
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

    def predict(
        self,
        smiles,
        on_invalid: str = "raise",
        n_test_augment: int | None = None,
        *,
        as_written: bool = False,
    ):
        """(n,) mean of the members' predictions (NaN where ``on_invalid="nan"`` drops a
        row); the arguments are :meth:`SmilesRegressor.predict`'s."""
        self._check_fitted()
        predictions = [
            m.predict(smiles, on_invalid, n_test_augment, as_written=as_written)
            for m in self.members_
        ]
        return np.mean(predictions, axis=0)

    def predict_std(self, smiles, on_invalid: str = "raise", n_test_augment: int | None = None):
        """(n,) calibrated spread (target's units; NaN for rows ``on_invalid="nan"`` drops).

        ``n_test_augment`` is accepted for symmetry with :meth:`predict` and does not
        change the spread (see the module docstring).
        """
        self._check_fitted()
        valid, read = self.members_[0]._readable(smiles, on_invalid)
        out = np.full(len(valid), np.nan)
        if valid.any():
            out[valid] = self.spread(read)
        return out

    def spread(self, read: Sequence[str]) -> np.ndarray:
        """(n,) calibrated spread for SMILES the model reads as they are (no checks)."""
        pooled_values, pooled_owner = [], []
        for member in self.members_:
            if self.spread_spellings:
                raw, owner = member._spelling_outputs(list(read), self.spread_spellings)
            else:
                raw, owner = member._raw_outputs(list(read)), np.arange(len(read))
            pooled_values.append(member.inverse_transform_target(raw))
            pooled_owner.append(owner)
        values, owner = np.concatenate(pooled_values), np.concatenate(pooled_owner)
        counts = np.bincount(owner, minlength=len(read))
        mean = np.bincount(owner, weights=values, minlength=len(read)) / counts
        squares = np.bincount(owner, weights=(values - mean[owner]) ** 2, minlength=len(read))
        return self.std_scale_ * np.sqrt(squares / (counts - 1))

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
            "std_scale": self.std_scale_,
            "spread_spellings": self.spread_spellings,
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
        spellings = config.get("spread_spellings", 0)  # older files: the members' spread only
        if (
            isinstance(spellings, bool)
            or not isinstance(spellings, int)
            or not 0 <= spellings <= 1000
        ):
            raise ModelFileError(f"{path / ENSEMBLE_FILE}: 'spread_spellings' must be 0 to 1000")
        ensemble = cls(
            config.get("config", "paper"),
            len(members),
            config.get("random_state", 0),
            spread_spellings=spellings,
        )
        ensemble.members_ = members
        scale = config.get("std_scale", 1.0)  # ensembles saved before calibration have none
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale < 1e6:
            raise ModelFileError(f"{path / ENSEMBLE_FILE}: 'std_scale' must be a positive number")
        ensemble.std_scale_ = float(scale)
        ensemble.metrics_ = config.get("metrics") or {}
        return ensemble
