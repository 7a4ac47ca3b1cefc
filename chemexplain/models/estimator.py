"""scikit-learn-style estimators around SMILES2vec: ``SmilesRegressor`` and ``SmilesClassifier``.

``__init__`` stores arguments only; ``fit`` returns ``self``; learned state
ends in ``_`` (``module_``, ``vocab_``, ``history_``); ``random_state`` fixes
every random choice (initialization, shuffling, SMILES enumeration), so the
same seed on the same machine gives the same numbers.
"""

from __future__ import annotations

import copy
import json
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from rdkit import Chem
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from chemexplain.chem.parsing import (
    elements,
    has_only_elements,
    molecule_rng,
    molecule_smiles,
    parse_smiles,
    randomize_smiles,
    smiles_elements,
    smiles_errors,
    split_cxsmiles,
    strip_cxsmiles,
)
from chemexplain.chem.tokenizer import split_smiles
from chemexplain.data.splits import holdout
from chemexplain.errors import InvalidSmilesError, ModelFileError, NotFittedError
from chemexplain.models.configs import resolve_config
from chemexplain.nn.core import (
    EarlyStopping,
    epoch_bar,
    fixed_shape_batches,
    full_float32,
    length_batches,
    pad_ids,
    store_parameters,
)
from chemexplain.nn.smiles2vec import Smiles2Vec, Smiles2VecConfig
from chemexplain.serialization import (
    CONFIG,
    bounded_float,
    bounded_int,
    read_model_dir,
    write_json,
    write_model_dir,
)
from chemexplain.vocabulary import Vocabulary

__all__ = ["SmilesRegressor", "SmilesClassifier", "load_model"]

_ARCHITECTURE_KEYS = (
    "embedding_dim",
    "conv_filters",
    "kernel_size",
    "gru_sizes",
    "bidirectional",
    "dropout",
)
_PREDICT_BATCH = 256


def _length_buckets(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Shuffled batches of similar length (less padding, same randomness per seed)."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * 32
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def _vocabulary(tokens, directory) -> Vocabulary:
    """The saved vocabulary, if it is a list of distinct short strings."""
    if (
        not isinstance(tokens, list)
        or not 2 <= len(tokens) <= 100_000
        or not all(isinstance(t, str) and len(t) <= 64 for t in tokens)
        or len(set(tokens)) != len(tokens)
    ):
        raise ModelFileError(f"{directory}/config.json: the vocabulary is not a list of tokens")
    return Vocabulary(tokens)


class SmilesInput:
    """Mixin for scikit-learn estimators whose ``X`` is a sequence of SMILES strings."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # X is a sequence of SMILES strings
        tags.input_tags.string = True
        return tags


def _unread_parts(unseen_elements: list[str], unknown_tokens: list[str]) -> str:
    """'element B; token e': what of one SMILES the model never saw, for a warning."""
    parts = []
    if unseen_elements:
        parts.append(f"element{'s' * (len(unseen_elements) > 1)} {', '.join(unseen_elements)}")
    if unknown_tokens:
        tokens = sorted(set(unknown_tokens))
        parts.append(f"token{'s' * (len(tokens) > 1)} {' '.join(tokens)}")
    return "; ".join(parts)


class _SmilesEstimator(SmilesInput, BaseEstimator):
    """Shared fit/predict/save/load of the SMILES2vec estimators (see subclasses).

    scikit-learn estimators: ``get_params``, ``set_params``, ``clone``,
    ``score``, ``cross_val_score`` and ``GridSearchCV`` work, with a list (or
    1-D array) of SMILES as ``X``.
    """

    task = "regression"

    def __init__(
        self,
        config: str = "paper",
        random_state: int = 0,
        *,
        scheme: str | None = None,
        gru_sizes: Sequence[int] | None = None,
        bidirectional: bool | None = None,
        dropout: float | None = None,
        learning_rate: float | None = None,
        batch_size: int | None = None,
        max_epochs: int | None = None,
        patience: int | None = None,
        n_augment: int | None = None,
        n_test_augment: int | None = None,
        validation_fraction: float = 0.1,
        device: str = "cpu",
        verbose: bool = True,
    ):
        store_parameters(self, locals())

    # ------------------------------------------------------------------ helpers
    def _overrides(self) -> dict:
        keys = (
            "scheme",
            "gru_sizes",
            "bidirectional",
            "dropout",
            "learning_rate",
            "batch_size",
            "max_epochs",
            "patience",
            "n_augment",
            "n_test_augment",
        )
        return {key: getattr(self, key) for key in keys}

    def _check_fitted(self) -> None:
        if not hasattr(self, "module_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted: call fit() or load() first"
            )

    def transform_target(self, y: np.ndarray) -> np.ndarray:
        """Targets in the network's output scale (standardized for regression)."""
        return y

    def inverse_transform_target(self, output: np.ndarray) -> np.ndarray:
        """Network outputs back in the target's units (log10 mol/L for ESOL)."""
        return output

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _val_score(self, y_true: np.ndarray, smiles: Sequence[str]) -> float:
        """Lower is better; used for early stopping."""
        raise NotImplementedError

    def _tokens(self, smiles: str) -> list[str]:
        return split_smiles(smiles, self.params_["scheme"])

    def readable_form(
        self, smiles: str, mol=None, keep_stereo: bool = False, canonical: bool = False
    ):
        """What the model reads for one valid SMILES (``mol``: its parse, if at hand), a
        :class:`~chemexplain.chem.notation.ReadableForm`: the SMILES itself, or the same
        molecule written without what the model cannot read (:mod:`chemexplain.chem.notation`).
        Stereo marks go when the model never saw them (``keep_stereo`` keeps them, for a
        caller that refuses them); isotope labels and explicit hydrogen atoms always go;
        rings written in Kekulé form are written aromatic; with ``canonical``, the molecule
        is written as RDKit's canonical SMILES (see :meth:`reads_canonical`). Each rewrite
        is given up when its form holds a token the model never saw."""
        from chemexplain.chem.notation import readable_form

        mol = parse_smiles(smiles) if mol is None else mol
        reads_it = keep_stereo or not self.encode([split_cxsmiles(smiles)[0]])[1][0]
        for options in ({"canonical": True}, {}) if canonical else ({},):
            form = readable_form(smiles, mol, reads_it, aromatic=True, **options)
            if not form.changed or not self.encode([form.smiles])[1][0]:
                return form
        return readable_form(smiles, mol, reads_it, aromatic=False)

    def reads_canonical(self) -> bool:
        """Whether ``predict``, ``explain`` and ``score`` give this model RDKit's canonical
        spelling of each molecule (so that every spelling of it gets one prediction): when
        it was trained on RDKit's random spellings (``n_augment`` > 0, the bundled model's
        ``best`` configuration), of which the canonical one is one more. A model trained on
        its file's spellings alone reads the SMILES as written, which suits it better
        (docs/attribution_guide.md, "Which spelling the model reads", measures both)."""
        return bool(self.params_.get("n_augment"))

    def readable_forms(self, smiles: Sequence[str], as_written: bool = False) -> list:
        """What the model reads for each valid SMILES: its :meth:`readable_form`, the
        canonical one when the model :meth:`reads_canonical` (what ``predict``, ``explain``
        and ``score`` all give it, so that every spelling of a molecule gets one
        prediction); ``as_written`` keeps each SMILES' own spelling instead."""
        canonical = self.reads_canonical() and not as_written
        return [self.readable_form(s, canonical=canonical) for s in smiles]

    def training_elements(self) -> list[str] | None:
        """The elements of the training molecules, hydrogen aside (``elements_``); for a
        model saved before they were kept, read from its applicability domain's SMILES;
        None when neither is there."""
        self._check_fitted()
        if getattr(self, "elements_", None) is None and getattr(self, "domain_", None):
            self.elements_ = smiles_elements(self.domain_.smiles_)  # they parsed at fit
        return getattr(self, "elements_", None)

    def unseen_elements(self, mol) -> list[str]:
        """Elements of ``mol`` (an RDKit molecule, or a SMILES known to parse) that no
        training molecule had, sorted (hydrogen aside); [] when the training elements are
        unknown. The model would read them through characters it saw in other atoms
        (boron's 'B' from 'Br')."""
        known = self.training_elements()
        if known is None:
            return []
        if not isinstance(mol, str) and has_only_elements(mol, tuple(known)):
            return []  # the usual case, checked in C++
        found = smiles_elements([mol]) if isinstance(mol, str) else elements([mol])
        return sorted(set(found) - set(known))

    def encode(self, smiles: Sequence[str]) -> tuple[list[list[int]], list[list[str]]]:
        """Token ids of each SMILES and, per SMILES, the tokens unknown to the vocabulary."""
        self._check_fitted()
        encoded = [self.vocab_.encode(self._tokens(s)) for s in smiles]
        return [ids for ids, _ in encoded], [unknown for _, unknown in encoded]

    def inference_module(self) -> torch.nn.Module:
        """A float64 copy of ``module_`` (made once, refreshed after ``fit``).

        In float32, a row's result moves by about 1e-7 with the batch's size and
        padding (matrix kernels change their summation order); in float64 that
        noise is below 1e-12. The attribution methods run on this copy, and so do
        the predictions of a bidirectional network (see :meth:`_raw_outputs`).
        """
        cached = getattr(self, "_inference", None)
        if cached is None or cached[0] is not self.module_:
            copied = copy.deepcopy(self.module_).double().eval()
            cached = self._inference = (self.module_, copied)
        return cached[1]

    def _raw_outputs(self, smiles: Sequence[str], exact: bool = True) -> np.ndarray:
        """Network outputs (standardized units / logits) for valid SMILES, in order.

        ``exact`` (default): a molecule's output is the same alone or in any batch.
        A forward-only network runs in float32 on batches of a fixed shape
        (:func:`~chemexplain.nn.core.fixed_shape_batches`: the same bits on CPU); a
        bidirectional one, whose packed sequences change shape with the batch,
        runs in float64 (:meth:`inference_module`: the same to 1e-12, about 2x the time).
        ``exact=False`` (training's validation passes) uses length-sorted float32
        batches.
        """
        ids, _ = self.encode(smiles)
        outputs = np.empty(len(ids), dtype=np.float64)
        if exact and not self.module_.config.bidirectional:
            module, batches = self.module_, fixed_shape_batches(ids)
        else:
            module = self.inference_module() if exact else self.module_
            batches = length_batches(ids, _PREDICT_BATCH)
        module.eval()
        with torch.inference_mode(), full_float32(self.device):
            for rows, token_ids, lengths in batches:
                out = module(token_ids.to(self.device), lengths)
                outputs[rows] = out[: len(rows)].double().cpu().numpy()
        return outputs

    def _averaged_outputs(
        self, smiles: Sequence[str], n_test_augment: int | None = None, exact: bool = True
    ) -> np.ndarray:
        """Outputs averaged over the SMILES and ``n_test_augment`` random spellings of it.

        ``n_test_augment=None`` takes the model's own setting; 0 predicts from the
        SMILES alone (faster, see the model card for the accuracy cost).
        The spellings are drawn from a seed fixed per molecule (its canonical
        SMILES and ``random_state``), so a molecule's prediction never depends
        on the other molecules of the batch, its position or the chunk size.
        """
        m = self.params_["n_test_augment"] if n_test_augment is None else n_test_augment
        if not m:
            return self._raw_outputs(smiles, exact)
        raw, owner = self._spelling_outputs(smiles, m, exact)
        return np.bincount(owner, weights=raw, minlength=len(smiles)) / np.bincount(
            owner, minlength=len(smiles)
        )

    def _spelling_outputs(
        self, smiles: Sequence[str], n_test_augment: int, exact: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Outputs for each SMILES and up to ``n_test_augment`` random spellings of it.

        Returns ``(outputs, owner)``, both of shape (n_spellings,): ``owner[j]``
        is the row of ``smiles`` that spelling ``j`` belongs to (the SMILES as
        given comes first). Standardized units, like ``_raw_outputs``.
        """
        variants, owner = [], []
        for row, s in enumerate(smiles):
            rng = molecule_rng(s, self.random_state)
            spellings = [s, *(v for v in randomize_smiles(s, n_test_augment, rng) if v != s)]
            variants.extend(spellings)
            owner.extend([row] * len(spellings))
        return self._raw_outputs(variants, exact), np.asarray(owner, dtype=np.int64)

    def _validate(self, smiles: Sequence[str], on_invalid: str) -> np.ndarray:
        """Boolean array: which SMILES parse. Raises on the first invalid one if asked."""
        if on_invalid not in ("raise", "nan"):
            raise ValueError("on_invalid must be 'raise' or 'nan'")
        reasons = smiles_errors(smiles, "raise" if on_invalid == "raise" else "report")
        return np.array([not reason for reason in reasons], dtype=bool)

    def _readable(
        self, smiles: Sequence[str] | str, on_invalid: str, as_written: bool = False
    ) -> tuple[np.ndarray, list]:
        """(which rows are valid (n,) bool, what the model reads for each valid row)."""
        self._check_fitted()
        if isinstance(smiles, (str, Chem.Mol)):
            smiles = [smiles]
        # an RDKit molecule stands for its SMILES (a prediction has no atom order)
        smiles = [molecule_smiles(s)[0] if isinstance(s, Chem.Mol) else s for s in smiles]
        valid = self._validate(smiles, on_invalid)
        forms = self.readable_forms([s for s, ok in zip(smiles, valid) if ok], as_written)
        return valid, [form.smiles for form in forms]

    def _outputs(
        self,
        smiles: Sequence[str] | str,
        on_invalid: str,
        n_test_augment: int | None = None,
        as_written: bool = False,
    ) -> np.ndarray:
        valid, read = self._readable(smiles, on_invalid, as_written)
        _, unknown = self.encode(read)
        unseen = [self.unseen_elements(s) for s in read]
        flagged = [
            f"{s!r} ({_unread_parts(e, u)})" for s, u, e in zip(read, unknown, unseen) if u or e
        ]
        if flagged:
            warnings.warn(
                f"{len(flagged)} SMILES hold elements or tokens this model never saw "
                "(predicted anyway, unknown tokens as <unk>; explain and score refuse them): "
                + ", ".join(flagged[:5])
                + (" ..." if len(flagged) > 5 else ""),
                stacklevel=3,
            )
        outputs = np.full(len(valid), np.nan)
        if valid.any():
            outputs[valid] = self._averaged_outputs(read, n_test_augment)
        return outputs

    def predict(
        self,
        smiles: Sequence[str] | str,
        on_invalid: str = "raise",
        n_test_augment: int | None = None,
        *,
        as_written: bool = False,
    ) -> np.ndarray:
        """Predictions, shape (N,): the target in its training units (regressor) or the
        label 0.0/1.0 (classifier).

        ``on_invalid="raise"`` raises ``InvalidSmilesError`` naming the first
        invalid string and its row; ``"nan"`` returns NaN on that row instead.
        ``n_test_augment`` overrides the model's test-time averaging (0: none).
        A model that :meth:`reads_canonical` reads each molecule's canonical SMILES, so
        every spelling of it gets one prediction; ``as_written=True`` reads the SMILES
        as given instead (how a model trained on random spellings was measured before).
        """
        return self._predictions(self._outputs(smiles, on_invalid, n_test_augment, as_written))

    def _predictions(self, outputs: np.ndarray) -> np.ndarray:
        """The network's outputs (N,) -> what ``predict`` returns."""
        raise NotImplementedError

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        smiles: Sequence[str],
        y: Sequence[float],
        val_smiles: Sequence[str] | None = None,
        val_y: Sequence[float] | None = None,
    ):
        """Train on ``smiles`` and targets ``y``; early-stop on the validation set.

        Without ``val_smiles``, a random ``validation_fraction`` of the data is
        held out. Returns ``self``; ``history_`` holds one dict per epoch.
        """
        started = time.perf_counter()
        smiles, y = list(smiles), np.asarray(y, dtype=np.float64)
        if len(smiles) != len(y):
            raise ValueError(f"{len(smiles)} SMILES but {len(y)} targets")
        self._check_targets(y)
        smiles_errors(smiles, "raise")  # every SMILES must parse; rows as the caller numbers them
        smiles = strip_cxsmiles(smiles)  # the model learns from the SMILES alone
        rng = np.random.default_rng(self.random_state)
        torch.manual_seed(self.random_state)
        if val_smiles is None:
            train_rows, val_rows = holdout(len(smiles), rng, self.validation_fraction)
            val_smiles, val_y = [smiles[i] for i in val_rows], y[val_rows]
            smiles, y = [smiles[i] for i in train_rows], y[train_rows]
        else:  # the caller's own validation set
            val_smiles = list(val_smiles)
            reasons = smiles_errors(val_smiles)
            bad = next((row for row, reason in enumerate(reasons) if reason), None)
            if bad is not None:
                raise InvalidSmilesError(
                    val_smiles[bad], f"a validation SMILES: {reasons[bad]}", bad
                )
            val_smiles = strip_cxsmiles(val_smiles)
        val_y = np.asarray(val_y, dtype=np.float64)
        if not smiles or not val_smiles:  # the first epoch divided by zero
            raise ValueError(
                f"fit needs molecules to train on and to validate on, got {len(smiles)} and "
                f"{len(val_smiles)}"
            )
        self.elements_ = smiles_elements(smiles)
        self.params_ = resolve_config(self.config, self._overrides())
        p = self.params_
        self._fit_target(y)

        train_smiles, train_y = [], []
        for s, target in zip(smiles, y):
            spellings = [s]
            if p["n_augment"]:
                spellings += [v for v in randomize_smiles(s, p["n_augment"], rng) if v != s]
            train_smiles.extend(spellings)
            train_y.extend([target] * len(spellings))
        token_lists = [split_smiles(s, p["scheme"]) for s in train_smiles]
        self.vocab_ = Vocabulary.from_sequences(token_lists)
        train_ids = [self.vocab_.encode(t)[0] for t in token_lists]
        targets = torch.tensor(self.transform_target(np.asarray(train_y)), dtype=torch.float32)
        lengths = np.array([len(t) for t in train_ids])

        architecture = Smiles2VecConfig(
            vocab_size=len(self.vocab_), **{k: p[k] for k in _ARCHITECTURE_KEYS}
        )
        self.module_ = Smiles2Vec(architecture).to(self.device)
        optimizer = torch.optim.Adam(self.module_.parameters(), lr=p["learning_rate"])
        self.history_ = []
        stopping = EarlyStopping(self.module_, p["patience"])
        bar = epoch_bar(p["max_epochs"], "train", self.verbose)
        for epoch in bar:
            self.module_.train()
            total, count = 0.0, 0
            for rows in _length_buckets(lengths, p["batch_size"], rng):
                token_ids, batch_lengths = pad_ids([train_ids[r] for r in rows])
                output = self.module_(token_ids.to(self.device), batch_lengths)
                loss = self._loss(output, targets[rows].to(self.device))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(rows)
                count += len(rows)
            score = self._val_score(val_y, val_smiles)
            self.history_.append(
                {"epoch": epoch, "train_loss": total / count, self._score_name: score}
            )
            bar.set_postfix({"loss": f"{total / count:.3f}", self._score_name: f"{score:.3f}"})
            if stopping.step(score, epoch):
                break
        bar.close()
        stopping.restore()
        self._inference = None  # the float64 copy follows the trained weights
        self.best_epoch_ = stopping.best_epoch
        self.best_val_score_ = float(stopping.best)
        from chemexplain.chem.domain import ApplicabilityDomain

        self.domain_ = ApplicabilityDomain().fit(smiles)  # the molecules it learned from
        self.train_seconds_ = time.perf_counter() - started
        return self

    def _check_targets(self, y: np.ndarray) -> None:
        if not np.isfinite(y).all():
            raise ValueError("targets must be finite numbers (drop or fill missing values first)")

    def _fit_target(self, y: np.ndarray) -> None:
        pass

    # ------------------------------------------------------------------ save / load
    def _target_config(self) -> dict:
        return {}

    def _load_target(self, target: dict) -> None:
        pass

    def save(self, directory: str | os.PathLike) -> None:
        """Write the model directory (JSON config, safetensors weights, metrics.json)."""
        self._check_fitted()
        from chemexplain.version import __version__

        config = {
            "package_version": __version__,
            "task": self.task,
            "estimator": {
                "class": type(self).__name__,
                "config": self.config,
                "random_state": self.random_state,
                "params": {**self.params_, "gru_sizes": list(self.params_["gru_sizes"])},
            },
            "architecture": self.module_.config.to_dict(),
            "tokenizer": {"scheme": self.params_["scheme"]},
            "vocabulary": self.vocab_.tokens,
            "elements": self.training_elements(),
            "target": self._target_config(),
            "split": getattr(self, "split_", None),
            "data": getattr(self, "data_", None),
            "training": {
                "best_epoch": self.best_epoch_,
                "train_seconds": self.train_seconds_,
                "history": self.history_,
            },
        }
        path = write_model_dir(directory, config, self.module_.state_dict())
        metrics = {"train_seconds": self.train_seconds_, **getattr(self, "metrics_", {})}
        write_json(path / "metrics.json", metrics)
        if getattr(self, "domain_", None) is not None:
            self.domain_.save(path / "domain")

    @classmethod
    def load(cls, directory: str | os.PathLike, device: str = "cpu"):
        """Load a model directory written by :meth:`save`; never unpickles anything."""
        config, state_dict = read_model_dir(directory)
        return cls._from_files(directory, config, state_dict, device)

    @classmethod
    def _from_files(cls, directory, config: dict, state_dict: dict, device: str):
        try:
            if config["task"] != cls.task:
                raise ModelFileError(f"{directory} holds a {config['task']} model, not {cls.task}")
            estimator = cls(
                config["estimator"]["config"],
                config["estimator"]["random_state"],
                device=device,
                verbose=False,
            )
            params = dict(config["estimator"]["params"])
            params["gru_sizes"] = tuple(params["gru_sizes"])
            if params.get("scheme") not in ("char", "atom"):
                raise ModelFileError(
                    f"{directory}: unknown tokenizer scheme {params.get('scheme')!r}"
                )
            bounded_int(params, "n_test_augment", 0, 1000, f"{directory}/config.json")
            estimator.params_ = params
            estimator.vocab_ = _vocabulary(config["vocabulary"], directory)
            architecture = Smiles2VecConfig.from_dict(config["architecture"])
            estimator._load_target(config["target"])
            training = config["training"]
            estimator.best_epoch_, estimator.train_seconds_ = (
                training["best_epoch"],
                training["train_seconds"],
            )
            estimator.history_ = training["history"]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, ModelFileError):
                raise
            raise ModelFileError(
                f"{directory}/config.json is incomplete or invalid ({error})"
            ) from None
        if architecture.vocab_size != len(estimator.vocab_):
            raise ModelFileError(f"{directory}: vocabulary size does not match the architecture")
        module = Smiles2Vec(architecture)
        try:
            module.load_state_dict(state_dict, strict=True)
        except RuntimeError as error:
            first = str(error).strip().splitlines()[0]
            raise ModelFileError(
                f"{directory}: weights do not fit the architecture in config.json ({first})"
            ) from None
        estimator.module_ = module.to(device).eval()
        estimator.split_, estimator.data_ = config.get("split"), config.get("data")
        estimator.elements_ = config.get("elements")  # None in models saved before they were kept
        if estimator.elements_ is not None and not (
            isinstance(estimator.elements_, list)
            and all(isinstance(e, str) for e in estimator.elements_)
        ):
            raise ModelFileError(f"{directory}/config.json: 'elements' must be a list of symbols")
        estimator.domain_ = None  # models saved before the applicability domain have none
        if os.path.isfile(os.path.join(directory, "domain", "config.json")):
            from chemexplain.chem.domain import ApplicabilityDomain

            estimator.domain_ = ApplicabilityDomain.load(os.path.join(directory, "domain"))
        metrics_path = os.path.join(directory, "metrics.json")
        if os.path.isfile(metrics_path):
            try:
                with open(metrics_path) as handle:
                    estimator.metrics_ = json.load(handle)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ModelFileError(
                    f"{metrics_path} is not valid JSON; the file is damaged"
                ) from None
        return estimator


class SmilesRegressor(RegressorMixin, _SmilesEstimator):
    """SMILES2vec regression (e.g. ESOL logS in log10 mol/L), MSE on a standardized target.

    Parameters
    ----------
    config : ``"paper"`` or ``"best"`` (see :mod:`chemexplain.models.configs`);
        any keyword below that is not None overrides it.
    random_state : seed of every random choice.

    Examples
    --------
    >>> model = SmilesRegressor("paper", random_state=0).fit(smiles, logS)  # doctest: +SKIP
    >>> model.predict(["CCO", "c1ccccc1"])                                  # doctest: +SKIP
    """

    task = "regression"
    _score_name = "val_rmse"

    def _fit_target(self, y: np.ndarray) -> None:
        self.target_mean_ = float(np.mean(y))
        self.target_std_ = float(np.std(y)) or 1.0

    def transform_target(self, y):
        return (y - self.target_mean_) / self.target_std_

    def inverse_transform_target(self, output):
        return output * self.target_std_ + self.target_mean_

    def _loss(self, output, target):
        return torch.nn.functional.mse_loss(output, target)

    def _val_score(self, y_true, smiles):
        predicted = self.inverse_transform_target(self._averaged_outputs(smiles, exact=False))
        return float(np.sqrt(np.mean((predicted - y_true) ** 2)))

    def _target_config(self):
        return {"mean": self.target_mean_, "std": self.target_std_}

    def _load_target(self, target):
        where = "config.json target"
        self.target_mean_ = bounded_float(target, "mean", -1e6, 1e6, where)
        self.target_std_ = bounded_float(target, "std", 1e-12, 1e6, where)

    def _predictions(self, outputs: np.ndarray) -> np.ndarray:
        return self.inverse_transform_target(outputs)


class SmilesClassifier(ClassifierMixin, _SmilesEstimator):
    """SMILES2vec binary classification (labels 0/1), binary cross-entropy on one logit."""

    task = "classification"
    _score_name = "val_loss"

    def _check_targets(self, y):
        super()._check_targets(y)
        if not set(np.unique(y)) <= {0.0, 1.0}:
            raise ValueError("SmilesClassifier needs binary labels 0/1")

    def _loss(self, output, target):
        return torch.nn.functional.binary_cross_entropy_with_logits(output, target)

    def _val_score(self, y_true, smiles):
        logits = torch.tensor(self._averaged_outputs(smiles, exact=False))
        return float(
            torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(y_true))
        )

    def predict_proba(
        self,
        smiles: Sequence[str] | str,
        on_invalid: str = "raise",
        n_test_augment: int | None = None,
    ) -> np.ndarray:
        """Probabilities, shape (N, 2): columns P(0), P(1); NaN rows for invalid SMILES with
        "nan". The arguments are :meth:`predict`'s (each molecule read the same way)."""
        p1 = self.proba_from_outputs(self._outputs(smiles, on_invalid, n_test_augment))
        return np.stack([1.0 - p1, p1], axis=1)

    @staticmethod
    def proba_from_outputs(outputs: np.ndarray) -> np.ndarray:
        """P(class 1) from the network's logits (the logistic sigmoid), shape of ``outputs``."""
        return 1.0 / (1.0 + np.exp(-outputs))

    @staticmethod
    def labels_from_proba(p1: np.ndarray) -> np.ndarray:
        """The 0.0/1.0 label of each P(class 1) (NaN stays NaN): what ``predict`` returns."""
        return np.where(np.isnan(p1), np.nan, (p1 >= 0.5).astype(float))

    def _predictions(self, outputs: np.ndarray) -> np.ndarray:
        return self.labels_from_proba(self.proba_from_outputs(outputs))


def load_model(directory: str | os.PathLike, device: str = "cpu") -> _SmilesEstimator:
    """Load any saved SMILES model, choosing the estimator class from its config (an
    ensemble folder, with ``ensemble.json``, gives a :class:`SmilesEnsemble`).

    A model-plus-explainer folder (``model/`` beside ``mask/`` or ``shapley/``, the
    layout of the bundled one) is accepted too: its ``model/`` is loaded.
    """
    from chemexplain.models.ensemble import SmilesEnsemble, is_ensemble_dir

    folder = Path(directory)
    if not (folder / CONFIG).is_file() and not is_ensemble_dir(folder):
        inner = folder / "model"
        if (inner / CONFIG).is_file() or is_ensemble_dir(inner):
            directory = inner
    if is_ensemble_dir(directory):
        return SmilesEnsemble.load(directory, device=device)
    config, _ = read_model_dir(directory)
    classes = {"regression": SmilesRegressor, "classification": SmilesClassifier}
    if config.get("task") not in classes:
        raise ModelFileError(
            f"{directory}/config.json names an unknown task {config.get('task')!r}"
        )
    return classes[config["task"]].load(directory, device=device)
