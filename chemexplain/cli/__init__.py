"""The ``chemexplain`` command: a thin layer over the Python API.

One module per subcommand, each with ``add_args(parser)`` and ``run(args)``.
``main(argv)`` is callable in-process (tests do) and returns the exit status.
Subcommand modules import torch, RDKit and pandas inside ``run``, so that
``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings

from chemexplain.cli import evaluate, explain, fit_explainer, fit_mask, predict, score, train
from chemexplain.cli.common import add_flag
from chemexplain.errors import ChemexplainError

__all__ = ["main"]

COMMANDS = {
    "train": train,
    "predict": predict,
    "explain": explain,
    "score": score,
    "fit-mask": fit_mask,
    "fit-explainer": fit_explainer,
    "evaluate": evaluate,
}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``chemexplain score: error: ... (see --help)``, exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that cleanup runs as for Ctrl-C."""


#: Seconds after which a SIGTERM or SIGINT that arrived inside a finalizer is delivered again.
REDELIVER_AFTER = 0.05


def _raise_for_signal(signum, frame):
    """Raise :class:`Terminated` for SIGTERM, ``KeyboardInterrupt`` for SIGINT (Ctrl-C),
    unless Python is running a finalizer (``__del__``, ``weakref.finalize``): there it
    would print the exception, drop it and let the run go on (to status 0). Then the
    signal is sent to the main thread again a moment later.
    """
    if _in_finalizer(frame) and hasattr(signal, "pthread_kill"):  # not on Windows
        main = threading.main_thread().ident
        threading.Timer(REDELIVER_AFTER, signal.pthread_kill, (main, signum)).start()
        return
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _in_finalizer(frame) -> bool:
    while frame is not None:
        code = frame.f_code
        if code.co_name == "__del__" or (
            code.co_name == "__call__" and code.co_filename.endswith("weakref.py")
        ):
            return True
        frame = frame.f_back
    return False


def build_parser() -> argparse.ArgumentParser:
    from chemexplain.version import __version__

    parser = _Parser(
        prog="chemexplain",
        description="Train SMILES models, predict, and explain their predictions.",
    )
    parser.add_argument("--version", action="version", version=f"chemexplain {__version__}")
    add_flag(parser, "--threads")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
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
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    A user error (a ``ChemexplainError``, a missing or unwritable file, a full
    disk) is one line on stderr and status 2; Ctrl-C is 130 and SIGTERM 143,
    both after removing any partial output. A warning is one line too
    (``chemexplain train: warning: ...``), without Python's file and line.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    handled = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if ignored (nohup)
        handled.append(signal.SIGINT)
    previous = {s: signal.signal(s, _raise_for_signal) for s in handled} if in_main_thread else {}

    def show_warning(message, category, filename, lineno, file=None, line=None):
        print(f"chemexplain {args.command}: warning: {message}", file=sys.stderr)

    try:
        import torch  # inside: a Ctrl-C during this second-long import is one line too

        torch.set_num_threads(args.threads or os.cpu_count() or 1)
        with warnings.catch_warnings():
            warnings.showwarning = show_warning
            return args.run(args) or 0
    except (ChemexplainError, OSError) as error:
        message = str(error) if isinstance(error, ChemexplainError) else _os_message(error)
        print(f"chemexplain {args.command}: error: {message}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"chemexplain {args.command}: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"chemexplain {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _os_message(error: OSError) -> str:
    where = f"{error.filename}: " if getattr(error, "filename", None) else ""
    return f"{where}{error.strerror or error}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
