"""Score a molecule file: prediction and per-atom weights, one output row per input row.

Examples:
  chemexplain score library.csv -o scored.parquet --id-col id --html report.html
  chemexplain score 'library/*.csv' -o scored/ --dask local:2        # Dask, resumable
  chemexplain score 'library/*.csv' -o scored/ --dask tcp://head:8786

Input: .csv, .smi, .sdf (each may be compressed: .smi.gz, .smi.bz2) or
.parquet; output: .csv, .parquet or .sdf. The input's other columns are kept
(choose with --columns). Bad rows (empty, invalid, unknown characters,
over-long, several fragments) get status 'error' and a reason, and every other
row is still scored. The output
appears at its path only when the run completes. Exit status 0 once every
row is done (1 with --fail-on-error when a row failed).

With --dask, the inputs (files or quoted globs) are cut into partitions of
--partition-rows rows and scored on a Dask cluster into one part file per
partition in the output folder (see chemexplain.distributed and
docs/scale_out.md); running the same command again resumes.
"""

from __future__ import annotations

import argparse
import json
import sys

from chemexplain.chem import MAX_SMILES_LENGTH
from chemexplain.cli.common import (
    add_explain_options,
    add_flag,
    add_output,
    explain_options,
    note_fallback_method,
    positive_int,
    row_exit_status,
)


def add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input",
        nargs="+",
        help="molecules: .csv, .smi or .sdf (also .gz, .bz2), or .parquet; several with --dask",
    )
    add_output(
        parser, ".csv, .parquet or .sdf to write (with --dask: a folder of parts)", required=True
    )
    add_flag(parser, "--model")
    parser.add_argument("--smiles-col", default="smiles", help="SMILES column (default: smiles)")
    parser.add_argument("--id-col", help="id column kept in the output (SDF: a property name)")
    parser.add_argument(
        "--columns",
        help="comma-separated input columns to keep in the output (default: all; the SMILES "
        "and id columns are always kept)",
    )
    add_explain_options(parser)
    parser.add_argument(
        "--chunk-size",
        type=positive_int,
        default=8192,
        help="molecules read, scored and written at a time (default 8192); memory grows with it",
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
        default=None,
        help="single-threaded worker processes (1: in-process; default: in-process up to "
        "8,192 rows, else the CPU cores, at most 4)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing output files (default: refuse; an output is never the input)",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS|local[:N]",
        help="score on a Dask cluster: a scheduler address (tcp://host:8786), or 'local:N' "
        "for N local worker processes (default: CPU cores); needs chemexplain[dask]",
    )
    parser.add_argument(
        "--partition-rows",
        type=positive_int,
        default=50_000,
        help="with --dask: rows per task and per part file (default 50000)",
    )
    parser.add_argument(
        "--part-format",
        choices=["parquet", "csv"],
        default="parquet",
        help="with --dask: the part files' format (default parquet)",
    )
    add_flag(parser, "--quiet")
    add_flag(parser, "--fail-on-error")


def _local_workers(spec: str) -> int | None:
    """The worker count of '--dask local' (None: one per core) or 'local:N'."""
    from chemexplain.errors import DataFormatError

    count = spec.partition(":")[2]
    if count and not (count.isdigit() and int(count) > 0):
        raise DataFormatError(f"--dask {spec}: write local:N with N a positive integer")
    return int(count) if count else None


def run_dask(args: argparse.Namespace, columns) -> int:
    from chemexplain.distributed import local_cluster, require_dask, score_files
    from chemexplain.errors import DataFormatError

    if args.html:
        raise DataFormatError("--html is not written with --dask; score a sample without --dask")
    distributed = require_dask()
    if args.dask == "local" or args.dask.startswith("local:"):
        connection = local_cluster(_local_workers(args.dask))
    else:
        connection = distributed.Client(args.dask)
    with connection as client:
        summary = score_files(
            args.input,
            args.output,
            args.model,
            client=client,
            partition_rows=args.partition_rows,
            part_format=args.part_format,
            **_options(args, columns),
        )
    return _report(args, summary)


def _options(args: argparse.Namespace, columns) -> dict:
    """The options that local and Dask scoring share."""
    return dict(
        smiles_col=args.smiles_col,
        id_col=args.id_col,
        columns=columns,
        **explain_options(args),
        max_length=args.max_length,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )


def _report(args: argparse.Namespace, summary: dict) -> int:
    """Print the run's counts as JSON; the exit status by the rows that failed."""
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in summary.items()}))
    print(f"wrote {args.output}", file=sys.stderr)
    return row_exit_status(args, summary["error"])


def run(args: argparse.Namespace) -> int:
    from chemexplain.errors import DataFormatError
    from chemexplain.io.scoring import score_file

    columns = None
    if args.columns is not None:
        columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    note_fallback_method(args)
    if args.dask:
        return run_dask(args, columns)
    if len(args.input) > 1:
        raise DataFormatError(
            "several inputs need --dask (for example --dask local); or score them one at a time"
        )
    summary = score_file(
        args.input[0],
        args.output,
        args.model,
        chunk_size=args.chunk_size,
        html=args.html,
        html_molecules=args.html_molecules,
        workers=args.workers,
        **_options(args, columns),
    )
    return _report(args, summary)
