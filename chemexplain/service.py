"""The explain service: SMILES in, :class:`~chemexplain.chem.explanation.Explanation` out.

    import chemexplain as cx
    e = cx.explain("CCO")                 # the bundled ESOL model and its signed explainer
    cx.explain(["CCO", "c1ccccc1"]).to_frame()   # one row per input, in order

It sits above ``models/`` (it loads the bundled model when none is given) and
below ``io/``, ``distributed`` and ``cli/``, which all explain through it.
Every input is checked here, once: an invalid, empty, over-long or
multi-fragment SMILES, or one with an element that no training molecule had,
becomes an error row; stereo marks the model never saw are read stereo-free
(:mod:`chemexplain.chem.notation`); a model trained on random spellings reads
RDKit's canonical SMILES of each molecule, so every spelling gets one answer.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from rdkit import Chem

from chemexplain.chem import MAX_SMILES_LENGTH
from chemexplain.chem.atom_attribution import atom_scores_from_tokens
from chemexplain.chem.explanation import Explanation, ExplanationList
from chemexplain.chem.notation import to_input_atoms
from chemexplain.chem.parsing import atom_symbols, molecule_smiles, parse_smiles, split_cxsmiles
from chemexplain.chem.standardize import (
    atoms_of,
    ion_warning,
    renumber_ion_warning,
    standardize_smiles,
)
from chemexplain.chem.tokenizer import tokenize
from chemexplain.errors import DataFormatError, InvalidSmilesError, ModelFileError

__all__ = [
    "SEVERAL_FRAGMENTS",
    "check_input",
    "default_method",
    "explain",
    "explain_batch",
    "read_form",
    "resolve_model",
    "stored_shapley",
    "unseen_elements_error",
]


def resolve_model(model, mask, need_mask: bool = True):
    """(model, mask) from None (bundled), a Pretrained pair, a directory or objects.

    A directory is a bare model folder or one with ``model/`` (see
    :func:`~chemexplain.models.pretrained.pretrained`). With ``need_mask=False`` a
    model alone is enough (mask None); else a missing mask is one ``ModelFileError``.
    """
    if mask is not None:
        return model, mask
    if not need_mask and hasattr(model, "module_"):
        return model, None
    from chemexplain.models.pretrained import pretrained

    if model is None or isinstance(model, str) or hasattr(model, "__fspath__"):
        pair = pretrained(model)
        if need_mask and pair.mask is None:
            raise ModelFileError(
                f"{pair.directory} has no explanation mask (mask/): choose another --method "
                "(shapley, with shapley/ there, or an attribution method such as "
                "integrated_gradients), or train one with 'chemexplain fit-mask'"
            )
        return pair.model, pair.mask
    if isinstance(model, tuple) or hasattr(model, "mask"):
        return tuple(model)
    known, folder = _model_folder(model)
    if known:  # the object pretrained() loaded: its folder's mask
        return resolve_model(folder, None, need_mask)
    raise TypeError("pass model=None (bundled), a (model, mask) pair or a directory")


def _signed(method: str) -> bool:
    from chemexplain.chem.attribute import is_signed

    return is_signed(method)


#: what a chemist sees from a model with neither explainer of its own: signed, per atom,
#: nothing to train (docs/attribution_guide.md, "a model with no explainer trained for it")
FALLBACK_METHOD = "occlusion"


def _model_folder(model) -> tuple[bool, str | os.PathLike | None]:
    """(whether the model's folder is known, that folder): a folder given as such (None:
    the bundled one), or the one :func:`~chemexplain.models.pretrained.pretrained`
    loaded this object, or this ``Pretrained`` pair, from."""
    if model is None or isinstance(model, str) or hasattr(model, "__fspath__"):
        return True, model
    from chemexplain.models.pretrained import loaded_from

    folder = loaded_from(model)
    return folder is not None, folder


def default_method(model=None, mask=None, shapley=None) -> str:
    """The explanation a chemist sees when none is named: ``"shapley"`` (signed
    contributions) when an amortized explainer is given or stored beside the model
    (``shapley/`` in its folder, or the bundled one, also when the model is given as
    the object ``pretrained()`` loaded); else ``"mask"`` when a mask is given or stored
    (``mask/``); else :data:`FALLBACK_METHOD` (a bare model folder, or a model object
    trained or loaded otherwise)."""
    if shapley is not None:
        return "shapley"
    if mask is not None:
        return "mask"
    known, folder = _model_folder(model)
    if known:
        from chemexplain.models.pretrained import pretrained, pretrained_shapley

        if pretrained_shapley(folder) is not None:
            return "shapley"
        return "mask" if pretrained(folder).mask is not None else FALLBACK_METHOD
    if isinstance(model, tuple) or hasattr(model, "mask"):  # a (model, mask) pair
        return "mask" if tuple(model)[1] is not None else FALLBACK_METHOD
    return FALLBACK_METHOD


def check_method(method: str) -> None:
    """``ValueError`` naming every choice unless ``method`` is one."""
    from chemexplain.attribution import METHODS

    if method not in ("shapley", "mask", *METHODS):
        raise ValueError(
            f"unknown method {method!r}; use 'shapley', 'mask' or one of "
            + ", ".join(sorted(METHODS))
        )


def stored_shapley(model):
    """The amortized explainer stored beside a model directory (or the bundled one)."""
    from chemexplain.models.pretrained import pretrained_shapley

    known, folder = _model_folder(model)
    if known:
        stored = pretrained_shapley(folder)
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
    smiles, mol, error = check_input(smiles, standardize, max_length)
    if error is not None:
        return None, None, error, None
    unseen = model.unseen_elements(mol)
    if unseen:
        return None, None, unseen_elements_error(unseen), None
    form, error = read_form(model, smiles, mol, on_unknown)
    if error is not None:
        return None, None, error, None
    return smiles, mol, None, form


def read_form(model, smiles: str, mol=None, on_unknown: str = "strip"):
    """``(what the model reads of a valid SMILES, None)``, or ``(None, reason)`` when it
    holds characters the model never saw. ``on_unknown="error"`` (``--strict``) keeps
    stereo marks, so an unknown '@' is refused, but still reads isotope labels and explicit
    hydrogens as plain atoms, and Kekulé rings as aromatic."""
    form = model.readable_form(
        smiles, mol, keep_stereo=on_unknown == "error", canonical=model.reads_canonical()
    )
    unknown = model.encode([form.smiles])[1][0]
    if unknown:
        return None, f"characters this model never saw: {''.join(sorted(set(unknown)))!r}"
    return form, None


#: the error row of a SMILES of several fragments (a salt, a hydrate, a mixture): a model
#: of single molecules would read the counter-ion as a substituent ('Cl.CN1CCC...')
SEVERAL_FRAGMENTS = "several fragments (a salt or mixture): pass standardize=True / --standardize"


def unseen_elements_error(unseen: list[str]) -> str:
    """The error row's reason for a molecule with elements no training molecule had."""
    if unseen == ["H"]:  # see chem.parsing.elements
        return "no heavy atom: the model reads a molecule by its heavy atoms"
    if "*" in unseen:  # R-groups and attachment points of fragments
        return "a dummy atom '*' (an attachment point) is no atom the model can read: cap it first"
    return f"elements this model never saw in training: {', '.join(unseen)}"


def check_input(smiles, standardize: bool, max_length: int):
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
    written = split_cxsmiles(smiles)[0]  # a CXSMILES' coordinates are no fragments
    if len(written) > max_length:
        return None, None, f"over-long SMILES: {len(written)} characters (limit {max_length})"
    if "." in written:
        return None, None, SEVERAL_FRAGMENTS
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
    model folder has one, else ``"mask"`` when it has a mask, else ``"occlusion"``),
    ``"mask"`` (the explanation
    mask), ``"shapley"`` (the amortized Shapley explainer ``shapley``, or the
    one stored beside the model in ``shapley/``: signed contributions in one
    forward pass) or
    any name of :data:`chemexplain.attribution.METHODS` (per-atom values from
    :func:`chemexplain.chem.attribute.atom_attributions`, averaged over
    ``spellings`` random spellings when > 0). Returns one
    :class:`Explanation` per input, in input order.
    """
    method = default_method(model, mask, shapley) if method is None else method
    check_method(method)
    if method == "shapley" and shapley is None:
        shapley = stored_shapley(model)
    model, mask = resolve_model(model, mask, need_mask=method == "mask")
    if on_unknown not in ("strip", "error"):
        raise ValueError("on_unknown must be 'strip' or 'error'")
    smiles, given = _molecules_as_smiles(smiles)
    checked = [_check(s, model, standardize, max_length, on_unknown) for s in smiles]
    out = ExplanationList(
        Explanation(
            input=s if isinstance(s, str) else "",  # not "nan" for a missing value
            method=method,
            status="ok" if err is None else "error",
            error=err,
        )
        for s, (_, _, err, _) in zip(smiles, checked)
    )
    for row, (_, reason) in given.items():
        if reason:
            out[row].status, out[row].error = "error", reason
    scheme = model.params_["scheme"]
    # (row, input SMILES, input molecule, form the model reads, its molecule, its tokens)
    mapped = []
    for row, (s, mol, err, form) in enumerate(checked):
        if err is not None:
            continue
        try:
            read_mol = form.mol  # what the model reads, when the rewrite has it already
            if read_mol is None:
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
    if hasattr(model, "member_predictions"):  # an ensemble: its calibrated spread
        spreads = model.spread(good)
    if model.task == "regression":
        predictions, units = model.inverse_transform_target(outputs), _units(model)
        value_units = units
    else:  # the methods explain the network's output, the logit
        predictions, units = model.proba_from_outputs(outputs), "probability of class 1"
        value_units = LOGIT_UNITS
    if method == "mask":
        token_weights = mask.token_weights(good)
        values = [
            atom_scores_from_tokens(tokens, w, read_mol.GetNumAtoms(), aggregate="mean")
            for (_, _, _, _, read_mol, tokens), w in zip(mapped, token_weights)
        ]
        references = np.full(len(good), np.nan)
    elif method == "shapley":
        # v(all) is the prediction shown (averaged over spellings or members, or not), so
        # the contributions add up to it
        values, references = shapley.atom_values(good, outputs, [(m[4], m[5]) for m in mapped])
        token_weights = [np.zeros(0)] * len(good)
    else:
        from chemexplain.chem.attribute import atom_attributions

        values, references = atom_attributions(good, model, method, spellings=spellings)
        token_weights = [np.zeros(0)] * len(good)
        if not _predicts_as_written(model, n_test_augment):
            # the values explain one network on the SMILES as written, and add up to its
            # output, not to the averaged prediction: no reference is claimed
            references = np.full(len(good), np.nan)
    signed = method == "shapley" or (method != "mask" and _signed(method))
    domain = getattr(model, "domain_", None)
    if domain is not None:
        # what the model reads: an isotope label would change the fingerprint, not the input
        read_mols = [read_mol for _, _, _, _, read_mol, _ in mapped]
        similarity, nearest = domain.nearest(read_mols)
        inside = domain.in_domain(similarity, [m.GetNumHeavyAtoms() for m in read_mols])
    for i, ((row, s, mol, form, read_mol, tokens), prediction, w, v, reference) in enumerate(
        zip(mapped, predictions, token_weights, values, references)
    ):
        out[row].prediction_std = float(spreads[i])
        e = out[row]
        e.smiles, e.prediction, e.units, e.token_weights = s, float(prediction), units, w
        e.model_smiles, e.warning = form.smiles, form.warning
        e.tokens = [t.text for t in tokens]
        e.atom_symbols = atom_symbols(mol)
        e.atom_weights = to_input_atoms(v, form, mol.GetNumAtoms())
        e.canonical_smiles = form.input_canonical or Chem.MolToSmiles(mol)
        e.method, e.signed, e.reference = method, signed, float(reference)
        e.value_units = value_units if method != "mask" else ""
        if domain is not None:
            e.max_similarity, e.nearest_training_smiles = float(similarity[i]), nearest[i]
            e.in_domain = bool(inside[i])
            ions = "" if domain.saw_ions() else ion_warning(mol, standardized=standardize)
            size = domain.size_warning(read_mol)  # the molecule in_domain judged
            e.warning = "; ".join(filter(None, [e.warning, ions, size]))
    for row, (heavy, _) in given.items():
        if out[row].ok:
            _to_molecule_order(out[row], heavy)
    return out


def _molecules_as_smiles(items: Sequence) -> tuple[list, dict]:
    """``items`` with each RDKit molecule replaced by its SMILES, and per such row
    ``(the molecule without hydrogens, error or "")``."""
    smiles, given = list(items), {}
    for row, item in enumerate(items):
        if isinstance(item, Chem.Mol):
            try:
                smiles[row], heavy = molecule_smiles(item)
                given[row] = (heavy, "")
            except InvalidSmilesError as error:
                smiles[row], given[row] = "", (None, error.reason)
    return smiles, given


def _to_molecule_order(e: Explanation, heavy: Chem.Mol) -> None:
    """Renumber ``e`` (explained from RDKit's SMILES of ``heavy``, or with ``standardize``
    of its largest fragment, neutralized) to the atoms of ``heavy``; a counter-ion's atoms
    get 0. Left as it is (indices of ``e.smiles``) where the atoms cannot be found."""
    numbers = atoms_of(heavy, e.smiles)
    if numbers is None:
        return
    weights = np.zeros(heavy.GetNumAtoms())
    weights[numbers] = np.asarray(e.atom_weights, dtype=np.float64)
    e.warning = renumber_ion_warning(e.warning, e.mol, numbers)  # e.mol: still e.smiles'
    e.atom_weights = weights
    e.atom_symbols = [atom.GetSymbol() for atom in heavy.GetAtoms()]
    e.given_mol = heavy


def _predicts_as_written(model, n_test_augment: int | None) -> bool:
    """Whether the prediction shown is one network's output for the SMILES as written: no
    test-time spellings, not an ensemble's mean (whose explanations are member 0's)."""
    m = model.params_["n_test_augment"] if n_test_augment is None else n_test_augment
    return not m and not hasattr(model, "member_predictions")


#: what a classifier's per-atom values and reference are in (its prediction is a probability)
LOGIT_UNITS = "log-odds of class 1"


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

    An RDKit molecule (``Chem.Mol``) may stand in for any SMILES, also in a list or a
    DataFrame column (``smiles_col="ROMol"`` of RDKit's ``PandasTools.LoadSDF``): it is
    explained from RDKit's SMILES of it, and its values follow the molecule's own atom
    indices (hydrogens removed; ``e.mol`` is that molecule, and ``e.view3d()`` shows its
    own 3D coordinates when it has them; with ``standardize``, a counter-ion's atoms get 0).

    Parameters
    ----------
    model, mask : None for the bundled ESOL model (:func:`chemexplain.pretrained`),
        a ``(model, mask)`` pair, or a directory laid out like the bundled one.
    on_invalid : for a single string an invalid SMILES always raises
        :class:`InvalidSmilesError`; for many, ``"raise"`` raises on the first
        bad row (naming it), ``"skip"`` leaves bad rows out, ``"nan"`` keeps
        them as error rows (NaN prediction, ``status="error"``).
    method : None (default: ``"shapley"``, the amortized explainer's signed
        contributions, when the model has one, else ``"mask"`` when it has a mask,
        else ``"occlusion"``, which needs nothing trained), ``"mask"``,
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
        as ``chemexplain explain`` and ``score``) predicts from the one spelling the
        model reads (``model_smiles``: RDKit's canonical SMILES for a model trained
        on random spellings, so every spelling of a molecule gets one prediction;
        else the SMILES as given, see ``reads_canonical``); M averages it with M
        random spellings drawn from a seed fixed per molecule; None takes the
        model's own setting (what ``predict`` uses).

    Returns
    -------
    An :class:`Explanation` for a string, else an :class:`ExplanationList`.
    """
    if on_invalid not in ("raise", "skip", "nan"):
        raise ValueError("on_invalid must be 'raise', 'skip' or 'nan'")
    single = isinstance(smiles, (str, Chem.Mol))
    if single:
        items = [smiles]
    elif isinstance(smiles, pd.DataFrame):
        if smiles_col not in smiles.columns:
            raise DataFormatError(
                f"the DataFrame has no column {smiles_col!r}; its columns are "
                f"{[str(c) for c in smiles.columns]} (choose with smiles_col=...)"
            )
        items = smiles[smiles_col].tolist()
    elif isinstance(smiles, Iterable):
        items = list(smiles)
    else:
        raise TypeError(
            "explain takes a SMILES string or RDKit molecule, a list of them or a DataFrame, "
            f"not {type(smiles).__name__}"
        )
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
        labels = smiles.index if isinstance(smiles, pd.DataFrame) else range(len(results))
        for row, e in zip(labels, results):
            if not e.ok:
                reason = e.error if single else f"{e.error} (on_invalid='nan' keeps every row)"
                raise InvalidSmilesError(e.input, reason, None if single else row)
    if single:
        return results[0]
    index = smiles.index if isinstance(smiles, pd.DataFrame) else None
    if on_invalid == "skip":
        kept = [row for row, e in enumerate(results) if e.ok]
        results = ExplanationList(results[row] for row in kept)
        index = index[kept] if index is not None else None
    results.index = index
    return results
