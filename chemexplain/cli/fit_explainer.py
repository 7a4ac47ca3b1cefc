"""Train the amortized Shapley explainer (signed per-atom contributions) over a saved model.

Example:
  chemexplain fit-explainer --model runs/pair/model -o runs/pair/shapley

FastSHAP (Jethani et al. 2022) with atoms as players: no labels, only the
frozen model, on the model's own training split (re-found and checked by
sha256) or on --data. Saved as OUT (JSON config + safetensors). Put it in the
model-plus-mask folder as shapley/ and 'explain' / 'score' --method shapley
use it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chemexplain.cli.common import (
    add_fit_options,
    fit_options,
    load_model_option,
    positive_int,
)

#: The SmilesShapley parameters that fit-explainer's own flags set (their argparse ``dest``).
PARAMETERS = ("n_coalitions", "network", "hidden", "n_layers", "removal")


def add_args(parser: argparse.ArgumentParser) -> None:
    add_fit_options(parser, "explainer", "initialization and sampling")
    # the network, then the sampling; each flag stores under the name of the SmilesShapley
    # parameter it sets (PARAMETERS)
    parser.add_argument(
        "--network",
        choices=["graph", "sequence"],
        default="graph",
        help="explainer network: 'graph' (over atoms and bonds: the same for every spelling, "
        "default) or 'sequence' (a GRU over the SMILES characters)",
    )
    # the sizes: (flag, SmilesShapley parameter, default, what it counts)
    for flag, dest, default, what in (
        ("--hidden", "hidden", 64, "hidden size"),
        ("--layers", "n_layers", 2, "network layers"),
        (
            "--coalitions",
            "n_coalitions",
            16,
            "coalitions drawn per molecule and step, each with its complement",
        ),
    ):
        parser.add_argument(
            flag,
            dest=dest,
            metavar=flag[2:].upper(),
            type=positive_int,
            default=default,
            help=f"{what} (default {default})",
        )
    parser.add_argument(
        "--removal",
        choices=["delete", "zero"],
        default="delete",
        help="how a coalition removes an atom: 'delete' its characters, so the reference is "
        "the model's output for the empty SMILES, one value for every molecule (default), or "
        "'zero' its characters' embeddings, the SMILES keeping its length, so the reference "
        "moves with the length (see benchmarks/README.md, 'Removal games')",
    )


def run(args: argparse.Namespace) -> int:
    from chemexplain.chem.shapley import SmilesShapley

    model = load_model_option(args)
    if args.data:
        from chemexplain.data.datasets import load_csv

        train, val = load_csv(args.data, args.smiles_col)["smiles"].tolist(), None
    else:
        from chemexplain.models.training import training_frame

        frame, _ = training_frame(model)
        smiles = frame["smiles"].tolist()
        train = [smiles[i] for i in model.split_["train"]]
        val = [smiles[i] for i in model.split_["val"]]
    settings = {name: getattr(args, name) for name in PARAMETERS}
    explainer = SmilesShapley(model, **settings, **fit_options(args)).fit(train, val)
    explainer.save(Path(args.output))
    best = min(explainer.history_, key=lambda h: h["val_loss"])
    print(json.dumps({"best_epoch": best["epoch"], "val_loss": round(best["val_loss"], 5)}))
    print(f"explainer saved to {args.output}", file=sys.stderr)
    return 0
