"""Ensembles of SMILES2vec: accuracy against their members, and how well the spread predicts the error.

    python scripts/benchmark_ensemble.py --split random --config best   # 5 members, ~75 min, 1 thread
    python scripts/benchmark_ensemble.py --split scaffold --config best
    python scripts/benchmark_ensemble.py --reuse-model DIR               # re-measure a saved one

One ensemble (``--members``, default 5; seeds SEED..SEED+4) is trained on
ESOL's 80/10/10 split (``--split``, ``--seed``) with ``train_on_frame``
(``--model-dir`` keeps it). On the test split, with the model's own test-time
averaging (what ``predict`` does): the ensemble's RMSE beside each member's
and their mean (log10 mol/L); the library's spread (``predict_std``: members x
spellings pooled, calibrated on the validation split by split-conformal
scaling) with its 95% interval coverage and the Spearman correlation of
|error| with it. Beside it, every candidate spread, each calibrated on the
validation split the same way: the members' std, members x spellings, the
spellings alone, and 1 - the nearest training molecule's Tanimoto similarity.

Writes ``benchmarks/ensemble.json`` (one entry per split and config), the
"Ensembles" table of ``benchmarks/README.md`` and the ensemble rows of its
ESOL table.
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
from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block
from chemexplain.metrics import conformal_scale
from chemexplain.models.training import train_on_frame

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "ensemble.json"
README = ROOT / "benchmarks" / "README.md"


def rmse(errors) -> float:
    return float(np.sqrt(np.mean(np.square(errors))))


def spreads(model, smiles: list[str]) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Members' predictions (model's own test-time setting) and candidate spreads.

    Returns (each (n_members, n), mean (n,), spreads): ``members`` is the
    members' sample std; ``members_x_spellings`` the std over every
    (member, spelling) prediction pooled; ``spellings`` the members' mean
    within-member std over spellings; ``dissimilarity`` 1 - max Tanimoto to
    the training set.
    """
    each = model.member_predictions(smiles)
    within = np.zeros((len(model.members_), len(smiles)))
    for k, member in enumerate(model.members_):
        raw, owner = member._spelling_outputs(smiles, model.spread_spellings)
        values = member.inverse_transform_target(raw)
        for row in range(len(smiles)):
            mine = values[owner == row]
            within[k, row] = mine.std(ddof=1) if len(mine) > 1 else 0.0
    from rdkit import Chem

    similarity, _ = model.domain_.nearest([Chem.MolFromSmiles(s) for s in smiles])
    floor = 1e-6  # keeps every spread positive: a molecule may have one spelling only
    candidates = {
        "members": each.std(0, ddof=1),
        "members_x_spellings": model.spread(smiles) / model.std_scale_,  # the library's, raw
        "spellings": within.mean(0),
        "dissimilarity": 1.0 - similarity,  # 0 for a training molecule
    }
    return each, each.mean(0), {k: np.maximum(v, floor) for k, v in candidates.items()}


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
    model.spread_spellings = args.spread_spellings  # what the candidates and the library use
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
        scale = conformal_scale(val_mean - val_y, val_spread[name])
        uncertainty[name] = {
            "spearman_test": float(spearmanr(np.abs(errors), values).statistic),
            "spearman_val": float(spearmanr(np.abs(val_mean - val_y), val_spread[name]).statistic),
            "coverage_raw_test": float(np.mean(np.abs(errors) <= 1.96 * values)),
            "val_scale": scale,
            "coverage_scaled_test": float(np.mean(np.abs(errors) <= 1.96 * scale * values)),
        }
    # the library's spread, calibrated on the validation split as fit() does
    model.calibrate_spread([esol.smiles[i] for i in model.split_["val"]], val_y)
    test_std = model.predict_std([esol.smiles[i] for i in model.split_["test"]])
    np.testing.assert_allclose(model.predict([esol.smiles[i] for i in model.split_["test"]]), mean)
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
        "spread": f"members x {args.spread_spellings} spellings, calibrated on val",
        "std_scale": model.std_scale_,
        "coverage_raw_members_std": uncertainty["members"]["coverage_raw_test"],
        "coverage_1.96_std": float(np.mean(np.abs(errors) <= 1.96 * test_std)),
        "spearman_abs_error_std": float(spearmanr(np.abs(errors), test_std).statistic),
        "mean_std": float(test_std.mean()),
        "candidates": uncertainty,
        "train_seconds": seconds if seconds is not None else model.metrics_["train_seconds"],
        "threads": torch.get_num_threads(),
    }


def table(results: dict) -> str:
    lines = [
        "## Ensembles",
        "",
        "Reproduce: `python scripts/benchmark_ensemble.py --split random|scaffold --config best` "
        "(writes `benchmarks/ensemble.json`; `--model-dir DIR` keeps the ensemble, "
        "`--reuse-model DIR` re-measures it). ESOL test split, log10 mol/L, predictions with the "
        "model's own test-time averaging. Raw coverage: fraction of test errors within ±1.96 × "
        "the members' sample std. Calibrated: the same with `predict_std`, the library's spread "
        "(members × 10 spellings pooled, scaled on the validation split by split-conformal "
        "prediction); 0.95 is the aim. Spearman: |error| against that spread. The `paper` rows "
        "were measured before calibration existed, on the SMILES as written (their ensembles were "
        "not kept).",
        "",
        "| split (seed) | config | members | ensemble RMSE | members' RMSE (mean) | raw coverage "
        "| calibrated coverage | Spearman(abs error, spread) | train s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        members = ", ".join(f"{v:.3f}" for v in r["members_test_rmse"])
        calibrated = "candidates" in r
        raw = r["coverage_raw_members_std"] if calibrated else r["coverage_1.96_std"]
        scaled = f"**{r['coverage_1.96_std']:.2f}**" if calibrated else "-"
        lines.append(
            f"| {r['split']} ({r['seed']}) | `{r['config']}` | {r['members']} | "
            f"**{r['ensemble_test_rmse']:.3f}** | {members} ({r['mean_member_test_rmse']:.3f}) | "
            f"{raw:.2f} | {scaled} | {r['spearman_abs_error_std']:.2f} | "
            f"{r['train_seconds']:.0f} ({r['threads']} thread) |"
        )
    lines += [
        "",
        "Which spread: every candidate, scaled on the validation split and judged there "
        "(Spearman on val); test figures beside. The library uses the one with the best mean "
        "validation Spearman over the two splits: members × spellings (the dissimilarity is "
        "1 - max Tanimoto to the training set; a floor of 1e-6 keeps every spread positive).",
        "",
        "| split | spread | Spearman val | Spearman test | val scale | test coverage, scaled |",
        "|---|---|---|---|---|---|",
    ]
    for r in results.values():
        for name, c in r.get("candidates", {}).items():
            lines.append(
                f"| {r['split']} | {name} | {c['spearman_val']:.2f} | {c['spearman_test']:.2f} | "
                f"{c['val_scale']:.2f} | {c['coverage_scaled_test']:.2f} |"
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
    parser.add_argument(
        "--spread-spellings", type=int, default=10, help="spellings per member in the spread"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    result = measure(args)
    result["predict_reads_canonical"] = True  # see benchmark_esol.render_readme
    print(json.dumps(result, indent=2))
    if not args.no_save:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        key = f"{result['split']}_{result['seed']}_{result['config']}_{result['members']}"
        results[key] = result
        write_atomically(RESULTS, json.dumps(results, indent=2) + "\n")

        replace_block(README, "ensemble", table(results))
        from benchmark_esol import render_readme  # the ESOL table's ensemble rows

        render_readme()
    return 0


if __name__ == "__main__":
    sys.exit(main())
