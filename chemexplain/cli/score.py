"""Score a molecule file: prediction and per-atom weights, one output row per input row.

Example:
  chemexplain score library.csv -o scored.parquet --id-col id --html report.html

Input: .csv, .smi, .sdf or .parquet; output: .csv, .parquet or .sdf. The
input's other columns are kept (choose with --columns). Bad rows (empty,
invalid, unknown characters, over-long, several fragments) get status
'error' and a reason, and every other row is still scored. The output
appears at its path only when the run completes. Exit status 0 once every
row is done (1 with --fail-on-error when a row failed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from chemexplain.chem import MAX_SMILES_LENGTH
from chemexplain.cli.common import (
    add_fail_on_error,
    add_method,
    add_test_augment,
    positive_int,
    row_exit_status,
)


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="molecules: .csv, .smi, .sdf or .parquet")
    parser.add_argument("-o", "--output", required=True, help=".csv, .parquet or .sdf to write")
    parser.add_argument("--model", help="directory with model/ and mask/ (default: bundled)")
    parser.add_argument("--smiles-col", default="smiles", help="SMILES column (default: smiles)")
    parser.add_argument("--id-col", help="id column kept in the output (SDF: a property name)")
    parser.add_argument(
        "--columns",
        help="comma-separated input columns to keep in the output (default: all; the SMILES "
        "and id columns are always kept)",
    )
    parser.add_argument(
        "--standardize",
        action="store_true",
        help="keep the largest fragment and neutralize charges (RDKit rdMolStandardize) first",
    )
    add_method(parser)
    add_test_augment(parser, 0)
    parser.add_argument(
        "--chunk-size",
        type=positive_int,
        default=2048,
        help="molecules read, scored and written at a time (default 2048); memory grows with it",
    )
    parser.add_argument(
        "--max-length",
        type=positive_int,
        default=MAX_SMILES_LENGTH,
        help=f"longer SMILES are error rows (default {MAX_SMILES_LENGTH} characters)",
    )
    parser.add_argument("--html", metavar="REPORT.html", help="also write a self-contained report")
    parser.add_argument(
        "--html-molecules",
        type=positive_int,
        default=50,
        help="molecules drawn in the HTML report (default 50)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=min(os.cpu_count() or 1, 4),
        help="single-threaded worker processes (default: CPU cores, at most 4; 1: in-process)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing output files (default: refuse; an output is never the input)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_fail_on_error(parser)


def run(args: argparse.Namespace) -> int:
    from chemexplain.io.scoring import score_file

    columns = None
    if args.columns is not None:
        columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    summary = score_file(
        args.input,
        args.output,
        args.model,
        smiles_col=args.smiles_col,
        id_col=args.id_col,
        columns=columns,
        standardize=args.standardize,
        method=args.method,
        spellings=args.spellings,
        n_test_augment=args.test_augment,
        chunk_size=args.chunk_size,
        max_length=args.max_length,
        html=args.html,
        html_molecules=args.html_molecules,
        progress=not args.quiet,
        workers=args.workers,
        overwrite=args.overwrite,
    )
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in summary.items()}))
    print(f"wrote {args.output}", file=sys.stderr)
    return row_exit_status(args, summary["error"])
