"""Per-atom values of any attribution method for SMILES: the one place that turns a method into atoms.

    values, reference = atom_attributions(["CCO"], model, "integrated_gradients")
    values, _ = atom_attributions(["CCO"], model, "occlusion", spellings=10)

Every method of :data:`chemexplain.attribution.METHODS` works at the model's
embedding layer and gives one score per SMILES character; this module
batches molecules by length, runs the method on the model's float64
inference copy (so that a molecule's values never depend on its batch), and
gives each character's score to an atom under the ``"attached"`` rule of
:mod:`chemexplain.chem.atom_attribution` (bond, branch and ring characters go
to the atom they are written next to, so nothing is dropped). With
``spellings=N`` the values are averaged over the canonical SMILES and ``N``
random spellings drawn from a seed fixed per molecule.

Units: signed methods give contributions in the target's units (log10 mol/L
for ESOL): the model's standardized output times the target's standard
deviation; for a classifier, in the units of its output, the log-odds of
class 1. For integrated gradients and KernelSHAP, whose scores add up to
the prediction minus the prediction for the empty input (every embedding
zeroed, the same length), that prediction is returned as the ``reference``;
for the other methods the reference is NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from chemexplain.chem.atom_attribution import atom_scores, spelling_averaged_atom_scores
from chemexplain.nn.core import length_batches, module_device

__all__ = ["ADDITIVE_METHODS", "atom_attributions", "is_signed", "token_attributions"]

BATCH = 32
#: Methods whose per-token scores add up to f(x) - f(empty input).
ADDITIVE_METHODS = ("integrated_gradients", "kernel_shap")


def is_signed(method: str) -> bool:
    """Whether ``method``'s values carry a sign (for / against the prediction)."""
    from chemexplain.attribution import METHODS

    return method in METHODS and METHODS[method].signed


def _make(method: str, module):
    from chemexplain.attribution import METHODS

    if method not in METHODS:
        raise ValueError(
            f"unknown attribution method {method!r}; use one of {', '.join(sorted(METHODS))}"
        )
    return METHODS[method](module)


def _token_scores(model, attribution, smiles: Sequence[str]) -> list[np.ndarray]:
    """One float64 score array per SMILES (its characters), batched by length."""
    ids, _ = model.encode(smiles)
    # a stochastic method draws for the whole batch: one molecule at a time keeps it per molecule
    size = 1 if attribution.stochastic else BATCH
    scale = float(getattr(model, "target_std_", 1.0))
    module = attribution.model
    device = module_device(module)
    out: list = [None] * len(ids)
    for rows, token_ids, lengths in length_batches(ids, size):
        with torch.no_grad():
            embedded = module.embed(token_ids.to(device))
        scores = attribution.token_scores(attribution.attribute(embedded, lengths)).detach()
        for i, row in enumerate(rows):
            out[row] = scores[i, : int(lengths[i])].double().cpu().numpy() * scale
    return out


def token_attributions(smiles: Sequence[str], model, method: str) -> list[np.ndarray]:
    """Per-character scores of ``method`` for each SMILES, (n_tokens,) float64 each, in the
    target's units for signed methods; what :func:`atom_attributions` gives to atoms."""
    return _token_scores(model, _make(method, model.inference_module()), list(smiles))


def _references(model, smiles: Sequence[str]) -> np.ndarray:
    """The prediction for the empty input of each SMILES' length, in the target's units."""
    ids, _ = model.encode(smiles)
    module = model.inference_module()
    lengths = torch.tensor([len(i) for i in ids])
    with torch.no_grad():
        zeros = torch.zeros(
            len(ids),
            int(lengths.max()),
            module.config.embedding_dim,
            dtype=torch.float64,
            device=module_device(module),
        )
        raw = module.forward_embedded(zeros, lengths).double().cpu().numpy()
    return model.inverse_transform_target(raw)


def atom_attributions(
    smiles: Sequence[str],
    model,
    method: str,
    *,
    spellings: int = 0,
    random_state: int = 0,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Per-atom values of ``method`` for each SMILES (RDKit atom order of that SMILES).

    Returns ``(values, reference)``: one ``(n_atoms,)`` array per SMILES and,
    per SMILES, the prediction the values add up from (NaN unless ``method``
    is additive; see the module docstring). ``smiles`` must be valid and
    known to the model (``explain`` checks them first).
    """
    smiles = list(smiles)
    attribution = _make(method, model.inference_module())
    scheme = model.params_["scheme"]
    if spellings:
        values = spelling_averaged_atom_scores(
            smiles,
            lambda batch: _token_scores(model, attribution, batch),
            n_spellings=spellings,
            scheme=scheme,
            rule="attached",
            random_state=random_state,
        )
    else:
        scores = _token_scores(model, attribution, smiles)
        values = [atom_scores(s, w, scheme, "attached") for s, w in zip(smiles, scores)]
    if method in ADDITIVE_METHODS and not spellings:
        reference = _references(model, smiles)
    else:
        reference = np.full(len(smiles), np.nan)
    return values, reference
