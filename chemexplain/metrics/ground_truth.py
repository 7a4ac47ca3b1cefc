"""Agreement with a known per-atom ground truth, with bootstrap confidence intervals (numpy).

taus = per_molecule_kendall(attributions, truths)          # one tau per molecule
mean, (low, high) = bootstrap_ci(taus)                     # 95% CI over molecules
d = per_molecule_kendall(attributions, truths, statistic="somers_d")  # pairs the truth orders
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import kendalltau

__all__ = [
    "bootstrap_ci",
    "kendall_ceiling",
    "paired_kendall",
    "per_molecule_kendall",
]


def _rankable(values, truths, absolute: bool, min_atoms: int):
    """(values, truths) of each molecule that can be ranked against its truth: at least
    ``min_atoms`` atoms, neither side all equal; as ``|.|`` when ``absolute``."""
    for v, t in zip(values, truths, strict=True):
        v, t = np.asarray(v, dtype=float), np.asarray(t, dtype=float)
        if v.shape != t.shape:
            raise ValueError(f"values and truths differ in length: {v.shape} vs {t.shape}")
        if absolute:
            v, t = np.abs(v), np.abs(t)
        if len(v) >= min_atoms and np.ptp(v) > 0 and np.ptp(t) > 0:
            yield v, t


def _somers_d(v: np.ndarray, t: np.ndarray) -> float:
    """Somers' D of ``v`` given ``t``: over the pairs ``t`` orders, (concordant - discordant)
    / their number; a pair ``v`` ties counts 0."""
    upper = np.triu_indices(len(v), 1)
    by_values = np.sign(v[:, None] - v[None, :])[upper]
    by_truth = np.sign(t[:, None] - t[None, :])[upper]
    ordered = by_truth != 0
    return float((by_values[ordered] * by_truth[ordered]).sum() / ordered.sum())


#: statistic name -> f(values, truths) of one molecule, for :func:`per_molecule_kendall`
_STATISTICS = {
    "tau_b": lambda v, t: float(kendalltau(v, t).statistic),
    "somers_d": _somers_d,
}


def per_molecule_kendall(
    values: Sequence[np.ndarray],
    truths: Sequence[np.ndarray],
    *,
    statistic: str = "tau_b",
    absolute: bool = False,
    min_atoms: int = 3,
) -> np.ndarray:
    """Kendall's rank agreement of each molecule's per-atom values with its true values.

    ``statistic``: ``"tau_b"`` (default, scipy's ``kendalltau``) or ``"somers_d"``:
    over the atom pairs whose true values differ, (concordant - discordant) / their
    number. Unlike tau-b, Somers' D does not count the pairs the truth ties (every
    aromatic carbon worth the same), so values that order every atom the truth
    orders reach 1 (tau-b cannot: :func:`kendall_ceiling`); a pair the values tie
    counts 0. ``absolute``: compare ``|values|`` with ``|truths|`` (for unsigned
    methods). Molecules with fewer than ``min_atoms`` atoms, or whose values or
    truths are all equal (undefined), are left out: the same molecules for both
    statistics. Returns one figure per molecule kept, (n_kept,).
    """
    if statistic not in _STATISTICS:
        raise ValueError(f"statistic={statistic!r}: use one of {', '.join(_STATISTICS)}")
    agreement = _STATISTICS[statistic]
    out = [agreement(v, t) for v, t in _rankable(values, truths, absolute, min_atoms)]
    return np.asarray([x for x in out if np.isfinite(x)])


def kendall_ceiling(truths: Sequence[np.ndarray], *, min_atoms: int = 3) -> np.ndarray:
    """Per molecule, the highest tau-b that values without exact ties can reach against ``truths``.

    Where the truth ties atoms (every aromatic carbon worth the same), a method
    whose values order all atoms, even perfectly within the truth's order,
    cannot reach 1: tau-b = sqrt((n0 - n1) / n0), with n0 = n(n-1)/2 pairs and n1
    the pairs the truth ties. Same molecules as :func:`per_molecule_kendall`
    (at least ``min_atoms`` atoms, truths not all equal). Returns (n_kept,).
    """
    out = []
    for t in truths:
        t = np.asarray(t, dtype=float)
        if len(t) < min_atoms or np.ptp(t) == 0:
            continue
        _, counts = np.unique(t, return_counts=True)
        n0 = len(t) * (len(t) - 1) / 2
        n1 = float((counts * (counts - 1) / 2).sum())
        out.append(np.sqrt((n0 - n1) / n0))
    return np.asarray(out)


def bootstrap_ci(
    samples: Sequence[float], *, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, tuple[float, float]]:
    """Mean of ``samples`` and its percentile bootstrap interval (resampling the samples,
    e.g. molecules, with replacement ``n_boot`` times, seeded)."""
    samples = np.asarray(samples, dtype=float)
    if samples.size == 0:
        return float("nan"), (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = samples[rng.integers(0, samples.size, size=(n_boot, samples.size))].mean(1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(samples.mean()), (float(low), float(high))


def paired_kendall(
    first: Sequence[np.ndarray], second: Sequence[np.ndarray], truths: Sequence[np.ndarray]
) -> dict:
    """Two methods' per-molecule Kendall taus on the molecules where both are defined, and
    their paired difference (first - second) with its bootstrap 95% CI."""
    a, b = [], []
    for x, y, t in zip(first, second, truths, strict=True):
        pair = per_molecule_kendall([x, y], [t, t])
        if pair.size == 2:
            a.append(pair[0])
            b.append(pair[1])
    mean, ci = bootstrap_ci(np.asarray(a) - np.asarray(b))
    return {"n": len(a), "first": float(np.mean(a)), "second": float(np.mean(b)),
            "difference": mean, "ci": list(ci)}  # fmt: skip
