"""Ensembles of SMILES2vec: accuracy against their members, and how well the spread predicts the error.

    python scripts/benchmark_ensemble.py --split random     # 5 `paper` members, ~13 min on 1 thread
    python scripts/benchmark_ensemble.py --split scaffold

One ensemble (``--members``, default 5; seeds SEED..SEED+4) is trained on
ESOL's 80/10/10 split (``--split``, ``--seed``) with ``train_on_frame``.
On the test split, SMILES as written (``n_test_augment=0``): the ensemble's
RMSE beside each member's and their mean (log10 mol/L); calibration: the
fraction of test molecules whose error lies within +-1.96 x the members'
sample std, and the Spearman correlation of |error| with that std.

Writes ``benchmarks/ensemble.json`` (one entry per split and config) and the
"Ensembles" table of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

import chemexplain as cx
from chemexplain.io.markdown_blocks import replace_block
from chemexplain.models.training import train_on_frame

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "ensemble.json"
README = ROOT / "benchmarks" / "README.md"


def rmse(errors) -> float:
    return float(np.sqrt(np.mean(np.square(errors))))


def conformal_scale(abs_errors: np.ndarray, spread: np.ndarray, level: float = 0.95) -> float:
    """Factor s such that |error| <= 1.96 * s * spread holds for ``level`` of the molecules.

    Split-conformal with a normalized score: the ceil((n + 1) * level)-th
    smallest of |error| / spread, divided by 1.96.
    """
    scores = np.sort(abs_errors / spread)
    k = min(len(scores), int(np.ceil((len(scores) + 1) * level)))
    return float(scores[k - 1] / 1.96)


def spreads(model, smiles: list[str]) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Members' predictions (model's own test-time setting) and candidate spreads.

    Returns (each (n_members, n), mean (n,), spreads): ``members`` is the
    members' sample std; ``members_x_spellings`` the std over every
    (member, spelling) prediction pooled; ``spellings`` the members' mean
    within-member std over spellings; ``dissimilarity`` 1 - max Tanimoto to
    the training set.
    """
    each = model.member_predictions(smiles)
    pooled = [[] for _ in smiles]
    within = np.zeros((len(model.members_), len(smiles)))
    for k, member in enumerate(model.members_):
        m = member.params_["n_test_augment"] or 10
        raw, owner = member._spelling_outputs(smiles, m)
        values = member.inverse_transform_target(raw)
        for row in range(len(smiles)):
            mine = values[owner == row]
            pooled[row].extend(mine.tolist())
            within[k, row] = mine.std(ddof=1) if len(mine) > 1 else 0.0
    from rdkit import Chem

    similarity, _ = model.domain_.nearest([Chem.MolFromSmiles(s) for s in smiles])
    return (
        each,
        each.mean(0),
        {
            "members": each.std(0, ddof=1),
            "members_x_spellings": np.array([np.std(v, ddof=1) for v in pooled]),
            "spellings": within.mean(0),
            "dissimilarity": np.maximum(1.0 - similarity, 1e-3),  # 0 for a training molecule
        },
    )


def measure(args) -> dict:
    esol = cx.load_esol()
    seconds = None
    if args.reuse_model:
        model = cx.load_model(args.reuse_model)
    else:
        started = time.perf_counter()
        model = train_on_frame(
            esol, "logS", split=args.split, seed=args.seed, config=args.config,
            ensemble=args.members, verbose=False,
            **({"max_epochs": args.max_epochs} if args.max_epochs else {}),
        )  # fmt: skip
        seconds = time.perf_counter() - started
        if args.model_dir:
            model.save(args.model_dir)  # for --reuse-model: re-measure without training again
    y_all = esol.logS.to_numpy()
    parts = {}
    for part in ("val", "test"):
        rows = model.split_[part]
        smiles, y = [esol.smiles[i] for i in rows], y_all[rows]
        each, mean, spread = spreads(model, smiles)
        parts[part] = (y, each, mean, spread)
    y, each, mean, spread = parts["test"]
    val_y, _, val_mean, val_spread = parts["val"]
    errors = mean - y
    members = [rmse(p - y) for p in each]
    uncertainty = {}
    for name, values in spread.items():
        scale = conformal_scale(np.abs(val_mean - val_y), val_spread[name])
        uncertainty[name] = {
            "spearman_test": float(spearmanr(np.abs(errors), values).statistic),
            "spearman_val": float(spearmanr(np.abs(val_mean - val_y), val_spread[name]).statistic),
            "coverage_raw_test": float(np.mean(np.abs(errors) <= 1.96 * values)),
            "val_scale": scale,
            "coverage_scaled_test": float(np.mean(np.abs(errors) <= 1.96 * scale * values)),
        }
    return {
        "split": model.split_["method"],
        "seed": model.split_["seed"],
        "config": model.config,
        "members": len(model.members_),
        "test_molecules": len(y),
        "n_test_augment": model.members_[0].params_["n_test_augment"],
        "ensemble_test_rmse": rmse(errors),
        "members_test_rmse": members,
        "mean_member_test_rmse": float(np.mean(members)),
        "coverage_1.96_std": uncertainty["members"]["coverage_raw_test"],
        "spearman_abs_error_std": uncertainty["members"]["spearman_test"],
        "mean_std": float(spread["members"].mean()),
        "uncertainty": uncertainty,
        "train_seconds": seconds if seconds is not None else model.metrics_["train_seconds"],
        "threads": torch.get_num_threads(),
    }


def table(results: dict) -> str:
    lines = [
        "## Ensembles",
        "",
        "Reproduce: `python scripts/benchmark_ensemble.py --split random|scaffold` (writes "
        "`benchmarks/ensemble.json`). ESOL test split, SMILES as written, log10 mol/L; coverage: "
        "fraction of test errors within ±1.96 × the members' sample std (0.95 if the spread were "
        "a calibrated Gaussian error); Spearman of |error| with that std.",
        "",
        "| split (seed) | config | members | ensemble RMSE | members' RMSE (mean) | coverage ±1.96 std "
        "| Spearman(abs error, std) | train s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        members = ", ".join(f"{v:.3f}" for v in r["members_test_rmse"])
        lines.append(
            f"| {r['split']} ({r['seed']}) | `{r['config']}` | {r['members']} | "
            f"**{r['ensemble_test_rmse']:.3f}** | {members} ({r['mean_member_test_rmse']:.3f}) | "
            f"{r['coverage_1.96_std']:.2f} | {r['spearman_abs_error_std']:.2f} | "
            f"{r['train_seconds']:.0f} ({r['threads']} thread) |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", default="random", choices=["random", "scaffold"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", default="paper")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, help="cap training (smoke tests)")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--model-dir", help="save the trained ensemble here")
    parser.add_argument("--reuse-model", help="measure a saved ensemble instead of training one")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    result = measure(args)
    print(json.dumps(result, indent=2))
    if not args.no_save:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        key = f"{result['split']}_{result['seed']}_{result['config']}_{result['members']}"
        results[key] = result
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")

        replace_block(README, "ensemble", table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
