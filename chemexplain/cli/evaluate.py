"""Score a mask: base vs masked RMSE, top-3 group accuracy with chance and controls.

Example: chemexplain evaluate --model runs/paper --mask runs/paper-mask --split all --json eval.json

The randomized-model control is read from MASK/randomized when 'fit-mask'
saved it there. See chemexplain.chem.evaluation for the metric's definition.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from chemexplain.cli.fit_mask import CONTROL_SEED
from chemexplain.models.pretrained import PRETRAINED_DIR


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", default=str(PRETRAINED_DIR / "model"), help="model directory (default: bundled)"
    )
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
    parser.add_argument(
        "--k", type=int, default=3, help="top-k atoms and characters scored (default 3)"
    )
    parser.add_argument("--json", help="also write the report to this JSON file")


def evaluate(model, mask, control, smiles, y, k=3, reading="corrected") -> dict:
    """The full report of one mask on ``smiles`` with measured ``y`` (log10 mol/L), beside the
    trivial rules (the lookup table fitted on the model's training split)."""
    import numpy as np

    from chemexplain.chem.evaluation import rule_token_weights, top_k_report
    from chemexplain.errors import DataFormatError
    from chemexplain.models.training import regression_metrics, training_frame

    weights = mask.token_weights(smiles)
    control_weights = control.token_weights(smiles) if control is not None else None
    flat = np.concatenate(weights)
    report = {
        "n": len(smiles),
        "rmse": {
            "base": regression_metrics(y, model.predict(smiles))["rmse"],
            "masked": regression_metrics(y, mask.predict_masked(smiles))["rmse"],
        },
        "mask_size": {"mean": float(flat.mean()), "fraction_below_0.1": float(np.mean(flat < 0.1))},
    }
    try:
        frame, target = training_frame(model)
    except DataFormatError:  # the model does not record its data: no lookup table to fit
        rules = None
    else:
        train = model.split_["train"]
        rules = rule_token_weights(
            smiles,
            [frame["smiles"].iloc[i] for i in train],
            frame[target].to_numpy()[train],
            scheme=model.params_["scheme"],
        )
    report.update(
        top_k_report(
            smiles,
            y,
            weights,
            control_weights,
            k=k,
            scheme=model.params_["scheme"],
            reading=reading,
            rules=rules,
        )
    )
    return report


def run(args: argparse.Namespace) -> int:
    from chemexplain.chem.masking import SmilesMask, randomized_copy
    from chemexplain.models.estimator import load_model
    from chemexplain.models.training import training_frame

    model = load_model(args.model)
    mask = SmilesMask.load(args.mask, model)
    control_dir = Path(args.mask) / "randomized"
    control = (
        SmilesMask.load(control_dir, randomized_copy(model, CONTROL_SEED))
        if control_dir.is_dir()
        else None
    )
    frame, target = training_frame(model)
    rows = model.split_["test"] if args.split == "test" else list(range(len(frame)))
    smiles = [frame["smiles"].iloc[i] for i in rows]
    y = frame[target].to_numpy()[rows]
    report = {
        "split": args.split,
        **evaluate(model, mask, control, smiles, y, args.k, args.reading),
    }
    text = json.dumps(report, indent=2)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(text)
    return 0
