"""The ``chemexplain`` command: a thin layer over the Python API.

One module per subcommand, each with ``add_args(parser)`` and ``run(args)``.
``main(argv)`` is callable in-process (tests do) and returns the exit status.
Subcommand modules import torch, RDKit and pandas inside ``run``, so that
``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys

from chemexplain.cli import evaluate, explain, fit_mask, predict, score, train
from chemexplain.errors import ChemexplainError

__all__ = ["main"]

COMMANDS = {
    "train": train,
    "predict": predict,
    "explain": explain,
    "score": score,
    "fit-mask": fit_mask,
    "evaluate": evaluate,
}


def build_parser() -> argparse.ArgumentParser:
    from chemexplain.version import __version__

    parser = argparse.ArgumentParser(
        prog="chemexplain",
        description="Train SMILES models, predict, and explain their predictions.",
    )
    parser.add_argument("--version", action="version", version=f"chemexplain {__version__}")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: the number of CPU cores)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=module.__doc__.strip().splitlines()[0],
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_args(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    try:
        return args.run(args) or 0
    except (ChemexplainError, FileNotFoundError, PermissionError, IsADirectoryError) as error:
        print(f"chemexplain {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"chemexplain {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
