"""Reproduce Phillips, Goh & Hodas (2018) on ESOL from scratch, with the controls the paper lacks.

    python scripts/reproduce_paper.py            # seeds 0 1 2, about 10 minutes on 2 cores

For each seed: train SMILES2vec (`paper` config, random 80/10/10 split), train
the explanation mask with the paper's penalties (L1 1e-3, L2 1e-4,
target=label), train the same mask over a randomly re-initialized copy of the
model (Adebayo et al.'s control), and score both on the test split and on all
1128 molecules. Models and masks go to runs/reproduce_paper/seed<N>/;
figures to benchmarks/paper.json and the table in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

from chemexplain.files import write_atomically
from chemexplain.io.markdown_blocks import replace_block

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"
PAPER = {"base_test_rmse": 0.846, "masked_test_rmse": 0.831, "top3_accuracy": 0.88}
#: per-atom readings of the mask: the sum over an atom's characters (round 1) and their mean
LEVELS = ("char", "atom", "atom_mean")
LEVEL_NAMES = {"char": "character", "atom": "atom (sum)", "atom_mean": "atom (mean)"}
RULES = {"o_n_first": "O/N-first rule", "atom_type_lookup": "atom-type lookup rule"}


def one_seed(task: tuple[int, int, str]) -> dict:
    seed, threads, out = task
    import torch

    torch.set_num_threads(threads)
    from chemexplain import load_esol, train_on_frame
    from chemexplain.chem.evaluation import evaluate
    from chemexplain.chem.masking import SmilesMask, randomized_copy
    from chemexplain.data import MANIFEST

    started = time.perf_counter()
    frame = load_esol()
    info = {"dataset": "esol", "sha256": MANIFEST["esol"]["sha256"], "units": "log10 mol/L"}
    model = train_on_frame(
        frame, "logS", split="random", seed=seed, config="paper", data_info=info, verbose=False
    )
    directory = Path(out) / f"seed{seed}"
    model.save(directory / "model")
    smiles, y = frame["smiles"].tolist(), frame["logS"].to_numpy()
    part = lambda rows: ([smiles[i] for i in rows], y[rows])  # noqa: E731
    fit_data = (*part(model.split_["train"]), *part(model.split_["val"]))
    mask = SmilesMask(model, random_state=seed, verbose=False).fit(*fit_data)
    mask.save(directory / "mask")
    control = SmilesMask(randomized_copy(model), random_state=seed, verbose=False)
    control.fit(*fit_data).save(directory / "mask" / "randomized")
    train = dict(zip(("train_smiles", "train_y"), part(model.split_["train"]), strict=True))
    reports = {
        "test": evaluate(model, mask, control, *part(model.split_["test"]), **train),
        "all": evaluate(model, mask, control, smiles, y, **train),
    }
    return {"seed": seed, "seconds": time.perf_counter() - started, **reports}


def summary(results: list[dict]) -> dict:
    """Mean and sample std over seeds of the headline figures."""

    def stat(values):
        return {
            "mean": float(np.mean(values)),
            "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
            "values": [float(v) for v in values],
        }

    figures = {
        "base_test_rmse": [r["test"]["rmse"]["base"] for r in results],
        "masked_test_rmse": [r["test"]["rmse"]["masked"] for r in results],
    }
    for where in ("all", "test"):
        for group in ("soluble", "insoluble"):
            for level in LEVELS:
                for key in ("accuracy", "chance", "randomized", "spearman_vs_randomized"):
                    figures[f"{where}_{group}_{level}_{key}"] = [
                        r[where]["top3"][group][level][key] for r in results
                    ]
                for rule in RULES:
                    figures[f"{where}_{group}_{level}_{rule}"] = [
                        r[where]["top3"][group][level]["rules"][rule]["accuracy"] for r in results
                    ]
    for name in ("hydrophilic", "hydrophobic"):
        for source in ("mask", "random", "randomized"):
            figures[f"all_contrast_{name}_atom_{source}"] = [
                r["all"]["contrast"][name]["atom"][source] for r in results
            ]
    return {key: stat(values) for key, values in figures.items()}


def table(results: list[dict], stats: dict) -> str:
    seeds = [r["seed"] for r in results]
    per = lambda key: ", ".join(f"{v:.3f}" for v in stats[key]["values"])  # noqa: E731
    ms = lambda key: f"{stats[key]['mean']:.3f} ± {stats[key]['std']:.3f}"  # noqa: E731
    lines = [
        f"Seeds {', '.join(map(str, seeds))}; mean ± sample std (per seed). RMSE in log10 mol/L on each "
        "seed's random test split; top-3 on all 1128 molecules (soluble: logS ≥ -1, insoluble: logS ≤ -5), "
        "then on each seed's test split alone. Atom level: the mask's per-atom value is the sum "
        "over the atom's characters (round 1's reading, which gives Cl, Br and bracket atoms double or "
        "more) or their mean (what `explain` shows now), side by side. Beside every top-3 figure: the "
        "exact chance level, the O/N-first rule and the atom-type lookup rule (element + aromaticity, "
        "fitted on the seed's training split), scored the same way; the 95% CI is the bootstrap "
        "over molecules of seed 0.",
        "",
        "| figure | paper | this package | per seed | seed 0 95% CI |",
        "|---|---|---|---|---|",
        f"| base test RMSE | {PAPER['base_test_rmse']} | {ms('base_test_rmse')} | {per('base_test_rmse')} | |",
        f"| masked test RMSE | {PAPER['masked_test_rmse']} | {ms('masked_test_rmse')} | "
        f"{per('masked_test_rmse')} | |",
    ]
    for where in ("all", "test"):
        for group in ("soluble", "insoluble"):
            for level in ("atom", "atom_mean", "char"):
                key = f"{where}_{group}_{level}"
                first = results[0][where]["top3"][group][level]
                paper = f"{PAPER['top3_accuracy']:.0%}*" if group == "soluble" else "-"
                what = "all molecules" if where == "all" else "test split"
                lines.append(
                    f"| top-3 {group}, {LEVEL_NAMES[level]}, {what} (n={first['n']}) | {paper} | "
                    f"{ms(key + '_accuracy')} | {per(key + '_accuracy')} | "
                    f"[{first['ci'][0]:.3f}, {first['ci'][1]:.3f}] |"
                )
                lines.append(
                    f"| … chance (random ranking) | - | {ms(key + '_chance')} | {per(key + '_chance')} | |"
                )
                for rule, label in RULES.items():
                    ci = first["rules"][rule]["ci"]
                    lines.append(
                        f"| … {label} | - | {ms(f'{key}_{rule}')} | {per(f'{key}_{rule}')} | "
                        f"[{ci[0]:.3f}, {ci[1]:.3f}] |"
                    )
                lines.append(
                    f"| … mask over randomized model | - | {ms(key + '_randomized')} | "
                    f"{per(key + '_randomized')} | |"
                )
                if where == "all":
                    lines.append(
                        f"| … Spearman mask vs randomized | - | "
                        f"{ms(key + '_spearman_vs_randomized')} | "
                        f"{per(key + '_spearman_vs_randomized')} | |"
                    )
    for name, atoms in (("hydrophilic", "O/N"), ("hydrophobic", "C/F/Cl/Br/I")):
        for source, label in (
            ("mask", "mask"),
            ("random", "random weights"),
            ("randomized", "randomized-model mask"),
        ):
            key = f"all_contrast_{name}_atom_{source}"
            lines.append(f"| class contrast {atoms}, {label} | - | {ms(key)} | {per(key)} | |")
    lines += [
        "",
        "\\* the paper reports one top-3 accuracy (88%), computed over SMILES characters and "
        "both groups together; its insoluble half is met by chance (see the chance rows), so "
        "it is compared here with the soluble rows.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "runs" / "reproduce_paper"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with mp.get_context("spawn").Pool(args.jobs) as pool:
        results = sorted(
            pool.map(one_seed, [(s, args.threads, args.out) for s in args.seeds]),
            key=lambda r: r["seed"],
        )
    stats = summary(results)
    wall = time.perf_counter() - started
    payload = {
        "paper": PAPER,
        "summary": stats,
        "wall_seconds": wall,
        "seeds": results,
        "settings": {
            "config": "paper",
            "split": "random",
            "l1": 1e-3,
            "l2": 1e-4,
            "target": "label",
            "jobs": args.jobs,
            "threads_per_job": args.threads,
        },
    }
    write_atomically(ROOT / "benchmarks" / "paper.json", json.dumps(payload, indent=2) + "\n")

    body = (
        f"Reproduce: `python scripts/reproduce_paper.py` (wall time of the last run: {wall / 60:.1f} min "
        f"with --jobs {args.jobs} --threads {args.threads}; the default is 3 jobs of 1 thread on "
        f"2 cores). Writes `benchmarks/paper.json`.\n\n" + table(results, stats)
    )
    replace_block(README, "paper", body)
    print(table(results, stats))
    print(f"wall time {wall:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
