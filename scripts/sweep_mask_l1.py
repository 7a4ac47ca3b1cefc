"""The accuracy/size trade-off of the explanation mask: a sweep over the L1 coefficient.

    chemexplain train --data esol --config paper --seed 0 -o runs/paper
    python scripts/sweep_mask_l1.py [--model runs/paper]

Uses the seed-0 paper model of the README's main command. For each L1 on a log grid (L2 kept at the paper's 1e-4), trains the mask
on the model's train/val split and reports masked test RMSE (log10 mol/L),
mean mask weight, the fraction of characters below 0.1 and the soluble
atom-level top-3 accuracy. Writes benchmarks/mask_l1_sweep.json and
benchmarks/mask_l1_sweep.png, and its table into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
from pathlib import Path

import numpy as np

from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"
GRID = [1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1]


def one(task: tuple[str, float, int]) -> dict:
    model_dir, l1, threads = task
    import torch

    torch.set_num_threads(threads)
    from chemexplain.chem.evaluation import top_k_report
    from chemexplain.chem.masking import SmilesMask
    from chemexplain.metrics import regression_metrics
    from chemexplain.models import load_model
    from chemexplain.models.training import training_frame

    model = load_model(model_dir)
    frame, target = training_frame(model)
    smiles, y = frame["smiles"].tolist(), frame[target].to_numpy()
    part = lambda rows: ([smiles[i] for i in rows], y[rows])  # noqa: E731
    mask = SmilesMask(model, l1=l1, l2=1e-4, verbose=False).fit(
        *part(model.split_["train"]), *part(model.split_["val"])
    )
    test_smiles, test_y = part(model.split_["test"])
    weights = np.concatenate(mask.token_weights(test_smiles))
    report = top_k_report(smiles, y, mask.token_weights(smiles))
    return {
        "l1": l1,
        "masked_test_rmse": regression_metrics(test_y, mask.predict_masked(test_smiles))["rmse"],
        "base_test_rmse": regression_metrics(test_y, model.predict(test_smiles))["rmse"],
        "mask_mean": float(weights.mean()),
        "fraction_below_0.1": float(np.mean(weights < 0.1)),
        "soluble_atom_top3": report["top3"]["soluble"]["atom"]["accuracy"],
        "soluble_atom_chance": report["top3"]["soluble"]["atom"]["chance"],
        "best_epoch": mask.explainer_.best_epoch_,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=str(ROOT / "runs" / "paper"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if not Path(args.model, "config.json").exists():
        print(
            f"{args.model} not found: run chemexplain train --data esol --config paper --seed 0 "
            f"-o {args.model} first",
            file=sys.stderr,
        )
        return 2
    with mp.get_context("spawn").Pool(args.jobs) as pool:
        rows = sorted(
            pool.map(one, [(args.model, l1, args.threads) for l1 in GRID]), key=lambda r: r["l1"]
        )
    write_atomically(ROOT / "benchmarks" / "mask_l1_sweep.json", json.dumps(rows, indent=2) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot([r["mask_mean"] for r in rows], [r["masked_test_rmse"] for r in rows], "o-")
    for r in rows:
        ax.annotate(
            f"λ1={r['l1']:g}",
            (r["mask_mean"], r["masked_test_rmse"]),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.axhline(rows[0]["base_test_rmse"], color="grey", ls="--", label="base model")
    ax.set_xlabel("mean mask weight (test characters)")
    ax.set_ylabel("masked test RMSE (log10 mol/L)")
    ax.set_title("Explanation mask: accuracy vs size (ESOL, seed 0)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(ROOT / "benchmarks" / "mask_l1_sweep.png", dpi=120)

    lines = [
        "Reproduce: `chemexplain train --data esol --config paper --seed 0 -o runs/paper && "
        "python scripts/sweep_mask_l1.py`; "
        "plot: `benchmarks/mask_l1_sweep.png`.",
        "",
        "| λ1 | masked test RMSE | base test RMSE | mean mask | chars < 0.1 | soluble atom top-3 (chance) |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['l1']:g} | {r['masked_test_rmse']:.3f} | {r['base_test_rmse']:.3f} | {r['mask_mean']:.3f} | "
        f"{r['fraction_below_0.1']:.1%} | {r['soluble_atom_top3']:.1%} ({r['soluble_atom_chance']:.1%}) |"
        for r in rows
    ]
    replace_block(README, "sweep", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
