"""Predict with a saved model; one output row per input row, in order.

Example: chemexplain predict --model runs/paper "CCO" "c1ccccc1" -o out.csv

An invalid SMILES, one with an element that no training molecule had, or one of
several fragments (a salt: --standardize keeps its largest fragment, neutralized)
gets status 'error' and a message on its own row; the other rows are still
predicted. Other tokens the model never saw are reported in 'warning'.
A model trained on random spellings (the bundled one) reads RDKit's canonical
SMILES of each molecule, as explain and score do, so every spelling of a
molecule gets one prediction.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from chemexplain.cli.common import (
    add_flag,
    add_output,
    add_test_augment,
    load_model_option,
    row_exit_status,
)
from chemexplain.errors import DataFormatError


def add_args(parser: argparse.ArgumentParser) -> None:
    add_flag(parser, "--model")
    parser.add_argument("smiles", nargs="*", help="SMILES strings to predict")
    parser.add_argument(
        "--input",
        help="a .csv, .tsv, .cxsmiles or .parquet file (with --smiles-col), a .smi file "
        "(SMILES and a name a line) or an .sdf file; the text ones may be compressed "
        "(.smi.gz, .smi.bz2)",
    )
    parser.add_argument(
        "--smiles-col", default="smiles", help="SMILES column of a CSV input (default: smiles)"
    )
    add_output(parser, "CSV file to write (default: standard output)")
    add_test_augment(parser, None)
    add_flag(parser, "--standardize")
    add_flag(parser, "--strict")
    add_flag(parser, "--fail-on-error")


def names_molecule_file(text: str) -> bool:
    """Whether ``text`` ends like a molecule file --input reads (.csv, .smi, ...); no SMILES
    does, as a SMILES has no letters such as 'v', 'd' or 'q' after a dot."""
    from chemexplain.io.molecule_files import file_format

    try:
        file_format(text)
    except DataFormatError:
        return False
    return True


def read_smiles_file(path: str, smiles_col: str):
    """Input rows as a DataFrame with a ``smiles`` column, read by the scorer's reader
    (.csv, .smi, .sdf, .parquet; other columns kept) and ``READ_ERROR`` per row."""
    import pandas as pd

    from chemexplain.io.molecule_files import read_chunks

    source = read_chunks(path, smiles_col=smiles_col)
    frame = pd.concat(list(source.chunks), ignore_index=True)
    return frame.rename(columns={source.smiles_col: "smiles"})


def predict_rows(
    model,
    smiles: list,
    n_test_augment: int | None = None,
    standardize: bool = False,
    strict: bool = False,
):
    """prediction / status / error / warning for every SMILES, one row each, in order; a
    classifier's rows also carry ``probability``, P(class 1), beside the 0/1 label.

    A SMILES of several fragments is an error row unless the model read '.' in training
    (as explain and score refuse it); ``standardize`` first keeps each molecule's largest
    fragment, neutralized, and adds the ``standardized_smiles`` column it predicts;
    ``strict`` refuses stereo marks the model never saw, as ``--strict`` does in explain."""
    import numpy as np
    import pandas as pd

    from chemexplain.chem.parsing import parse_smiles, smiles_errors, split_cxsmiles
    from chemexplain.chem.standardize import ion_warning, standardize_smiles
    from chemexplain.errors import InvalidSmilesError
    from chemexplain.service import SEVERAL_FRAGMENTS, read_form, unseen_elements_error

    written = ["" if not isinstance(s, str) else s.strip() for s in smiles]
    errors = smiles_errors(written)
    smiles = list(written)
    reads_fragments = not model.encode(["C.C"])[1][0]  # '.' is a token it knows
    for row, error in enumerate(errors):
        if error:
            continue
        if standardize:
            try:
                smiles[row] = standardize_smiles(smiles[row])
            except InvalidSmilesError as failure:
                errors[row] = f"invalid SMILES: {failure.reason}"
                continue
        if "." in split_cxsmiles(smiles[row])[0] and not reads_fragments:
            errors[row] = SEVERAL_FRAGMENTS
            continue
        unseen = model.unseen_elements(smiles[row])
        if unseen:
            errors[row] = unseen_elements_error(unseen)
        elif strict:  # stereo marks kept: refused where the model never saw them
            errors[row] = read_form(model, smiles[row], on_unknown="error")[1] or ""
    valid = [row for row, e in enumerate(errors) if not e]
    predictions = np.full(len(smiles), np.nan)
    spreads = np.full(len(smiles), np.nan) if hasattr(model, "predict_std") else None
    probabilities = np.full(len(smiles), np.nan) if model.task == "classification" else None
    row_warnings = [""] * len(smiles)
    if valid:
        valid_smiles = [smiles[r] for r in valid]
        forms = model.readable_forms(valid_smiles)  # stereo-free etc. where needed
        _, unknown = model.encode([form.smiles for form in forms])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reported per row below
            if probabilities is None:
                predictions[valid] = model.predict(valid_smiles, n_test_augment=n_test_augment)
            else:  # the label is predict()'s rule on the same probability
                p1 = model.predict_proba(valid_smiles, n_test_augment=n_test_augment)[:, 1]
                probabilities[valid], predictions[valid] = p1, model.labels_from_proba(p1)
            if spreads is not None:
                spreads[valid] = model.predict_std(valid_smiles, n_test_augment=n_test_augment)
        domain = getattr(model, "domain_", None)
        unseen_ions = domain is not None and not domain.saw_ions()
        for row, form, tokens in zip(valid, forms, unknown):
            notes = [form.warning] if form.warning else []
            if tokens:
                notes.append("tokens unknown to the model: " + " ".join(sorted(set(tokens))))
            if unseen_ions and "[" in smiles[row]:  # a charge is written in a bracket atom
                notes.append(ion_warning(parse_smiles(smiles[row]), standardized=standardize))
            if domain is not None and len(form.smiles) > domain.max_heavy_atoms():
                # a SMILES has at least a character per heavy atom: only long ones are parsed
                notes.append(domain.size_warning(parse_smiles(form.smiles)))
            notes = [note for note in notes if note]
            row_warnings[row] = "; ".join(notes)
    if standardize:  # what was predicted, beside the input as written
        standardized = {"standardized_smiles": [s if not e else "" for s, e in zip(smiles, errors)]}
    return pd.DataFrame(
        {
            "smiles": written,
            **(standardized if standardize else {}),
            "prediction": predictions,
            **({"probability": probabilities} if probabilities is not None else {}),
            **({"prediction_std": spreads} if spreads is not None else {}),
            "status": ["error" if e else "ok" for e in errors],
            "error": errors,
            "warning": row_warnings,
        }
    )


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from chemexplain.io.molecule_files import HIDDEN_COLUMNS, READ_ERROR

    if bool(args.smiles) == bool(args.input):
        raise DataFormatError("give SMILES on the command line or --input FILE (one of them)")
    for text in args.smiles:
        if os.path.isfile(text) or names_molecule_file(text):
            raise DataFormatError(f"{text!r} is a file, not a SMILES: pass it as --input {text}")
    model = load_model_option(args)
    frame = (
        read_smiles_file(args.input, args.smiles_col)
        if args.input
        else pd.DataFrame({"smiles": args.smiles})
    )
    result = predict_rows(
        model, frame["smiles"].tolist(), args.test_augment, args.standardize, args.strict
    )
    if READ_ERROR in frame:  # an unreadable record (SDF) is an error row, like a bad SMILES
        unreadable = frame[READ_ERROR].astype(bool).to_numpy()
        result.loc[unreadable, ["status", "error"]] = ["error", frame[READ_ERROR][unreadable]]
    extra = frame.drop(columns=["smiles", *HIDDEN_COLUMNS], errors="ignore")
    output = pd.concat([extra.reset_index(drop=True), result], axis=1)
    if args.output:
        from chemexplain.files import write_atomically
        from chemexplain.io.output_paths import check_outputs

        check_outputs([args.output], inputs=[args.input] if args.input else [], overwrite=True)
        write_atomically(args.output, output.to_csv(index=False))
        n_bad = int((result["status"] == "error").sum())
        print(f"wrote {len(output)} rows to {args.output} ({n_bad} invalid)", file=sys.stderr)
    else:
        output.to_csv(sys.stdout, index=False)
    return row_exit_status(args, int((result["status"] == "error").sum()))
