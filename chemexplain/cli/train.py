"""Train a SMILES2vec model on ESOL, FreeSolv or a CSV file and save it.

Example: chemexplain train --data esol --config paper --seed 0 -o runs/paper

ESOL and FreeSolv ship with the package (no download). Expected time on 2 CPU
cores: about 2-4 min for ESOL with --config paper, about 15 min with --config
best (5 spellings per molecule); --epochs 3 gives a quick look in seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chemexplain.cli.common import add_flag, add_output, add_seed, device_option
from chemexplain.data.splits import SPLIT_METHODS
from chemexplain.errors import DataFormatError
from chemexplain.models.configs import CONFIGS


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", required=True, help="'esol', 'freesolv' or the path of a CSV or SDF file"
    )
    parser.add_argument(
        "--smiles-col", default="smiles", help="SMILES column of a CSV (default: smiles)"
    )
    parser.add_argument(
        "--target-col", default=None, help="target column of a CSV (required for a CSV)"
    )
    parser.add_argument(
        "--task",
        choices=("auto", "regression", "classification"),
        default="auto",
        help="auto: classification when every target is 0 or 1 (default: auto)",
    )
    parser.add_argument(
        "--split",
        choices=SPLIT_METHODS,
        default="random",
        help="80/10/10 split method (default: random)",
    )
    add_seed(parser, "split, initialization and shuffling")
    parser.add_argument(
        "--config",
        choices=tuple(CONFIGS),
        default="paper",
        help="paper: SMILES2vec as published; best: with SMILES augmentation (default: paper)",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="override the config's maximum epochs"
    )
    parser.add_argument(
        "--ensemble",
        type=int,
        default=0,
        metavar="N",
        help="train N members (seeds SEED, SEED+1, ...) on the same split into one folder; "
        "predictions are their mean, with their spread as prediction_std (regression only)",
    )
    add_output(parser, "directory to write the model into", required=True, old=("--out",))
    add_flag(parser, "--device")
    add_flag(parser, "--quiet")


def _load(args) -> tuple:
    from chemexplain.data.datasets import MANIFEST, load_csv, load_dataset
    from chemexplain.serialization import sha256_of

    if args.data in MANIFEST:
        entry = MANIFEST[args.data]
        frame = load_dataset(args.data)
        return (
            frame,
            entry["target_name"],
            {"dataset": args.data, "sha256": entry["sha256"], "units": entry["target_units"]},
        )
    if args.target_col is None:
        raise DataFormatError(f"--data {args.data} is a file: name its target with --target-col")
    frame = load_csv(args.data, args.smiles_col, args.target_col)
    return (
        frame,
        args.target_col,
        {
            "dataset": str(Path(args.data).resolve()),
            "sha256": sha256_of(Path(args.data)),
            "smiles_col": args.smiles_col,
        },
    )


def run(args: argparse.Namespace) -> int:
    from chemexplain.models.training import train_on_frame

    device = device_option(args)
    if args.ensemble and args.ensemble < 2:
        raise DataFormatError(f"--ensemble {args.ensemble}: an ensemble needs at least 2 members")
    frame, target, info = _load(args)
    task = args.task
    if task == "auto":
        task = "classification" if set(frame[target].unique()) <= {0.0, 1.0} else "regression"
    if args.ensemble and task != "regression":
        raise DataFormatError("--ensemble is for regression targets")
    print(
        f"training {args.config} {task} model on {info['dataset']} ({len(frame)} molecules, "
        f"{args.split} split, seed {args.seed})",
        file=sys.stderr,
    )
    model = train_on_frame(
        frame,
        target,
        split=args.split,
        seed=args.seed,
        config=args.config,
        task=task,
        data_info=info,
        max_epochs=args.epochs,
        verbose=not args.quiet,
        ensemble=args.ensemble,
        device=device,
    )
    model.save(args.output)
    keys = (
        ("test_rmse", "val_rmse", "test_r2")
        if task == "regression"
        else ("test_roc_auc", "test_accuracy")
    )
    summary = {k: round(model.metrics_[k], 4) for k in keys}
    if "members_test_rmse" in model.metrics_:
        summary["members_test_rmse"] = [round(v, 4) for v in model.metrics_["members_test_rmse"]]
    summary["train_seconds"] = round(model.metrics_["train_seconds"], 1)
    print(json.dumps(summary))
    print(f"model saved to {args.output}", file=sys.stderr)
    return 0
