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
from chemexplain.models.training import train_on_frame

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "ensemble.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def rmse(errors) -> float:
    return float(np.sqrt(np.mean(np.square(errors))))


def measure(args) -> dict:
    esol = cx.load_esol()
    started = time.perf_counter()
    model = train_on_frame(
        esol, "logS", split=args.split, seed=args.seed, config=args.config,
        ensemble=args.members, verbose=False,
        **({"max_epochs": args.max_epochs} if args.max_epochs else {}),
    )  # fmt: skip
    seconds = time.perf_counter() - started
    test = model.split_["test"]
    smiles, y = [esol.smiles[i] for i in test], esol.logS.to_numpy()[test]
    each = model.member_predictions(smiles, n_test_augment=0)
    mean, std = each.mean(0), each.std(0, ddof=1)
    errors = mean - y
    members = [rmse(p - y) for p in each]
    return {
        "split": args.split,
        "seed": args.seed,
        "config": args.config,
        "members": args.members,
        "test_molecules": len(test),
        "ensemble_test_rmse": rmse(errors),
        "members_test_rmse": members,
        "mean_member_test_rmse": float(np.mean(members)),
        "coverage_1.96_std": float(np.mean(np.abs(errors) <= 1.96 * std)),
        "spearman_abs_error_std": float(spearmanr(np.abs(errors), std).statistic),
        "mean_std": float(std.mean()),
        "train_seconds": seconds,
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
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    result = measure(args)
    print(json.dumps(result, indent=2))
    if not args.no_save:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results[f"{args.split}_{args.seed}_{args.config}_{args.members}"] = result
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        from benchmark_esol import update_readme

        update_readme("ensemble", table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
