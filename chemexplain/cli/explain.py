"""Predict and explain SMILES: prediction and top atoms per molecule, with optional pictures.

Example:
  chemexplain explain "CCO" "Clc1ccc(Cl)cc1" --draw pictures --format png --3d

Uses the bundled ESOL model and its explainers unless --model names another
model folder: a bare model from 'chemexplain train', or a folder holding model/
beside mask/ and/or shapley/ (the layout of scripts/train_pretrained.py); a
method whose part is missing there is one clear error. An invalid
SMILES is reported on its own line with RDKit's reason; the others are still
explained. Exit status 0 once every row is done (1 with --fail-on-error when
a row failed). Atom indices refer to the SMILES printed after "atoms of:"
(the input, or its standardized form).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from chemexplain.cli.common import (
    add_explain_options,
    add_flag,
    add_k,
    explain_options,
    note_fallback_method,
    row_exit_status,
)

#: molecules explained between two updates of the progress bar of a slow method
PROGRESS_CHUNK = 8


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("smiles", nargs="+", help="SMILES strings to explain")
    add_flag(parser, "--model")
    parser.add_argument("--draw", metavar="DIR", help="write one picture per molecule here")
    parser.add_argument(
        "--format", choices=("png", "svg"), default="svg", help="picture format (default: svg)"
    )
    parser.add_argument(
        "--style",
        choices=("atoms", "contour"),
        default="atoms",
        help="atoms: colored atom discs on a fixed scale; contour: RDKit's SimilarityMaps "
        "look (default: atoms)",
    )
    parser.add_argument(
        "--3d",
        dest="three_d",
        action="store_true",
        help="also write a 3D HTML view per molecule (3Dmol.js embedded: opens offline)",
    )
    add_explain_options(parser)
    add_k(parser, "number of top atoms to print")
    add_flag(parser, "--fail-on-error")
    add_flag(
        parser,
        "--quiet",
        help="no progress bar (shown for the per-molecule methods, e.g. occlusion)",
    )


def _filename(row: int, smiles: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9=#()+-]", "_", smiles)[:40]
    return f"{row + 1:03d}_{safe}"


def _explain(args: argparse.Namespace):
    """Every SMILES explained; the per-molecule methods (everything but the amortized
    explainer and the mask, which take one pass for all) with a progress bar on stderr.
    A molecule's result does not depend on its batch, so the chunks change nothing."""
    from chemexplain.chem.explanation import ExplanationList
    from chemexplain.service import default_method, explain_batch

    options = explain_options(args)
    method = options.get("method") or default_method(args.model)
    note_fallback_method(args)
    if args.quiet or method in ("shapley", "mask") or len(args.smiles) < 2:
        return explain_batch(args.smiles, args.model, **options)
    from tqdm import tqdm

    explanations = ExplanationList()
    with tqdm(
        total=len(args.smiles), desc=f"explain ({method})", unit="mol", file=sys.stderr
    ) as bar:
        for start in range(0, len(args.smiles), PROGRESS_CHUNK):
            part = explain_batch(args.smiles[start : start + PROGRESS_CHUNK], args.model, **options)
            explanations.extend(part)
            bar.update(len(part))
    return explanations


def run(args: argparse.Namespace) -> int:
    import os

    from chemexplain.chem.domain import SIZE_WARNING_START
    from chemexplain.cli.predict import names_molecule_file
    from chemexplain.errors import DataFormatError

    for text in args.smiles:  # RDKit reads 'mols.sdf' as a three-fragment "molecule"
        if os.path.isfile(text) or names_molecule_file(text):
            raise DataFormatError(
                f"{text!r} is a file, not a SMILES: explain a file's molecules with "
                f"'chemexplain score {text} -o scored.csv' (add --html report.html for drawings)"
            )
    explanations = _explain(args)
    out = Path(args.draw) if args.draw else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for row, e in enumerate(explanations):
        if not e.ok:
            failed += 1
            print(f"{e.input}\terror: {e.error}")
            continue
        print(f"{e.input}\t{e.value_text()}\t{e.atoms_text(args.k)}\tatoms of: {e.smiles}")
        if e.warning:
            print(f"{e.input}\twarning: {e.warning}")
        if e.in_domain is not None:
            where = "inside" if e.in_domain else "outside"
            why = " (larger than its training molecules)" if SIZE_WARNING_START in e.warning else ""
            print(
                f"{e.input}\t{where} the model's domain{why}: Tanimoto {e.max_similarity:.2f} "
                f"to the nearest training molecule, {e.nearest_training_smiles}"
            )
        if out:
            stem = _filename(row, e.input)
            e.draw(out / f"{stem}.{args.format}", style=args.style)
            if args.three_d:
                e.view3d(outfile=out / f"{stem}_3d.html")
    if out:
        print(f"pictures written to {out}")
    return row_exit_status(args, failed)
