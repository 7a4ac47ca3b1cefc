"""Explanation masks for SMILES models: the chemistry adapter of :class:`MaskExplainer`.

    mask = SmilesMask(model, random_state=0).fit(train_smiles, train_logS, val_smiles, val_logS)
    mask.token_weights(["CCO"])        # one weight per token (character for SMILES2vec)
    mask.atom_weights(["CCO"])         # token weights summed per RDKit atom
    mask.predict_masked(["CCO"])       # the frozen model's prediction from the masked input

The mask directory holds ``config.json`` (explainer network, coefficients, the
base model's weights sha256) and ``weights.safetensors``; loading checks that
it is paired with the same base model.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch

from chemexplain.chem.atom_attribution import atom_scores
from chemexplain.chem.explainer_files import SavedExplainer
from chemexplain.chem.parsing import strip_cxsmiles
from chemexplain.data.splits import holdout
from chemexplain.errors import NotFittedError
from chemexplain.mask.explainer import MaskExplainer
from chemexplain.mask.networks import ResidualConvMask
from chemexplain.nn.core import (
    CONTROL_SEED,
    TrainingSchedule,
    length_batches,
    reinitialize,
    store_parameters,
)

__all__ = ["SmilesMask", "randomized_copy", "atom_weights_from_tokens"]

MASK_FORMAT = "chemexplain-smiles-mask"
_INFERENCE_BATCH = 128  # fastest on 2 CPU cores (the conv stack fits in cache)


def randomized_copy(model, seed: int = CONTROL_SEED):
    """A copy of a fitted SMILES estimator with every network weight re-drawn (Adebayo et al.)."""
    twin = copy.deepcopy(model)
    reinitialize(twin.module_, seed)
    twin.module_.eval()
    return twin


def atom_weights_from_tokens(
    smiles: str, weights: np.ndarray, scheme: str = "char", aggregate: str = "mean"
) -> np.ndarray:
    """Token weights (len(tokens),) -> per RDKit atom (n_atoms,): the mean over the atom's own
    characters (``aggregate="sum"``: their sum, the paper-era reading); non-atom tokens drop out."""
    return atom_scores(smiles, weights, scheme, rule="atoms", aggregate=aggregate)


class SmilesMask(SavedExplainer):
    """An explanation mask over a fitted ``SmilesRegressor`` / ``SmilesClassifier``.

    Parameters are stored as given (scikit-learn style); ``fit`` returns self
    and leaves ``explainer_`` (the :class:`MaskExplainer`) and ``history_``.
    ``l1``/``l2`` are per-molecule sums of the mask, averaged over a batch.
    """

    def __init__(
        self,
        model,
        *,
        l1: float = 1e-3,
        l2: float = 1e-4,
        target: str = "label",
        channels: int = 64,
        n_layers: int = 20,
        learning_rate: float = 1e-3,
        batch_size: int = 32,
        max_epochs: int = 40,
        patience: int = 6,
        random_state: int = 0,
        verbose: bool = True,
    ):
        store_parameters(self, locals())

    def _build_core(self) -> MaskExplainer:
        torch.manual_seed(self.random_state)
        network = ResidualConvMask(
            self.model.module_.config.embedding_dim, self.channels, self.n_layers
        )
        return MaskExplainer(
            self.model.module_,
            network,
            l1=self.l1,
            l2=self.l2,
            target=self.target,
            task=self.model.task,
            schedule=TrainingSchedule.of(self),
            device=self.model.device,
        )

    def _batches(
        self, smiles: Sequence[str], y: Sequence[float] | None = None, batch_size: int | None = None
    ) -> tuple[list, np.ndarray]:
        """(ids, lengths, targets) batches of similar length, and the row order they follow."""
        ids, _ = self.model.encode(list(smiles))
        goal = None if y is None else self.model.transform_target(np.asarray(y, dtype=float))
        out, order = [], []
        for rows, token_ids, lengths in length_batches(ids, batch_size or self.batch_size):
            targets = None if goal is None else torch.tensor(goal[rows], dtype=torch.float32)
            out.append((token_ids, lengths, targets))
            order.extend(rows)
        return out, np.asarray(order, dtype=np.int64)

    def fit(self, smiles, y=None, val_smiles=None, val_y=None) -> SmilesMask:
        """Train the explainer over the frozen model (labels needed for ``target="label"``);
        a CXSMILES is read as its SMILES."""
        smiles = strip_cxsmiles(smiles)
        if val_smiles is None:
            train, val = holdout(len(smiles), np.random.default_rng(self.random_state))
            val_smiles = [smiles[i] for i in val]
            val_y = None if y is None else np.asarray(y)[val]
            y = None if y is None else np.asarray(y)[train]
            smiles = [smiles[i] for i in train]
        else:
            val_smiles = strip_cxsmiles(val_smiles)
        self.explainer_ = self._build_core()
        self.history_ = self.explainer_.fit(
            self._batches(smiles, y)[0], self._batches(val_smiles, val_y)[0]
        )
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "explainer_"):
            raise NotFittedError(
                "this SmilesMask is not fitted: call fit() or SmilesMask.load() first"
            )

    def _per_row(self, smiles: Sequence[str], function) -> list:
        smiles = list(smiles)
        results: list = [None] * len(smiles)
        batches, order = self._batches(smiles, batch_size=_INFERENCE_BATCH)
        rows = iter(order)
        for token_ids, lengths, _ in batches:
            output = function(token_ids, lengths)
            for i in range(len(lengths)):
                results[next(rows)] = (output[i], int(lengths[i]))
        return results

    def _inference_explainer(self):
        """A float64 copy of the fitted explainer (and its model), made once per fit.

        As for the model's predictions (``SmilesRegressor.inference_module``):
        a molecule's weights are then the same alone or in any batch, to 1e-9.
        """
        cached = getattr(self, "_inference", None)
        if cached is None or cached[0] is not self.explainer_:
            copied = copy.deepcopy(self.explainer_)
            copied.network.double()
            copied.model.double()
            cached = self._inference = (self.explainer_, copied)
        return cached[1]

    def token_weights(self, smiles: Sequence[str]) -> list[np.ndarray]:
        """Mask weight of every token of every SMILES (characters for SMILES2vec), in order."""
        self._check_fitted()
        rows = self._per_row(smiles, self._inference_explainer().explain)
        return [w[:n].double().cpu().numpy() for w, n in rows]

    def atom_weights(self, smiles: Sequence[str]) -> list[np.ndarray]:
        """Token weights averaged per RDKit atom (over its own characters), (n_atoms,) per SMILES."""
        scheme = self.model.params_["scheme"]
        return [
            atom_weights_from_tokens(s, w, scheme)
            for s, w in zip(smiles, self.token_weights(smiles), strict=True)
        ]

    def predict_masked(self, smiles: Sequence[str]) -> np.ndarray:
        """The frozen model's prediction from the masked input, in the target's units."""
        self._check_fitted()
        rows = self._per_row(smiles, self.explainer_.predict_masked)
        raw = np.array([float(out) for out, _ in rows])
        return self.model.inverse_transform_target(raw)

    # ------------------------------------------------------------------ files
    _FORMAT = MASK_FORMAT
    _SAVED = (
        "l1",
        "l2",
        "target",
        "channels",
        "n_layers",
        "learning_rate",
        "batch_size",
        "max_epochs",
        "patience",
        "random_state",
    )
    _BOUNDS = {"channels": (1, 1024), "n_layers": (1, 200)}
    _WHAT = "mask"

    def _file_extra(self) -> dict:
        return {"network": self.explainer_.network.config}

    def _after_load(self) -> None:
        self.explainer_._freeze()
