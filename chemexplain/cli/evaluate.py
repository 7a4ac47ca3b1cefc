"""Score a mask: base vs masked RMSE, top-3 group accuracy with chance and controls.

Example: chemexplain evaluate --model runs/paper --mask runs/paper-mask --split all -o eval.json

The randomized-model control is read from MASK/randomized when 'fit-mask'
saved it there. See chemexplain.chem.evaluation for the metric's definition.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from chemexplain.cli.common import add_flag, add_k, add_output, load_model_option
from chemexplain.models.pretrained import PRETRAINED_DIR


def add_args(parser: argparse.ArgumentParser) -> None:
    add_flag(parser, "--model")
    parser.add_argument(
        "--mask",
        default=str(PRETRAINED_DIR / "mask"),
        help="mask directory from 'chemexplain fit-mask' (default: bundled)",
    )
    parser.add_argument(
        "--split",
        choices=("test", "all"),
        default="test",
        help="molecules to score: the model's test split or the whole dataset",
    )
    parser.add_argument(
        "--reading",
        choices=("corrected", "printed"),
        default="corrected",
        help="soluble = logS >= -1, insoluble = logS <= -5 (corrected, default) "
        "or the paper's printed inequalities",
    )
    add_k(parser, "top-k atoms and characters scored", old=("--k",))
    add_output(parser, "also write the report to this JSON file", old=("--json",))


def run(args: argparse.Namespace) -> int:
    from chemexplain.chem.evaluation import evaluate
    from chemexplain.chem.masking import SmilesMask, randomized_copy
    from chemexplain.models.training import training_frame

    model = load_model_option(args)
    mask = SmilesMask.load(args.mask, model)
    control_dir = Path(args.mask) / "randomized"
    control = SmilesMask.load(control_dir, randomized_copy(model)) if control_dir.is_dir() else None
    frame, target = training_frame(model)
    rows = model.split_["test"] if args.split == "test" else list(range(len(frame)))
    smiles = [frame["smiles"].iloc[i] for i in rows]
    y = frame[target].to_numpy()[rows]
    train = model.split_["train"]
    report = {
        "split": args.split,
        **evaluate(
            model, mask, control, smiles, y, args.k, args.reading,
            train_smiles=[frame["smiles"].iloc[i] for i in train],
            train_y=frame[target].to_numpy()[train],
        ),
    }  # fmt: skip
    text = json.dumps(report, indent=2)
    if args.output:
        from chemexplain.files import write_atomically

        write_atomically(args.output, text + "\n")
    print(text)
    return 0
