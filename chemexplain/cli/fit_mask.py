"""Train an explanation mask over a saved model (and its randomized-model control).

Example: chemexplain fit-mask --model runs/paper -o runs/paper-mask

By default the mask trains on the model's own training/validation split. With
--data FILE.csv and --target model, it trains on your own unlabeled molecules.
The control (the same mask trained over a copy of the model with re-drawn
weights, Adebayo et al. 2018) is saved under OUT/randomized unless --no-control.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chemexplain.cli.common import add_fit_options, fit_options, load_model_option
from chemexplain.errors import DataFormatError


def add_args(parser: argparse.ArgumentParser) -> None:
    add_fit_options(parser, "mask", "the mask's initialization")
    parser.add_argument("--l1", type=float, default=1e-3, help="L1 coefficient (paper: 1e-3)")
    parser.add_argument("--l2", type=float, default=1e-4, help="L2 coefficient (paper: 1e-4)")
    parser.add_argument(
        "--target",
        choices=("label", "model"),
        default="label",
        help="label: predict the measured value (paper); model: reproduce the "
        "model's own prediction (no labels needed)",
    )
    parser.add_argument("--target-col", help="label column of --data (needed with --target label)")
    parser.add_argument(
        "--no-control", action="store_true", help="skip the randomized-model control"
    )


def _data(args, model):
    from chemexplain.data.datasets import load_csv
    from chemexplain.models.training import training_frame

    if args.data is None:
        frame, target = training_frame(model)
        split = model.split_
        smiles, y = frame["smiles"].tolist(), frame[target].to_numpy()
        part = lambda rows: ([smiles[i] for i in rows], y[rows])  # noqa: E731
        return (*part(split["train"]), *part(split["val"]))
    if args.target == "label" and not args.target_col:
        raise DataFormatError(
            "--target label with --data needs --target-col (or use --target model)"
        )
    frame = load_csv(args.data, args.smiles_col, args.target_col)
    y = frame[args.target_col].to_numpy() if args.target_col else None
    return frame["smiles"].tolist(), y, None, None


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from chemexplain.chem.masking import SmilesMask, randomized_copy

    model = load_model_option(args)
    smiles, y, val_smiles, val_y = _data(args, model)
    if args.target == "model":
        y = val_y = None
    settings = dict(l1=args.l1, l2=args.l2, target=args.target, **fit_options(args))
    out = Path(args.output)
    mask = SmilesMask(model, **settings).fit(smiles, y, val_smiles, val_y)
    mask.save(out)
    summary = {
        "mask_mean": float(np.mean(np.concatenate(mask.token_weights(smiles)))),
        "best_epoch": mask.explainer_.best_epoch_,
    }
    if not args.no_control:
        print("training the randomized-model control", file=sys.stderr)
        control = SmilesMask(randomized_copy(model), **settings)
        control.fit(smiles, y, val_smiles, val_y).save(out / "randomized")
    print(json.dumps(summary))
    print(f"mask saved to {out}", file=sys.stderr)
    return 0
