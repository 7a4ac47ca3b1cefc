"""The top-k hydrophilic/hydrophobic evaluation of Phillips, Goh & Hodas (2018), with controls.

Groups: *soluble* molecules (logS >= -1.0 log10 mol/L) should rank a
hydrophilic atom (O, N; aromatic o, n included) in their top k; *insoluble*
molecules (logS <= -5.0) a hydrophobic one (C, F, Cl, Br, I; aromatic c
included). The paper prints the two inequalities reversed (soluble: logS < -1,
insoluble: logS > -5), which selects almost the whole dataset; we read them as
above, and ``reading="printed"`` gives the other.

Two unit levels:

``char``
    units are SMILES characters (as in the paper); a character is a member
    when the atom it belongs to is in the group (both letters of ``Cl``, all
    of ``[nH]``); bonds, branches and digits are never members.
``atom``
    character weights summed per RDKit atom (the reading of round 1); only
    atoms are ranked. Right for additive contributions; for a mask it gives
    ``Cl``, ``Br`` and bracket atoms double or more by construction.
``atom_mean``
    character weights averaged per RDKit atom: what ``explain`` shows for a mask.

Every accuracy comes with its bootstrap 95% CI over molecules, its exact
chance level (uniformly random ranking of the same units), the accuracies of
trivial rules when given (:func:`rule_token_weights`: "O/N first" and an
element-plus-aromaticity lookup table fitted on training labels), and, when
given, the accuracy of a control explanation (the mask trained over a randomly
re-initialized model) and the mean per-molecule Spearman correlation between
the two.

The insoluble half shows little: almost every insoluble molecule is mostly
carbon, so a random top 3 already hits a hydrophobic atom nearly always.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chemexplain.chem.atom_attribution import atom_scores_from_tokens
from chemexplain.chem.ground_truth import AtomTypeLookup
from chemexplain.chem.parsing import atom_symbols, parse_smiles
from chemexplain.chem.tokenizer import tokenize
from chemexplain.metrics.ground_truth import bootstrap_ci
from chemexplain.metrics.prediction import regression_metrics
from chemexplain.metrics.ranking import chance_top_k, class_contrast, mean_spearman, top_k_hit

__all__ = [
    "HYDROPHILIC",
    "HYDROPHOBIC",
    "LEVELS",
    "evaluate",
    "rule_token_weights",
    "solubility_groups",
    "units",
    "top_k_report",
]

#: unit levels of the top-k report (see the module docstring)
LEVELS = ("char", "atom", "atom_mean")

HYDROPHILIC = frozenset({"O", "N"})
HYDROPHOBIC = frozenset({"C", "F", "Cl", "Br", "I"})
GROUP_ATOMS = {"soluble": HYDROPHILIC, "insoluble": HYDROPHOBIC}


def solubility_groups(
    logS: Sequence[float],
    soluble: float = -1.0,
    insoluble: float = -5.0,
    reading: str = "corrected",
) -> dict[str, np.ndarray]:
    """Boolean arrays ``{"soluble", "insoluble"}`` over molecules (see module docstring)."""
    logS = np.asarray(logS, dtype=float)
    if reading == "corrected":
        return {"soluble": logS >= soluble, "insoluble": logS <= insoluble}
    if reading == "printed":
        return {"soluble": logS < soluble, "insoluble": logS > insoluble}
    raise ValueError("reading must be 'corrected' or 'printed'")


def units(
    smiles: str,
    token_weights: np.ndarray,
    symbols: frozenset[str],
    level: str = "atom",
    scheme: str = "char",
) -> tuple[np.ndarray, np.ndarray]:
    """(unit weights, unit is a group member) of one molecule at ``level`` (:data:`LEVELS`)."""
    tokens = tokenize(smiles, scheme)
    mol = parse_smiles(smiles)
    symbol = atom_symbols(mol)
    token_weights = np.asarray(token_weights, dtype=float)
    if level == "char":
        members = np.array([t.atom is not None and symbol[t.atom] in symbols for t in tokens])
        return token_weights, members
    if level in ("atom", "atom_mean"):
        aggregate = "mean" if level == "atom_mean" else "sum"
        weights = atom_scores_from_tokens(tokens, token_weights, len(symbol), "atoms", aggregate)
        return weights, np.array([s in symbols for s in symbol])
    raise ValueError(f"level must be one of {', '.join(LEVELS)}")


def rule_token_weights(
    smiles: Sequence[str],
    train_smiles: Sequence[str],
    train_y: Sequence[float],
    scheme: str = "char",
) -> dict[str, list[np.ndarray]]:
    """Token weights of the two trivial rules an explainer must beat, one array per SMILES.

    ``o_n_first``: 1 on every character of an O or N atom (aromatic included),
    0 elsewhere. ``atom_type_lookup``: every character of an atom gets its
    type's value (element + aromaticity) from :class:`AtomTypeLookup` fitted on
    ``train_smiles`` / ``train_y`` (log10 mol/L for ESOL: hydrophilic types come
    out positive); bond, branch and ring characters get less than any atom.
    """
    lookup = AtomTypeLookup().fit(train_smiles, train_y)
    out: dict[str, list[np.ndarray]] = {"o_n_first": [], "atom_type_lookup": []}
    for s, atom_values in zip(smiles, lookup.atom_values(smiles), strict=True):
        mol = parse_smiles(s)
        tokens = tokenize(s, scheme, mol=mol)
        hydrophilic = [a.GetSymbol() in HYDROPHILIC for a in mol.GetAtoms()]
        floor = float(np.min(atom_values)) - 1.0 if len(atom_values) else 0.0
        out["o_n_first"].append(
            np.array([float(t.atom is not None and hydrophilic[t.atom]) for t in tokens])
        )
        out["atom_type_lookup"].append(
            np.array([atom_values[t.atom] if t.atom is not None else floor for t in tokens])
        )
    return out


def _accuracy(weights: Sequence[np.ndarray], members: Sequence[np.ndarray], k: int) -> dict:
    hits = [float(top_k_hit(w, m, k)) for w, m in zip(weights, members, strict=True)]
    mean, (low, high) = bootstrap_ci(hits)
    return {"accuracy": mean, "ci": [low, high]}


def top_k_report(
    smiles: Sequence[str],
    logS: Sequence[float],
    weights: Sequence[np.ndarray],
    control: Sequence[np.ndarray] | None = None,
    k: int = 3,
    scheme: str = "char",
    reading: str = "corrected",
    random_state: int = 0,
    rules: dict[str, Sequence[np.ndarray]] | None = None,
) -> dict:
    """The paper's top-k accuracy per group and level, with CI, chance, rules, control, contrast.

    ``weights`` / ``control``: one token-weight array per SMILES (the mask, and
    the mask trained over a randomized model); ``rules``: token weights of
    trivial rules (:func:`rule_token_weights`), scored the same way. Returns
    ``{"top3": {group: {level: {accuracy, ci, chance, rules: {name: {accuracy, ci}},
    randomized, spearman_vs_randomized, n}}},
    "contrast": {"hydrophilic" | "hydrophobic": {level: {mask, random, randomized}}}}``.
    """
    groups = solubility_groups(logS, reading=reading)
    rng = np.random.default_rng(random_state)
    random_weights = [rng.random(len(w)) for w in weights]
    report: dict = {f"top{k}": {}, "contrast": {}, "k": k, "reading": reading}
    for level in LEVELS:
        for group, symbols in GROUP_ATOMS.items():
            rows = np.flatnonzero(groups[group])
            picked = [units(smiles[r], weights[r], symbols, level, scheme) for r in rows]
            members = [m for _, m in picked]
            entry = {
                **_accuracy([w for w, _ in picked], members, k),
                "chance": chance_top_k(members, k),
                "n": int(len(rows)),
            }
            if rules:
                entry["rules"] = {
                    name: _accuracy(
                        [units(smiles[r], rule[r], symbols, level, scheme)[0] for r in rows],
                        members,
                        k,
                    )
                    for name, rule in rules.items()
                }
            if control is not None:
                ctrl = [units(smiles[r], control[r], symbols, level, scheme)[0] for r in rows]
                entry["randomized"] = _accuracy(ctrl, members, k)["accuracy"]
                entry["spearman_vs_randomized"] = mean_spearman([w for w, _ in picked], ctrl)
            report[f"top{k}"].setdefault(group, {})[level] = entry
        for name, group, other in (
            ("hydrophilic", "soluble", "insoluble"),
            ("hydrophobic", "insoluble", "soluble"),
        ):
            symbols = GROUP_ATOMS[group]
            both = groups[group] | groups[other]
            rows = np.flatnonzero(both)
            members = [units(smiles[r], weights[r], symbols, level, scheme)[1] for r in rows]
            sources = {"mask": weights, "random": random_weights}
            if control is not None:
                sources["randomized"] = control
            values = {}
            for source, source_weights in sources.items():
                unit_w = [
                    units(smiles[r], source_weights[r], symbols, level, scheme)[0] for r in rows
                ]
                values[source] = class_contrast(
                    unit_w, members, groups[group][rows], groups[other][rows]
                )
            report["contrast"].setdefault(name, {})[level] = values
    return report


def evaluate(
    model,
    mask,
    control,
    smiles: Sequence[str],
    y,
    k: int = 3,
    reading: str = "corrected",
    *,
    train_smiles: Sequence[str] | None = None,
    train_y=None,
) -> dict:
    """The full report of one mask on ``smiles`` with measured ``y`` (log10 mol/L).

    ``model`` predicts, ``mask`` (a fitted :class:`~chemexplain.chem.masking.SmilesMask`)
    gives token weights and masked predictions, ``control`` is the same mask
    trained over a randomized model (or None). With ``train_smiles`` and
    ``train_y`` (the model's training split) the trivial rules are scored
    beside it, the lookup table fitted on them.
    """
    weights = mask.token_weights(smiles)
    control_weights = control.token_weights(smiles) if control is not None else None
    flat = np.concatenate(weights)
    report = {
        "n": len(smiles),
        "rmse": {
            "base": regression_metrics(y, model.predict(smiles))["rmse"],
            "masked": regression_metrics(y, mask.predict_masked(smiles))["rmse"],
        },
        "mask_size": {"mean": float(flat.mean()), "fraction_below_0.1": float(np.mean(flat < 0.1))},
    }
    rules = None
    if train_smiles is not None:
        rules = rule_token_weights(
            smiles, train_smiles, np.asarray(train_y, float), scheme=model.params_["scheme"]
        )
    report.update(
        top_k_report(
            smiles,
            y,
            weights,
            control_weights,
            k=k,
            scheme=model.params_["scheme"],
            reading=reading,
            rules=rules,
        )
    )
    return report
