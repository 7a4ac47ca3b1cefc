"""What the model predicts for a molecule and which atoms drive it: the ``Explanation`` object.

    import chemexplain as cx
    e = cx.explain("CCO")                 # the bundled ESOL model and its signed explainer
    e.prediction, e.units                  # 0.93, "log10 mol/L"
    e.top_atoms()                          # [(2, "O", 1.87), (1, "C", 0.81), (0, "C", 0.63)]
    e.draw("ethanol.svg")
    cx.explain(["CCO", "c1ccccc1"]).to_frame()   # one row per input, in order

Atom indices and ``atom_weights`` refer to ``Chem.MolFromSmiles(e.smiles)``,
the SMILES that was explained (the input, or its standardized form).
With ``method="mask"`` a per-atom weight is the mean of the mask weights of
that atom's characters (a sum would give ``Cl``, ``Br`` and bracket atoms double
or more by construction); mask weights multiply the atom's embedding, so 1
means "passed on unchanged" and 0 "removed". With ``method="integrated_gradients"`` (or another signed
method of ``chemexplain.attribution.METHODS``) each atom's value is its signed
contribution in the target's units (``e.signed``; ``e.reference`` is the
prediction they add up from, for additive methods), and ``e.raising()`` /
``e.lowering()`` name the atoms that push the prediction up or down.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rdkit import Chem

from chemexplain.chem import MAX_SMILES_LENGTH
from chemexplain.chem.atom_attribution import atom_scores_from_tokens
from chemexplain.chem.notation import readable_form, to_input_atoms
from chemexplain.chem.parsing import parse_smiles
from chemexplain.chem.standardize import standardize_smiles
from chemexplain.chem.tokenizer import tokenize
from chemexplain.errors import InvalidSmilesError, ModelFileError

__all__ = [
    "MAX_SMILES_LENGTH",
    "Explanation",
    "ExplanationList",
    "explain",
    "explain_batch",
    "stored_shapley",
]


@dataclass
class Explanation:
    """One molecule's prediction and per-token / per-atom weights.

    ``status`` is ``"ok"`` or ``"error"``; an error row keeps its input and
    says why in ``error``, with NaN prediction and empty weights.
    """

    input: str
    smiles: str | None = None
    canonical_smiles: str | None = None
    prediction: float = float("nan")
    #: the spread (sample std) of an ensemble's members' predictions; NaN for one model
    prediction_std: float = float("nan")
    units: str = ""
    tokens: list[str] = field(default_factory=list)
    token_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    atom_symbols: list[str] = field(default_factory=list)
    atom_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    method: str = "mask"
    signed: bool = False
    reference: float = float("nan")
    status: str = "ok"
    error: str | None = None
    warning: str = ""
    #: the SMILES the model read: ``smiles`` itself, or its stereo-free form, etc.
    model_smiles: str | None = None
    #: largest Tanimoto similarity (Morgan r=2, 2048 bits) to the model's training molecules
    max_similarity: float = float("nan")
    nearest_training_smiles: str = ""
    #: max_similarity reaches the model's calibrated threshold (None: the model has no domain)
    in_domain: bool | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def mol(self) -> Chem.Mol:
        """The RDKit molecule whose atom indices ``atom_weights`` follows."""
        if not self.ok:
            raise InvalidSmilesError(self.input, self.error or "no molecule")
        return parse_smiles(self.smiles)

    def top_atoms(self, k: int = 3) -> list[tuple[int, str, float]]:
        """The ``k`` strongest atoms as (index, symbol, value): highest weight first, or for
        a signed method the largest ``|value|`` first (see :meth:`raising`, :meth:`lowering`)."""
        weights = self._ranked()
        key = -np.abs(weights) if self.signed else -weights
        return self._atoms(np.argsort(key, kind="stable")[:k])

    def raising(self, k: int = 3) -> list[tuple[int, str, float]]:
        """Signed methods: the ``k`` atoms that raise the prediction most (value > 0)."""
        order = [i for i in np.argsort(-self._ranked(), kind="stable") if self.atom_weights[i] > 0]
        return self._atoms(order[:k])

    def lowering(self, k: int = 3) -> list[tuple[int, str, float]]:
        """Signed methods: the ``k`` atoms that lower the prediction most (value < 0)."""
        order = [i for i in np.argsort(self._ranked(), kind="stable") if self.atom_weights[i] < 0]
        return self._atoms(order[:k])

    def _ranked(self) -> np.ndarray:
        """Weights rounded to 1e-9 for ranking: a near-tie (values that differ by float64
        noise from batch to batch) goes to the lower atom index, whatever the batch."""
        return np.round(np.asarray(self.atom_weights, dtype=np.float64), 9)

    def _atoms(self, order) -> list[tuple[int, str, float]]:
        return [(int(i), self.atom_symbols[i], float(self.atom_weights[i])) for i in order]

    def _top_text(self) -> str:
        if not self.signed:
            return " ".join(f"{s}{i}" for i, s, _ in self.top_atoms())
        return " ".join(f"{'+' if w > 0 else '-'}{s}{i}" for i, s, w in self.top_atoms())

    def to_dict(self) -> dict:
        """One flat row: prediction, units, top atoms and JSON lists of weights."""
        return {
            "input": self.input,
            "smiles": self.smiles,
            "canonical_smiles": self.canonical_smiles,
            "prediction": self.prediction,
            "prediction_std": self.prediction_std,
            "units": self.units,
            "top_atoms": self._top_text() if self.ok else "",
            "atom_weights": json.dumps([round(float(w), 4) for w in self.atom_weights])
            if self.ok
            else "",
            "method": self.method,
            "reference": self.reference,
            "status": self.status,
            "error": self.error or "",
            "warning": self.warning,
            "max_similarity": self.max_similarity,
            "nearest_training_smiles": self.nearest_training_smiles,
            "in_domain": self.in_domain,
        }

    def to_frame(self) -> pd.DataFrame:
        """Per-atom table: index, symbol, weight."""
        return pd.DataFrame(
            {
                "atom": np.arange(len(self.atom_weights)),
                "symbol": self.atom_symbols,
                "weight": self.atom_weights,
            }
        )

    def draw(self, outfile=None, **options):
        """Draw the molecule with atoms colored by weight (see :func:`chemexplain.draw`)."""
        from chemexplain.chem.drawing import draw_explanation

        return draw_explanation(self, outfile=outfile, **options)

    def view3d(self, **options):
        """A py3Dmol view of a conformer colored by weight (see :func:`chemexplain.view3d`)."""
        from chemexplain.chem.view3d import view3d

        return view3d(self, **options)

    def _repr_html_(self) -> str:
        head = (
            f"<p><code>{self.input}</code>: {self.prediction:.2f} {self.units}</p>"
            if self.ok
            else f"<p><code>{self.input}</code>: error: {self.error}</p>"
        )
        return head + (self.draw() if self.ok else "")


class ExplanationList(list):
    """A list of :class:`Explanation` with ``to_frame()`` (one row per input, in order)."""

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([e.to_dict() for e in self])

    def draw_grid(self, outfile=None, **options):
        from chemexplain.chem.drawing import draw_grid

        return draw_grid(self, outfile=outfile, **options)


def _resolve(model, mask, need_mask: bool = True):
    """(model, mask) from None (bundled), a Pretrained pair, a directory or objects.

    With ``need_mask=False`` a fitted model object alone is enough (mask None).
    """
    if mask is not None:
        return model, mask
    if not need_mask and hasattr(model, "module_"):
        return model, None
    from chemexplain.models.pretrained import pretrained

    if model is None or isinstance(model, str) or hasattr(model, "__fspath__"):
        pair = pretrained(model)
        return pair.model, pair.mask
    if isinstance(model, tuple) or hasattr(model, "mask"):
        return tuple(model)
    raise TypeError("pass model=None (bundled), a (model, mask) pair or a directory")


def _signed(method: str) -> bool:
    from chemexplain.chem.attribute import is_signed

    return is_signed(method)


def default_method(model=None, mask=None, shapley=None) -> str:
    """The explanation a chemist sees when none is named: ``"shapley"`` (signed
    contributions) when an amortized explainer is given or stored beside the model
    (``shapley/`` in its folder, or the bundled one), else ``"mask"``."""
    if shapley is not None:
        return "shapley"
    if mask is None and (model is None or isinstance(model, str) or hasattr(model, "__fspath__")):
        from chemexplain.models.pretrained import pretrained_shapley

        if pretrained_shapley(model) is not None:
            return "shapley"
    return "mask"


def stored_shapley(model):
    """The amortized explainer stored beside a model directory (or the bundled one)."""
    from chemexplain.models.pretrained import pretrained_shapley

    if model is None or isinstance(model, str) or hasattr(model, "__fspath__"):
        stored = pretrained_shapley(model)
        if stored is not None:
            return stored
    raise ModelFileError(
        "no amortized Shapley explainer for this model: train one with 'chemexplain "
        "fit-explainer' into the model's folder (shapley/), or pass shapley=..."
    )


def _check(smiles, model, standardize: bool, max_length: int, on_unknown: str = "strip"):
    """(explained SMILES, its RDKit molecule, error or None, :class:`ReadableForm` or None)
    for one input; the form is what the model reads (stereo-free etc., see
    :mod:`chemexplain.chem.notation`), the SMILES and molecule are the input's."""
    smiles, mol, error = _check_input(smiles, standardize, max_length)
    if error is not None:
        return None, None, error, None
    _, unknown = model.encode([smiles])
    # "error" keeps stereo marks (so an unknown '@' is refused) but still reads isotope
    # labels and explicit hydrogens as plain atoms
    form = readable_form(smiles, mol, model_reads_it=not unknown[0] or on_unknown == "error")
    if form.changed:
        _, unknown = model.encode([form.smiles])
    if unknown[0]:
        chars = "".join(sorted(set(unknown[0])))
        return None, None, f"characters this model never saw: {chars!r}", None
    return smiles, mol, None, form


def _check_input(smiles, standardize: bool, max_length: int):
    """(SMILES, its RDKit molecule, error or None) for one input, before the model is asked."""
    if smiles is None or (isinstance(smiles, float) and np.isnan(smiles)):
        return None, None, "empty SMILES"
    if not isinstance(smiles, str):
        return None, None, f"expected a SMILES string, got {type(smiles).__name__}"
    smiles = smiles.strip()
    if not smiles:
        return None, None, "empty SMILES"
    if standardize:
        try:
            smiles = standardize_smiles(smiles)
        except InvalidSmilesError as error:
            return None, None, f"invalid SMILES: {error.reason}"
    if len(smiles) > max_length:
        return None, None, f"over-long SMILES: {len(smiles)} characters (limit {max_length})"
    if "." in smiles:
        return (
            None,
            None,
            "several fragments (a salt or mixture): pass standardize=True / --standardize",
        )
    try:
        mol = parse_smiles(smiles)
    except InvalidSmilesError as error:
        return None, None, f"invalid SMILES: {error.reason}"
    return smiles, mol, None


def explain_batch(
    smiles: Sequence,
    model=None,
    mask=None,
    *,
    method: str | None = None,
    spellings: int = 0,
    shapley=None,
    standardize: bool = False,
    n_test_augment: int | None = 0,
    max_length: int = MAX_SMILES_LENGTH,
    on_unknown: str = "strip",
) -> ExplanationList:
    """Explain many SMILES; never raises on a bad row (it gets ``status="error"``).

    ``on_unknown``: ``"strip"`` (default) reads a SMILES whose stereo marks the
    model never saw as its stereo-free form, and isotope labels and explicit
    hydrogen atoms as plain atoms (:mod:`chemexplain.chem.notation`; the row's
    ``warning`` says so, and atom indices stay the input's); ``"error"``
    refuses such a row, naming the unknown characters.

    ``method``: None (default: ``"shapley"`` when ``shapley`` is given or the
    model folder has one, else ``"mask"``), ``"mask"`` (the explanation
    mask), ``"shapley"`` (the amortized Shapley explainer ``shapley``, or the
    one stored beside the model in ``shapley/``: signed contributions in one
    forward pass) or
    any name of :data:`chemexplain.attribution.METHODS` (per-atom values from
    :func:`chemexplain.chem.attribute.atom_attributions`, averaged over
    ``spellings`` random spellings when > 0). Returns one
    :class:`Explanation` per input, in input order.
    """
    method = default_method(model, mask, shapley) if method is None else method
    if method == "shapley" and shapley is None:
        shapley = stored_shapley(model)
    model, mask = _resolve(model, mask, need_mask=method == "mask")
    if on_unknown not in ("strip", "error"):
        raise ValueError("on_unknown must be 'strip' or 'error'")
    checked = [_check(s, model, standardize, max_length, on_unknown) for s in smiles]
    out = ExplanationList(
        Explanation(
            input=str(s) if s is not None else "",
            method=method,
            status="ok" if err is None else "error",
            error=err,
        )
        for s, (_, _, err, _) in zip(smiles, checked)
    )
    scheme = model.params_["scheme"]
    # (row, input SMILES, input molecule, form the model reads, its molecule, its tokens)
    mapped = []
    for row, (s, mol, err, form) in enumerate(checked):
        if err is not None:
            continue
        try:
            read_mol = parse_smiles(form.smiles) if form.changed else mol
            tokens = tokenize(form.smiles, scheme, mol=read_mol)
        except InvalidSmilesError as error:  # RDKit parses it, the atom map does not
            out[row].status, out[row].error = "error", f"cannot map tokens to atoms: {error.reason}"
            continue
        mapped.append((row, s, mol, form, read_mol, tokens))
    if not mapped:
        return out
    good = [form.smiles for _, _, _, form, _, _ in mapped]
    outputs = model._averaged_outputs(good, n_test_augment)
    spreads = np.full(len(good), np.nan)
    if hasattr(model, "member_predictions"):  # an ensemble: the members' spread
        spreads = model.member_predictions(good, n_test_augment).std(0, ddof=1)
    if model.task == "regression":
        predictions, units = model.inverse_transform_target(outputs), _units(model)
    else:
        predictions, units = 1.0 / (1.0 + np.exp(-outputs)), "probability of class 1"
    if method == "mask":
        token_weights = mask.token_weights(good)
        values = [
            atom_scores_from_tokens(tokens, w, read_mol.GetNumAtoms(), aggregate="mean")
            for (_, _, _, _, read_mol, tokens), w in zip(mapped, token_weights)
        ]
        references = np.full(len(good), np.nan)
    elif method == "shapley":
        # the explainer reuses the prediction as v(all) when it is from the SMILES as written
        as_written = n_test_augment == 0 and model.task == "regression"
        values, references = shapley.atom_values(good, outputs if as_written else None)
        token_weights = [np.zeros(0)] * len(good)
    else:
        from chemexplain.chem.attribute import atom_attributions

        values, references = atom_attributions(good, model, method, spellings=spellings)
        token_weights = [np.zeros(0)] * len(good)
    signed = method == "shapley" or (method != "mask" and _signed(method))
    domain = getattr(model, "domain_", None)
    if domain is not None:
        similarity, nearest = domain.nearest([mol for _, _, mol, _, _, _ in mapped])
        inside = domain.in_domain(similarity)
    for i, ((row, s, mol, form, _, tokens), prediction, w, v, reference) in enumerate(
        zip(mapped, predictions, token_weights, values, references)
    ):
        out[row].prediction_std = float(spreads[i])
        e = out[row]
        e.smiles, e.prediction, e.units, e.token_weights = s, float(prediction), units, w
        e.model_smiles, e.warning = form.smiles, form.warning
        e.tokens = [t.text for t in tokens]
        e.atom_symbols = [a.GetSymbol() for a in mol.GetAtoms()]
        e.atom_weights = to_input_atoms(v, form, mol.GetNumAtoms())
        e.canonical_smiles = Chem.MolToSmiles(mol)
        e.method, e.signed, e.reference = method, signed, float(reference)
        if domain is not None:
            e.max_similarity, e.nearest_training_smiles = float(similarity[i]), nearest[i]
            e.in_domain = bool(inside[i])
    return out


def _units(model) -> str:
    data = getattr(model, "data_", None) or {}
    return data.get("units") or data.get("target") or ""


def explain(
    smiles: str | Iterable[str] | pd.DataFrame,
    model=None,
    mask=None,
    *,
    smiles_col: str = "smiles",
    on_invalid: str = "raise",
    method: str | None = None,
    spellings: int = 0,
    shapley=None,
    standardize: bool = False,
    n_test_augment: int | None = 0,
    on_unknown: str = "strip",
) -> Explanation | ExplanationList:
    """Predict and explain one SMILES, a list of them, or a DataFrame's ``smiles_col``.

    Parameters
    ----------
    model, mask : None for the bundled ESOL model (:func:`chemexplain.pretrained`),
        a ``(model, mask)`` pair, or a directory laid out like the bundled one.
    on_invalid : for a single string an invalid SMILES always raises
        :class:`InvalidSmilesError`; for many, ``"raise"`` raises on the first
        bad row (naming it), ``"skip"`` leaves bad rows out, ``"nan"`` keeps
        them as error rows (NaN prediction, ``status="error"``).
    method : None (default: ``"shapley"``, the amortized explainer's signed
        contributions, when the model has one, else ``"mask"``), ``"mask"``,
        ``"shapley"`` or any name of ``chemexplain.attribution.METHODS``
        (``"integrated_gradients"``, ``"occlusion"``, ...); signed methods give
        each atom its contribution in the target's units, drawn on a diverging scale.
    spellings : average a method's values over this many random spellings too.
    shapley : a fitted :class:`~chemexplain.chem.shapley.SmilesShapley` for
        ``method="shapley"`` (default: the one stored beside the model).
    standardize : keep the largest fragment and neutralize charges first.
    on_unknown : ``"strip"`` (default): a SMILES with stereo marks the model never
        saw is read as its stereo-free form (isotope labels and explicit hydrogen
        atoms as plain atoms), with a ``warning``; atom indices stay the input's.
        ``"error"``: such a SMILES is refused, as before.
    n_test_augment : test-time SMILES averaging of the prediction: 0 (default,
        as ``chemexplain explain`` and ``score``) predicts from the given SMILES
        only; M averages it with M random spellings drawn from a seed fixed per
        molecule; None takes the model's own setting (what ``predict`` uses).

    Returns
    -------
    An :class:`Explanation` for a string, else an :class:`ExplanationList`.
    """
    if on_invalid not in ("raise", "skip", "nan"):
        raise ValueError("on_invalid must be 'raise', 'skip' or 'nan'")
    single = isinstance(smiles, str)
    if single:
        items = [smiles]
    elif isinstance(smiles, pd.DataFrame):
        items = smiles[smiles_col].tolist()
    else:
        items = list(smiles)
    results = explain_batch(
        items,
        model,
        mask,
        method=method,
        spellings=spellings,
        shapley=shapley,
        standardize=standardize,
        n_test_augment=n_test_augment,
        on_unknown=on_unknown,
    )
    if single or on_invalid == "raise":
        for row, e in enumerate(results):
            if not e.ok:
                raise InvalidSmilesError(e.input, e.error, None if single else row)
    if single:
        return results[0]
    if on_invalid == "skip":
        return ExplanationList(e for e in results if e.ok)
    return results
