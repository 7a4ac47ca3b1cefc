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
    character weights summed per RDKit atom; only atoms are ranked.

Every accuracy comes with its exact chance level (uniformly random ranking of
the same units) and, when given, the accuracy of a control explanation (the
mask trained over a randomly re-initialized model) and the mean per-molecule
Spearman correlation between the two.

The insoluble half shows little: almost every insoluble molecule is mostly
carbon, so a random top 3 already hits a hydrophobic atom nearly always.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chemexplain.chem.parsing import parse_smiles
from chemexplain.chem.tokenizer import tokenize
from chemexplain.metrics.ranking import chance_top_k, class_contrast, mean_spearman, top_k_accuracy

__all__ = ["HYDROPHILIC", "HYDROPHOBIC", "solubility_groups", "units", "top_k_report"]

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
    """(unit weights, unit is a group member) of one molecule at ``level`` "char" or "atom"."""
    tokens = tokenize(smiles, scheme)
    mol = parse_smiles(smiles)
    symbol = [a.GetSymbol() for a in mol.GetAtoms()]
    token_weights = np.asarray(token_weights, dtype=float)
    if level == "char":
        members = np.array([t.atom is not None and symbol[t.atom] in symbols for t in tokens])
        return token_weights, members
    if level == "atom":
        weights = np.zeros(len(symbol))
        for token, weight in zip(tokens, token_weights, strict=True):
            if token.atom is not None:
                weights[token.atom] += weight
        return weights, np.array([s in symbols for s in symbol])
    raise ValueError("level must be 'char' or 'atom'")


def top_k_report(
    smiles: Sequence[str],
    logS: Sequence[float],
    weights: Sequence[np.ndarray],
    control: Sequence[np.ndarray] | None = None,
    k: int = 3,
    scheme: str = "char",
    reading: str = "corrected",
    random_state: int = 0,
) -> dict:
    """The paper's top-k accuracy per group and level, with chance, control and contrast.

    ``weights`` / ``control``: one token-weight array per SMILES (the mask, and
    the mask trained over a randomized model). Returns
    ``{"top3": {group: {level: {accuracy, chance, randomized, spearman_vs_randomized, n}}},
    "contrast": {"hydrophilic" | "hydrophobic": {level: {mask, random, randomized}}}}``.
    """
    groups = solubility_groups(logS, reading=reading)
    rng = np.random.default_rng(random_state)
    random_weights = [rng.random(len(w)) for w in weights]
    report: dict = {f"top{k}": {}, "contrast": {}, "k": k, "reading": reading}
    for level in ("char", "atom"):
        for group, symbols in GROUP_ATOMS.items():
            rows = np.flatnonzero(groups[group])
            picked = [units(smiles[r], weights[r], symbols, level, scheme) for r in rows]
            entry = {
                "accuracy": top_k_accuracy([w for w, _ in picked], [m for _, m in picked], k),
                "chance": chance_top_k([m for _, m in picked], k),
                "n": int(len(rows)),
            }
            if control is not None:
                ctrl = [units(smiles[r], control[r], symbols, level, scheme)[0] for r in rows]
                entry["randomized"] = top_k_accuracy(ctrl, [m for _, m in picked], k)
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
