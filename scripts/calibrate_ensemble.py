"""Ensemble calibration measured by scaffold cross-validation on ESOL.

    python scripts/calibrate_ensemble.py                 # paper config, 5 folds x 5 members, ~50 min, 1 thread
    python scripts/calibrate_ensemble.py --from-json     # re-read benchmarks/ensemble_cv.json

ESOL is cut into the 5 scaffold folds of ``scripts/calibrate_domain.py``
(DeepChem ``ScaffoldSplitter.k_fold_split``). For each fold, a
``SmilesEnsemble`` (``--config``, ``--members`` members, seeds 0..) is trained
on the other folds; a seeded 10% of them is its validation set, used for early
stopping and, as ``fit`` does, for the split-conformal scale of the spread.
On the held-out fold: the prediction (the model's own test-time averaging)
and ``predict_std``, the library's spread (members x 10 spellings pooled,
scaled on that validation set). Beside it, the members' own std and
1 - the nearest training molecule's Tanimoto similarity (unscaled; only the
Spearman is read from them).

Reported per fold and pooled: the fraction of errors within ±1.96 x
``predict_std`` (the aim is 0.95) and the Spearman of |error| with the
spread. DeepChem's scaffold folds put every acyclic molecule in one fold;
the pooled figures are also given without it.

Could another spread pass? ``cross_fitted`` (also with ``--from-json``, no
training) fits each form of :data:`SPREADS` by Gaussian likelihood to the
errors of the *other* folds and scores it on the held-out fold; beside it, the
same form fitted to every fold at once (in-sample, an upper bound). The other
folds' errors come from models that saw the held-out fold, so this flatters
the spread; no calibration set drawn from the training molecules could do better.

Writes ``benchmarks/ensemble_cv.json`` (per-molecule figures kept) and the
"Ensemble calibration" table of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors
from scipy.optimize import minimize
from scipy.stats import spearmanr

import chemexplain as cx
from chemexplain.chem.domain import ApplicabilityDomain
from chemexplain.data.splits import scaffold_folds
from chemexplain.io.markdown_blocks import replace_block

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "ensemble_cv.json"
README = ROOT / "benchmarks" / "README.md"


def rmse(errors: np.ndarray) -> float:
    return float(np.sqrt(np.mean(errors**2))) if errors.size else float("nan")


def figures(errors: np.ndarray, std: np.ndarray, members_std, dissimilarity) -> dict:
    """Coverage of ±1.96 std and Spearmans of |error| with each spread, for one group."""
    spearman = lambda v: float(spearmanr(np.abs(errors), v).statistic)  # noqa: E731
    return {
        "n": int(errors.size),
        "rmse": rmse(errors),
        "coverage_1.96_std": float(np.mean(np.abs(errors) <= 1.96 * std)),
        "spearman_abs_error_std": spearman(std),
        "spearman_members_std": spearman(members_std),
        "spearman_dissimilarity": spearman(dissimilarity),
    }


#: spread forms for ``cross_fitted``: name -> (parameters, formula, spread), where
#: spread(p, raw, d) maps the library's unscaled spread ``raw`` (members x spellings) and
#: the dissimilarity ``d`` (1 - max Tanimoto) to a standard deviation, log10 mol/L
SPREADS = {
    "scaled spread": (1, "a · raw", lambda p, raw, d: np.exp(p[0]) * raw),
    "spread and dissimilarity": (
        3,
        "√(a · raw² + b · d² + c)",
        lambda p, raw, d: np.sqrt(np.exp(p[0]) * raw**2 + np.exp(p[1]) * d**2 + np.exp(p[2])),
    ),
    "dissimilarity alone": (2, "exp(a + b · d)", lambda p, raw, d: np.exp(p[0] + p[1] * d)),
}


def fit_spread(form: str, errors: np.ndarray, raw: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Parameters of ``SPREADS[form]`` that maximize the Gaussian likelihood of ``errors``."""
    n_params, _, spread = SPREADS[form]

    def nll(p):
        sigma = spread(p, raw, d)
        return float(np.mean(np.log(sigma) + 0.5 * (errors / sigma) ** 2))

    return minimize(nll, np.zeros(n_params), method="Nelder-Mead", options={"maxiter": 4000}).x


def meets_aim(fit: dict) -> bool:
    """Issue 13's calibration aim on the pooled folds: coverage 0.85-0.99, Spearman >= 0.2."""
    pooled = fit["pooled"]
    return 0.85 <= pooled["coverage_1.96_std"] <= 0.99 and pooled["spearman_abs_error_std"] >= 0.2


def cross_fitted(results: dict) -> dict:
    """Coverage and Spearman of each spread form, fitted on the other folds (and in-sample)."""
    pm = results["per_molecule"]
    fold_of = np.array(pm["fold"])
    errors, d = np.array(pm["error"]), np.array(pm["dissimilarity"])
    raw = np.array(pm["std"]) / np.array(results["std_scales"])[fold_of]
    acyclic = fold_of == results["acyclic_fold"]
    groups = {"pooled": fold_of >= 0, "without_acyclic_fold": ~acyclic, "acyclic_fold": acyclic}

    def scores(sigma: np.ndarray) -> dict:
        return {
            group: {
                "coverage_1.96_std": float(np.mean(np.abs(errors[w]) <= 1.96 * sigma[w])),
                "spearman_abs_error_std": float(spearmanr(np.abs(errors[w]), sigma[w]).statistic),
            }
            for group, w in groups.items()
        }

    out = {}
    for form, (_, _, spread) in SPREADS.items():
        held_out = np.zeros(len(errors))
        for k in range(len(results["folds"])):
            here = fold_of == k
            p = fit_spread(form, errors[~here], raw[~here], d[~here])
            held_out[here] = spread(p, raw[here], d[here])
        in_sample = spread(fit_spread(form, errors, raw, d), raw, d)
        out[form] = {"other_folds": scores(held_out), "in_sample": scores(in_sample)}
    return out


def measure(args) -> dict:
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    esol = cx.load_esol()
    smiles, y = esol.smiles.tolist(), esol.logS.to_numpy()
    folds = scaffold_folds(smiles, args.folds)
    n = len(smiles)
    per = {k: np.zeros(n) for k in ("error", "std", "members_std", "dissimilarity")}
    fold_of, scales = np.full(n, -1), []  # -1 until its fold is predicted
    extra = {"max_epochs": args.max_epochs} if args.max_epochs else {}
    for k, held_out in enumerate(folds):
        rest = np.array(sorted(set(range(n)) - set(held_out)))
        rest = rest[np.random.default_rng(k).permutation(len(rest))]
        n_val = len(rest) // 10
        val, train = rest[:n_val], rest[n_val:]
        model = cx.SmilesEnsemble(
            args.config, n_members=args.members, random_state=0, estimator_params=extra
        )
        model.fit([smiles[i] for i in train], y[train], [smiles[i] for i in val], y[val])
        test = [smiles[i] for i in held_out]
        domain = ApplicabilityDomain().fit([smiles[i] for i in train])
        similarity, _ = domain.nearest([Chem.MolFromSmiles(s) for s in test])
        per["error"][held_out] = model.predict(test) - y[held_out]
        per["std"][held_out] = model.predict_std(test)
        per["members_std"][held_out] = model.member_predictions(test).std(0, ddof=1)
        per["dissimilarity"][held_out] = 1.0 - similarity
        fold_of[held_out] = k
        scales.append(model.std_scale_)
        here = fold_of == k
        print(
            f"fold {k}: {len(held_out)} molecules, RMSE {rmse(per['error'][here]):.3f}, "
            f"coverage {np.mean(np.abs(per['error'][here]) <= 1.96 * per['std'][here]):.2f}, "
            f"scale {model.std_scale_:.2f}, {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    return {
        "config": args.config,
        "members": args.members,
        "folds": [len(f) for f in folds],
        "std_scales": scales,
        "seconds": time.perf_counter() - started,
        "threads": args.threads,
        "per_molecule": {"fold": fold_of.tolist(), **{k: v.tolist() for k, v in per.items()}},
    }


def summarize(results: dict, smiles: list[str]) -> dict:
    pm = results["per_molecule"]
    fold_of = np.array(pm["fold"])
    arrays = {k: np.array(pm[k]) for k in ("error", "std", "members_std", "dissimilarity")}
    pick = lambda where: figures(*(arrays[k][where] for k in arrays))  # noqa: E731
    acyclic = np.array([rdMolDescriptors.CalcNumRings(Chem.MolFromSmiles(s)) == 0 for s in smiles])
    acyclic_fold = int(np.bincount(fold_of[acyclic]).argmax())
    summary = {
        "per_fold": [pick(fold_of == k) for k in range(len(results["folds"]))],
        "pooled": pick(np.ones(len(fold_of), bool)),
        "acyclic_fold": acyclic_fold,
        "pooled_without_acyclic_fold": pick(fold_of != acyclic_fold),
    }
    summary["cross_fitted"] = cross_fitted({**results, **summary})
    return {**results, **summary}


def table(r: dict) -> str:
    lines = [
        "## Ensemble calibration: scaffold cross-validation",
        "",
        "Reproduce: `python scripts/calibrate_ensemble.py` (writes `benchmarks/ensemble_cv.json`; "
        f"{r['seconds'] / 60:.0f} min on {r['threads']} thread). ESOL in the 5 scaffold folds of "
        f"the applicability-domain table; for each fold an ensemble of {r['members']} "
        f"`{r['config']}` members is trained on the other folds, its spread scaled on a seeded 10% "
        "of them (split-conformal, as `fit` does), and it predicts the held-out fold. Coverage: "
        "fraction of errors within ±1.96 × `predict_std` (aim 0.95). Spearman: |error| against "
        "the spread; beside it, against the members' own std and against 1 - max Tanimoto to the "
        "training molecules.",
        "",
        "| fold | n | RMSE | conformal scale | coverage | Spearman, `predict_std` "
        "| Spearman, members' std | Spearman, dissimilarity |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = [(str(k), f, f"{s:.2f}") for k, (f, s) in enumerate(zip(r["per_fold"], r["std_scales"]))]
    rows += [
        ("**pooled**", r["pooled"], ""),
        (
            f"pooled without fold {r['acyclic_fold']} (all acyclic)",
            r["pooled_without_acyclic_fold"],
            "",
        ),
    ]
    for name, f, scale in rows:
        lines.append(
            f"| {name} | {f['n']} | {f['rmse']:.3f} | {scale} | **{f['coverage_1.96_std']:.2f}** | "
            f"**{f['spearman_abs_error_std']:.2f}** | {f['spearman_members_std']:.2f} | "
            f"{f['spearman_dissimilarity']:.2f} |"
        )
    lines += [
        "",
        "Could another spread pass? Each form below is fitted by Gaussian likelihood to the "
        "out-of-fold errors of the other four folds and judged on the held-out one (`raw`: the "
        "spread above before its conformal scale; `d`: 1 - max Tanimoto); in-sample: fitted to "
        "all five folds at once. The other folds' errors come from models that saw the held-out "
        "fold, so these figures flatter the spread. Same command (or `--from-json`, no training).",
        "",
        "| spread σ | fitted on | coverage, pooled | Spearman, pooled | coverage, acyclic fold "
        "| coverage without it | Spearman without it |",
        "|---|---|---|---|---|---|---|",
    ]
    for form, fits in r["cross_fitted"].items():
        for fitted, f in fits.items():
            pooled, rest = f["pooled"], f["without_acyclic_fold"]
            lines.append(
                f"| {form}: {SPREADS[form][1]} | {fitted.replace('_', ' ')} | "
                f"{pooled['coverage_1.96_std']:.2f} | {pooled['spearman_abs_error_std']:.2f} | "
                f"{f['acyclic_fold']['coverage_1.96_std']:.2f} | {rest['coverage_1.96_std']:.2f} | "
                f"{rest['spearman_abs_error_std']:.2f} |"
            )
    fits = r["cross_fitted"]
    held_out = [f["other_folds"]["pooled"] for f in fits.values()]
    passing = [form for form, f in fits.items() if meets_aim(f["other_folds"])]
    alone = fits["dissimilarity alone"]["in_sample"]["pooled"]
    ring_best = max(
        f["in_sample"]["without_acyclic_fold"]["spearman_abs_error_std"] for f in fits.values()
    )
    verb = "meet" if len(passing) > 1 else "meets"
    summary = (
        f"Fitted on the other folds, {', '.join(passing) or 'no form'} {verb} the aim (coverage "
        "0.85-0.99 and Spearman ≥ 0.2, pooled): the best pooled coverage is "
        f"{max(f['coverage_1.96_std'] for f in held_out):.2f} and the best pooled Spearman "
        f"{max(f['spearman_abs_error_std'] for f in held_out):.2f}. In-sample, dissimilarity "
        f"alone reaches pooled coverage {alone['coverage_1.96_std']:.2f} and Spearman "
        f"{alone['spearman_abs_error_std']:.2f}"
    )
    if not passing and meets_aim(fits["dissimilarity alone"]["in_sample"]):
        summary += (
            ": it ranks the acyclic fold's errors, but their size is not learnt from the "
            "ring-bearing folds"
        )
    summary += (
        ". Among ring-bearing molecules the best Spearman of any form, even in-sample, is "
        f"{ring_best:.2f}."
    )
    lines += ["", summary]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--config", default="paper")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, help="cap training (smoke tests)")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--from-json", action="store_true", help="re-read the saved figures")
    args = parser.parse_args(argv)
    smiles = cx.load_esol().smiles.tolist()
    if args.from_json:
        raw = json.loads(RESULTS.read_text())
        raw = {
            k: raw[k]
            for k in (
                "config",
                "members",
                "folds",
                "std_scales",
                "seconds",
                "threads",
                "per_molecule",
            )
        }
    else:
        raw = measure(args)
    results = summarize(raw, smiles)
    print(json.dumps({k: v for k, v in results.items() if k != "per_molecule"}, indent=2))
    if not args.no_save:
        from chemexplain.serialization import write_json

        write_json(RESULTS, results)
        replace_block(README, "ensemble_cv", table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
