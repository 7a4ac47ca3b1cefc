"""Options and rules shared by the subcommands (imports nothing heavy: ``--help`` stays fast).

Exit status, the same for ``predict``, ``explain`` and ``score``: 0 when the run
completed, even if some rows are error rows (each says why on its own row);
with ``--fail-on-error``, 1 when any row failed. A user error (bad option,
missing file, unreadable model) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse

__all__ = [
    "add_fail_on_error",
    "add_test_augment",
    "non_negative_int",
    "positive_int",
    "row_exit_status",
]


def add_fail_on_error(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on-error",
        action="store_true",
        help="exit with status 1 when any row failed (default: 0 once the run completes; "
        "failed rows carry their reason)",
    )


def row_exit_status(args: argparse.Namespace, n_failed: int) -> int:
    """0, or 1 when ``--fail-on-error`` was given and ``n_failed`` rows failed."""
    return 1 if n_failed and args.fail_on_error else 0


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def add_test_augment(parser: argparse.ArgumentParser, default: int | None) -> None:
    what = "the model's own setting" if default is None else f"{default}: the SMILES as given"
    parser.add_argument(
        "--test-augment",
        type=non_negative_int,
        default=default,
        metavar="M",
        help=f"average each prediction over the SMILES and M random spellings of it, drawn "
        f"from a seed fixed per molecule, so a molecule's result never depends on its batch "
        f"(default {what}; about M+1 times slower)",
    )
